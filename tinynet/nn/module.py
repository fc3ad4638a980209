"""Module: the base class of every layer and every model.

A Module is an ordinary Python object with three kinds of registered state:

* **parameters** -- learnable :class:`Parameter` tensors (``Linear.weight``);
* **buffers** -- tensors that are state but not learned (BatchNorm's running mean);
* **sub-modules** -- other Modules (the layers of a model).

Registration happens by plain attribute assignment inside ``__init__``::

    class MLP(Module):
        def __init__(self):
            super().__init__()            # creates the three registries; call it first
            self.fc1 = Linear(784, 128)   # a Module   -> self._modules["fc1"]
            self.fc2 = Linear(128, 10)
            self.scale = Parameter(tinynet.ones(1))  # a Parameter -> self._parameters["scale"]

        def forward(self, x):
            return self.fc2(self.fc1(x).relu()) * self.scale

``__setattr__`` below sorts each assigned value into its registry, so the module
can later walk its tree: ``parameters()`` for the optimizer, ``train()``/``eval()``
to switch Dropout and BatchNorm, and ``state_dict()``/``load_state_dict()`` to save
and restore everything under dotted names like ``"fc1.weight"`` -- the same names,
shapes and order as PyTorch, so weights can be copied across key for key.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Iterator, Mapping, NamedTuple, Optional, Union

import numpy as np

from ..compat.convert import _to_dtypes
from ..compat.device import CPU_ONLY, DeviceError
from ..tensor import Tensor, no_grad
from .parameter import Parameter
from .._names import type_name

__all__ = ["Module"]


class _IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` could not match (as in PyTorch)."""

    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (f"_IncompatibleKeys(missing_keys={self.missing_keys}, "
                f"unexpected_keys={self.unexpected_keys})")


def _addindent(text: str, spaces: int) -> str:
    """Indent every line but the first (used to nest a child's repr in its parent's)."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + ln if ln.strip() else "" for ln in lines[1:])



def _overflow(arr: np.ndarray, dtype: np.dtype) -> str:
    """Why ``arr`` cannot be stored in ``dtype`` (finite values that would become inf, or
    integers out of range), or '' if it can."""
    if arr.dtype == dtype or arr.size == 0:
        return ""
    if dtype.kind == "f":
        if arr.dtype.kind == "f" and np.finfo(arr.dtype).max <= np.finfo(dtype).max:
            return ""
        with np.errstate(over="ignore", invalid="ignore"):
            lost = np.isfinite(arr) & ~np.isfinite(arr.astype(dtype))
        if lost.any():
            value = arr[lost].flat[0]
            return f"{value!r} overflows to inf (largest finite: {np.finfo(dtype).max:g})"
        return ""
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            return "it holds NaN or inf"
        if arr.dtype.kind in "biuf" and arr.size and (arr.min() < info.min
                                                      or arr.max() > info.max):
            return f"values outside {info.min}..{info.max}"
    return ""

class Module:
    """Base class for layers and models: subclass it, assign layers in ``__init__``,
    and write ``forward``. Calling the module, ``model(x)``, runs ``forward(x)``.

    Attributes:
        training: True in training mode (the default), False after ``eval()``.
    """

    training: bool
    # State entries that older checkpoints may lack; loading keeps the current value.
    _optional_state: tuple[str, ...] = ()

    def __init__(self) -> None:
        # object.__setattr__ bypasses our own __setattr__, which needs these to exist
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", OrderedDict())

    # ------------------------------------------------------------------
    # Running the module
    # ------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Compute the output; every subclass must define it."""
        raise NotImplementedError(
            f"{self._get_name()} has no forward(): a Module subclass must define "
            f"forward(self, ...), which is what calling the module runs")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """``model(x)`` is ``model.forward(x)``."""
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------
    # Registration
    # ------------------------------------------------------------------
    def _check_initialised(self, what: str, name: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign {what} '{name}' before Module.__init__() has run: call "
                f"super().__init__() first in {type(self).__name__}.__init__")

    def _check_name(self, name: Any, kind: str, registry: dict) -> None:
        if not isinstance(name, str):
            raise TypeError(f"{kind} name must be a str, got {type_name(name)}")
        if name == "" or "." in name:
            raise KeyError(f'{kind} name must be non-empty and contain no ".", got {name!r}')
        if hasattr(self, name) and name not in registry:
            raise KeyError(f"attribute '{name}' already exists on {self._get_name()}")

    def register_parameter(self, name: str, param: Optional[Parameter]) -> None:
        """Register ``param`` (a Parameter, or None for an absent one like ``bias=False``)."""
        self._check_initialised("parameter", str(name))
        self._check_name(name, "parameter", self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type_name(param)}' object to parameter '{name}' "
                f"(tinynet.nn.Parameter or None required); wrap it: nn.Parameter(t)")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Union[Tensor, np.ndarray, None],
                        persistent: bool = True) -> None:
        """Register non-learned state (a Tensor, numpy array or None) under ``name``.

        Persistent buffers are saved in ``state_dict()``; ``persistent=False`` ones are not.
        """
        self._check_initialised("buffer", str(name))
        self._check_name(name, "buffer", self._buffers)
        self._buffers[name] = _as_buffer(name, tensor)
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Optional["Module"]) -> None:
        """Register ``module`` as a child under ``name`` (same as ``self.name = module``)."""
        self._check_initialised("module", str(name))
        _check_module(module, f"add_module('{name}', ...)")
        self._check_name(name, "module", self._modules)
        self._modules[name] = module

    def __setattr__(self, name: str, value: Any) -> None:
        """``self.name = value``: a Parameter or Module goes into its registry; a name
        already registered stays registered (None is allowed: "no bias"); anything
        else is an ordinary attribute."""
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            self._check_initialised("parameter", name)
            self._forget(name, keep=params)
            params[name] = value
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type_name(value)}' as parameter "
                                f"'{name}' (tinynet.nn.Parameter or None expected)")
            params[name] = None
        elif isinstance(value, Module):
            self._check_initialised("module", name)
            self._forget(name, keep=self._modules)
            self._modules[name] = value
        elif params is not None and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type_name(value)}' as child module "
                                f"'{name}' (Module or None expected)")
            self._modules[name] = None
        elif params is not None and name in self._buffers:
            self._buffers[name] = _as_buffer(name, value)
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str, keep: dict) -> None:
        """Remove ``name`` from the other registries before it goes into ``keep``
        (which keeps its position: replacing a layer does not reorder the model)."""
        self.__dict__.pop(name, None)
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not keep:
                registry.pop(name, None)
        self._non_persistent_buffers.discard(name)

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: look in the three registries.
        for registry in ("_parameters", "_buffers", "_modules"):
            d = self.__dict__.get(registry)
            if d is not None and name in d:
                return d[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))

    # ------------------------------------------------------------------
    # Walking the tree (all orders and names follow PyTorch)
    # ------------------------------------------------------------------
    def named_modules(self, prefix: str = "", remove_duplicate: bool = True
                      ) -> Iterator[tuple[str, "Module"]]:
        """``(dotted_name, module)`` for this module (name ``prefix``) and every descendant,
        parents before children; a module reachable twice is yielded once."""
        seen: set[int] = set()

        def walk(module: Module, name: str) -> Iterator[tuple[str, Module]]:
            if remove_duplicate:
                if id(module) in seen:
                    return
                seen.add(id(module))
            yield name, module
            for child_name, child in module._modules.items():
                if child is not None:
                    yield from walk(child, f"{name}.{child_name}" if name else child_name)
        yield from walk(self, prefix)

    def modules(self) -> Iterator["Module"]:
        """This module and every descendant."""
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        """The direct sub-modules with their attribute names."""
        seen: set[int] = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator["Module"]:
        for _, m in self.named_children():
            yield m

    def _named_members(self, registry: str, prefix: str, recurse: bool,
                       remove_duplicate: bool) -> Iterator[tuple[str, Tensor]]:
        modules = (self.named_modules(prefix, remove_duplicate) if recurse
                   else [(prefix, self)])
        seen: set[int] = set()
        for mod_name, module in modules:
            for name, t in getattr(module, registry).items():
                if t is None or (remove_duplicate and id(t) in seen):
                    continue
                seen.add(id(t))
                yield (f"{mod_name}.{name}" if mod_name else name), t

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """``(dotted_name, parameter)`` pairs, e.g. ``("0.weight", ...)``; a parameter
        shared by two layers is yielded once, under its first name."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter of the tree, once each: what you hand to an optimizer."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def num_parameters(self, trainable_only: bool = False) -> int:
        """Total number of parameter elements (shared parameters counted once)."""
        return sum(p.size for p in self.parameters() if p.requires_grad or not trainable_only)

    def apply(self, fn: Callable[["Module"], Any]) -> "Module":
        """Call ``fn(m)`` on every descendant, children first, then on self; returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------
    # Modes and gradients
    # ------------------------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        """Set training mode on this module and all descendants; returns self.

        Only layers whose behaviour differs care: Dropout drops only when training,
        BatchNorm uses batch statistics when training and running ones otherwise.
        """
        if not isinstance(mode, bool):
            raise TypeError(f"train(mode): mode must be a bool, got {type_name(mode)}")
        self.training = mode
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> "Module":
        """Evaluation mode: same as ``train(False)``; returns self."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        """Turn gradient tracking of every parameter on or off (e.g. to freeze layers)."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's ``.grad``: to None (default) or to zeros."""
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.array.fill(0)

    def _cast(self, dtype: type) -> "Module":
        """Convert floating-point parameters and buffers (and grads) to ``dtype`` in place."""
        for t in list(self.parameters()) + list(self.buffers()):
            if t.array.dtype.kind == "f" and t.array.dtype != dtype:
                t.array = t.array.astype(dtype)
                if t.grad is not None:
                    t.grad = Tensor._wrap(t.grad.array.astype(dtype))
                t._bump_version()  # a graph recorded with the old array is now stale
        return self

    def double(self) -> "Module":
        """Cast floating-point parameters and buffers to float64 (for gradient checks)."""
        return self._cast(np.float64)

    def float(self) -> "Module":
        """Cast floating-point parameters and buffers to float32."""
        return self._cast(np.float32)

    def to(self, *args: Any, **kwargs: Any) -> "Module":
        """PyTorch's ``model.to(device)`` / ``.to(dtype)`` / ``.to(device, dtype)``.

        tinynet runs on the CPU only, so ``"cpu"`` is accepted and any other device is an
        error; a float dtype (``"float32"``, ``np.float64``, ...) casts like ``float()``.
        """
        name = f"{self._get_name()}.to"
        for dtype in _to_dtypes(name, args, kwargs, {"device", "dtype", "non_blocking"}):
            if dtype.kind != "f" or dtype.itemsize not in (4, 8):
                raise ValueError(f"{name}: dtype must be float32 or float64, got {dtype}")
            self._cast(dtype.type)
        return self

    def _place(self, device: Any, dtype: Any) -> None:
        """A layer's ``device=`` and ``dtype=`` arguments, as in PyTorch: the device
        must be the CPU, and the dtype (float32 by default) float32 or float64."""
        name = self._get_name()
        if device is not None and str(device).split(":")[0] != "cpu":  # str or torch.device
            raise ValueError(f"{name}: device must be 'cpu' (tinynet runs on the CPU only), "
                             f"got {device!r}")
        if dtype is None:
            return
        try:
            dtypes = _to_dtypes(name, (), {"dtype": dtype}, {"dtype"})
        except ValueError:  # not a dtype at all (e.g. "foo", torch.bfloat16)
            dtypes = []
        if len(dtypes) != 1 or dtypes[0] not in (np.float32, np.float64):
            raise ValueError(f"{name}: dtype must be float32 or float64, got {dtype!r}")
        self._cast(dtypes[0].type)

    def cpu(self) -> "Module":
        """The model itself: tinynet's arrays are always in main memory."""
        return self

    def cuda(self, device: Any = None) -> "Module":
        """Refused: tinynet runs on the CPU only (as PyTorch without CUDA)."""
        raise DeviceError(f"{self._get_name()}.cuda(): {CPU_ONLY}; use model.to(device) "
                          f"with device = torch.device('cpu')")

    # ------------------------------------------------------------------
    # Saving and loading
    # ------------------------------------------------------------------
    def _state_tensors(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """What ``state_dict`` holds, in PyTorch's order: for each module its own
        parameters, then its persistent buffers, then each child's, recursively.
        (Unlike ``named_parameters``, a shared tensor appears under every name.)"""
        for name, p in self._parameters.items():
            if p is not None:
                yield prefix + name, p
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers:
                yield prefix + name, b
        for name, child in self._modules.items():
            if child is not None:
                yield from child._state_tensors(prefix + name + ".")

    def state_dict(self, *, prefix: str = "", keep_vars: bool = False
                   ) -> "OrderedDict[str, np.ndarray]":
        """Copies of every parameter and persistent buffer, keyed by dotted name.

        As in PyTorch, every key starts with ``prefix`` (e.g. ``"model."``), and
        ``keep_vars=True`` gives the Tensors themselves instead of copies.
        """
        if not isinstance(prefix, str):
            raise TypeError(f"state_dict: prefix must be a str, got {type_name(prefix)}")
        return OrderedDict((k, t if keep_vars else t.array.copy())
                           for k, t in self._state_tensors(prefix))

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True
                        ) -> _IncompatibleKeys:
        """Copy values (numpy arrays or Tensors) into the existing parameters and buffers.

        Everything is checked before anything is copied. With ``strict=True`` (the
        default) one RuntimeError names every missing key, every unexpected key and
        every shape mismatch; with ``strict=False`` the keys that do match are loaded
        and ``(missing_keys, unexpected_keys)`` is returned. A shape mismatch is always
        an error. Values are converted to each parameter's dtype; a value that would not
        survive the conversion (float64 1e300 -> float32 inf, 2**40 -> int32) is an error
        naming the key, where PyTorch would store inf silently. As in PyTorch, a
        BatchNorm's ``num_batches_tracked`` may be absent (checkpoints from before it
        existed): the current count is kept.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict: expected a dict of name -> array, "
                            f"got {type_name(state_dict)}")
        own = OrderedDict(self._state_tensors())
        optional = {f"{name}.{key}" if name else key
                    for name, m in self.named_modules(remove_duplicate=False)
                    for key in m._optional_state}
        missing = [k for k in own if k not in state_dict and k not in optional]
        unexpected = [k for k in state_dict if k not in own]

        errors, values = [], []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            try:
                arr = np.asarray(value.array if isinstance(value, Tensor) else value)
            except Exception as e:  # e.g. a torch tensor that still requires grad
                errors.append(f'could not convert the value of "{key}" to an array: {e}')
                continue
            if arr.dtype.kind not in "biuf":
                errors.append(f'the value of "{key}" is not numeric (dtype {arr.dtype})')
            elif arr.shape != target.shape:
                errors.append(f"size mismatch for {key}: copying a param with shape "
                              f"{arr.shape} from checkpoint, the shape in current model "
                              f"is {target.shape}.")
            else:
                problem = _overflow(arr, target.array.dtype)
                if problem:
                    errors.append(f'the value of "{key}" does not fit its dtype '
                                  f'{target.array.dtype}: {problem}')
                else:
                    values.append((target, arr))
        if strict and unexpected:
            errors.insert(0, "Unexpected key(s) in state_dict: "
                          + ", ".join(f'"{k}"' for k in unexpected) + ". ")
        if strict and missing:
            errors.insert(0, "Missing key(s) in state_dict: "
                          + ", ".join(f'"{k}"' for k in missing) + ". ")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {self._get_name()}:\n\t"
                               + "\n\t".join(errors))

        with no_grad():
            for target, arr in values:
                # copy into the existing array: optimizers and views keep seeing it
                np.copyto(target.array, arr, casting="unsafe")
                target._bump_version()
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------
    # Printing
    # ------------------------------------------------------------------
    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """The layer's settings shown inside its repr, e.g. ``in_features=784, ...``."""
        return ""

    def __repr__(self) -> str:
        # Same layout as PyTorch: one line if there are no children, else one per child.
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + _addindent(repr(m), 2)
                       for name, m in self._modules.items()]
        lines = extra_lines + child_lines
        body = ""
        if len(extra_lines) == 1 and not child_lines:
            body = extra_lines[0]
        elif lines:
            body = "\n  " + "\n  ".join(lines) + "\n"
        return f"{self._get_name()}({body})"


def _check_module(module: Any, where: str) -> None:
    """Raise a TypeError unless ``module`` is a Module instance (or None)."""
    if module is None or isinstance(module, Module):
        return
    if isinstance(module, type) and issubclass(module, Module):
        raise TypeError(f"{where}: got the class {module.__name__}, not an instance; "
                        f"did you mean {module.__name__}()?")
    raise TypeError(f"{where}: expected a Module, got {type_name(module)}")


def _as_buffer(name: str, value: Any) -> Optional[Tensor]:
    """Buffers are Tensors that do not require grad; a numpy array is wrapped (copied)."""
    if value is None or isinstance(value, Tensor):
        return value
    if isinstance(value, np.ndarray):
        return Tensor(value)
    raise TypeError(f"cannot assign '{type_name(value)}' as buffer '{name}' "
                    f"(Tensor, numpy array or None expected)")


def _check_input(layer: str, x: Any) -> None:
    """Layers take Tensors; say so clearly instead of failing deep inside numpy."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{layer}: expected a Tensor input, got {type_name(x)}; "
                        f"wrap arrays with tinynet.tensor(...)")
