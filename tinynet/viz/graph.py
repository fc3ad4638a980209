"""The drawn tape: a :class:`Graph` of labelled nodes and edges, and its DOT source.

``graph_from_view(view)`` reads a :class:`~tinynet.tape_view.TapeView` once and keeps
only text: each node's label lines and hover details, the edges, the tape table as
HTML.  No Tensor or array is kept, so a drawing never holds a buffer alive.

Node ids are ``op<k>`` for the tape entry in row k and ``leaf<k>`` for the k-th leaf
(``view.leaves``); the DOT source, both SVGs and the tape table's rows use them.
There is one edge per input of every entry, from the node that made the input (an
entry or a leaf) to the entry that used it: ``a * a`` gives two edges.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from .._atomic import atomic_open
from ..preview import (fmt_number, full_text, grad_lines, is_small, norm, printable, stats,
                       value_lines)
from ..tape_html import tape_html
from ..tape_view import TapeView, fmt_shape
from .dot import dot_source, run_dot
from .page import page_html
from .svg import draw_svg

__all__ = ["GraphNode", "Graph", "graph_from_view"]

@dataclass(frozen=True)
class GraphNode:
    """One box of the picture.

    id: ``op<k>`` or ``leaf<k>``.
    kind: ``op`` (a tape entry), ``output`` (the last entry), ``leaf`` (a leaf that
        requires grad: a parameter or an input you differentiate), ``const`` (a leaf
        that does not) or ``number`` (a Python number used by an op).
    lines: the label, as (text, role) pairs; role is ``title``, ``meta``, ``value``
        or ``grad``.  The first line is the title.
    details: the hover text: inputs, every value and the gradient (up to the setting).
    """
    id: str
    kind: str
    lines: tuple[tuple[str, str], ...]
    details: str

    @property
    def label(self) -> str:
        return "\n".join(text for text, _ in self.lines)


class Graph(str):
    """A drawn tape.  It *is* its Graphviz DOT source (a ``str``), and it also:

    - shows as a picture in a notebook (``_repr_mimebundle_``: SVG and HTML);
    - ``.svg()`` draws it with Graphviz's ``dot`` when installed, else with tinynet's own
      layered layout (``engine="tinynet"`` forces that, ``"dot"`` requires Graphviz);
    - ``.save("g.svg" | "g.dot" | "g.html")`` writes the picture, the DOT source, or a
      self-contained page with the picture and the tape table (values on hover).

    ``nodes`` (:class:`GraphNode`) and ``edges`` (``(from_id, to_id)``) describe it.
    """

    title: str
    nodes: list[GraphNode]
    edges: list[tuple[str, str]]
    table: str
    summary: str

    def __new__(cls, title: str, nodes: list[GraphNode], edges: list[tuple[str, str]],
                table: str = "", summary: str = "") -> "Graph":
        self = super().__new__(cls, dot_source(title, nodes, edges))
        self.title, self.nodes, self.edges = title, list(nodes), list(edges)
        self.table, self.summary = table, summary
        self._own_svg: Optional[str] = None
        return self

    def __reduce__(self) -> tuple:  # copy and pickle rebuild from the parts, not the text
        return (Graph, (self.title, self.nodes, self.edges, self.table, self.summary))

    @property
    def source(self) -> str:
        """The DOT source as a plain ``str`` (as graphviz's ``Source.source``)."""
        return str.__str__(self)

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        n_ops = sum(n.kind in ("op", "output") for n in self.nodes)
        n_leaves, n_edges = len(self.nodes) - n_ops, len(self.edges)
        return (f"<tinynet Graph {self.title!r}: {n_ops} entr{'y' if n_ops == 1 else 'ies'}, "
                f"{n_leaves} lea{'f' if n_leaves == 1 else 'ves'}, "
                f"{n_edges} edge{'' if n_edges == 1 else 's'}; "
                f"str() is the DOT source, .save('g.svg') draws it>")

    # -- pictures ---------------------------------------------------------
    def svg(self, engine: str = "auto") -> str:
        """The picture as SVG text (see the class docstring for ``engine``)."""
        if engine not in ("auto", "dot", "tinynet"):
            raise ValueError(f"Graph.svg: engine must be 'auto', 'dot' or 'tinynet', "
                             f"got {engine!r}")
        exe = None if engine == "tinynet" else shutil.which("dot")
        if exe is None and engine == "dot":
            raise RuntimeError("Graph.svg(engine='dot'): the Graphviz `dot` program is not "
                               "on PATH; install Graphviz or use engine='tinynet'")
        if exe is not None:
            return run_dot(exe, self.source)
        if self._own_svg is None:
            self._own_svg = draw_svg(self)
        return self._own_svg

    def html(self, engine: str = "auto") -> str:
        """A self-contained HTML page: the picture, the tape table, values on hover."""
        return page_html(self, self.svg(engine))

    def save(self, path: str, engine: str = "auto") -> str:
        """Write ``path`` by its ending: ``.svg``, ``.dot`` (or ``.gv``) or ``.html``.

        The file appears complete or not at all.  Returns ``path``.
        """
        low = str(path).lower()
        if low.endswith(".svg"):
            text = self.svg(engine)
        elif low.endswith((".dot", ".gv")):
            text = self.source
        elif low.endswith((".html", ".htm")):
            text = self.html(engine)
        else:
            raise ValueError(f"Graph.save: expected a file name ending in .svg, .dot or "
                             f".html, got {path!r}")
        with atomic_open(path, "w") as f:
            f.write(text)
        return path

    # -- IPython's display protocol (nothing here imports IPython) ----------
    def _repr_svg_(self) -> str:
        return self.svg()

    def _repr_html_(self) -> str:
        return f'<div style="overflow:auto;max-width:100%">{self.svg()}</div>'

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        svg = self.svg()
        bundle = {"text/html": f'<div style="overflow:auto;max-width:100%">{svg}</div>',
                  "image/svg+xml": svg, "text/plain": repr(self)}
        return {k: v for k, v in bundle.items()
                if (include is None or k in include) and (exclude is None or k not in exclude)}


# ---------------------------------------------------------------- building
def _labelled(prefix: str, lines: list[str], role: str) -> list[tuple[str, str]]:
    """``value [1, 2,`` / ``       3]``: the first line prefixed, the rest indented."""
    pad = " " * len(prefix)
    return [((prefix if k == 0 else pad) + ln, role) for k, ln in enumerate(lines)]


def _data_lines(value: Optional[np.ndarray], grad: Optional[np.ndarray],
                max_elements: Optional[int]) -> list[tuple[str, str]]:
    """Small: ``value [..]`` and ``grad [..]``; large: ``min .. mean .. max ..``, ``|grad| ..``."""
    out: list[tuple[str, str]] = []
    if value is not None:
        vl = value_lines(value, max_elements)
        out += _labelled("value ", vl, "value") if is_small(value, max_elements) \
            else [(vl[0], "value")]
    if grad is not None:
        gl = grad_lines(grad, max_elements)
        out += _labelled("grad ", gl, "grad") if is_small(grad, max_elements) \
            else [(gl[0], "grad")]
    return out


def _detail(value: Optional[np.ndarray], grad: Optional[np.ndarray], grad_name: str) -> str:
    parts = []
    if value is not None:
        head = "value" + (f": {stats(value)}" if value.size > 1 else "")
        parts.append(f"{head}\n{full_text(value)}")
    else:
        parts.append("value: (the output was freed)")
    if grad is not None:
        head = f"{grad_name}" + (f": |grad| {fmt_number(norm(grad))}"
                                 if grad.size > 1 else "")
        parts.append(f"{head}\n{full_text(grad)}")
    return "\n\n".join(parts)


def graph_from_view(view: TapeView, title: str = "tape", show_data: bool = True,
                    max_elements: Optional[int] = None) -> Graph:
    """Read ``view`` into a :class:`Graph` (text only: no tensor is kept)."""
    nodes: list[GraphNode] = []
    edges: list[tuple[str, str]] = []
    leaf_id = {id(t): f"leaf{k}" for k, t in enumerate(view.leaves)}
    for k, t in enumerate(view.leaves):
        label = printable(view.label(t))  # one line, and nothing XML cannot hold
        if view.is_number(t):
            nodes.append(GraphNode(f"leaf{k}", "number", ((label, "title"),),
                                   f"{label}: a number the op used"))
            continue
        value = np.asarray(t)
        grad = view.leaf_grad(t) if t.requires_grad else None
        lines = [(label, "title"), (f"{fmt_shape(tuple(t.shape))} {value.dtype}", "meta")]
        if show_data:
            lines += _data_lines(value, grad, max_elements)
        elif grad is not None:
            lines.append((f"|grad| {fmt_number(norm(grad))}", "grad"))
        kind = "leaf" if t.requires_grad else "const"
        what = "a leaf that requires grad" if t.requires_grad else "a constant leaf (no grad)"
        details = (f"{label}: {what}\nshape {fmt_shape(tuple(t.shape))}, {value.dtype}\n\n"
                   + _detail(value, grad, "grad (.grad, summed over backwards)"))
        nodes.append(GraphNode(f"leaf{k}", kind, tuple(lines), details))
    last = len(view) - 1
    for i, node in enumerate(view):
        name = view.entry_name(node)
        name = printable(name) if name is not None else None
        head = f"#{i} {node.op}" + (f" ({name})" if name else "")
        meta = f"{fmt_shape(node.out_shape)} {node.out_dtype}"
        value, grad = view.value(node), view.grad(node)
        lines = [(head, "title"), (meta, "meta")]
        if show_data:
            lines += _data_lines(value, grad, max_elements)
        else:
            g = view.shown_grad(node)
            if g is not None:
                lines.append((f"|grad| {g:.4g}", "grad"))
        ins = ", ".join(printable(view.label(t)) for t in node.inputs)
        details = (f"{head}\ninputs: {ins}\noutput {meta}\n\n"
                   + _detail(value, grad, "grad dL/dout (last backward)"))
        nodes.append(GraphNode(f"op{i}", "output" if i == last else "op", tuple(lines),
                               details))
        for t in node.inputs:
            r = view.producer(t)
            src = f"op{r}" if r is not None else leaf_id.get(id(t))
            if src is not None:
                edges.append((src, f"op{i}"))
    out = view.output
    summary = (f"{len(view)} tape entries, {len(view.leaves)} leaves; output "
               f"{fmt_shape(tuple(out.shape))}"
               + (f" = {fmt_number(np.asarray(out).item())}" if np.asarray(out).size == 1
                  else ""))
    return Graph(title, nodes, edges, tape_html(view, titles=False), summary)
