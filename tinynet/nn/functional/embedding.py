"""embedding: look up rows of a weight matrix by integer index.

``out[..., :] = weight[input[...], :]`` -- indexing, an existing op, whose gradient adds each
output row's gradient into the weight row it came from (repeated indices add up).
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ...ops.elementwise import where
from ...tensor import Tensor, no_grad
from ..._names import type_name

__all__ = ["embedding"]


def check_padding_idx(name: str, padding_idx: Any, num_embeddings: int) -> Optional[int]:
    """``padding_idx`` as a row index in [0, num_embeddings) (negative counts from the
    end, as PyTorch), or None."""
    if padding_idx is None:
        return None
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, (int, np.integer)):
        raise TypeError(f"{name}: padding_idx must be an int or None, got "
                        f"{type_name(padding_idx)}")
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"{name}: Padding_idx must be within num_embeddings "
                         f"({num_embeddings}), got {padding_idx}")
    return int(padding_idx) % num_embeddings


def check_unsupported(name: str, scale_grad_by_freq: Any, sparse: Any) -> None:
    for what, v in (("scale_grad_by_freq", scale_grad_by_freq), ("sparse", sparse)):
        if v:
            raise ValueError(f"{name}: {what}={v!r} is not supported; tinynet's embedding "
                             f"has dense gradients, not scaled by frequency")


def _renorm_(weight: Tensor, idx: np.ndarray, max_norm: float, norm_type: float) -> None:
    """Shrink (in place, off the tape) each looked-up row whose norm exceeds max_norm to
    norm max_norm, as PyTorch's ``embedding_renorm_``: row *= max_norm / (norm + 1e-7)."""
    rows = np.unique(idx)
    w = weight.array
    norms = np.linalg.norm(w[rows], ord=norm_type, axis=1)
    big = norms > max_norm
    if big.any():
        with no_grad():
            w[rows[big]] *= (max_norm / (norms[big] + 1e-7))[:, None].astype(w.dtype)
            weight._bump_version()


def embedding(input: Tensor, weight: Tensor, padding_idx: Optional[int] = None,
              max_norm: Optional[float] = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` (num_embeddings, embedding_dim) at the integer indices ``input``
    (any shape) -> output ``input.shape + (embedding_dim,)``.

    ``padding_idx``: positions holding that index get no gradient into its row.
    ``max_norm``: before the lookup, each looked-up row with a ``norm_type``-norm above
    ``max_norm`` is scaled down to it, in place (as PyTorch; outside the tape).
    """
    name = "embedding"
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: input must be a Tensor of indices, got {type_name(input)}")
    if input.dtype.kind not in "iu":
        raise TypeError(f"{name}: input must hold integer indices (int64 or int32), got "
                        f"dtype {input.dtype}; use .long()")
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        raise ValueError(f"{name}: weight must be a 2-D Tensor (num_embeddings, "
                         f"embedding_dim), got {getattr(weight, 'shape', type_name(weight))}")
    check_unsupported(name, scale_grad_by_freq, sparse)
    num = weight.shape[0]
    padding_idx = check_padding_idx(name, padding_idx, num)
    idx = input.array
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise IndexError(f"{name}: index out of range in self: index {bad} for "
                         f"{num} embeddings")
    if max_norm is not None:
        _renorm_(weight, idx, float(max_norm), float(norm_type))
    out = weight[idx]
    if padding_idx is not None:
        pad = (idx == padding_idx)[..., None]
        if pad.any():  # the padding row's value, with no gradient path back to it
            out = where(pad, out.detach(), out)
    return out
