"""PyTorch's other names for ops tinynet already has: ``x.add(y)`` is ``x + y``, ``x.t()`` is
``x.T`` of a matrix, ``x.view_as(y)`` is ``x.reshape(y.shape)``...

Each alias is one line that calls the existing op -- no second implementation, so no second
backward to get wrong.  Those PyTorch also has as functions (``torch.add``) are made with
:func:`_alias`, which attaches the method and returns the function ``tinynet.add``, as
``@tensor_method`` does for every op; the others are methods only (:func:`_method`).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..creation import ones, zeros
from ..tensor import Tensor
from ..ops import tensor_method
from ..ops.elementwise import _cast, _cast_copy
from ..ops.shape import expand, reshape
from .._names import type_name


def _alias(name: str, fn: Callable) -> Callable:
    fn.__name__ = fn.__qualname__ = name
    return tensor_method(fn)


def _method(name: str, fn: Callable) -> None:
    """A method only (PyTorch has no function ``torch.<name>`` for it)."""
    fn.__name__ = fn.__qualname__ = name
    setattr(Tensor, name, fn)


def _scaled(other: Any, alpha: Any, like: Tensor) -> Any:
    """PyTorch's ``alpha=`` of add/sub: ``other * alpha`` (``other`` itself when alpha is 1)."""
    return other if alpha == 1 else Tensor._lift(other, like) * alpha


def _other(other: Any, name: str) -> Tensor:
    """The Tensor argument of ``x.view_as(other)`` and friends, checked."""
    if not isinstance(other, Tensor):
        raise TypeError(f"{name}: other must be a Tensor, got {type_name(other)}")
    return other


def _div(input: Tensor, other: Any, *, rounding_mode: Any = None) -> Tensor:
    if rounding_mode is not None:
        raise ValueError(f"div: rounding_mode={rounding_mode!r} is not supported; tinynet's div "
                         f"is true division only (rounding_mode=None)")
    return input / other


def _mm(input: Tensor, mat2: Any) -> Tensor:
    mat2 = Tensor._lift(mat2, input)
    if input.ndim != 2 or mat2.ndim != 2:
        raise ValueError(f"mm: self and mat2 must be 2-D matrices, got shapes {input.shape} and "
                         f"{mat2.shape}; use matmul for vectors and batches")
    return input @ mat2


def _t(input: Tensor) -> Tensor:
    if input.ndim > 2:
        raise ValueError(f"t: expects a tensor with at most 2 dims, got shape {input.shape}; "
                         f"use transpose(dim0, dim1) or permute")
    return input.T


# arithmetic and comparisons: the operators of tensor.py
add = _alias("add", lambda input, other, *, alpha=1: input + _scaled(other, alpha, input))
sub = _alias("sub", lambda input, other, *, alpha=1: input - _scaled(other, alpha, input))
mul = _alias("mul", lambda input, other: input * other)
div = _alias("div", _div)
pow = _alias("pow", lambda input, exponent: input ** exponent)
neg = _alias("neg", lambda input: -input)
square = _alias("square", lambda input: input ** 2)
matmul = _alias("matmul", lambda input, other: input @ other)
mm = _alias("mm", _mm)
eq = _alias("eq", lambda input, other: input == other)
ne = _alias("ne", lambda input, other: input != other)
lt = _alias("lt", lambda input, other: input < other)
le = _alias("le", lambda input, other: input <= other)
gt = _alias("gt", lambda input, other: input > other)
ge = _alias("ge", lambda input, other: input >= other)

# whole-tensor comparisons, as Python bools (nothing to differentiate)
equal = _alias("equal", lambda input, other: input.shape == _other(other, "equal").shape
               and bool(np.array_equal(input.array, other.array)))
allclose = _alias("allclose", lambda input, other, rtol=1e-05, atol=1e-08, equal_nan=False: bool(
    np.allclose(input.array, _other(other, "allclose").array, rtol=rtol, atol=atol,
                equal_nan=equal_nan)))

# shapes and copies: the shape ops, the casts of elementwise.py, creation.py
t = _alias("t", _t)
numel = _alias("numel", lambda input: input.array.size)
clone = _alias("clone", lambda input: _cast_copy(input))
_method("dim", lambda self: self.ndim)
_method("expand_as", lambda self, other: expand(self, _other(other, "expand_as").shape))
_method("view_as", lambda self, other: reshape(self, _other(other, "view_as").shape))
_method("reshape_as", lambda self, other: reshape(self, _other(other, "reshape_as").shape))
_method("type_as", lambda self, other: _cast(self, _other(other, "type_as").dtype))
# contiguous(): always a fresh C-order copy, recorded with the identity gradient (d copy/dx = 1).
# PyTorch returns self when it is already contiguous; tinynet always copies, so the result is
# simply memory of its own: writeable (expand's broadcast views are read-only), in C order
# (permute's views are strided), and never shared with a tensor the tape saved
_method("contiguous", lambda self: _cast_copy(self))
_method("new_zeros", lambda self, *size, dtype=None, requires_grad=False: zeros(
    *size, dtype=self.dtype if dtype is None else dtype, requires_grad=requires_grad))
_method("new_ones", lambda self, *size, dtype=None, requires_grad=False: ones(
    *size, dtype=self.dtype if dtype is None else dtype, requires_grad=requires_grad))
