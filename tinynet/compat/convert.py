"""PyTorch's ``x.to(device, dtype)``, ``x.float()``, ``x.double()``, ``x.cpu()`` ...: the
arguments PyTorch code passes, turned into tinynet's casts (``ops/elementwise._cast``).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..ops.elementwise import _cast, _cast_copy
from ..tensor import Tensor


def _to_dtypes(name: str, args: Sequence[Any], kwargs: dict[str, Any],
               keywords: set[str]) -> list[np.dtype]:
    """The dtypes that PyTorch-style ``.to(...)`` arguments ask for, in order.

    tinynet runs on the CPU only: ``"cpu"`` (or ``"cpu:0"``) asks for nothing and any
    other device is an error; a Tensor stands for its dtype, as in ``x.to(other)``, and
    a torch dtype for numpy's dtype of the same name.
    """
    unknown = set(kwargs) - keywords
    if unknown:
        raise TypeError(f"{name}: unexpected keyword {sorted(unknown)[0]!r}")
    dtypes = []
    for arg in list(args) + [kwargs.get("device"), kwargs.get("dtype")]:
        is_device = isinstance(arg, str) or type(arg).__name__ == "device"  # torch.device
        if arg is None or (is_device and str(arg).split(":")[0] == "cpu"):
            continue
        if type(arg).__module__ == "torch" and type(arg).__name__ == "dtype":
            try:  # torch.float64 -> numpy's float64
                dtypes.append(np.dtype(str(arg).rpartition(".")[2]))
            except TypeError:
                raise ValueError(f"{name}: {arg} has no numpy equivalent") from None
            continue
        try:
            dtypes.append(np.dtype(arg.dtype if isinstance(arg, Tensor) else arg))
        except (TypeError, ValueError):  # ValueError: e.g. a torch tensor
            raise ValueError(f"{name}: tinynet runs on the CPU only; got {arg!r} (expected "
                             f"'cpu' or a dtype)") from None
    return dtypes


def to(x: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """PyTorch's ``x.to(device)`` / ``x.to(dtype)`` / ``x.to(device, dtype)``.

    tinynet runs on the CPU only: ``"cpu"`` returns ``x`` itself, any other device is an
    error.  A dtype casts (``x`` itself if it already has it); the gradient flows back
    through a cast between float dtypes.
    """
    out = x
    for dtype in _to_dtypes("to", args, kwargs, {"device", "dtype", "non_blocking", "copy"}):
        out = _cast(out, dtype)
    if kwargs.get("copy") and out is x:
        out = _cast_copy(x)
    return out


Tensor.to = to  # type: ignore[attr-defined]
Tensor.float = lambda self: _cast(self, np.dtype(np.float32))  # type: ignore[attr-defined]
Tensor.double = lambda self: _cast(self, np.dtype(np.float64))  # type: ignore[attr-defined]
Tensor.cpu = lambda self: self  # type: ignore[attr-defined]
Tensor.half = lambda self: _cast(self, np.dtype(np.float16))  # type: ignore[attr-defined]
Tensor.long = lambda self: _cast(self, np.dtype(np.int64))  # type: ignore[attr-defined]
Tensor.int = lambda self: _cast(self, np.dtype(np.int32))  # type: ignore[attr-defined]
Tensor.bool = lambda self: _cast(self, np.dtype(np.bool_))  # type: ignore[attr-defined]
