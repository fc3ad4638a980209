"""Python's and numpy's protocols on a Tensor, as PyTorch defines them: ``len``,
iteration, ``bool``/``float``/``int``, ``f"{loss:.4f}"``, ``np.asarray(t)``, and the
conversions ``item()``, ``tolist()`` and ``numpy()``."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor


def __len__(self: Tensor) -> int:
    if self.array.ndim == 0:
        raise TypeError("len() of a 0-d tensor")
    return len(self.array)


def __iter__(self: Tensor) -> Any:
    """The rows ``self[0], self[1], ...`` (without this, Python's fallback iteration
    would stop silently on a 0-d tensor instead of failing)."""
    if self.array.ndim == 0:
        raise TypeError("iteration over a 0-d tensor")
    return (self[i] for i in range(len(self.array)))


def __bool__(self: Tensor) -> bool:
    if self.array.size != 1:
        raise ValueError(f"the truth value of a tensor with {self.array.size} elements is "
                         f"ambiguous; use .any() or .all()")
    return bool(self.array)


def __format__(self: Tensor, spec: str) -> str:
    """``f"{loss:.4f}"``: a 0-d tensor formats as its number, as in PyTorch."""
    if self.array.ndim == 0:
        return format(self.array.item(), spec)
    return object.__format__(self, spec)


def __array__(self: Tensor, dtype: Any = None, copy: Any = None) -> np.ndarray:
    """``np.asarray(t)``: the array (converted only if a dtype asks for it)."""
    return self.array if dtype is None else self.array.astype(dtype)


def numpy(self: Tensor) -> np.ndarray:
    """The array itself (shared memory, as torch's ``.numpy()``)."""
    if self.requires_grad:
        raise RuntimeError("numpy(): this tensor requires grad; call .detach().numpy() "
                           "so the tape is not bypassed by accident")
    return self.array


def item(self: Tensor) -> Any:
    """The single element as a Python number."""
    if self.array.size != 1:
        raise ValueError(f"item(): only one-element tensors can be converted, "
                         f"got shape {self.array.shape}")
    return self.array.item()


for _fn in (__len__, __iter__, __bool__, __format__, __array__, numpy, item):
    setattr(Tensor, _fn.__name__, _fn)
Tensor.__float__ = lambda self: float(self.item())  # type: ignore[attr-defined]
Tensor.__int__ = lambda self: int(self.item())  # type: ignore[attr-defined]
Tensor.tolist = lambda self: self.array.tolist()  # type: ignore[attr-defined]
