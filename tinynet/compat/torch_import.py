"""``import torch`` answered by tinynet: the import hook behind ``tinynet run``.

Inside :func:`torch_as_tinynet`, a finder at the front of ``sys.meta_path`` answers every
import of ``torch``, ``torch.*``, ``torchvision`` and ``torchvision.*``:

* a name listed in :data:`MODULES` becomes a :class:`ShimModule` that looks each attribute
  up in tinynet (``torch.nn.Conv2d`` is ``tinynet.nn.Conv2d``, the very same class);
* any other name fails at once with :class:`MissingModule`, and an attribute tinynet does
  not have (``torch.fft``, ``torch.nn.Transformer``) with :class:`MissingAttribute`: each
  names what is missing in one line, which ``tinynet run`` prints before exiting with 2.
  (They are an ImportError and an AttributeError, so ``hasattr(torch, "compile")`` and
  ``try: import torch.distributed / except ImportError`` keep working.)

Leaving the block takes the finder out and puts back whatever ``torch`` modules were
imported before (a real PyTorch, say), so a test can run scripts in its own process.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import sys
import types
from typing import Any, Iterator

__all__ = ["MODULES", "NAMES", "ShimModule", "MissingModule", "MissingAttribute",
           "TorchFeatureMissing", "torch_as_tinynet"]

# Each torch module and where its attributes come from, searched in order: a module
# ("tinynet.nn") or an object inside one ("tinynet.compat.device:cuda"); see _served for
# which of their names count.  A module that does not exist yet is skipped.
MODULES: dict[str, tuple[str, ...]] = {
    "torch": ("tinynet",),
    "torch.nn": ("tinynet.nn",),
    "torch.nn.functional": ("tinynet.nn.functional",),
    "torch.nn.init": ("tinynet.nn.init",),
    "torch.nn.utils": ("tinynet.nn.utils",),
    "torch.nn.parameter": ("tinynet.nn.parameter",),
    "torch.optim": ("tinynet.optim",),
    "torch.optim.lr_scheduler": ("tinynet.optim.lr_scheduler",),
    "torch.utils": (),
    "torch.utils.data": ("tinynet.data.loader", "tinynet.data.subset"),
    "torch.autograd": ("tinynet.autograd",),
    "torch.cuda": ("tinynet.compat.device:cuda",),
    "torch.accelerator": ("tinynet.compat.device:accelerator",),
    "torch.backends": ("tinynet.compat.device:backends",),
    "torch.backends.cudnn": ("tinynet.compat.device:backends.cudnn",),
    "torch.backends.mps": ("tinynet.compat.device:backends.mps",),
    "torchvision": ("tinynet.compat.torchvision",),
    "torchvision.datasets": ("tinynet.compat.torchvision.datasets",),
    "torchvision.transforms": ("tinynet.compat.torchvision.transforms",),
}

# Names that differ from tinynet's own, looked up first: ``torch.Tensor`` is also the
# legacy constructor (``torch.Tensor(2, 3)``), which tinynet's Tensor class is not.
NAMES: dict[str, dict[str, str]] = {
    "torch": {"Tensor": "tinynet.compat.legacy:LegacyTensor",
              "is_tensor": "tinynet.compat.torch_names:is_tensor",
              "__version__": "tinynet.compat.torch_names:version"},
    "torch.autograd": {"Variable": "tinynet.compat.legacy:Variable"},
    "torchvision": {"__version__": "tinynet.compat.torch_names:version"},
}


class TorchFeatureMissing(Exception):
    """Marks the errors that say tinynet lacks a part of PyTorch (one line, exit 2)."""


class MissingModule(ModuleNotFoundError, TorchFeatureMissing):
    pass


class MissingAttribute(AttributeError, TorchFeatureMissing):
    pass


def _resolve(spec: str) -> Any:
    """The object a source names; raises ImportError if its module does not exist."""
    module, _, path = spec.partition(":")
    obj = importlib.import_module(module)
    for part in filter(None, path.split(".")):
        obj = getattr(obj, part)
    return obj


def _served(source: Any, name: str) -> bool:
    """Whether ``source`` gives ``name`` to a torch module: a name in its ``__all__``, or
    any public name that is not a module (tinynet's own submodules -- ``tinynet.data``,
    ``tinynet.ops`` -- and numpy are not PyTorch's)."""
    if name in (getattr(source, "__all__", None) or ()):
        return True
    return not name.startswith("_") and hasattr(source, name) and \
        not isinstance(getattr(source, name), types.ModuleType)


class ShimModule(types.ModuleType):
    """A torch module whose attributes are tinynet's (found on first use, then kept)."""

    def __getattr__(self, name: str) -> Any:
        full = f"{self.__name__}.{name}"
        if full in MODULES:                      # a submodule: torch.nn, torch.utils.data
            return importlib.import_module(full)
        spec = NAMES.get(self.__name__, {}).get(name)
        if spec is not None:
            value = _resolve(spec)
            setattr(self, name, value)
            return value
        if not (name.startswith("__") and name.endswith("__")):
            for source in MODULES.get(self.__name__, ()):
                try:
                    obj = _resolve(source)
                except ModuleNotFoundError as e:  # a tinynet module not written yet
                    if e.name and source.partition(":")[0].startswith(e.name):
                        continue
                    raise
                if _served(obj, name):
                    value = getattr(obj, name)
                    setattr(self, name, value)
                    return value
            err = MissingAttribute(f"tinynet has no {full}")
            err.name, err.obj = name, self  # as Python's own AttributeError (3.10+) sets them
            raise err
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")

    def __dir__(self) -> list[str]:
        names = set(super().__dir__()) | set(NAMES.get(self.__name__, {}))
        names |= {m.rpartition(".")[2] for m in MODULES if m.rpartition(".")[0] == self.__name__}
        for source in MODULES.get(self.__name__, ()):
            with contextlib.suppress(ImportError):
                obj = _resolve(source)
                names |= {n for n in dir(obj) if _served(obj, n)}
        return sorted(names)


def _is_torch(name: str) -> bool:
    return name.partition(".")[0] in ("torch", "torchvision")


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if not _is_torch(fullname):
            return None
        if fullname not in MODULES:
            raise MissingModule(f"tinynet has no {fullname}", name=fullname)
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ShimModule:
        module = ShimModule(spec.name, f"PyTorch's {spec.name}, served by tinynet "
                                       f"(see tinynet/compat/torch_import.py)")
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        return None  # everything is looked up on first use


@contextlib.contextmanager
def torch_as_tinynet() -> Iterator[None]:
    """Within the block, ``import torch`` (and torchvision) gives tinynet; afterwards the
    modules that were there before (if any) are back."""
    saved = {k: v for k, v in sys.modules.items() if _is_torch(k)}
    for k in saved:
        del sys.modules[k]
    finder = _Finder()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for k in [k for k in sys.modules if _is_torch(k)]:
            del sys.modules[k]
        sys.modules.update(saved)
