"""Ways to make a tensor: from data, filled with a constant, or random (from tinynet's generator).

Every function takes PyTorch's ``device=`` keyword: None, ``'cpu'`` or ``device('cpu')``
(tinynet runs on the CPU only; anything else is refused by ``compat.device.check_device``).
"""
from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import numpy as np

from . import random as _random
from .compat.device import check_device
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


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False, *, device: Any = None,
           pin_memory: bool = False) -> Tensor:
    """A new leaf tensor holding a copy of ``data`` (Python floats become float32;
    numpy float64 arrays stay float64; ints become int64).  ``pin_memory`` is accepted
    and means nothing here (there is no GPU to copy to)."""
    check_device("tensor", device)
    return Tensor(data, dtype=dtype, requires_grad=requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a tensor, sharing memory where it can (as PyTorch): a Tensor of that
    dtype is returned itself, a numpy array of that dtype is wrapped without a copy;
    anything else is converted as :func:`tensor` does."""
    check_device("as_tensor", device)
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(_dtype(dtype))
    if isinstance(data, np.ndarray) and data.dtype.kind in "biuf" and (
            dtype is None or np.dtype(dtype) == data.dtype):
        return _filled(data, False)
    return Tensor(data, dtype=dtype)


def _filled(arr: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor._wrap(arr)
    return t.requires_grad_(True) if requires_grad else t


def zeros(*size: Any, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """Tensor of zeros of the given shape."""
    check_device("zeros", device)
    return _filled(np.zeros(_shape(size), _dtype(dtype)), requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """Tensor of ones of the given shape."""
    check_device("ones", device)
    return _filled(np.ones(_shape(size), _dtype(dtype)), requires_grad)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
          pin_memory: bool = False) -> Tensor:
    """Tensor of the given shape with unspecified (actually zero) contents."""
    check_device("empty", device)
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def full(size: Size, fill_value: Any, dtype: Any = None, requires_grad: bool = False, *,
         device: Any = None) -> Tensor:
    """Tensor of the given shape filled with ``fill_value``."""
    check_device("full", device)
    shape = _shape((size,) if isinstance(size, (int, np.integer)) else (tuple(size),))
    if dtype is None:
        dtype = np.float32 if isinstance(fill_value, float) else np.result_type(fill_value)
        dtype = np.int64 if np.dtype(dtype).kind == "i" else dtype
    return _filled(np.full(shape, fill_value, _dtype(dtype)), requires_grad)


def _like(fn: str, t: Any, dtype: Any) -> tuple[tuple[int, ...], Any]:
    """The shape and dtype of a new tensor made like ``t`` (``dtype`` overrides t's)."""
    if not isinstance(t, Tensor):
        raise TypeError(f"{fn}: input must be a Tensor, got {type_name(t)}")
    return t.shape, t.dtype if dtype is None else dtype


def zeros_like(input: Tensor, dtype: Any = None, requires_grad: bool = False, *,
               device: Any = None, memory_format: Any = None) -> Tensor:
    """Zeros of ``input``'s shape and dtype (a new leaf: nothing is recorded)."""
    shape, dt = _like("zeros_like", input, dtype)
    return zeros(shape, dtype=dt, device=device, requires_grad=requires_grad)


def ones_like(input: Tensor, dtype: Any = None, requires_grad: bool = False, *,
              device: Any = None, memory_format: Any = None) -> Tensor:
    """Ones of ``input``'s shape and dtype."""
    shape, dt = _like("ones_like", input, dtype)
    return ones(shape, dtype=dt, device=device, requires_grad=requires_grad)


def full_like(input: Tensor, fill_value: Any, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    """``fill_value`` in ``input``'s shape and dtype (3.7 in an int64 tensor is 3, as PyTorch)."""
    shape, dt = _like("full_like", input, dtype)
    return full(shape, fill_value, dtype=dt, device=device, requires_grad=requires_grad)


def empty_like(input: Tensor, *, dtype: Any = None, device: Any = None,
               requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    """A tensor of ``input``'s shape and dtype with unspecified (actually zero) contents."""
    shape, dt = _like("empty_like", input, dtype)
    return zeros(shape, dtype=dt, device=device, requires_grad=requires_grad)


def rand_like(input: Tensor, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    """Uniform samples in [0, 1) of ``input``'s shape and (floating) dtype."""
    shape, dt = _like("rand_like", input, dtype)
    return rand(shape, dtype=dt, device=device, requires_grad=requires_grad)


def randn_like(input: Tensor, *, dtype: Any = None, device: Any = None,
               requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    """Standard normal samples of ``input``'s shape and (floating) dtype."""
    shape, dt = _like("randn_like", input, dtype)
    return randn(shape, dtype=dt, device=device, requires_grad=requires_grad)


def arange(start: float, end: Optional[float] = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False, *, device: Any = None) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive); ``arange(n)`` is 0..n-1 (int64 for ints)."""
    check_device("arange", device)
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


def rand(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
         generator: Any = None) -> Tensor:
    """Uniform samples in [0, 1) from tinynet's seeded generator."""
    check_device("rand", device)
    dt = _dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"rand: dtype must be floating point, got {dt}")
    rng = _random.generator_or_global(generator, "rand")
    return _filled(rng.random(_shape(size), dtype=dt), requires_grad)


def randn(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
          generator: Any = None) -> Tensor:
    """Standard normal samples from tinynet's seeded generator."""
    check_device("randn", device)
    dt = _dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"randn: dtype must be floating point, got {dt}")
    rng = _random.generator_or_global(generator, "randn")
    return _filled(rng.standard_normal(_shape(size), dtype=dt), requires_grad)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing ``ndarray``'s memory and dtype (changes to one show in the other)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type_name(ndarray)}")
    if ndarray.dtype.kind not in "biufc":
        raise TypeError(f"from_numpy: cannot make a tensor from an array of dtype "
                        f"{ndarray.dtype}; pass numbers")
    return _filled(ndarray, False)


def randperm(n: int, dtype: Any = None, requires_grad: bool = False, *,
             device: Any = None, generator: Any = None) -> Tensor:
    """A random permutation of 0..n-1 (int64) from tinynet's seeded generator."""
    check_device("randperm", device)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"randperm: n must be a non-negative int, got {n!r}")
    rng = _random.generator_or_global(generator, "randperm")
    return _filled(rng.permutation(n).astype(_dtype(dtype, np.int64)),
                   requires_grad)


def linspace(start: float, end: float, steps: int, *, dtype: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive (float32 by default;
    numpy's rounding, so a value may differ from PyTorch's in the last bit)."""
    check_device("linspace", device)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"linspace: steps must be a non-negative int, got {steps!r}")
    return _filled(np.linspace(start, end, int(steps), dtype=_dtype(dtype)), requires_grad)


def _int_arg(fn: str, name: str, v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"{fn}: {name} must be an int, got {type_name(v)}")
    return int(v)


def randint(*args: Any, size: Any = None, low: Any = None, high: Any = None,
            dtype: Any = None, device: Any = None, requires_grad: bool = False,
            generator: Any = None) -> Tensor:
    """Integers drawn uniformly from ``low .. high - 1`` (int64 by default), as PyTorch's
    ``randint(high, size)`` and ``randint(low, high, size)``; ``size`` is a tuple."""
    check_device("randint", device)
    args = list(args)
    if size is None and args and isinstance(args[-1], (tuple, list)):
        size = args.pop()
    if high is None and args:
        high = args.pop()
    if low is None and args:
        low = args.pop()
    if args or high is None or size is None:
        raise TypeError("randint: expected randint(high, size) or randint(low, high, size), "
                        "with size a tuple of ints such as (3,)")
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint: size must be a tuple of ints, got {type_name(size)}")
    low = 0 if low is None else _int_arg("randint", "low", low)
    high = _int_arg("randint", "high", high)
    if low >= high:
        raise ValueError(f"randint: low must be less than high, got low={low} >= high={high}")
    rng = _random.generator_or_global(generator, "randint")
    arr = rng.integers(low, high, _shape((tuple(size),)), dtype=np.int64)
    dt = _dtype(dtype, np.int64)
    if requires_grad and dt.kind != "f":
        raise TypeError(f"randint: only floating-point tensors can require gradients, got "
                        f"dtype {dt}")
    return _filled(arr.astype(dt, copy=False), requires_grad)


def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, *, dtype: Any = None,
           device: Any = None, requires_grad: bool = False, generator: Any = None) -> Tensor:
    """Normal samples: ``normal(mean, std, size)`` with numbers, or elementwise with a Tensor
    ``mean`` and/or ``std`` (broadcast together; the result has their float dtype).

    No gradient flows back into a Tensor ``mean`` or ``std`` (PyTorch's gradient there is
    zero too): for a differentiable sample, write ``mean + std * randn_like(std)``.
    """
    check_device("normal", device)
    tensors = [v for v in (mean, std) if isinstance(v, Tensor)]
    m = mean.array if isinstance(mean, Tensor) else mean
    s = std.array if isinstance(std, Tensor) else std
    for name, v in (("mean", m), ("std", s)):
        if np.asarray(v).dtype.kind not in "biuf":
            raise TypeError(f"normal: {name} must be a number or a Tensor, got {type_name(v)}")
    if np.any(np.asarray(s) < 0):
        raise ValueError(f"normal: std must be >= 0, got {np.min(s)}")
    if tensors:
        if size is not None:
            raise TypeError("normal: size= is only for a number mean and std; with a Tensor "
                            "the result has the Tensors' (broadcast) shape")
        dt = np.result_type(*[t.dtype for t in tensors]) if dtype is None else _dtype(dtype)
        if dt.kind != "f":
            raise TypeError(f"normal: mean and std must be floating point, got dtype {dt}")
        try:
            shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        except ValueError:
            raise ValueError(f"normal: mean of shape {np.shape(m)} and std of shape "
                             f"{np.shape(s)} do not broadcast") from None
    else:
        if size is None:
            raise TypeError("normal: with a number mean and std, pass size= (a tuple)")
        shape = _shape((tuple(size),) if isinstance(size, (tuple, list)) else (size,))
        dt = _dtype(dtype)
        if dt.kind != "f":
            raise TypeError(f"normal: dtype must be floating point, got {dt}")
    z = _random.generator_or_global(generator, "normal").standard_normal(shape, np.float64)
    return _filled((m + s * z).astype(dt), requires_grad)
