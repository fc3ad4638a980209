"""Containers: Sequential (a chain of layers) and ModuleList (a list of layers).

Both register their members as sub-modules named ``"0"``, ``"1"``, ..., which is
where state_dict keys like ``"0.weight"`` come from.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterable, Iterator, Optional, Union

import numpy as np

from .module import Module, _addindent, _check_module
from .._names import type_name

__all__ = ["Sequential", "ModuleList"]


def _index(container: Module, idx: Any) -> int:
    """An int index (negative allowed) checked against the container's length."""
    if isinstance(idx, bool) or not isinstance(idx, (int, np.integer)):
        raise TypeError(f"{container._get_name()} indices must be integers or slices, "
                        f"got {type_name(idx)}")
    idx = int(idx)  # a numpy integer (from np.arange, argmax...) works too, as in PyTorch
    n = len(container._modules)
    if not -n <= idx < n:
        raise IndexError(f"index {idx} is out of range for {container._get_name()} "
                         f"of length {n}")
    return idx % n


def _check_insert(container: Module, index: Any) -> int:
    """An insert position (negative allowed, ``len`` = at the end), as in ``list.insert``."""
    name = container._get_name()
    if isinstance(index, bool) or not isinstance(index, int):
        raise TypeError(f"{name}.insert: index must be an int, got {type_name(index)}")
    n = len(container._modules)
    if not -n <= index <= n:
        raise IndexError(f"{name}.insert: index {index} is out of range for length {n}")
    return index if index >= 0 else index + n


def _renumber(container: Module, modules: list) -> None:
    """Re-register ``modules`` as ``"0"``, ``"1"``, ... (after a delete or insert; as PyTorch)."""
    container._modules.clear()
    for i, module in enumerate(modules):
        container._modules[str(i)] = module


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: members named "0", "1", ... in order, and
    the list operations.  A delete or insert renumbers the members, as in PyTorch, so
    state_dict keys and later appends stay consistent."""

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __delitem__(self, idx: Union[int, slice]) -> None:
        """``del c[i]`` / ``del c[i:j]``; the rest are renumbered."""
        values = list(self._modules.values())
        del values[idx if isinstance(idx, slice) else _index(self, idx)]
        _renumber(self, values)

    def append(self, module: Module) -> Any:
        """Add ``module`` at the end; returns self."""
        _check_module(module, f"{self._get_name()}.append")
        self.add_module(str(len(self)), module)
        return self

    def insert(self, index: int, module: Module) -> Any:
        """Put ``module`` before position ``index`` (as ``list.insert``); returns self."""
        _check_module(module, f"{self._get_name()}.insert")
        values = list(self._modules.values())
        values.insert(_check_insert(self, index), module)
        _renumber(self, values)
        return self

    def pop(self, key: Union[int, slice]) -> Any:
        """Remove and return ``self[key]``."""
        value = self[key]
        del self[key]
        return value


class Sequential(_ModuleSequence):
    """Run modules one after another: ``Sequential(a, b, c)(x) == c(b(a(x)))``.

    Build it from modules (named ``"0"``, ``"1"``, ...) or from one OrderedDict
    of name -> module.
    """

    def __init__(self, *args: Module) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(args):
                _check_module(module, f"Sequential: argument {i}")
                self.add_module(str(i), module)

    def forward(self, input: Any) -> Any:
        for module in self:
            input = module(input)
        return input

    def __getitem__(self, idx: Union[int, slice]) -> Union[Module, "Sequential"]:
        if isinstance(idx, slice):
            return Sequential(OrderedDict(list(self._modules.items())[idx]))
        return list(self._modules.values())[_index(self, idx)]

    def __setitem__(self, idx: int, module: Module) -> None:
        key = list(self._modules)[_index(self, idx)]
        _check_module(module, f"Sequential[{idx}] = ...")
        setattr(self, key, module)

    def __add__(self, other: "Sequential") -> "Sequential":
        if not isinstance(other, Sequential):
            raise ValueError(f"add operator supports only objects of Sequential class, "
                             f"but {type_name(other)} is given")
        return Sequential(*self, *other)

    def extend(self, sequential: Iterable[Module]) -> "Sequential":
        """Append every module of ``sequential``; returns self."""
        for module in list(sequential):
            self.append(module)
        return self


class ModuleList(_ModuleSequence):
    """A list of modules whose parameters are registered (a plain Python list's are not).

    It has no ``forward``: iterate over it in your own module's ``forward``.
    """

    def __init__(self, modules: Optional[Iterable[Module]] = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx: Union[int, slice]) -> Union[Module, "ModuleList"]:
        if isinstance(idx, slice):
            return ModuleList(list(self._modules.values())[idx])
        return self._modules[str(_index(self, idx))]

    def __setitem__(self, idx: int, module: Module) -> None:
        _check_module(module, f"ModuleList[{idx}] = ...")
        setattr(self, str(_index(self, idx)), module)

    def __iadd__(self, modules: Iterable[Module]) -> "ModuleList":
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> "ModuleList":
        return ModuleList(list(self)).extend(other)

    def extend(self, modules: Iterable[Module]) -> "ModuleList":
        """Append every module of ``modules``; returns self."""
        if isinstance(modules, Module) and not isinstance(modules, (ModuleList, Sequential)):
            raise TypeError("ModuleList.extend expects an iterable of modules, got a single "
                            f"{modules._get_name()}; use append")
        try:
            items = list(modules)
        except TypeError:
            raise TypeError(f"ModuleList.extend expects an iterable of modules, "
                            f"got {type_name(modules)}") from None
        for module in items:
            self.append(module)
        return self

    def __repr__(self) -> str:
        # PyTorch compresses runs of identical children: "(0-2): 3 x Linear(...)".
        reprs = [repr(m) for m in self]
        if not reprs:
            return self._get_name() + "()"
        lines, start = [], 0
        while start < len(reprs):
            end = start
            while end + 1 < len(reprs) and reprs[end + 1] == reprs[start]:
                end += 1
            text = (f"({start}): {reprs[start]}" if end == start
                    else f"({start}-{end}): {end - start + 1} x {reprs[start]}")
            lines.append(_addindent(text, 2))
            start = end + 1
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"
