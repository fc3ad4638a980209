"""Ways to make a tensor: from data, filled with a constant, or random (from tinynet's generator)."""
from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import numpy as np

from . import random as _random
from .tensor import Tensor
from ._names import type_name

Size = Union[int, Sequence[int]]


def _shape(size: tuple) -> tuple[int, ...]:
    """Accept both ``zeros(2, 3)`` and ``zeros((2, 3))``, as PyTorch does."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0:
            raise ValueError(f"size must be non-negative ints, got {size!r}")
    return tuple(int(s) for s in size)


def _dtype(dtype: Any, default: Any = np.float32) -> np.dtype:
    try:
        return np.dtype(default if dtype is None else dtype)
    except TypeError:
        raise TypeError(f"dtype: not a numpy dtype: {dtype!r}") from None


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A new leaf tensor holding a copy of ``data`` (Python floats become float32;
    numpy float64 arrays stay float64; ints become int64)."""
    return Tensor(data, dtype=dtype, requires_grad=requires_grad)


def _filled(arr: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor._wrap(arr)
    return t.requires_grad_(True) if requires_grad else t


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Tensor of zeros of the given shape."""
    return _filled(np.zeros(_shape(size), _dtype(dtype)), requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Tensor of ones of the given shape."""
    return _filled(np.ones(_shape(size), _dtype(dtype)), requires_grad)


def empty(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Tensor of the given shape with unspecified (actually zero) contents."""
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def full(size: Size, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Tensor of the given shape filled with ``fill_value``."""
    shape = _shape((size,) if isinstance(size, (int, np.integer)) else (tuple(size),))
    if dtype is None:
        dtype = np.float32 if isinstance(fill_value, float) else np.result_type(fill_value)
        dtype = np.int64 if np.dtype(dtype).kind == "i" else dtype
    return _filled(np.full(shape, fill_value, _dtype(dtype)), requires_grad)


def zeros_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return zeros(t.shape, dtype=t.dtype if dtype is None else dtype, requires_grad=requires_grad)


def ones_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return ones(t.shape, dtype=t.dtype if dtype is None else dtype, requires_grad=requires_grad)


def arange(start: float, end: Optional[float] = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive); ``arange(n)`` is 0..n-1 (int64 for ints)."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be non-zero")
    arr = np.arange(start, end, step)
    if dtype is not None:
        arr = arr.astype(_dtype(dtype))
    elif arr.dtype.kind == "f":
        arr = arr.astype(np.float32)
    else:
        arr = arr.astype(np.int64)
    return _filled(arr, requires_grad)


def rand(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1) from tinynet's seeded generator."""
    dt = _dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"rand: dtype must be floating point, got {dt}")
    return _filled(_random.generator().random(_shape(size), dtype=dt), requires_grad)


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from tinynet's seeded generator."""
    dt = _dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"randn: dtype must be floating point, got {dt}")
    return _filled(_random.generator().standard_normal(_shape(size), dtype=dt), requires_grad)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing ``ndarray``'s memory and dtype (changes to one show in the other)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type_name(ndarray)}")
    if ndarray.dtype.kind not in "biufc":
        raise TypeError(f"from_numpy: cannot make a tensor from an array of dtype "
                        f"{ndarray.dtype}; pass numbers")
    return _filled(ndarray, False)


def randperm(n: int, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A random permutation of 0..n-1 (int64) from tinynet's seeded generator."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"randperm: n must be a non-negative int, got {n!r}")
    return _filled(_random.generator().permutation(n).astype(_dtype(dtype, np.int64)),
                   requires_grad)


def linspace(start: float, end: float, steps: int, *, dtype: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive (float32 by default;
    numpy's rounding, so a value may differ from PyTorch's in the last bit)."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"linspace: steps must be a non-negative int, got {steps!r}")
    return _filled(np.linspace(start, end, int(steps), dtype=_dtype(dtype)), requires_grad)
