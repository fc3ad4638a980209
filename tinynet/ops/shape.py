"""Ops that move elements around without changing them: reshape, transpose, slicing, cat...

Their backward moves the gradient back the same way: reshape the gradient back,
transpose it back, or scatter it back to where the elements came from (``scatter_add``,
an op of its own, whose gradient picks the elements again).
"""
from __future__ import annotations

import builtins
from typing import Any, Sequence

import numpy as np

from ..compat.promotion import KIND_RANK as _KIND_RANK
from ..tensor import Tensor, record, unbroadcast
from . import tensor_method
from .elementwise import _cast
from .._names import type_name


def _dims(args: tuple) -> tuple:
    """Accept both ``f(2, 3)`` and ``f((2, 3))``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def _dim(x: Tensor, d: int, name: str, extra: int = 0) -> int:
    n = x.ndim + extra
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or not -builtins.max(n, 1) <= d < builtins.max(n, 1):
        raise ValueError(f"{name}: dim {d!r} is out of range for a tensor with {x.ndim} dims "
                         f"(shape {x.shape})")
    return int(d) % builtins.max(n, 1)


@tensor_method
def reshape(x: Tensor, *shape: Any) -> Tensor:
    """The same elements in a new shape (one dimension may be -1)."""
    a = x
    shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) \
        else shape
    try:
        out = a.array.reshape(shape)
    except (ValueError, TypeError):
        raise ValueError(f"reshape: cannot reshape a tensor of shape {a.shape} "
                         f"({a.array.size} elements) into {shape}") from None
    # reshaping only relabels the elements: reshape the gradient back
    return record("reshape", out, (a,), lambda g: (g.reshape(a.shape),), view_of=a)


def _mT(x: Tensor) -> Tensor:
    """The matrix transpose: the last two axes swapped (its own gradient rule)."""
    a = x
    return record("mT", a.array.swapaxes(-1, -2), (a,), lambda g: (g.mT,), view_of=a)


Tensor.mT = property(_mT)  # type: ignore[attr-defined]


Tensor.view = reshape  # type: ignore[attr-defined]


def _index(idx: Any) -> Any:
    """Let tensors be used as indices (integer arrays and boolean masks)."""
    if isinstance(idx, Tensor):
        return idx.array
    if isinstance(idx, tuple):
        return tuple(i.array if isinstance(i, Tensor) else i for i in idx)
    return idx


@tensor_method
def permute(x: Tensor, *dims: Any) -> Tensor:
    """Reorder the axes: output axis i is input axis ``dims[i]``."""
    dims = _dims(dims)
    if sorted(_dim(x, d, "permute") for d in dims) != list(range(x.ndim)):
        raise ValueError(f"permute: dims {dims} are not a permutation of the {x.ndim} axes")
    dims = tuple(_dim(x, d, "permute") for d in dims)
    return _permute(x, dims, tuple(sorted(range(x.ndim), key=dims.__getitem__)))


def _permute(x: Tensor, dims: tuple, inverse: tuple) -> Tensor:
    """permute by checked ``dims``, whose inverse permutation is ``inverse``."""
    # move each gradient axis back where it came from
    return record("permute", x.array.transpose(dims), (x,),
                  lambda g: (_permute(g, inverse, dims),), view_of=x)


@tensor_method
def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two axes (PyTorch's ``transpose``; ``.T`` reverses all axes)."""
    d = list(range(x.ndim))
    a, b = _dim(x, dim0, "transpose"), _dim(x, dim1, "transpose")
    d[a], d[b] = d[b], d[a]
    return permute(x, d)


Tensor.T = property(lambda self: permute(self, tuple(range(self.ndim))[::-1]))  # type: ignore


@tensor_method
def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge axes ``start_dim..end_dim`` into one."""
    if x.ndim == 0:
        return reshape(x, 1)
    s, e = _dim(x, start_dim, "flatten"), _dim(x, end_dim, "flatten")
    if s > e:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    return reshape(x, x.shape[:s] + (-1 if x.size else int(np.prod(x.shape[s:e + 1])),)
                   + x.shape[e + 1:])


@tensor_method
def squeeze(x: Tensor, dim: Any = None) -> Tensor:
    """Drop axes of size 1 (only ``dim``, an int or a tuple, if given; a non-1 ``dim`` is
    left alone, as torch)."""
    if dim is None:
        shape = tuple(n for n in x.shape if n != 1)
    else:
        ds = {_dim(x, d, "squeeze") for d in (dim if isinstance(dim, (tuple, list)) else (dim,))}
        shape = tuple(n for i, n in enumerate(x.shape) if n != 1 or i not in ds)
    return reshape(x, shape)


@tensor_method
def unsqueeze(x: Tensor, dim: int) -> Tensor:
    """Insert an axis of size 1 at ``dim``."""
    d = _dim(x, dim, "unsqueeze", extra=1)
    return reshape(x, x.shape[:d] + (1,) + x.shape[d:])


@tensor_method
def expand(x: Tensor, *sizes: Any) -> Tensor:
    """Broadcast to ``sizes`` without copying (-1 keeps a size)."""
    sizes = _dims(sizes)
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise ValueError(f"expand: {sizes} has fewer dims than the tensor's shape {x.shape}")
    target = tuple(x.shape[i - lead] if (s == -1 and i >= lead) else s
                   for i, s in enumerate(sizes))
    try:
        out = np.broadcast_to(x.array, target)
    except ValueError:
        raise ValueError(f"expand: cannot expand shape {x.shape} to {sizes}") from None

    # every copy contributed: sum the copies' gradients
    return record("expand", out, (x,), lambda g: (unbroadcast(g, x.shape),), view_of=x)


def _is_basic(idx: Any) -> bool:
    """True for indices made only of ints, slices, None and Ellipsis (no repeats possible)."""
    items = idx if isinstance(idx, tuple) else (idx,)
    return builtins.all(isinstance(i, (int, np.integer, slice, type(None), type(Ellipsis)))
                        and not isinstance(i, bool) for i in items)


def _getitem(x: Tensor, idx: Any) -> Tensor:
    """``x[idx]`` with slices, integer arrays or boolean masks."""
    idx = _index(idx)
    try:
        out = x.array[idx]
    except IndexError as e:
        raise IndexError(f"index {idx!r} is invalid for a tensor of shape {x.shape}: {e}") from None
    basic = _is_basic(idx)
    if basic and type(out) is not np.ndarray:  # x[0] of a 1-D x: numpy gives a copied scalar;
        # index with a trailing ... to get a 0-d VIEW, so x[0].add_(1) changes x, as in torch
        out = x.array[(idx if isinstance(idx, tuple) else (idx,)) + (Ellipsis,)]

    # scatter the gradient back; repeated indices add up (basic indices cannot repeat)
    return record("getitem", np.asarray(out), (x,),
                  lambda g: (scatter_add(g, x.shape, idx, unique=basic),),
                  view_of=x if basic else None)


Tensor.__getitem__ = _getitem  # type: ignore[attr-defined]


def scatter_add(src: Tensor, shape: tuple, idx: Any, unique: bool = False) -> Tensor:
    """Zeros of ``shape`` with ``src`` added at ``[idx]`` (repeated positions add up): the
    gradient of ``x[idx]``, of gather and of index_select.  ``unique``: no position repeats,
    so a plain assignment does.  (Not torch's ``Tensor.scatter_add``: ``idx`` is a numpy index.)

    It is linear in ``src``; its gradient picks the same elements back: ``g[idx]``.
    """
    out = np.zeros(shape, dtype=src.dtype)
    if unique:
        out[idx] = src.array
    else:
        np.add.at(out, idx, src.array)
    return record("scatter_add", out, (src,), lambda g: (_getitem(g, idx),))


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing axis ``dim``."""
    ts = list(tensors)
    if not ts:
        raise ValueError("cat: expected a non-empty list of tensors")
    ts = [t if isinstance(t, Tensor) else Tensor._lift(t, ts[0]) for t in ts]
    d = _dim(ts[0], dim, "cat")
    for t in ts[1:]:
        if t.ndim != ts[0].ndim or t.shape[:d] + t.shape[d + 1:] != ts[0].shape[:d] + ts[0].shape[d + 1:]:
            raise ValueError(f"cat: shapes {[t.shape for t in ts]} differ outside dim {dim}")
    out = np.concatenate([t.array for t in ts], axis=d, dtype=_join_dtype(ts))
    ends = np.cumsum([t.shape[d] for t in ts]).tolist()

    def backward(g):  # each input gets its own slab of the gradient (a view), in its dtype
        return tuple(_cast(_piece(g, d, slice(e - t.shape[d], e)), t.dtype)
                     if t.requires_grad else None for t, e in zip(ts, ends))
    return record("cat", out, tuple(ts), backward)


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new axis ``dim``."""
    ts = list(tensors)
    if not ts:
        raise ValueError("stack: expected a non-empty list of tensors")
    ts = [t if isinstance(t, Tensor) else Tensor._lift(t, ts[0]) for t in ts]
    if len({t.shape for t in ts}) != 1:
        raise ValueError(f"stack: all tensors must have the same shape, got {[t.shape for t in ts]}")
    d = _dim(ts[0], dim, "stack", extra=1)
    out = np.stack([t.array for t in ts], axis=d, dtype=_join_dtype(ts))

    def backward(g):  # input k gets slice k of the gradient along the new axis
        return tuple(_cast(_piece(g, d, k), t.dtype) if t.requires_grad else None
                     for k, t in enumerate(ts))
    return record("stack", out, tuple(ts), backward)


def _join_dtype(ts: list[Tensor]) -> np.dtype:
    """PyTorch's result dtype for cat/stack: the highest kind (bool < int < float) wins,
    so float32 joined with int64 stays float32; within a kind, numpy's promotion."""
    top = max(_KIND_RANK.get(t.dtype.kind, 4) for t in ts)
    return np.result_type(*(t.dtype for t in ts if _KIND_RANK.get(t.dtype.kind, 4) == top))


def pad(x: Tensor, pad: Sequence[int], mode: str = "constant", value: float = 0.0) -> Tensor:
    """Constant padding, PyTorch's convention: ``pad = (left, right, top, bottom, ...)``
    pads the last axis by (left, right), the one before by (top, bottom), and so on."""
    if not isinstance(x, Tensor):
        raise TypeError(f"pad: expected a Tensor, got {type_name(x)}; wrap arrays with "
                        f"tinynet.tensor(...)")
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is supported, got {mode!r}")
    pad = tuple(pad)
    if len(pad) % 2 or len(pad) // 2 > x.ndim or not builtins.all(
            isinstance(p, (int, np.integer)) and p >= 0 for p in pad):
        raise ValueError(f"pad: expected an even number (at most {2 * x.ndim}) of non-negative "
                         f"ints, got {pad}")
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    out = np.pad(x.array, widths, mode="constant",
                 constant_values=0 if value is None else value)  # F.pad's default is None
    inner = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, x.shape))
    # the padding was constant: only the inner block had a gradient (cropped out, a view)
    return record("pad", out, (x,), lambda g: (_getitem(g, inner),))


@tensor_method
def flip(x: Tensor, *dims: Any) -> Tensor:
    """Reverse the order of the elements along each of ``dims`` (a copy, as PyTorch)."""
    ds = tuple(_dim(x, d, "flip") for d in _dims(dims))
    if len(set(ds)) != len(ds):
        raise ValueError(f"flip: a dim appears more than once in dims {_dims(dims)}")
    out = np.flip(x.array, ds).copy() if x.ndim else x.array.copy()
    # flipping is its own inverse: flip the gradient back
    return record("flip", out, (x,), lambda g: (_flipped(g, ds),))


def _flipped(x: Tensor, ds: tuple) -> Tensor:
    """``x`` reversed along ``ds`` as a view (flip's gradient: no copy needed there)."""
    out = np.flip(x.array, ds) if x.ndim else x.array
    return record("flip", out, (x,), lambda g: (_flipped(g, ds),), view_of=x)


# --------------------------------------------------------------------------
# Pieces along one dim: views made by indexing (_getitem), so gradients flow back
# --------------------------------------------------------------------------
def _piece_dim(x: Tensor, dim: Any, name: str) -> int:
    if x.ndim == 0:
        raise ValueError(f"{name}: needs a tensor with at least one dim, got a 0-d tensor")
    return _dim(x, dim, name)


def _piece(x: Tensor, d: int, idx: Any) -> Tensor:
    """``x[:, ..., idx]`` with ``idx`` (an int or a slice) at position ``d``."""
    return _getitem(x, (slice(None),) * d + (idx,))


def _int(v: Any, name: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {v!r}")
    return int(v)


@tensor_method
def narrow(x: Tensor, dim: int, start: int, length: int) -> Tensor:
    """Elements ``start .. start + length - 1`` along ``dim`` (a view; start may be negative)."""
    d = _piece_dim(x, dim, "narrow")
    n, start, length = x.shape[d], _int(start, "narrow: start"), _int(length, "narrow: length")
    if not -n <= start <= n:
        raise IndexError(f"narrow: start {start} is out of range for dim {dim} of size {n}")
    start += n if start < 0 else 0  # -n..-1 count from the end
    if length < 0 or start + length > n:
        raise ValueError(f"narrow: length {length} from start {start} does not fit in dim "
                         f"{dim} of size {n}")
    return _piece(x, d, slice(start, start + length))


@tensor_method
def split(x: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple:
    """Pieces along ``dim``: each of ``split_size_or_sections`` elements (the last may be
    smaller), or of the sizes in a list; views of ``x``."""
    d = _piece_dim(x, dim, "split")
    n, s = x.shape[d], split_size_or_sections
    if isinstance(s, (list, tuple)):
        sizes = [_int(k, "split: split_size_or_sections") for k in s]
        if builtins.any(k < 0 for k in sizes) or builtins.sum(sizes) != n:
            raise ValueError(f"split: sections {sizes} must be non-negative and add up to "
                             f"{n}, the size of dim {dim}")
    else:
        s = _int(s, "split: split_size_or_sections")
        if s < 0 or (s == 0 and n > 0):
            raise ValueError(f"split: split_size must be positive (0 only for an empty dim), "
                             f"got {s}")
        sizes = [s] * (n // s) + [n % s] * (n % s > 0) if n else [0]  # the last one smaller
    ends = np.cumsum(sizes)
    return tuple(_piece(x, d, slice(int(e - k), int(e))) for k, e in zip(sizes, ends))


@tensor_method
def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple:
    """Split into ``chunks`` pieces of equal size ceil(n / chunks) along ``dim`` (so there may
    be fewer pieces, as PyTorch); views of ``x``."""
    d, chunks = _piece_dim(x, dim, "chunk"), _int(chunks, "chunk: chunks")
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    size = -(-x.shape[d] // chunks)  # ceil
    return split(x, size, d) if size else split(x, [0] * chunks, d)


@tensor_method
def unbind(x: Tensor, dim: int = 0) -> tuple:
    """The slices ``x[..., i, ...]`` along ``dim``, that dim removed; views of ``x``."""
    d = _piece_dim(x, dim, "unbind")
    return tuple(_piece(x, d, i) for i in range(x.shape[d]))


# --------------------------------------------------------------------------
# Picking elements by an index tensor; the backward scatter-adds (indices may repeat)
# --------------------------------------------------------------------------
def _int_index(index: Any, n: int, dim: int, name: str) -> np.ndarray:
    """``index`` as an integer array whose values all lie in 0..n-1 (no negative wrap-around)."""
    i = np.asarray(index.array if isinstance(index, Tensor) else index)
    if i.dtype.kind not in "iu":
        raise TypeError(f"{name}: index must be an integer tensor, got dtype {i.dtype}")
    if i.size and (i.min() < 0 or i.max() >= n):
        bad = i.min() if i.min() < 0 else i.max()
        raise IndexError(f"{name}: index {bad} is out of range for dim {dim} of size {n}")
    return i


@tensor_method
def gather(x: Tensor, dim: int, index: Any) -> Tensor:
    """Pick along ``dim``: for dim=1, out[i, j] = x[i, index[i, j]].  ``index`` has x's
    number of dims and is at most x's size in the others; the output has its shape."""
    d = _dim(x, dim, "gather")
    idx = _int_index(index, x.shape[d] if x.ndim else 1, dim, "gather")
    if idx.ndim != x.ndim or builtins.any(
            k > n for i, (k, n) in enumerate(zip(idx.shape, x.shape)) if i != d):
        raise ValueError(f"gather: index of shape {idx.shape} does not fit the input's shape "
                         f"{x.shape} (same number of dims, no larger outside dim {dim})")
    # where each output element comes from: its own position, with index's value at dim d
    where = tuple(idx if i == d else p for i, p in enumerate(np.indices(idx.shape, sparse=True)))

    # out = x[where]: each x element gets the sum of the gradients it fed
    return record("gather", np.asarray(x.array[where]), (x,),
                  lambda g: (scatter_add(g, x.shape, where),))


@tensor_method
def index_select(x: Tensor, dim: int, index: Any) -> Tensor:
    """The entries ``index`` (0-d or 1-D, repeats allowed) along ``dim``, in that order."""
    d = _dim(x, dim, "index_select")
    idx = _int_index(index, x.shape[d] if x.ndim else 1, dim, "index_select")
    if idx.ndim > 1 or (x.ndim == 0 and idx.size != 1):
        raise ValueError(f"index_select: index must be 0-d or 1-D (one value for a 0-d input), "
                         f"got shape {idx.shape}")
    xd = x.array.reshape(x.shape or (1,))  # a 0-d tensor acts as 1-D (dim 0 or -1), as PyTorch
    where = (slice(None),) * d + (idx.reshape(-1),)
    out = xd[where]

    def backward(g):  # out = x[..., index, ...]: scatter-add the gradient back
        if x.ndim == 0:
            return (scatter_add(g.reshape(out.shape), xd.shape, where).reshape(()),)
        return (scatter_add(g, x.shape, where),)
    return record("index_select", out if x.ndim else out.reshape(()), (x,), backward)
