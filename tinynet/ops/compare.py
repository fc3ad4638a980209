"""Comparisons (``<``, ``==`` ...) and logical operators (``~``, ``&``, ``|``, ``^``).

Their results are boolean tensors with no gradient (a step function's derivative is
zero almost everywhere), so they are computed outside the tape.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..tensor import Tensor


def _compare(self, other: Any, fn: Callable) -> "Tensor":
    o = other.array if isinstance(other, Tensor) else other
    return Tensor._wrap(np.asarray(fn(self.array, o)))


def __lt__(self, o: Any) -> "Tensor":
    return _compare(self, o, np.less)


def __le__(self, o: Any) -> "Tensor":
    return _compare(self, o, np.less_equal)


def __gt__(self, o: Any) -> "Tensor":
    return _compare(self, o, np.greater)


def __ge__(self, o: Any) -> "Tensor":
    return _compare(self, o, np.greater_equal)


def __eq__(self, o: Any) -> "Tensor":  # type: ignore[override]
    return _compare(self, o, np.equal)


def __ne__(self, o: Any) -> "Tensor":  # type: ignore[override]
    return _compare(self, o, np.not_equal)


# logical operators on bool (and integer) tensors: ``~mask``, ``a & b``, ``a | b``, ``a ^ b``
def _logical(self, o: Any, fn: Callable, sym: str) -> "Tensor":
    for v in (self, o):
        dt = (v.array if isinstance(v, Tensor) else np.asarray(v)).dtype
        if dt.kind not in "biu":
            raise TypeError(f"{sym}: only bool and integer tensors, got dtype {dt}; "
                            f"compare first (x > 0) to get a bool mask")
    return _compare(self, o, fn)


def __and__(self, o: Any) -> "Tensor":
    return _logical(self, o, np.bitwise_and, "&")


def __or__(self, o: Any) -> "Tensor":
    return _logical(self, o, np.bitwise_or, "|")


def __xor__(self, o: Any) -> "Tensor":
    return _logical(self, o, np.bitwise_xor, "^")


def __invert__(self) -> "Tensor":
    return _logical(self, True, lambda d, _: np.invert(d), "~")


for _fn in (__lt__, __le__, __gt__, __ge__, __eq__, __ne__, __and__, __or__, __xor__,
            __invert__):
    setattr(Tensor, _fn.__name__, _fn)
Tensor.__rand__, Tensor.__ror__, Tensor.__rxor__ = __and__, __or__, __xor__  # type: ignore
Tensor.__hash__ = object.__hash__  # type: ignore[assignment]  # == is elementwise: by identity
