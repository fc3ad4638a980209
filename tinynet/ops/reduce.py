"""Reductions (sum, mean, max, min, var) and the softmax family, along any axes.

A reduction's backward must undo the lost axes: the gradient of each output element is
spread back over the input elements it summarised (``np.broadcast_to`` of the gradient
with the reduced axes kept as size 1).
"""
from __future__ import annotations

import builtins
from typing import Any, Optional, Sequence, Union

import numpy as np

from ..tensor import Tensor, record, tensor_method

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
    return tuple(out) if x.ndim > 0 else None


def _keep(keepdims: bool, keepdim: Optional[bool]) -> bool:
    return bool(keepdims if keepdim is None else keepdim)


def _expand_back(g: np.ndarray, x: Tensor, axes: Optional[tuple], keepdims: bool) -> np.ndarray:
    """Re-insert the reduced axes of ``g`` as size 1 so it broadcasts against ``x``."""
    if not keepdims and axes is not None:
        g = np.expand_dims(g, axes)
    return g


@tensor_method
def sum(x: Tensor, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
        keepdim: Optional[bool] = None) -> Tensor:
    """Sum over ``axis`` (all axes by default)."""
    axes, kd = _axes(x, axis, dim), _keep(keepdims, keepdim)
    out = np.asarray(x.data.sum(axis=axes, keepdims=kd))

    def backward(g):  # d/dx_i sum(x) = 1: every input gets the output's gradient
        return (np.broadcast_to(_expand_back(g, x, axes, kd), x.shape),)
    return record("sum", out, (x,), backward)


@tensor_method
def mean(x: Tensor, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
         keepdim: Optional[bool] = None) -> Tensor:
    """Mean over ``axis`` (all axes by default)."""
    axes, kd = _axes(x, axis, dim), _keep(keepdims, keepdim)
    if x.data.dtype.kind not in "fc":
        raise TypeError(f"mean: needs a floating-point tensor, got dtype {x.dtype}")
    out = np.asarray(x.data.mean(axis=axes, keepdims=kd))
    n = x.size // builtins.max(out.size, 1) if x.size else 0

    def backward(g):  # d/dx_i mean(x) = 1/n
        return (np.broadcast_to(_expand_back(g, x, axes, kd) / n, x.shape),)
    return record("mean", out, (x,), backward)


def _extreme(x: Tensor, axis: Axis, keepdims: bool, dim: Axis, keepdim: Optional[bool],
             fn: Any, name: str) -> Tensor:
    axes, kd = _axes(x, axis, dim), _keep(keepdims, keepdim)
    if x.size == 0 and (axes is None or builtins.any(x.shape[a] == 0 for a in axes)):
        raise ValueError(f"{name}: cannot reduce over an empty dimension (shape {x.shape})")
    out = np.asarray(fn(x.data, axis=axes, keepdims=kd))

    def backward(g):  # d/dx_i max(x) = 1 at the maximum, shared equally among ties
        hit = x.data == _expand_back(out, x, axes, kd)
        count = hit.sum(axis=axes, keepdims=True)
        return ((_expand_back(g, x, axes, kd) * hit / count).astype(x.dtype, copy=False),)
    return record(name, out, (x,), backward)


@tensor_method
def max(x: Tensor, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
        keepdim: Optional[bool] = None) -> Tensor:
    """Largest value over ``axis`` (values only, like ``torch.amax``)."""
    return _extreme(x, axis, keepdims, dim, keepdim, np.max, "max")


@tensor_method
def min(x: Tensor, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
        keepdim: Optional[bool] = None) -> Tensor:
    """Smallest value over ``axis`` (values only, like ``torch.amin``)."""
    return _extreme(x, axis, keepdims, dim, keepdim, np.min, "min")


@tensor_method
def var(x: Tensor, axis: Axis = None, unbiased: Optional[bool] = None, keepdims: bool = False,
        *, correction: int = 1, dim: Axis = None, keepdim: Optional[bool] = None) -> Tensor:
    """Variance over ``axis``: sum((x - mean)^2) / (n - correction).

    ``correction=1`` (the default, as in PyTorch) is the unbiased estimate; numpy's
    ``np.var`` default is ``correction=0``.  Positional arguments follow PyTorch's
    ``var(dim, unbiased, keepdim)``: ``x.var(1, False)`` is the biased variance.
    """
    if unbiased is not None:
        correction = 1 if unbiased else 0
    axes, kd = _axes(x, axis, dim), _keep(keepdims, keepdim)
    if x.data.dtype.kind not in "fc":
        raise TypeError(f"var: needs a floating-point tensor, got dtype {x.dtype}")
    centred = x.data - x.data.mean(axis=axes, keepdims=True)
    n = x.size if axes is None else int(np.prod([x.shape[a] for a in axes]))
    denom = builtins.max(n - correction, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray((centred * centred).sum(axis=axes, keepdims=kd) / denom,
                         dtype=x.dtype)

    scale = 2 / denom if denom > 0 else np.inf  # n <= correction: inf/nan like the forward

    def backward(g):  # d/dx_i var = 2 (x_i - mean) / (n - correction)
        with np.errstate(invalid="ignore"):
            return ((_expand_back(g, x, axes, kd) * scale * centred).astype(x.dtype, copy=False),)
    return record("var", out, (x,), backward)


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
    m = _max_keep(x.data, ax)
    m = np.where(np.isfinite(m), m, 0)  # all -inf rows stay -inf instead of nan
    with np.errstate(divide="ignore"):  # log(0) = -inf is the right answer there
        out_k = np.log(np.exp(x.data - m).sum(axis=ax, keepdims=True)) + m
    out = out_k if kd else np.squeeze(out_k, ax)

    def backward(g):  # d/dx_i logsumexp(x) = softmax(x)_i
        gk = g if kd else np.expand_dims(g, ax)
        return (gk * np.exp(x.data - out_k),)
    return record("logsumexp", out, (x,), backward)


@tensor_method
def softmax(x: Tensor, dim: Optional[int] = None, *, axis: Optional[int] = None) -> Tensor:
    """exp(x_i) / sum_j exp(x_j) along ``dim`` (max-shifted: finite for logits of +-1e4)."""
    ax = _softmax_axis(x, dim, axis, "softmax")
    e = np.exp(x.data - _max_keep(x.data, ax))
    out = e / e.sum(axis=ax, keepdims=True)

    def backward(g):  # dx = s * (g - sum(g * s))   (the softmax Jacobian applied to g)
        return (out * (g - (g * out).sum(axis=ax, keepdims=True)),)
    return record("softmax", out, (x,), backward)


@tensor_method
def log_softmax(x: Tensor, dim: Optional[int] = None, *, axis: Optional[int] = None) -> Tensor:
    """x_i - logsumexp(x) along ``dim``: the stable way to get log-probabilities."""
    ax = _softmax_axis(x, dim, axis, "log_softmax")
    shifted = x.data - _max_keep(x.data, ax)
    out = shifted - np.log(np.exp(shifted).sum(axis=ax, keepdims=True))

    def backward(g):  # dx = g - softmax(x) * sum(g)
        return (g - np.exp(out) * g.sum(axis=ax, keepdims=True),)
    return record("log_softmax", out, (x,), backward)
