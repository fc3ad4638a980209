"""Reductions (sum, mean, max/min, amax/amin, argmax/argmin, var, std, prod, all/any),
cumsum, and the softmax family.

A reduction's backward must undo the lost axes: the gradient of each output element is
spread back over the input elements it summarised (``broadcast_to`` of the gradient
with the reduced axes kept as size 1).  The rules compute with Tensor ops, so a recorded
backward (``create_graph=True``) can be differentiated again.
"""
from __future__ import annotations

import builtins
from typing import Any, NamedTuple, Optional, Sequence, Union

import numpy as np

from ..tensor import Tensor, is_grad_enabled, record
from . import tensor_method
from .elementwise import _output, maximum, minimum, where
from .shape import _dim, scatter_add

Axis = Union[None, int, Sequence[int]]


def _axes(x: Tensor, axis: Axis, dim: Axis = None, name: str = "axis") -> Optional[tuple]:
    """Normalise ``axis`` (or PyTorch's ``dim``) to a tuple of non-negative ints, or None = all."""
    if dim is not None:
        if axis is not None:
            raise TypeError("pass either axis= or dim=, not both")
        axis = dim
    if axis is None:
        return None
    try:
        axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    except TypeError:  # e.g. a float: not iterable
        raise TypeError(f"{name} must be an int or a tuple of ints, got {axis!r}") from None
    out = []
    for a in axes:
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"{name} must be an int or a tuple of ints, got {axis!r}")
        if not -builtins.max(x.ndim, 1) <= a < builtins.max(x.ndim, 1):
            raise ValueError(f"{name}={a} is out of range for a tensor with {x.ndim} dims "
                             f"(shape {x.shape})")
        out.append(int(a) % builtins.max(x.ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{name} has a repeated axis: {axis!r}")
    # dim=() reduces every dim, as in PyTorch (numpy's axis=() would reduce none)
    return tuple(out) if x.ndim > 0 and out else None


def _keep(keepdims: bool, keepdim: Optional[bool]) -> bool:
    return bool(keepdims if keepdim is None else keepdim)


def _expand_back(g: Tensor, x: Tensor, axes: Optional[tuple], keepdims: bool) -> Tensor:
    """Re-insert the reduced axes of ``g`` as size 1 so it broadcasts against ``x``."""
    if keepdims or axes is None:  # kept already, or a 0-d result: broadcasts as it is
        return g
    return g.reshape(tuple(1 if i in axes else n for i, n in enumerate(x.shape)))


def _kept(out: np.ndarray, axes: Optional[tuple], keepdims: bool) -> np.ndarray:
    """A reduction's result array with the reduced axes as size 1 (see _expand_back)."""
    return out if keepdims or axes is None else np.expand_dims(out, axes)


@tensor_method
def sum(x: Tensor, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
        keepdim: Optional[bool] = None) -> Tensor:
    """Sum over ``axis`` (all axes by default)."""
    axes, kd = _axes(x, axis, dim), _keep(keepdims, keepdim)
    out = np.asarray(x.array.sum(axis=axes, keepdims=kd))

    def backward(g):  # d/dx_i sum(x) = 1: every input gets the output's gradient
        return (_expand_back(g, x, axes, kd).broadcast_to(x.shape),)
    return record("sum", out, (x,), backward)


@tensor_method
def mean(x: Tensor, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
         keepdim: Optional[bool] = None) -> Tensor:
    """Mean over ``axis`` (all axes by default)."""
    axes, kd = _axes(x, axis, dim), _keep(keepdims, keepdim)
    if x.array.dtype.kind not in "fc":
        raise TypeError(f"mean: needs a floating-point tensor, got dtype {x.dtype}")
    out = np.asarray(x.array.mean(axis=axes, keepdims=kd))
    n = x.size // builtins.max(out.size, 1) if x.size else 0

    def backward(g):  # d/dx_i mean(x) = 1/n
        return ((_expand_back(g, x, axes, kd) / n).broadcast_to(x.shape),)
    return record("mean", out, (x,), backward)


def _extreme(x: Tensor, axis: Axis, keepdims: bool, dim: Axis, keepdim: Optional[bool],
             fn: Any, name: str) -> Tensor:
    axes, kd = _axes(x, axis, dim), _keep(keepdims, keepdim)
    if x.size == 0 and (axes is None or builtins.any(x.shape[a] == 0 for a in axes)):
        raise ValueError(f"{name}: cannot reduce over an empty dimension (shape {x.shape})")
    out = np.asarray(fn(x.array, axis=axes, keepdims=kd))

    def backward(g):  # d/dx_i max(x) = 1 at the maximum, shared equally among ties
        hit = x.array == _kept(out, axes, kd)
        share = (hit / hit.sum(axis=axes, keepdims=True)).astype(x.dtype, copy=False)
        return (_expand_back(g, x, axes, kd) * Tensor._wrap(share),)  # constant in x
    return record(name, out, (x,), backward)


class MaxMin(NamedTuple):
    """What ``max(x, dim)`` / ``min(x, dim)`` return, as PyTorch: ``values, indices = x.max(1)``."""
    values: Tensor
    indices: Tensor


def _select(x: Tensor, dim: Any, keepdim: bool, arg: Any, name: str) -> MaxMin:
    """Values and indices of the max/min along ONE dim; the gradient goes to that index."""
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{name}: dim must be a single int (got {dim!r}); use "
                        f"a{name}(x, dim) to reduce over several dims")
    (d,) = _axes(x, dim, name="dim") or (0,)  # a 0-d tensor: dim 0 or -1, as PyTorch
    xd = x.array.reshape(1) if x.ndim == 0 else x.array
    if xd.shape[d] == 0:
        raise ValueError(f"{name}: cannot reduce over an empty dimension (shape {x.shape})")
    idx = np.expand_dims(arg(xd, axis=d), d)  # the first max/min (NaN counts as the max)
    values = np.take_along_axis(xd, idx, axis=d)
    shape = values.shape if keepdim else np.squeeze(values, d).shape
    if x.ndim == 0:
        shape = ()

    def backward(g):  # d/dx_i max_j(x_j) = 1 at the selected index i, 0 elsewhere
        at = tuple(idx if i == d else p for i, p in enumerate(np.indices(idx.shape, sparse=True)))
        gx = scatter_add(g.reshape(idx.shape), xd.shape, at, unique=True)
        return (gx if x.ndim else gx.reshape(()),)
    out = record(name, values.reshape(shape), (x,), backward)
    return MaxMin(out, Tensor(idx.reshape(shape)))


@tensor_method
def max(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
        keepdims: Optional[bool] = None) -> Any:
    """PyTorch's max: ``x.max()`` is the largest value (ties share the gradient equally);
    ``x.max(dim)`` is ``(values, indices)`` along that dim, the gradient going to the index
    of the first maximum.  For values only over any dims, use :func:`amax`.
    ``max(x, other)`` with a Tensor is the elementwise :func:`maximum`, as in PyTorch."""
    if isinstance(dim, Tensor):
        return maximum(x, dim)
    d, kd = _one_dim(dim, axis), _keep(keepdim, keepdims)
    if d is None:
        return _extreme(x, None, False, None, None, np.max, "max")
    return _select(x, d, kd, np.argmax, "max")


@tensor_method
def min(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
        keepdims: Optional[bool] = None) -> Any:
    """PyTorch's min: ``x.min()``, or ``(values, indices) = x.min(dim)``; see :func:`max`.
    ``min(x, other)`` with a Tensor is the elementwise :func:`minimum`."""
    if isinstance(dim, Tensor):
        return minimum(x, dim)
    d, kd = _one_dim(dim, axis), _keep(keepdim, keepdims)
    if d is None:
        return _extreme(x, None, False, None, None, np.min, "min")
    return _select(x, d, kd, np.argmin, "min")


def _one_dim(dim: Any, axis: Any) -> Any:
    if dim is not None and axis is not None:
        raise TypeError("pass either axis= or dim=, not both")
    return dim if axis is None else axis


@tensor_method
def amax(x: Tensor, dim: Axis = None, keepdim: bool = False, *, axis: Axis = None,
         keepdims: Optional[bool] = None) -> Tensor:
    """Largest value over ``dim`` (an int, a tuple, or all); ties share the gradient equally."""
    return _extreme(x, axis, False, dim, _keep(keepdim, keepdims), np.max, "amax")


@tensor_method
def amin(x: Tensor, dim: Axis = None, keepdim: bool = False, *, axis: Axis = None,
         keepdims: Optional[bool] = None) -> Tensor:
    """Smallest value over ``dim`` (an int, a tuple, or all); ties share the gradient equally."""
    return _extreme(x, axis, False, dim, _keep(keepdim, keepdims), np.min, "amin")


def _arg(x: Tensor, dim: Any, keepdim: bool, arg: Any, name: str) -> Tensor:
    if x.size == 0:
        raise ValueError(f"{name}: cannot take the {name} of an empty tensor")
    if dim is None:  # an index into the flattened tensor, as PyTorch
        return Tensor(np.asarray(arg(x.array)))
    (d,) = _axes(x, dim, name="dim") or (0,)
    out = arg(x.array.reshape(1) if x.ndim == 0 else x.array, axis=d, keepdims=keepdim)
    return Tensor(np.asarray(out).reshape(()) if x.ndim == 0 else out)


@tensor_method
def argmax(x: Tensor, dim: Optional[int] = None, keepdim: bool = False) -> Tensor:
    """Index of the first maximum along ``dim`` (of the flattened tensor if None); int64."""
    return _arg(x, dim, keepdim, np.argmax, "argmax")


@tensor_method
def argmin(x: Tensor, dim: Optional[int] = None, keepdim: bool = False) -> Tensor:
    """Index of the first minimum along ``dim`` (of the flattened tensor if None); int64."""
    return _arg(x, dim, keepdim, np.argmin, "argmin")


@tensor_method
def var(x: Tensor, axis: Axis = None, unbiased: Optional[bool] = None, keepdims: bool = False,
        *, correction: Optional[float] = None, dim: Axis = None,
        keepdim: Optional[bool] = None) -> Tensor:
    """Variance over ``axis``: sum((x - mean)^2) / (n - correction).

    ``correction=1`` (the default, as in PyTorch; None means the default) is the unbiased
    estimate; numpy's ``np.var`` default is ``correction=0``.  Positional arguments follow
    PyTorch's ``var(dim, unbiased, keepdim)``: ``x.var(1, False)`` is the biased variance,
    and a bool alone is ``unbiased``, as in torch's other overload: ``x.var(False)``.
    """
    if isinstance(axis, (bool, np.bool_)):  # torch's var(unbiased) overload
        if (unbiased is not None or keepdims or dim is not None or keepdim is not None
                or correction is not None):
            raise TypeError(f"var: a bool first argument is unbiased (var(unbiased)), which "
                            f"takes nothing else; give dim as an int, e.g. var(0, {bool(axis)})")
        axis, unbiased = None, bool(axis)
    if unbiased is not None:
        if correction is not None:  # as torch: which one was meant?
            raise TypeError("var: pass either unbiased or correction, not both")
        correction = 1 if unbiased else 0
    if correction is None:
        correction = 1
    axes, kd = _axes(x, axis, dim), _keep(keepdims, keepdim)
    if x.array.dtype.kind not in "fc":
        raise TypeError(f"var: needs a floating-point tensor, got dtype {x.dtype}")
    centred = x.array - x.array.mean(axis=axes, keepdims=True)
    n = x.size if axes is None else int(np.prod([x.shape[a] for a in axes]))
    denom = builtins.max(n - correction, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray((centred * centred).sum(axis=axes, keepdims=kd) / denom,
                         dtype=x.dtype)

    scale = 2 / denom if denom > 0 else np.inf  # n <= correction: inf/nan like the forward

    def backward(g):  # d/dx_i var = 2 (x_i - mean) / (n - correction)
        c = _output(centred, lambda: x - mean(x, axes, keepdims=True))
        with np.errstate(invalid="ignore"):
            return (_expand_back(g, x, axes, kd) * scale * c,)
    return record("var", out, (x,), backward)


@tensor_method
def std(x: Tensor, axis: Axis = None, unbiased: Optional[bool] = None, keepdims: bool = False,
        *, correction: Optional[float] = None, dim: Axis = None,
        keepdim: Optional[bool] = None) -> Tensor:
    """Standard deviation: sqrt of :func:`var`, with var's arguments (``correction=1``)."""
    if x.array.dtype.kind not in "fc":
        raise TypeError(f"std: needs a floating-point tensor, got dtype {x.dtype}")
    v = var(x, axis, unbiased, keepdims, correction=correction, dim=dim, keepdim=keepdim)
    out = np.sqrt(v.array)

    def backward(g):  # d/dv sqrt(v) = 1 / (2 sqrt(v)); taken as 0 where std = 0 (as PyTorch)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (where(out == 0, 0, g / (2 * _output(out, v.sqrt))),)
    return record("std", out, (v,), backward)


@tensor_method
def prod(x: Tensor, dim: Optional[int] = None, keepdim: bool = False) -> Tensor:
    """Product over one ``dim`` (of all elements if None); ints and bools give int64."""
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"prod: dim must be a single int or None, got {dim!r}")
    d = None if dim is None else _dim(x, dim, "prod")
    axes = None if d is None or x.ndim == 0 else (d,)
    kd = keepdim and dim is not None
    out = np.asarray(x.array.prod(axis=axes, keepdims=kd))

    def backward(g):  # d/dx_i prod(x) = prod_{j != i} x_j, the product of the others
        others = _product_of_others(x, axes, lambda: prod(x, dim, keepdim=True),
                                    _kept(out, axes, kd))
        return (_expand_back(g, x, axes, kd) * others,)
    return record("prod", out, (x,), backward)


def _product_of_others(x: Tensor, axes: Optional[tuple], recompute: Any,
                       out: np.ndarray) -> Tensor:
    """prod_{j != i} x_j over ``axes`` (one axis, or all), for each x_i, without 0/0."""
    zero = x.array == 0
    if not zero.any():  # the usual case: the whole product (``out``) divided by x_i
        return _output(out, recompute) / x
    if not is_grad_enabled():  # first order: from p, the product of the non-zero x_j:
        # p at a slice's only zero and 0 elsewhere; 0 everywhere if it has two or more
        nzeros = zero.sum(axis=axes, keepdims=True)
        nonzero = np.where(zero, 1, x.array)
        p = nonzero.prod(axis=axes, keepdims=True)
        return Tensor._wrap(np.where(zero, np.where(nzeros == 1, p, 0),
                                     np.where(nzeros == 0, p / nonzero, 0)))
    # recorded, with zeros: differentiable again, at n times the memory: row i of a
    # slice's n x n copy has x_i replaced by 1, and its product is the answer for x_i
    xt = x.reshape(-1) if axes is None else x.transpose(axes[0], -1)  # slices along the last
    copies = where(np.eye(xt.shape[-1], dtype=bool), 1, xt.unsqueeze(-2))
    others = prod(copies, -1)
    return others.reshape(x.shape) if axes is None else others.transpose(axes[0], -1)


@tensor_method
def cumsum(x: Tensor, dim: int) -> Tensor:
    """Running sum along ``dim``: out_i = x_0 + ... + x_i; ints and bools give int64."""
    d = _dim(x, dim, "cumsum")
    xd = x.array.reshape(x.shape or (1,))  # a 0-d tensor acts as 1-D (dim 0 or -1), as PyTorch
    out = np.cumsum(xd, axis=d).reshape(x.shape)

    # d out_i / d x_j = 1 for i >= j:  dx_j = sum_{i >= j} g_i, a running sum from the end
    return record("cumsum", out, (x,), lambda g: (reverse_cumsum(g, d),))


def reverse_cumsum(x: Tensor, dim: int) -> Tensor:
    """Running sum along ``dim`` from the end: out_i = x_i + ... + x_{n-1}.  It is
    cumsum's gradient, and cumsum is its gradient (each is the other's transpose)."""
    d = _dim(x, dim, "reverse_cumsum")
    xd = x.array.reshape(x.shape or (1,))
    out = np.flip(np.cumsum(np.flip(xd, d), axis=d), d).reshape(x.shape)
    return record("reverse_cumsum", out, (x,), lambda g: (cumsum(g, d),))


# logical reductions: bool tensors, never on the tape
def _logical(x: Tensor, dim: Axis, keepdim: bool, fn: Any) -> Tensor:
    # dim=() reduces nothing here, as PyTorch's all/any (sum(dim=()) reduces everything)
    axes = () if isinstance(dim, (tuple, list)) and not dim else _axes(x, dim, name="dim")
    return Tensor(np.asarray(fn(x.array, axis=axes, keepdims=keepdim)))


@tensor_method
def all(x: Tensor, dim: Axis = None, keepdim: bool = False) -> Tensor:
    """True where every element (over ``dim``: an int, a tuple, or all) is non-zero."""
    return _logical(x, dim, keepdim, np.all)


@tensor_method
def any(x: Tensor, dim: Axis = None, keepdim: bool = False) -> Tensor:
    """True where some element (over ``dim``: an int, a tuple, or all) is non-zero."""
    return _logical(x, dim, keepdim, np.any)


def _softmax_axis(x: Tensor, dim: Optional[int], axis: Optional[int], name: str) -> Any:
    if dim is None and axis is None:
        raise TypeError(f"{name}: pass the axis to normalise over, e.g. {name}(x, dim=-1)")
    axes = _axes(x, axis, dim, name="dim")
    if x.ndim == 0 and isinstance(dim if dim is not None else axis, (int, np.integer)):
        return ()  # a 0-d tensor is its own slice (dim 0 or -1, as PyTorch); numpy: axis=()
    if axes is None or len(axes) != 1:
        raise ValueError(f"{name}: dim must be a single int, got {dim if dim is not None else axis!r}")
    return axes[0]


def _max_keep(d: np.ndarray, ax: Any) -> np.ndarray:
    """Max over ``ax``, kept as size 1 (the shift of the softmax family); -inf over an
    empty axis, where numpy's plain ``max`` raises."""
    return d.max(axis=ax, keepdims=True, initial=-np.inf) if d.size == 0 else \
        d.max(axis=ax, keepdims=True)


@tensor_method
def logsumexp(x: Tensor, dim: Optional[int] = None, keepdim: bool = False, *,
              axis: Optional[int] = None, keepdims: Optional[bool] = None) -> Tensor:
    """log(sum(exp(x))) along ``dim``, shifted by the max so it is finite for huge logits."""
    ax = _softmax_axis(x, dim, axis, "logsumexp")
    kd = bool(keepdim if keepdims is None else keepdims)
    m = _max_keep(x.array, ax)
    m = np.where(np.isfinite(m), m, 0)  # all -inf rows stay -inf instead of nan
    with np.errstate(divide="ignore"):  # log(0) = -inf is the right answer there
        out_k = np.log(np.exp(x.array - m).sum(axis=ax, keepdims=True)) + m
    out = out_k if kd else np.squeeze(out_k, ax)

    def backward(g):  # d/dx_i logsumexp(x) = softmax(x)_i = exp(x_i - logsumexp(x))
        lse = _output(out_k, lambda: logsumexp(x, dim, True, axis=axis))
        return ((g if kd else g.reshape(out_k.shape)) * (x - lse).exp(),)
    return record("logsumexp", out, (x,), backward)


@tensor_method
def softmax(x: Tensor, dim: Optional[int] = None, *, axis: Optional[int] = None) -> Tensor:
    """exp(x_i) / sum_j exp(x_j) along ``dim`` (max-shifted: finite for logits of +-1e4)."""
    ax = _softmax_axis(x, dim, axis, "softmax")
    e = np.exp(x.array - _max_keep(x.array, ax))
    out = e / e.sum(axis=ax, keepdims=True)

    def backward(g):  # dx = s * (g - sum(g * s))   (the softmax Jacobian applied to g)
        s = _output(out, lambda: softmax(x, dim, axis=axis))
        return (s * (g - (g * s).sum(ax, keepdims=True)),)
    return record("softmax", out, (x,), backward)


@tensor_method
def log_softmax(x: Tensor, dim: Optional[int] = None, *, axis: Optional[int] = None) -> Tensor:
    """x_i - logsumexp(x) along ``dim``: the stable way to get log-probabilities."""
    ax = _softmax_axis(x, dim, axis, "log_softmax")
    shifted = x.array - _max_keep(x.array, ax)
    out = shifted - np.log(np.exp(shifted).sum(axis=ax, keepdims=True))

    def backward(g):  # dx = g - softmax(x) * sum(g),  softmax(x) = exp(log_softmax(x))
        p = _output(out, lambda: log_softmax(x, dim, axis=axis)).exp()
        return (g - p * g.sum(ax, keepdims=True),)
    return record("log_softmax", out, (x,), backward)
