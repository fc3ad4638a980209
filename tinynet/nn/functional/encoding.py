"""one_hot: class indices to one-hot rows (integers, outside the tape: nothing to differentiate)."""
from __future__ import annotations

import numpy as np

from ...tensor import Tensor
from ..._names import type_name

__all__ = ["one_hot"]


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 tensor of shape ``tensor.shape + (num_classes,)`` with a 1 at each index;
    ``num_classes=-1`` means ``tensor.max() + 1``, as in PyTorch."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"one_hot: tensor must be a Tensor of class indices, got "
                        f"{type_name(tensor)}")
    idx = tensor.array
    if idx.dtype.kind not in "iu":
        raise TypeError(f"one_hot: tensor must hold integer class indices (int64), got dtype "
                        f"{idx.dtype}; use .long() on it")
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) \
            or num_classes < -1:
        raise ValueError(f"one_hot: num_classes must be -1 or a non-negative int, "
                         f"got {num_classes!r}")
    if idx.size and idx.min() < 0:
        raise ValueError(f"one_hot: class indices must be non-negative, got {idx.min()}")
    if num_classes == -1:
        if idx.size == 0:
            raise ValueError("one_hot: cannot infer num_classes from an empty tensor; "
                             "pass num_classes=")
        num_classes = int(idx.max()) + 1
    elif idx.size and idx.max() >= num_classes:
        raise ValueError(f"one_hot: class index {idx.max()} is out of range for "
                         f"num_classes={num_classes}")
    out = np.zeros(idx.shape + (int(num_classes),), dtype=np.int64)
    np.put_along_axis(out, idx[..., None].astype(np.intp), 1, axis=-1)
    return Tensor(out)
