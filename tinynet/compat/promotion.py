"""PyTorch's type promotion for binary ops, installed as ``Tensor._promote``.

numpy widens float32 with an int64 array, or with a 0-d float64 array, to float64;
PyTorch keeps float32: a float operand beats an integer one whatever their sizes, and a
0-d tensor only sets the dtype if it is of a higher kind (bool < int < float) than the
tensors with dimensions.  Same dtypes (the usual case) pass through.
"""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor

KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def promote(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``x`` and ``y`` converted so that a binary op gives PyTorch's result dtype."""
    if x.dtype == y.dtype or x.dtype.kind == "b" or y.dtype.kind == "b":
        return x, y  # a bool operand never widens the other, in numpy as in PyTorch
    kx, ky = KIND_RANK.get(x.dtype.kind, 4), KIND_RANK.get(y.dtype.kind, 4)
    if kx != ky:
        dt = x.dtype if kx > ky else y.dtype          # the higher kind wins
    elif (x.ndim == 0) != (y.ndim == 0):
        dt = y.dtype if x.ndim == 0 else x.dtype      # a 0-d operand does not widen
    else:
        return x, y                                   # numpy's promotion is PyTorch's
    return (x if x.dtype == dt else x.astype(dt)), (y if y.dtype == dt else y.astype(dt))


Tensor._promote = staticmethod(promote)  # type: ignore[assignment]
