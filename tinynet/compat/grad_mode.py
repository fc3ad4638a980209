"""PyTorch's other ways to switch recording: ``set_grad_enabled``, ``inference_mode`` and
``@no_grad`` written without parentheses.  The switch itself is the core's ``no_grad``."""
from __future__ import annotations

import functools
import importlib
from typing import Any, Callable

from ..tensor import enable_grad, no_grad

_core = importlib.import_module("tinynet.tensor")  # the module: it holds the switch


class set_grad_enabled(no_grad):
    """``set_grad_enabled(False)`` turns recording off now (as a call), for a ``with``
    block, or for every call of a function it decorates."""

    def __init__(self, mode: bool) -> None:
        super().__init__()
        self.mode = bool(mode)
        self._before = _core._grad_enabled
        _core._grad_enabled = self.mode  # a plain call takes effect at once, as in PyTorch

    def __enter__(self) -> "set_grad_enabled":
        _core._grad_enabled = self.mode  # again: the same object may be entered twice
        return self

    def __exit__(self, *exc: Any) -> None:
        _core._grad_enabled = self._before

    def __call__(self, fn: Callable) -> Callable:
        _core._grad_enabled = self._before  # decorating is not a call: undo __init__
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):  # a fresh one per call: restores the caller's mode
                return fn(*args, **kwargs)
        return wrapper


def _bare_decorator(cls: type) -> None:
    """Let ``@cls`` be written without parentheses, as in PyTorch 2."""
    def __new__(c: type, *args: Any) -> Any:
        if c is cls and args:  # ``@no_grad`` on ``fn``: the same as ``@no_grad()``
            if len(args) > 1 or not callable(args[0]):
                raise TypeError(f"{c.__name__}() takes no arguments; write `with "
                                f"tinynet.{c.__name__}():` or use it as a decorator")
            return c()(args[0])
        return object.__new__(c)
    cls.__new__ = __new__  # type: ignore[assignment]


_bare_decorator(no_grad)
_bare_decorator(enable_grad)
inference_mode = no_grad  # PyTorch's faster no_grad; here the same thing
