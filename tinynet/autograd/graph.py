"""Walking the tape as PyTorch does: ``grad_fn.name()`` and ``grad_fn.next_functions``.

A tape entry (:class:`tinynet.tensor.Node`) knows its input *tensors*; PyTorch's
``grad_fn`` knows the *entries* its gradient goes to next.  ``next_functions`` is that
view: one ``(entry, 0)`` per input, where the entry is

- the input's own tape entry (``input.grad_fn``), if an op made it;
- an :class:`AccumulateGrad` holding the input, if it is a leaf that requires grad
  (the place its gradient is added to ``.grad``);
- ``None`` for a constant.

The 0 is the output's index: a tinynet entry has one output.  Following
``next_functions`` from ``loss.grad_fn`` walks the whole backward graph::

    loss.grad_fn.name()                      # 'MulBackward0'
    loss.grad_fn.next_functions[0][0]        # the entry that made the first input
"""
from __future__ import annotations

import weakref
from typing import Optional, Union

from .._printing import backward_name
from ..tensor import Node, Tensor

__all__ = ["AccumulateGrad", "next_functions", "name", "function_class"]

# entries recorded by a custom Function: PyTorch names them "<ClassName>Backward"
_function_classes: "weakref.WeakKeyDictionary[Node, type]" = weakref.WeakKeyDictionary()
# one AccumulateGrad per leaf while someone holds it, as PyTorch (``a is b`` for one leaf)
_accumulators: "weakref.WeakValueDictionary[int, AccumulateGrad]" = \
    weakref.WeakValueDictionary()


class AccumulateGrad:
    """Where a leaf's gradient ends: added to ``variable.grad``.  Has no next functions."""

    next_functions: tuple = ()

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable

    def name(self) -> str:
        return "tinynet::autograd::AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad of a leaf {tuple(self.variable.shape)}>"


def _accumulator(leaf: Tensor) -> AccumulateGrad:
    acc = _accumulators.get(id(leaf))
    if acc is None or acc.variable is not leaf:
        acc = AccumulateGrad(leaf)
        _accumulators[id(leaf)] = acc
    return acc


def next_functions(node: Node) -> tuple:
    """``((entry or AccumulateGrad or None, 0), ...)``, one pair per input of ``node``."""
    out = []
    for t in node.inputs:
        if t._node is not None:
            out.append((t._node, 0))
        elif t.requires_grad:
            out.append((_accumulator(t), 0))
        else:
            out.append((None, 0))
    return tuple(out)


def function_class(node: Node) -> Optional[type]:
    """The :class:`tinynet.autograd.Function` subclass that recorded ``node``, if any."""
    return _function_classes.get(node)


def name(node: Node) -> str:
    """PyTorch's name for the entry's backward: ``MulBackward0``, ``MyFunctionBackward``."""
    cls = _function_classes.get(node)
    return f"{cls.__name__}Backward" if cls is not None else backward_name(node.op)


def _register_function_entry(node: Union[Node, None], cls: type) -> None:
    if node is not None:
        _function_classes[node] = cls


# attached here, not in tensor.py: the lesson's Node stays small
Node.next_functions = property(next_functions,  # type: ignore[attr-defined]
                               doc="((next entry or AccumulateGrad or None, 0), ...) per input")
Node.name = name  # type: ignore[attr-defined]
