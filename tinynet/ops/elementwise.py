"""Elementwise math: y = f(x) applied to every element, so dL/dx = dL/dy * f'(x).

Each op keeps (in its ``backward`` closure) only what f' needs: often the output itself
(exp, tanh, sigmoid), sometimes the input (log, abs).
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ..tensor import (Tensor, _operands, _to_dtypes, is_grad_enabled, record, tensor_method,
                      unbroadcast)


@tensor_method
def exp(x: Tensor) -> Tensor:
    """e^x."""
    out = np.exp(x.data)

    def backward(g):  # d/dx e^x = e^x
        return (g * out,)
    return record("exp", out, (x,), backward)


@tensor_method
def log(x: Tensor) -> Tensor:
    """Natural logarithm (``-inf`` at 0, ``nan`` below, as numpy and PyTorch)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log(x.data)

    def backward(g):  # d/dx ln x = 1/x
        return (g / x.data,)
    return record("log", out, (x,), backward)


@tensor_method
def sqrt(x: Tensor) -> Tensor:
    """Square root."""
    with np.errstate(invalid="ignore"):
        out = np.sqrt(x.data)

    def backward(g):  # d/dx sqrt(x) = 1 / (2 sqrt(x))
        with np.errstate(divide="ignore"):
            return (g / (2 * out),)
    return record("sqrt", out, (x,), backward)


@tensor_method
def abs(x: Tensor) -> Tensor:
    """|x|; its gradient at 0 (and at NaN) is taken as 0, as in PyTorch."""
    out = np.abs(x.data)

    def backward(g):  # d/dx |x| = sign(x) = [x > 0] - [x < 0]   (0 at 0 and at NaN)
        return (g * (np.greater(x.data, 0).astype(g.dtype) - (x.data < 0)),)
    return record("abs", out, (x,), backward)


Tensor.__abs__ = abs  # type: ignore[assignment]


@tensor_method
def tanh(x: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    out = np.tanh(x.data)

    def backward(g):  # d/dx tanh x = 1 - tanh^2 x
        return (g * (1 - out * out),)
    return record("tanh", out, (x,), backward)


@tensor_method
def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + e^-x), computed without overflow for large |x|."""
    d = x.data
    # e^-|x| never overflows; pick the algebraically equal form for each sign
    e = np.exp(-np.abs(d))
    out = np.where(d >= 0, 1 / (1 + e), e / (1 + e)).astype(d.dtype, copy=False)

    def backward(g):  # d/dx s(x) = s(x) (1 - s(x))
        return (g * out * (1 - out),)
    return record("sigmoid", out, (x,), backward)


@tensor_method
def relu(x: Tensor) -> Tensor:
    """max(x, 0); the gradient at 0 is 0, and NaN passes its gradient through, as in PyTorch."""
    # against an array of zeros, not the scalar 0: numpy's scalar-broadcast max is ~3x slower
    out = np.maximum(x.data, np.zeros_like(x.data))

    def backward(g):  # d/dx relu(x) = 0 if x <= 0 else 1   (NaN <= 0 is False: 1)
        if np.isfinite(g).all():  # the usual case: a multiply is the fastest mask
            return (g * ~(out <= 0),)
        return (np.where(out <= 0, 0, g),)  # inf * 0 would be nan; blocked entries get 0
    return record("relu", out, (x,), backward)


@tensor_method
def maximum(a: Tensor, b: Any) -> Tensor:
    """Elementwise max with broadcasting; at ties each side gets half the gradient, and
    where either side is NaN both get all of it (as PyTorch)."""
    b = Tensor._lift(b, a)
    x, y = _operands(a, b)
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
    x, y = _operands(a, b)
    out = np.minimum(x, y)

    def backward(g):  # d/da min(a,b) = [a < b] + 0.5 [a == b],  written as not [a > b]
        gb, ga = _tie_grads(x, y, g)
        return (unbroadcast(ga, a.shape) if a.requires_grad else None,
                unbroadcast(gb, b.shape) if b.requires_grad else None)
    return record("minimum", out, (a, b), backward)


def _tie_grads(x: np.ndarray, y: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The gradients of max(x, y): g where not [x < y], and g where not [x > y], halved
    where x == y.

    Written with "not" so that a NaN on either side (every comparison False) sends the
    whole gradient to both, as PyTorch's masked_fill formulas do.  For min, swap them.
    With where(), not g * mask: the losing side gets 0 even where g is inf (inf * 0 is nan).
    """
    half = np.where(x == y, g / 2, g)
    return np.where(x < y, 0, half), np.where(x > y, 0, half)


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
    out = np.clip(x.data, lo, hi).astype(dt, copy=False)

    def backward(g):  # d/dx clip(x) = 1 inside [min, max], 0 outside (0 even where g is inf)
        return (np.where((x.data >= lo) & (x.data <= hi), g, 0),)
    return record("clip", out, (x,), backward)


def _bound(x: Tensor, v: Any, name: str) -> Any:
    """A bound of clip as a number or an array that broadcasts to ``x`` (not a grad-tracked Tensor)."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):  # the usual case
        return v
    if isinstance(v, Tensor):
        if v.requires_grad and is_grad_enabled():
            raise TypeError(f"clip: {name} is a Tensor that requires grad; clip passes no "
                            f"gradient to its bounds, use tinynet.maximum/minimum instead")
        v = v.data
    arr = np.asarray(v)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"clip: {name} must be a number or a numeric Tensor/array, got {v!r}")
    try:
        fits = np.broadcast_shapes(arr.shape, x.shape) == x.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"clip: {name} of shape {arr.shape} does not broadcast to the input's "
                         f"shape {x.shape}")
    return v


clamp = clip
Tensor.clamp = clip  # type: ignore[attr-defined]


# --------------------------------------------------------------------------
# Casts: PyTorch's x.to(...), x.float(), x.double()
# --------------------------------------------------------------------------
def _cast(x: Tensor, dtype: np.dtype) -> Tensor:
    """``x`` in ``dtype`` (``x`` itself if it already is); differentiable between floats."""
    if x.dtype == dtype:
        return x
    out = x.data.astype(dtype)

    def backward(g):  # d cast(x)/dx = 1: the gradient is cast back to x's dtype
        return (g.astype(x.dtype),)
    return record("cast", out, (x,), backward)


def to(x: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """PyTorch's ``x.to(device)`` / ``x.to(dtype)`` / ``x.to(device, dtype)``.

    tinynet runs on the CPU only: ``"cpu"`` returns ``x`` itself, any other device is an
    error.  A dtype casts (``x`` itself if it already has it); the gradient flows back
    through a cast between float dtypes.
    """
    out = x
    for dtype in _to_dtypes("to", args, kwargs, {"device", "dtype", "non_blocking", "copy"}):
        out = _cast(out, dtype)
    if kwargs.get("copy") and out is x:
        out = _cast_copy(x)
    return out


def _cast_copy(x: Tensor) -> Tensor:
    out = x.data.copy()

    def backward(g):  # a copy: d/dx = 1
        return (g,)
    return record("copy", out, (x,), backward)


Tensor.to = to  # type: ignore[attr-defined]
Tensor.float = lambda self: _cast(self, np.dtype(np.float32))  # type: ignore[attr-defined]
Tensor.double = lambda self: _cast(self, np.dtype(np.float64))  # type: ignore[attr-defined]
Tensor.cpu = lambda self: self  # type: ignore[attr-defined]
