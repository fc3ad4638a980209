"""A readable tape: the entries an output was computed from, as a table.

``loss.tape()`` returns a :class:`TapeView`: a list of the tape entries (:class:`Node`)
this output depends on, oldest first, which prints as one row per entry::

    #  op      inputs                     output  dtype    |grad|
    0  matmul  x (4, 3), fc.weight (3, 2)  (4, 2)  float32  0.5
    1  ...

Rows are numbered 0, 1, 2 ... in ticket order (an entry's ``.seq`` is its global
ticket; the row number is its rank on this tape).  An input made by another entry
shows as ``#k``; a leaf shows by name: a parameter's name from ``named_parameters()``
when you pass ``names=model``, any name you give in a dict, else ``x0, x1 ...`` for
leaves that require grad and ``c0, c1 ...`` for those that don't (a Python number
shows as its value).  After a backward, ``|grad|`` is the L2 norm of ``dL/dout`` that
flowed through the entry (``Node.grad``); before it, ``-``.  Only the gradients of the
last backward that went through this tape's output are shown: an entry shared with
another loss, whose ``Node.grad`` now holds that loss's gradient, shows ``-``.

In a notebook the view shows as an HTML table (:mod:`tinynet.tape_html`) with the same
columns plus each entry's values and signed gradient (:mod:`tinynet.preview`), and a
table of the leaves.  Values are read through ``Node.output()``, a weak reference: the
view adds no buffer to what the tape already holds.

This module gives every Tensor its ``.tape()`` method (at the bottom).
"""
from __future__ import annotations

from typing import Any, Iterator, Mapping, Optional, Union

import numpy as np

from .tensor import Node, Tensor, _collect
from ._names import type_name
from .preview import printable
from .tape_html import tape_html

__all__ = ["TapeView", "resolve_names", "fmt_shape"]

Names = Union[None, Mapping[Any, Any], Any]  # a Module, {name: tensor} or {id(tensor): name}


def fmt_shape(shape: tuple[int, ...]) -> str:
    """``(64, 1, 28, 28)``; a 1-D shape is ``(10,)``, a scalar ``()``."""
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def resolve_names(names: Names) -> dict[int, str]:
    """Turn ``names`` into ``{id(tensor): name}``.

    Accepts None, a Module (its ``named_parameters()`` and ``named_buffers()``), a dict
    ``{name: tensor}`` (e.g. ``dict(model.named_parameters(), input=x)``) or a dict
    ``{id(tensor): name}``.
    """
    if names is None:
        return {}
    if hasattr(names, "named_parameters") and callable(names.named_parameters):
        out = {id(p): n for n, p in names.named_parameters()}
        if hasattr(names, "named_buffers"):
            out.update({id(b): n for n, b in names.named_buffers() if isinstance(b, Tensor)})
        return out
    if isinstance(names, Mapping):
        out = {}
        for k, v in names.items():
            if isinstance(k, str) and isinstance(v, Tensor):
                out[id(v)] = k
            elif isinstance(k, int) and isinstance(v, str):
                out[k] = v
            else:
                raise TypeError(f"tape(names=...): expected {{name: Tensor}} or "
                                f"{{id(tensor): name}} items, got {k!r}: {type_name(v)}")
        return out
    raise TypeError(f"tape(names=...): expected a Module or a dict, got {type_name(names)}")


class TapeView:
    """The tape entries ``output`` depends on, oldest first (a read-only list of Nodes).

    ``len(view)``, ``view[i]`` and ``for node in view`` work as on a list; ``str(view)``
    is the table.  ``view.label(t)`` is how a tensor is shown in it (``#3``, a name).
    """

    def __init__(self, output: Tensor, names: Names = None) -> None:
        if not isinstance(output, Tensor):
            raise TypeError(f"TapeView: expected a Tensor, got {type_name(output)}")
        self.output = output
        self.entries: list[Node] = _collect([output._node]) if output._node is not None else []
        self._row = {id(n): i for i, n in enumerate(self.entries)}
        given = resolve_names(names)
        # an entry whose output you named (names={"n": n}) shows that name in the graph
        self._entry_names: dict[int, str] = {}
        for node in self.entries:
            out = node.output()
            if out is not None and id(out) in given:
                self._entry_names[id(node)] = given[id(out)]
        # leaves are named in order of first use, so the names are stable for a given program
        self._leaf_names: dict[int, str] = {}
        self.leaves: list[Tensor] = []
        counters = {"x": 0, "c": 0}
        taken = set(given.values())  # an automatic name never repeats one you gave
        for node in self.entries:
            for t in node.inputs:
                if t._node is not None or id(t) in self._leaf_names:
                    continue
                if id(t) in given:
                    name = given[id(t)]
                elif t.array.ndim == 0 and not t.requires_grad:
                    name = _scalar(t.array)
                else:
                    kind = "x" if t.requires_grad else "c"
                    while f"{kind}{counters[kind]}" in taken:
                        counters[kind] += 1
                    name = f"{kind}{counters[kind]}"
                    counters[kind] += 1
                self._leaf_names[id(t)] = name
                self.leaves.append(t)
        if output._node is None:  # a leaf output: a tape with no entries, one leaf
            self._leaf_names[id(output)] = given.get(id(output), "x0" if output.requires_grad
                                                     else "c0")
            self.leaves.append(output)

    # -- list behaviour -------------------------------------------------
    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[Node]:
        return iter(self.entries)

    def __getitem__(self, i: Any) -> Any:
        return self.entries[i]

    # -- labels ---------------------------------------------------------
    def row(self, node: Node) -> int:
        """The row number of ``node`` on this tape."""
        return self._row[id(node)]

    def producer(self, t: Tensor) -> Optional[int]:
        """The row of the entry that made ``t``, or None for a leaf."""
        return self._row.get(id(t._node)) if t._node is not None else None

    def label(self, t: Tensor) -> str:
        """``#k`` for a tensor made by entry k, else the leaf's name."""
        if t._node is not None and id(t._node) in self._row:
            return f"#{self._row[id(t._node)]}"
        return self._leaf_names.get(id(t), "?")

    def is_number(self, t: Tensor) -> bool:
        """Whether leaf ``t`` is a number an op used (``2`` in ``x ** 2``), shown by value."""
        return t._node is None and t.array.ndim == 0 and not t.requires_grad \
            and self.label(t) == _scalar(t.array)

    def entry_name(self, node: Node) -> Optional[str]:
        """The name you gave ``node``'s output in ``names``, if any."""
        return self._entry_names.get(id(node))

    @staticmethod
    def grad_norm(node: Node) -> Optional[float]:
        """L2 norm of the dL/dout that flowed through ``node`` in the last backward."""
        if node.grad is None:
            return None
        return float(np.sqrt(np.sum(np.square(np.asarray(node.grad), dtype=np.float64))))

    @property
    def _pass(self) -> int:
        """The backward this view shows: the last one that reached the output itself."""
        return self.output._node.grad_pass if self.output._node is not None else 0

    def shown_grad(self, node: Node) -> Optional[float]:
        """:meth:`grad_norm` if ``node.grad`` is from the backward this view shows, else None."""
        if not self._pass or node.grad_pass != self._pass:
            return None
        return self.grad_norm(node)

    # -- values and gradients ---------------------------------------------
    @staticmethod
    def value(node: Node) -> Optional[np.ndarray]:
        """The entry's output values (no copy), or None once the output was freed."""
        out = node.output()
        return None if out is None else np.asarray(out)

    def grad(self, node: Node) -> Optional[np.ndarray]:
        """dL/dout of the backward this view shows (signed, no copy), else None."""
        if not self._pass or node.grad_pass != self._pass or node.grad is None:
            return None
        return np.asarray(node.grad)

    @staticmethod
    def leaf_grad(t: Tensor) -> Optional[np.ndarray]:
        """A leaf's own ``.grad`` (what backward accumulated into it), or None."""
        return None if t.grad is None else np.asarray(t.grad)

    # -- the table --------------------------------------------------------
    def rows(self) -> list[tuple[str, str, str, str, str, str]]:
        """The table's cells, one tuple per entry: (#, op, inputs, output, dtype, |grad|)."""
        out = []
        for i, node in enumerate(self.entries):
            ins = ", ".join(self._input_cell(t) for t in node.inputs)
            g = self.shown_grad(node)
            out.append((str(i), node.op, ins, fmt_shape(node.out_shape), str(node.out_dtype),
                        "-" if g is None else f"{g:.4g}"))
        return out

    def _input_cell(self, t: Tensor) -> str:
        lab = printable(self.label(t))  # a newline or tab in a name would break the row
        if self.is_number(t):
            return lab  # a number: its value says it all
        return f"{lab} {fmt_shape(t.shape)}"

    def __str__(self) -> str:
        header = ("#", "op", "inputs", "output", "dtype", "|grad|")
        body = self.rows()
        if not body:
            return f"(empty tape: the output {fmt_shape(self.output.shape)} is a leaf, " \
                   f"made by no recorded op)"
        widths = [max(len(r[c]) for r in [header] + body) for c in range(len(header))]
        right = {0, 5}  # numbers align right

        def line(cells: tuple) -> str:
            parts = [c.rjust(w) if k in right else c.ljust(w)
                     for k, (c, w) in enumerate(zip(cells, widths))]
            return "  ".join(parts).rstrip()

        lines = [line(header)] + [line(r) for r in body] + [self.footer()]
        return "\n".join(lines)

    def footer(self) -> str:
        """The table's last line: ``12 entries, 9 leaves; |grad| = ...``."""
        n, k = len(self.entries), len(self.leaves)
        return (f"{n} entr{'y' if n == 1 else 'ies'}, {k} lea{'f' if k == 1 else 'ves'}"
                + ("; |grad| = norm of dL/dout from the last backward" if self._pass
                   else "; no backward yet"))

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        """The table as HTML, for notebooks (IPython calls this; nothing imports IPython)."""
        return tape_html(self)


def _scalar(a: np.ndarray) -> str:
    v = a.item()
    return f"{v:g}" if isinstance(v, float) else str(v)


def tape(self: Tensor, names: Names = None) -> TapeView:
    """The recorded entries of this output, oldest first, printable as a table.

    ``names`` labels leaves: a Module (its parameter names), or a dict such as
    ``dict(model.named_parameters(), input=x)``.  See :mod:`tinynet.tape_view`.
    """
    return TapeView(self, names)


Tensor.tape = tape  # type: ignore[attr-defined]  # tensor.py holds no display code
