"""Containers: Sequential (a chain of layers) and ModuleList (a list of layers).

Both register their members as sub-modules named ``"0"``, ``"1"``, ..., which is
where state_dict keys like ``"0.weight"`` come from.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterable, Iterator, Optional, Union

from .module import Module, _addindent, _check_module

__all__ = ["Sequential", "ModuleList"]


def _index(container: Module, idx: Any) -> int:
    """An int index (negative allowed) checked against the container's length."""
    if isinstance(idx, bool) or not isinstance(idx, int):
        raise TypeError(f"{container._get_name()} indices must be integers or slices, "
                        f"got {type(idx).__name__}")
    n = len(container._modules)
    if not -n <= idx < n:
        raise IndexError(f"index {idx} is out of range for {container._get_name()} "
                         f"of length {n}")
    return idx % n


class Sequential(Module):
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

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> "Sequential":
        """Add ``module`` at the end; returns self."""
        _check_module(module, "Sequential.append")
        self.add_module(str(len(self)), module)
        return self


class ModuleList(Module):
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

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> "ModuleList":
        """Add ``module`` at the end; returns self."""
        _check_module(module, "ModuleList.append")
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> "ModuleList":
        """Append every module of ``modules``; returns self."""
        if isinstance(modules, Module) and not isinstance(modules, (ModuleList, Sequential)):
            raise TypeError("ModuleList.extend expects an iterable of modules, got a single "
                            f"{modules._get_name()}; use append")
        try:
            items = list(modules)
        except TypeError:
            raise TypeError(f"ModuleList.extend expects an iterable of modules, "
                            f"got {type(modules).__name__}") from None
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
