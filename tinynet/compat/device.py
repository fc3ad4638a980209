"""Devices on a CPU-only library: ``device('cpu')``, and accelerators that are never there.

tinynet's arrays are numpy arrays in main memory, so the only device is the CPU.  PyTorch
scripts still ask about devices -- ``torch.device("cuda" if torch.cuda.is_available()
else "cpu")``, ``torch.accelerator.is_available()``, ``torch.backends.mps.is_available()``
-- and pass ``device=`` to creation functions and ``.to()``.  This file answers them:

* :class:`device` is PyTorch's device object; ``device('cuda')`` can be *made* (as in
  PyTorch, where the error comes when it is used), but using it fails with
  :class:`DeviceError`, as does any non-CPU ``device=``;
* ``cuda``, ``accelerator``, ``backends.cudnn`` and ``backends.mps`` report nothing
  available; ``cuda.manual_seed`` is accepted and does nothing, as PyTorch without CUDA;
* :func:`check_device` is what every creation function calls on its ``device=``.

Every refusal says "tinynet runs on the CPU only", the phrase ``tinynet run`` looks for
to report it in one line.
"""
from __future__ import annotations

import types
from typing import Any, Optional

from ..tensor import Tensor
from .._names import type_name

__all__ = ["device", "DeviceError", "check_device", "cuda", "accelerator", "backends",
           "set_default_device", "get_default_device", "CPU_ONLY"]

CPU_ONLY = "tinynet runs on the CPU only"

# the device types PyTorch knows (a string naming none of them is a typo, not a device)
_KNOWN = ("cpu", "cuda", "mps", "xpu", "xla", "meta", "hip", "ipu", "mkldnn", "opengl",
          "opencl", "ideep", "ve", "fpga", "maia", "lazy", "vulkan", "hpu", "mtia",
          "privateuseone")


class DeviceError(RuntimeError):
    """A request for a device other than the CPU (which tinynet does not have)."""


class device:
    """PyTorch's ``torch.device``: ``device('cpu')``, ``device('cuda:0')``,
    ``device('cuda', 0)``, ``device(type='cpu')``.

    Only ``'cpu'`` can hold tensors; other types of PyTorch's can be named (so that
    ``device = torch.device("cuda" if ... else "cpu")`` runs), and fail when used.
    """

    __slots__ = ("type", "index")

    def __init__(self, type: Any, index: Optional[int] = None) -> None:  # noqa: A002
        if isinstance(type, device):
            if index is not None:
                raise TypeError("device(): pass an index only with a device type string")
            self.type, self.index = type.type, type.index
            return
        if type_name(type) == "torch.device":  # a real PyTorch device object
            type, index = str(type), index
        if isinstance(type, bool) or not isinstance(type, str):
            raise TypeError(f"device(): expected a device type string such as 'cpu', "
                            f"got {type_name(type)}")
        kind, sep, num = type.partition(":")
        if kind not in _KNOWN:
            raise RuntimeError(f"device(): expected a device type such as 'cpu' or 'cuda', "
                               f"got {type!r}")
        if sep:
            if index is not None:
                raise RuntimeError(f"device(): type {type!r} already has an index; "
                                   f"got index={index!r} too")
            if not num.isdigit():
                raise RuntimeError(f"device(): invalid device string {type!r}")
            index = int(num)
        if index is not None and (isinstance(index, bool) or not isinstance(index, int)
                                  or index < 0):
            raise RuntimeError(f"device(): index must be a non-negative int, got {index!r}")
        self.type, self.index = kind, index

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        extra = "" if self.index is None else f", index={self.index}"
        return f"device(type={self.type!r}{extra})"

    def __eq__(self, other: Any) -> bool:  # as PyTorch: devices only, so device('cpu') != 'cpu'
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    # ``with torch.device('cpu'):`` sets the default device for the block, as in PyTorch
    def __enter__(self) -> "device":
        check_device("with device(...)", self)
        return self

    def __exit__(self, *exc: Any) -> None:
        return None


CPU = device("cpu")


def check_device(where: str, dev: Any) -> None:
    """Accept ``dev`` if it means the CPU (None, 'cpu', 'cpu:N', a cpu ``device``, a
    real ``torch.device('cpu')``); otherwise raise :class:`DeviceError` naming ``where``."""
    if dev is None:
        return
    if isinstance(dev, device):
        d = dev
    elif isinstance(dev, str) or type_name(dev) == "torch.device":
        try:
            d = device(str(dev))
        except RuntimeError as e:
            raise DeviceError(f"{where}: {e}") from None
    elif isinstance(dev, int) and not isinstance(dev, bool):
        d = device("cuda", dev) if dev >= 0 else None  # PyTorch reads an int as a CUDA index
        if d is None:
            raise DeviceError(f"{where}: invalid device index {dev}")
    else:
        raise TypeError(f"{where}: device must be a str or device, got {type_name(dev)}")
    if d.type != "cpu":
        raise DeviceError(f"{where}: {CPU_ONLY}; device {str(d)!r} is not available "
                          f"(tinynet.cuda.is_available() is False)")


def set_default_device(dev: Any) -> None:
    """PyTorch's ``set_default_device``: only the CPU (or None) is accepted."""
    check_device("set_default_device", dev)


def get_default_device() -> device:
    return CPU


# -- the accelerators a script may ask about: none is ever available ------------------------
def _no_accelerator(name: str) -> Any:
    def fn(*args: Any, **kwargs: Any) -> Any:
        raise DeviceError(f"{name}: {CPU_ONLY}; no CUDA device is available "
                          f"(check torch.cuda.is_available() first)")
    fn.__name__ = name.rpartition(".")[2]
    return fn


def _ignored(*args: Any, **kwargs: Any) -> None:
    """Does nothing: PyTorch ignores CUDA seeding and cache calls when CUDA is absent."""


cuda = types.ModuleType("tinynet.cuda", "CUDA on a CPU-only library: never available.")
cuda.is_available = lambda: False
cuda.device_count = lambda: 0
cuda.is_initialized = lambda: False
cuda.manual_seed = cuda.manual_seed_all = cuda.seed = cuda.seed_all = _ignored
cuda.empty_cache = _ignored
for _name in ("current_device", "get_device_name", "get_device_properties", "synchronize",
              "set_device"):
    setattr(cuda, _name, _no_accelerator(f"cuda.{_name}"))

accelerator = types.ModuleType("tinynet.accelerator",
                               "PyTorch's device-agnostic accelerator API: none is present.")
accelerator.is_available = lambda: False
accelerator.current_accelerator = lambda check_available=False: None
accelerator.device_count = lambda: 0

backends = types.ModuleType("tinynet.backends", "PyTorch's backend switches.")
backends.cudnn = types.ModuleType("tinynet.backends.cudnn",
                                  "cuDNN: absent; its flags may be set and are ignored.")
backends.cudnn.is_available = lambda: False
backends.cudnn.enabled = True   # PyTorch's defaults, settable (scripts set them)
backends.cudnn.benchmark = False
backends.cudnn.deterministic = False
backends.mps = types.ModuleType("tinynet.backends.mps", "Apple's Metal backend: absent.")
backends.mps.is_available = lambda: False
backends.mps.is_built = lambda: False


# -- what tensors and modules say about their device ---------------------------------------
def _to_cuda(self: Any, *args: Any, **kwargs: Any) -> Any:
    raise DeviceError(f"{type(self).__name__}.cuda(): {CPU_ONLY}; keep the tensor where "
                      f"it is (or use .to(device) with device = 'cpu')")


Tensor.device = property(lambda self: CPU, doc="Always ``device('cpu')``.")
Tensor.is_cuda = property(lambda self: False)
Tensor.cuda = _to_cuda
Tensor.get_device = lambda self: -1  # PyTorch's answer for a CPU tensor
