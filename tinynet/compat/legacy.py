"""PyTorch's older spellings: ``torch.Tensor(2, 3)``, ``torch.FloatTensor([1, 2])``,
``torch.autograd.Variable(x, requires_grad=True)``, ``x.type(torch.DoubleTensor)``, and
``__index__`` (a 0-d integer tensor used as a Python index).

The legacy classes are stand-ins, not subclasses: calling one makes a tinynet Tensor, and
``isinstance(x, FloatTensor)`` asks whether ``x`` is a float32 Tensor (``LegacyTensor``,
served to scripts as ``torch.Tensor``, matches every Tensor).
"""
from __future__ import annotations

import warnings
from typing import Any, Optional

import numpy as np

from ..tensor import Tensor
from .convert import _to_dtypes
from .._names import type_name
from .device import CPU_ONLY, DeviceError, check_device

__all__ = ["LegacyTensor", "FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor",
           "IntTensor", "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor", "Variable",
           "LEGACY_NAMES"]

# PyTorch's name for a CPU tensor type of each dtype (what x.type() returns)
LEGACY_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
                "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
                "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor"}


def _new(name: str, dtype: np.dtype, args: tuple) -> Tensor:
    """What ``torch.<name>(*args)`` makes: an empty 1-D tensor, zeros of a size given as
    ints (PyTorch leaves them uninitialised), or a copy of data converted to ``dtype``."""
    if not args:
        return Tensor(np.zeros(0, dtype), dtype=dtype)
    if all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
        if any(a < 0 for a in args):
            raise ValueError(f"{name}(): sizes must be non-negative, got {args}")
        return Tensor(np.zeros(tuple(int(a) for a in args), dtype), dtype=dtype)
    if len(args) > 1:
        raise TypeError(f"{name}(): expected sizes as ints or one sequence of data, got "
                        f"({', '.join(type_name(a) for a in args)})")
    data = args[0]
    if isinstance(data, Tensor):
        return data
    if isinstance(data, (np.ndarray, list, tuple)):
        arr = np.asarray(data)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{name}(): cannot make a tensor from an array of {arr.dtype}")
        return Tensor(arr.astype(dtype), dtype=dtype)
    raise TypeError(f"{name}(): data must be a sequence (got {type_name(data)}); "
                    f"for a 0-d tensor write torch.tensor({data!r})")


class _LegacyType(type):
    """The metaclass of the legacy classes: calls make Tensors, isinstance checks dtypes,
    and attributes such as ``torch.Tensor.add`` are Tensor's."""

    _dtype: Optional[np.dtype]

    def __call__(cls, *args: Any, device: Any = None) -> Tensor:
        check_device(f"{cls.__name__}()", device)
        if cls._dtype is None:  # torch.Tensor: any Tensor passes through; data become float32
            if len(args) == 1 and isinstance(args[0], Tensor):
                return args[0].detach()
            return _new(cls.__name__, np.dtype(np.float32), args)
        out = _new(cls.__name__, cls._dtype, args)
        if out.dtype != cls._dtype:  # a Tensor of another dtype, as PyTorch refuses it
            raise TypeError(f"{cls.__name__}(): expected a tensor of dtype {cls._dtype}, got "
                            f"{out.dtype}; convert it with .to({str(cls._dtype)!r})")
        return out.detach() if len(args) == 1 and out is args[0] else out

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor) and (cls._dtype is None or obj.dtype == cls._dtype)

    def __subclasscheck__(cls, sub: Any) -> bool:
        return cls._dtype is None and isinstance(sub, type) and issubclass(sub, Tensor)

    def __getattr__(cls, name: str) -> Any:
        return getattr(Tensor, name)

    def __repr__(cls) -> str:
        return f"<class 'torch.{cls.__name__}'>"


def _legacy(name: str, dtype: Any) -> _LegacyType:
    return _LegacyType(name, (), {"_dtype": None if dtype is None else np.dtype(dtype),
                                  "__doc__": f"PyTorch's legacy ``torch.{name}``.",
                                  "__module__": __name__})


LegacyTensor = _legacy("Tensor", None)
FloatTensor = _legacy("FloatTensor", np.float32)
DoubleTensor = _legacy("DoubleTensor", np.float64)
HalfTensor = _legacy("HalfTensor", np.float16)
LongTensor = _legacy("LongTensor", np.int64)
IntTensor = _legacy("IntTensor", np.int32)
ShortTensor = _legacy("ShortTensor", np.int16)
CharTensor = _legacy("CharTensor", np.int8)
ByteTensor = _legacy("ByteTensor", np.uint8)
BoolTensor = _legacy("BoolTensor", np.bool_)
_BY_NAME = {c.__name__: c for c in (FloatTensor, DoubleTensor, HalfTensor, LongTensor,
                                    IntTensor, ShortTensor, CharTensor, ByteTensor, BoolTensor)}


class _VariableType(type):
    def __call__(cls, data: Any = None, requires_grad: bool = False,
                 volatile: bool = False) -> Tensor:
        if volatile:
            warnings.warn("Variable(volatile=True) was removed from PyTorch and has no effect; "
                          "use `with torch.no_grad():` instead", UserWarning, stacklevel=2)
        if data is None:
            return Tensor(np.zeros(0, np.float32))
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type_name(data)}")
        return data.detach().requires_grad_(bool(requires_grad))

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableType):
    """``torch.autograd.Variable(t, requires_grad=False)``: since PyTorch 0.4 a Variable is
    a Tensor; this gives what PyTorch gives, a new leaf sharing ``t``'s memory (off the
    tape, like ``t.detach()``) that requires grad if asked."""


# -- Tensor methods ----------------------------------------------------------------------
def _type(self: Tensor, dtype: Any = None, non_blocking: bool = False, **kwargs: Any) -> Any:
    """``x.type()``: PyTorch's type name, e.g. ``'torch.FloatTensor'``; ``x.type(t)``: ``x``
    converted to ``t`` -- a dtype, a legacy class or its name (``'torch.DoubleTensor'``)."""
    if dtype is None:
        name = LEGACY_NAMES.get(str(self.dtype))
        if name is None:
            raise TypeError(f"type(): PyTorch has no tensor type name for dtype {self.dtype}")
        return f"torch.{name}"
    if isinstance(dtype, _LegacyType):
        return self.to(np.float32 if dtype._dtype is None else dtype._dtype)
    if isinstance(dtype, str) and dtype.startswith("torch."):
        parts = dtype.split(".")
        if len(parts) == 3 and parts[1] == "cuda":
            raise DeviceError(f"type({dtype!r}): {CPU_ONLY}")
        if len(parts) != 2 or parts[1] not in _BY_NAME:
            raise ValueError(f"type(): invalid type {dtype!r}; expected a name such as "
                             f"'torch.FloatTensor' or a dtype")
        return self.to(_BY_NAME[parts[1]]._dtype)
    dtypes = _to_dtypes("type", (), {"dtype": dtype}, {"dtype"})
    if len(dtypes) != 1:
        raise ValueError(f"type(): invalid type {dtype!r}")
    return self.to(dtypes[0])


def _index(self: Tensor) -> int:
    """``operator.index(x)``: a one-element integer (or bool) tensor as a Python int, so
    ``items[i]`` and ``range(n)`` take tensors, as in PyTorch."""
    if self.array.size != 1 or self.array.dtype.kind not in "biu":
        raise TypeError("only integer tensors of a single element can be converted to an "
                        f"index (got dtype {self.array.dtype}, shape {self.array.shape})")
    return int(self.array.reshape(()))


Tensor.type = _type
Tensor.__index__ = _index
