"""For gradient rules that compute with numpy arrays instead of Tensor ops.

Such a rule works for first derivatives; ``backward(create_graph=True)`` through it
says that it cannot be differentiated again.
"""
from __future__ import annotations

from typing import Callable

from ..tensor import BackwardFn, Tensor


def numpy_rule(backward: Callable) -> BackwardFn:
    """Let a gradient rule compute with numpy arrays: ``g`` arrives as an array and the
    results are wrapped.  Such an entry works for first derivatives only."""
    def rule(g: "Tensor") -> tuple:
        return tuple(None if r is None else Tensor._wrap(r) for r in backward(g.array))
    rule.numpy_only = True  # type: ignore[attr-defined]
    return rule
