"""In-place methods, as PyTorch names them: ``add_``, ``mul_``, ``zero_``, ``copy_``,
``x += y``, ``x[i] = v``.

They are not recorded on the tape, so they are allowed only where no gradient can be
corrupted: on tensors that do not require grad, or inside ``no_grad()`` (as optimizers do).
Each bumps the tensor's version counter, which ``backward()`` checks against the
versions an entry saw when it was recorded.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np


from ..ops import broadcasts_to
from ..ops.shape import _index
from ..tensor import Tensor, is_grad_enabled

Number = Any  # a Python or numpy number


def _check_inplace(self, name: str, source: Any = None) -> None:
    if is_grad_enabled() and self.requires_grad:
        raise RuntimeError(
            f"{name}: a tensor that requires grad cannot be changed in place while "
            f"recording; do it inside `with tinynet.no_grad():` (as optimizers do)")
    if is_grad_enabled() and isinstance(source, Tensor) and source.requires_grad:
        # in-place ops are not recorded, so its gradient would be lost without a word
        raise RuntimeError(
            f"{name}: the value written in place requires grad, and tinynet does not "
            f"record in-place ops; write the out-of-place form (e.g. x = x + y)")


def _inplace(self, name: str, fn: Callable[[np.ndarray], None],
             source: Any = None) -> "Tensor":
    self._check_inplace(name, source)
    if not self.array.flags.writeable:  # numpy would say only "output array is read-only"
        raise RuntimeError(f"{name}: this tensor's memory is read-only (e.g. a view made by "
                           f"expand(), whose elements share memory); change a copy instead")
    fn(self.array)
    self._vbox[0] += 1
    return self


def add_(self, other: Any, alpha: Number = 1) -> "Tensor":
    return self._update("add_", "+", np.add, other, alpha)


def sub_(self, other: Any, alpha: Number = 1) -> "Tensor":
    return self._update("sub_", "-", np.add, other, -alpha)


def mul_(self, other: Any) -> "Tensor":
    return self._update("mul_", "*", np.multiply, other)


def div_(self, other: Any) -> "Tensor":
    return self._update("div_", "/", np.divide, other)


def _update(self, name: str, sym: str, ufunc: np.ufunc, other: Any,
            alpha: Number = 1) -> "Tensor":
    """self = self (ufunc) alpha * other, in place; the result must fit self's dtype."""
    o = other.array if isinstance(other, Tensor) else other
    if alpha != 1:
        o = o * alpha
    result = np.result_type(self.array.dtype, o)
    if ufunc is np.divide and result.kind not in "fc":
        result = np.dtype(np.float64)  # true division: ints give a float
    if not np.can_cast(result, self.array.dtype, "same_kind"):  # as torch: no truncating
        raise TypeError(f"{name}: the result ({result}) cannot be stored in place in a "
                        f"tensor of dtype {self.array.dtype} (as in PyTorch); write "
                        f"x = x {sym} y, or convert x first (e.g. x.float())")
    return self._inplace(name, lambda d: ufunc(d, o, out=d, casting="unsafe"), other)


def zero_(self) -> "Tensor":
    return self._inplace("zero_", lambda d: d.fill(0))


def fill_(self, value: Number) -> "Tensor":
    return self._inplace("fill_", lambda d: d.fill(value))


def copy_(self, src: Any) -> "Tensor":
    s = src.array if isinstance(src, Tensor) else np.asarray(src)
    if not broadcasts_to(s.shape, self.array.shape):
        raise ValueError(f"copy_: source shape {s.shape} does not fit {self.array.shape}")
    return self._inplace("copy_", lambda d: np.copyto(d, s, casting="unsafe"), src)


# ``x += y``: in place, as PyTorch (other names for ``x`` see the change, and a
# parameter updated by ``p -= lr * p.grad`` in a loop over parameters really changes).
# While recording, a leaf that requires grad is an error (as PyTorch), and where the
# result needs a gradient (x a result of an op, or y requiring grad) x gets the
# out-of-place op instead: the same values and gradients, with nothing saved on the
# tape changed and no gradient lost.
def _iop(self, other: Any, op: Callable, inplace: Callable) -> "Tensor":
    if is_grad_enabled() and not (self.requires_grad and self._node is None) and (
            self.requires_grad or (isinstance(other, Tensor) and other.requires_grad)):
        return op(self, other)
    return inplace(self, other)


def __iadd__(self, other: Any) -> "Tensor":
    return self._iop(other, Tensor.__add__, Tensor.add_)


def __isub__(self, other: Any) -> "Tensor":
    return self._iop(other, Tensor.__sub__, Tensor.sub_)


def __imul__(self, other: Any) -> "Tensor":
    return self._iop(other, Tensor.__mul__, Tensor.mul_)


def __itruediv__(self, other: Any) -> "Tensor":  # true division: a float even of ints
    return self._iop(other, Tensor.__truediv__, Tensor.div_)


def __setitem__(self, idx: Any, value: Any) -> None:
    v = value.array if isinstance(value, Tensor) else value
    self._inplace("__setitem__", lambda d: d.__setitem__(_index(idx), v), value)


def _bump_version(self: Tensor) -> None:
    """Call after changing ``.array`` in place (optimizers do)."""
    self._vbox[0] += 1


for _fn in (_check_inplace, _inplace, _update, _iop, _bump_version, add_, sub_, mul_, div_,
            zero_, fill_, copy_, __iadd__, __isub__, __imul__, __itruediv__, __setitem__):
    setattr(Tensor, _fn.__name__, _fn)
