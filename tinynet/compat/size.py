"""``Tensor.size``: numpy's element count that can also be called as PyTorch's ``size()``."""
from __future__ import annotations

from typing import Any

import numpy as np

from .._names import type_name
from ..tensor import Tensor


class Size(int):
    """The element count (numpy's meaning, an int) that can also be called as PyTorch's
    ``size()`` (the shape) or ``size(dim)`` (one dimension)."""

    def __new__(cls, n: int, shape: tuple[int, ...]) -> "Size":
        obj = super().__new__(cls, n)
        obj._shape = shape
        return obj

    def __call__(self, dim: Any = None) -> Any:
        if dim is None:
            return self._shape
        n = len(self._shape)
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"size(): dim must be an int, got {type_name(dim)}")
        if not -max(n, 1) <= dim < max(n, 1) or n == 0:
            raise IndexError(f"size(): dim {dim} is out of range for a tensor with {n} dims")
        return self._shape[dim]


Tensor.size = property(lambda self: Size(self.array.size, self.array.shape),  # type: ignore
                       doc="The number of elements; ``size()`` / ``size(dim)`` as PyTorch.")
