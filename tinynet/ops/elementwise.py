"""Elementwise math: y = f(x) applied to every element, so dL/dx = dL/dy * f'(x).

Each op keeps (in its ``backward`` closure) only what f' needs: often the output itself
(exp, tanh, sigmoid), sometimes the input (log, abs).  The rules compute with Tensor ops,
so a recorded backward (``create_graph=True``) can be differentiated again.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from ..tensor import Tensor, is_grad_enabled, record, unbroadcast
from . import broadcasts_to, tensor_method
from .._names import type_name


def _output(out: np.ndarray, recompute: Callable[[], Tensor]) -> Tensor:
    """An op's own result, for its gradient rule (tanh' = 1 - tanh^2, ...).

    A rule must not hold its output Tensor (the Tensor holds its entry, the entry its
    rule: a reference cycle), so it keeps the array: a constant, right for a first-order
    backward.  When the backward is recorded (``create_graph=True``) the output is
    recomputed from the inputs instead, so that its dependence on them is on the tape too.
    """
    return recompute() if is_grad_enabled() else Tensor._wrap(out)


def _floats(x: Tensor) -> np.ndarray:
    """``x``'s data, as float32 if it holds ints or bools: PyTorch's result dtype for
    exp(int), sin(int), ... (numpy would give float64)."""
    return x.array if x.dtype.kind in "fc" else x.array.astype(np.float32)


def _sign(d: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """[d > 0] - [d < 0] in ``dtype``: -1, 0 or 1, and 0 at NaN (every comparison is False)."""
    return (np.greater(d, 0).astype(dtype) - (d < 0)).astype(dtype, copy=False)


@tensor_method
def exp(x: Tensor) -> Tensor:
    """e^x (ints give float32, as in PyTorch)."""
    out = np.exp(_floats(x))
    return record("exp", out, (x,), lambda g: (g * _output(out, x.exp),))  # d/dx e^x = e^x


@tensor_method
def log(x: Tensor) -> Tensor:
    """Natural logarithm (``-inf`` at 0, ``nan`` below, as numpy and PyTorch)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log(_floats(x))
    return record("log", out, (x,), lambda g: (g / x,))  # d/dx ln x = 1/x


@tensor_method
def sqrt(x: Tensor) -> Tensor:
    """Square root."""
    with np.errstate(invalid="ignore"):
        out = np.sqrt(_floats(x))

    def backward(g):  # d/dx sqrt(x) = 1 / (2 sqrt(x))
        with np.errstate(divide="ignore"):
            return (g / (2 * _output(out, x.sqrt)),)
    return record("sqrt", out, (x,), backward)


@tensor_method
def abs(x: Tensor) -> Tensor:
    """|x|; its gradient at 0 (and at NaN) is taken as 0, as in PyTorch."""
    out = np.abs(x.array)

    def backward(g):  # d/dx |x| = sign(x) = [x > 0] - [x < 0]   (0 at 0 and at NaN)
        return (g * Tensor._wrap(_sign(x.array, g.dtype)),)  # a step: constant in x
    return record("abs", out, (x,), backward)


Tensor.__abs__ = abs  # type: ignore[assignment]


@tensor_method
def tanh(x: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    out = np.tanh(_floats(x))

    def backward(g):  # d/dx tanh x = 1 - tanh^2 x
        t = _output(out, x.tanh)
        return (g * (1 - t * t),)
    return record("tanh", out, (x,), backward)


@tensor_method
def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + e^-x), computed without overflow for large |x|."""
    d = _floats(x)
    # e^-|x| never overflows; pick the algebraically equal form for each sign
    e = np.exp(-np.abs(d))
    out = np.where(d >= 0, 1 / (1 + e), e / (1 + e)).astype(d.dtype, copy=False)

    def backward(g):  # d/dx s(x) = s(x) (1 - s(x))
        s = _output(out, x.sigmoid)
        return (g * s * (1 - s),)
    return record("sigmoid", out, (x,), backward)


@tensor_method
def relu(x: Tensor) -> Tensor:
    """max(x, 0); the gradient at 0 is 0, and NaN passes its gradient through, as in PyTorch."""
    # against an array of zeros, not the scalar 0: numpy's scalar-broadcast max is ~3x slower
    out = np.maximum(x.array, np.zeros_like(x.array))

    def backward(g):  # d/dx relu(x) = 0 if x <= 0 else 1   (NaN <= 0 is False: 1)
        if np.isfinite(g.array).all():  # the usual case: a multiply is the fastest mask
            return (g * Tensor._wrap(~(out <= 0)),)
        return (where(out <= 0, 0, g),)  # inf * 0 would be nan; blocked entries get 0
    return record("relu", out, (x,), backward)


@tensor_method
def maximum(a: Tensor, b: Any) -> Tensor:
    """Elementwise max with broadcasting; at ties each side gets half the gradient, and
    where either side is NaN both get all of it (as PyTorch)."""
    b = Tensor._lift(b, a)
    x, y = Tensor._promote(a.array, b.array)
    out = np.maximum(x, y)

    def backward(g):  # d/da max(a,b) = [a > b] + 0.5 [a == b],  written as not [a < b]
        ga, gb = _tie_grads(x, y, g)
        return (unbroadcast(ga, a.shape) if a.requires_grad else None,
                unbroadcast(gb, b.shape) if b.requires_grad else None)
    return record("maximum", out, (a, b), backward)


@tensor_method
def minimum(a: Tensor, b: Any) -> Tensor:
    """Elementwise min with broadcasting; at ties each side gets half the gradient, and
    where either side is NaN both get all of it (as PyTorch)."""
    b = Tensor._lift(b, a)
    x, y = Tensor._promote(a.array, b.array)
    out = np.minimum(x, y)

    def backward(g):  # d/da min(a,b) = [a < b] + 0.5 [a == b],  written as not [a > b]
        gb, ga = _tie_grads(x, y, g)
        return (unbroadcast(ga, a.shape) if a.requires_grad else None,
                unbroadcast(gb, b.shape) if b.requires_grad else None)
    return record("minimum", out, (a, b), backward)


def _tie_grads(x: np.ndarray, y: np.ndarray, g: Tensor) -> tuple[Tensor, Tensor]:
    """The gradients of max(x, y): g where not [x < y], and g where not [x > y], halved
    where x == y.

    Written with "not" so that a NaN on either side (every comparison False) sends the
    whole gradient to both, as PyTorch's masked_fill formulas do.  For min, swap them.
    With where(), not g * mask: the losing side gets 0 even where g is inf (inf * 0 is nan).
    The masks are constants: the gradient of a max is piecewise constant in x and y.
    """
    half = where(x == y, g / 2, g)
    return where(x < y, 0, half), where(x > y, 0, half)


@tensor_method
def clip(x: Tensor, min: Optional[float] = None, max: Optional[float] = None) -> Tensor:
    """Limit values to [min, max]; the gradient passes where min <= x <= max (as torch.clamp)."""
    if min is None and max is None:
        raise ValueError("clip: give at least one of min and max")
    lo = -np.inf if min is None else _bound(x, min, "min")
    hi = np.inf if max is None else _bound(x, max, "max")
    dt = x.dtype
    if dt.kind not in "fc":  # an integer tensor with a float bound gives floats (as int + 0.5)
        given = [v for v, arg in ((lo, min), (hi, max)) if arg is not None]
        dt = np.result_type(dt, *(np.asarray(v) for v in given))
    out = np.clip(x.array, lo, hi).astype(dt, copy=False)

    def backward(g):  # d/dx clip(x) = 1 inside [min, max], 0 outside (0 even where g is inf)
        return (where((x.array >= lo) & (x.array <= hi), g, 0),)
    return record("clip", out, (x,), backward)


def _bound(x: Tensor, v: Any, name: str) -> Any:
    """A bound of clip: a number, or an array that broadcasts to ``x`` (not a Tensor
    that requires grad)."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):  # the usual case
        return v
    if isinstance(v, Tensor):
        if v.requires_grad and is_grad_enabled():
            raise TypeError(f"clip: {name} is a Tensor that requires grad; clip passes no "
                            f"gradient to its bounds, use tinynet.maximum/minimum instead")
        v = v.array
    arr = np.asarray(v)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"clip: {name} must be a number or a numeric Tensor/array, got {v!r}")
    if not broadcasts_to(arr.shape, x.shape):
        raise ValueError(f"clip: {name} of shape {arr.shape} does not broadcast to the input's "
                         f"shape {x.shape}")
    return v


clamp = clip
Tensor.clamp = clip  # type: ignore[attr-defined]


# --------------------------------------------------------------------------
# Casts: PyTorch's x.to(...), x.float(), x.double(), x.half(), x.long(), x.int(), x.bool()
# --------------------------------------------------------------------------
def _cast(x: Tensor, dtype: np.dtype) -> Tensor:
    """``x`` in ``dtype`` (``x`` itself if it already is); differentiable between floats."""
    if x.dtype == dtype:
        return x
    out = x.array.astype(dtype)
    if np.dtype(dtype).kind not in "fc":  # ints and bools have no gradient (PyTorch: detached)
        return Tensor(out, dtype=out.dtype)

    def backward(g):  # d cast(x)/dx = 1: the gradient is cast back to x's dtype
        return (_cast(g, x.dtype),)
    return record("cast", out, (x,), backward)


def _cast_copy(x: Tensor) -> Tensor:
    out = x.array.copy()
    return record("copy", out, (x,), lambda g: (g,))  # a copy: d/dx = 1


# --------------------------------------------------------------------------
# More elementwise math (PyTorch's names)
# --------------------------------------------------------------------------
@tensor_method
def reciprocal(x: Tensor) -> Tensor:
    """1/x (inf at 0, as PyTorch)."""
    with np.errstate(divide="ignore"):
        out = 1 / _floats(x)

    def backward(g):  # d/dx 1/x = -1/x^2
        r = _output(out, x.reciprocal)
        return (-g * r * r,)
    return record("reciprocal", out, (x,), backward)


@tensor_method
def rsqrt(x: Tensor) -> Tensor:
    """1/sqrt(x)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 1 / np.sqrt(_floats(x))

    def backward(g):  # d/dx x^(-1/2) = -1/2 x^(-3/2) = -out^3 / 2
        return (-0.5 * g * _output(out, x.rsqrt) ** 3,)
    return record("rsqrt", out, (x,), backward)


@tensor_method
def sign(x: Tensor) -> Tensor:
    """-1, 0 or 1 (0 at NaN, as PyTorch); keeps the dtype (bool stays bool)."""
    d = x.array
    out = d.copy() if d.dtype == np.bool_ else _sign(d, d.dtype)

    def backward(g):  # d/dx sign(x) = 0 (a step; its jump at 0 is taken as 0, as PyTorch)
        return (Tensor._wrap(np.zeros_like(g.array)),)
    return record("sign", out, (x,), backward)


@tensor_method
def sin(x: Tensor) -> Tensor:
    """Sine."""
    out = np.sin(_floats(x))

    def backward(g):  # d/dx sin x = cos x
        return (g * x.cos(),)
    return record("sin", out, (x,), backward)


@tensor_method
def cos(x: Tensor) -> Tensor:
    """Cosine."""
    out = np.cos(_floats(x))

    def backward(g):  # d/dx cos x = -sin x
        return (-g * x.sin(),)
    return record("cos", out, (x,), backward)


@tensor_method
def log1p(x: Tensor) -> Tensor:
    """ln(1 + x), accurate for tiny x (where 1 + x would round to 1)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log1p(_floats(x))

    def backward(g):  # d/dx ln(1 + x) = 1 / (1 + x)
        with np.errstate(divide="ignore"):
            return (g / (1 + x),)
    return record("log1p", out, (x,), backward)


@tensor_method
def expm1(x: Tensor) -> Tensor:
    """e^x - 1, accurate for tiny x."""
    out = np.expm1(_floats(x))

    def backward(g):  # d/dx (e^x - 1) = e^x = out + 1
        return (g * (_output(out, x.expm1) + 1),)
    return record("expm1", out, (x,), backward)


@tensor_method
def masked_fill(x: Tensor, mask: Any, value: Any) -> Tensor:
    """``x`` with ``value`` wherever the bool ``mask`` is True (the two broadcast together)."""
    m = np.asarray(mask.array if isinstance(mask, Tensor) else mask)
    if m.dtype != np.bool_:
        raise TypeError(f"masked_fill: mask must be a bool tensor, got dtype {m.dtype}")
    if isinstance(value, Tensor) and value.ndim == 0 and not value.requires_grad:
        value = value.item()  # a 0-d tensor stands for its number, as in PyTorch
    if isinstance(value, Tensor) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"masked_fill: value must be a number (or a 0-d tensor that does not "
                        f"require grad), got {type_name(value)}")
    try:
        out = np.broadcast_to(x.array, np.broadcast_shapes(x.shape, m.shape)).copy()
    except ValueError:
        raise ValueError(f"masked_fill: mask of shape {m.shape} does not broadcast with the "
                         f"input's shape {x.shape}") from None
    np.copyto(out, value, casting="unsafe", where=m)

    def backward(g):  # d/dx = 1 where x was kept, 0 where value was filled in
        return (unbroadcast(where(m, 0, g), x.shape),)
    return record("masked_fill", out, (x,), backward)


def where(condition: Any, input: Any, other: Any) -> Tensor:
    """``input`` where the bool ``condition`` is True, else ``other`` (the three broadcast
    together; ``input`` or ``other`` may be a number)."""
    c = np.asarray(condition.array if isinstance(condition, Tensor) else condition)
    if c.dtype != np.bool_:
        raise TypeError(f"where: condition must be a bool tensor, got dtype {c.dtype}")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = Tensor(input)  # two numbers: a Python float gives float32, as PyTorch
    a = Tensor._lift(input, other) if not isinstance(input, Tensor) else input
    b = Tensor._lift(other, a)
    x, y = Tensor._promote(a.array, b.array)
    try:
        out = np.where(c, x, y)
    except ValueError:
        raise ValueError(f"where: shapes {c.shape} (condition), {a.shape} (input) and "
                         f"{b.shape} (other) do not broadcast together") from None

    def backward(g):  # d/dinput = 1 where the condition holds, d/dother = 1 elsewhere
        return (unbroadcast(where(c, g, 0), a.shape) if a.requires_grad else None,
                unbroadcast(where(c, 0, g), b.shape) if b.requires_grad else None)
    return record("where", out, (a, b), backward)


Tensor.where = lambda self, condition, other: where(condition, self, other)  # type: ignore


# tests for special values: bool tensors, never on the tape
@tensor_method
def isnan(x: Tensor) -> Tensor:
    """True where ``x`` is NaN."""
    return Tensor(np.isnan(x.array))


@tensor_method
def isinf(x: Tensor) -> Tensor:
    """True where ``x`` is +inf or -inf."""
    return Tensor(np.isinf(x.array))


@tensor_method
def isfinite(x: Tensor) -> Tensor:
    """True where ``x`` is neither NaN nor +-inf."""
    return Tensor(np.isfinite(x.array))
