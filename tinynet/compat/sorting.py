"""``sort``, ``argsort`` and ``topk``, with PyTorch's ``(values, indices)`` results.

The order comes from numpy (a stable sort; NaN counts as the largest value, as in
PyTorch); the values are then picked with :func:`~tinynet.ops.shape.gather`, an op that
already has its gradient -- so ``sort(x).values`` sends each gradient back to the element
it came from, with nothing new to differentiate.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..ops import tensor_method
from ..ops.shape import gather
from ..tensor import Tensor
from .._names import type_name

__all__ = ["sort", "argsort", "topk", "SortResult", "TopKResult"]


class SortResult(NamedTuple):
    """``values, indices = x.sort(dim)``."""
    values: Tensor
    indices: Tensor


class TopKResult(NamedTuple):
    """``values, indices = x.topk(k, dim)``."""
    values: Tensor
    indices: Tensor


def _order(x: Tensor, dim: Any, descending: bool, name: str) -> tuple[np.ndarray, int]:
    """The indices that sort ``x`` along ``dim`` (x viewed as 1-D if 0-d), and that dim."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type_name(x)}")
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{name}: dim must be an int, got {type_name(dim)}")
    a = x.array.reshape(x.shape or (1,))
    if not -a.ndim <= dim < a.ndim:
        raise IndexError(f"{name}: dim {dim} is out of range for a tensor with {x.ndim} dims")
    d = int(dim) % a.ndim
    if not descending:
        return np.argsort(a, axis=d, kind="stable"), d
    # descending and stable: sort the reversed array ascending, then reverse the result and
    # map positions back (equal values keep their order, NaN comes first, as PyTorch)
    n = a.shape[d]
    idx = np.flip(np.argsort(np.flip(a, d), axis=d, kind="stable"), d)
    return (n - 1 - idx), d


def _result(x: Tensor, idx: np.ndarray, d: int) -> tuple[Tensor, Tensor]:
    flat = x.reshape(x.shape or (1,))
    values = gather(flat, d, idx)
    indices = Tensor(idx.astype(np.int64))
    if x.ndim == 0:
        return values.reshape(()), indices.reshape(())
    return values, indices


@tensor_method
def sort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> SortResult:
    """Values along ``dim`` in order (ascending unless ``descending``), and where each came
    from.  The sort is always stable (PyTorch's ``stable=True``)."""
    idx, d = _order(x, dim, descending, "sort")
    return SortResult(*_result(x, idx, d))


@tensor_method
def argsort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort ``x`` along ``dim`` (``sort(x).indices``)."""
    idx, _ = _order(x, dim, descending, "argsort")
    return Tensor(idx.astype(np.int64).reshape(x.shape))


@tensor_method
def topk(x: Tensor, k: int, dim: int = -1, largest: bool = True,
         sorted: bool = True) -> TopKResult:
    """The ``k`` largest (or, with ``largest=False``, smallest) values along ``dim``, in
    order, and their indices; ties keep their original order."""
    idx, d = _order(x, dim, largest, "topk")
    n = idx.shape[d]
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"topk: k must be an int, got {type_name(k)}")
    if not 0 <= k <= n:
        raise ValueError(f"topk: k ({k}) is out of range for dim {dim} of size {n}")
    idx = np.take(idx, np.arange(k), axis=d)
    return TopKResult(*_result(x, idx, d))
