"""The ops beyond arithmetic: elementwise math, reductions, shape ops, comparisons.

Each op is a function with its forward and gradient rule side by side, ending with
``record(...)`` as in ``tinynet/tensor.py``; ``tensor_method`` also makes it a method.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .._names import type_name
from ..tensor import Tensor


def tensor_method(fn: Callable) -> Callable:
    """Attach a function from ``tinynet/ops`` to Tensor, so ``exp(x)`` is also ``x.exp()``.

    The method is ``fn`` itself; the function returned (``tinynet.exp``) first checks
    that its first argument is a Tensor, so ``tinynet.exp(ndarray)`` fails clearly.
    """
    setattr(Tensor, fn.__name__, fn)

    def checked(x: Any, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(x, Tensor):
            raise TypeError(f"{fn.__name__}: expected a Tensor, got {type_name(x)}; "
                            f"wrap arrays and numbers with tinynet.tensor(...)")
        return fn(x, *args, **kwargs)
    checked.__name__, checked.__qualname__, checked.__doc__ = fn.__name__, fn.__name__, fn.__doc__
    checked.__wrapped__ = fn  # type: ignore[attr-defined]
    return checked


def broadcasts_to(shape: tuple, target: tuple) -> bool:
    """Whether an array of ``shape`` broadcasts to exactly ``target`` (not beyond it)."""
    try:
        return np.broadcast_shapes(shape, target) == tuple(target)
    except ValueError:  # not broadcastable at all
        return False
