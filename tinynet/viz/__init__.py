"""Draw the tape: a picture of every op, its values and its signed gradient.

``draw(loss, names=model)`` reads ``loss``'s tape into a :class:`Graph`: a box per tape
entry (row number, op, output shape and dtype, its values and the gradient dL/dout
that flowed through it in the last backward), a rounded box per leaf (blue if it
requires grad, grey if not; its values and its ``.grad``), and an arrow from each
input to the entry that used it.  Small tensors (up to ``options.max_elements``
elements) show every value, 4 significant digits; larger ones their min/mean/max and
the gradient's norm.  Micrograd's neuron::

    x1, w1 = tn.tensor(2.0, requires_grad=True), tn.tensor(-3.0, requires_grad=True)
    ...
    o = (x1 * w1 + x2 * w2 + b).tanh(); o.backward()
    draw(o, names=dict(x1=x1, w1=w1, x2=x2, w2=w2, b=b))   # x1: value 2, grad -1.5

The Graph shows as SVG in a notebook, ``str(graph)`` is its Graphviz DOT source, and
``graph.save("g.svg" | "g.dot" | "g.html")`` writes the picture, the source or a page
with the tape table.  The SVG comes from Graphviz's ``dot`` when it is installed, else
from tinynet's own layered layout (:mod:`tinynet.viz.layout`): no Graphviz needed.
"""
from __future__ import annotations

import shutil
from typing import Any, Optional

from .._atomic import atomic_open
from ..preview import options
from ..tape_view import TapeView
from ..tensor import Tensor
from .dot import run_dot
from .graph import Graph, GraphNode, graph_from_view
from .layout import layered_layout

__all__ = ["draw", "to_dot", "tape_to_dot", "render_svg", "Graph", "GraphNode", "options",
           "layered_layout"]


def draw(output: Tensor, names: Any = None, show_data: bool = True, title: str = "tape",
         max_elements: Optional[int] = None) -> Graph:
    """The :class:`Graph` of the tape that computed ``output``.

    ``names``: a Module or ``{name: tensor}`` dict to label leaves (as in ``Tensor.tape``);
    naming an intermediate tensor (``names={"n": n}``) labels its entry too.
    ``show_data``: values and signed gradients in every box (else shapes and ``|grad|``).
    ``max_elements``: show every value of tensors up to this size (default
    ``options.max_elements``, 16).  Call it after ``output.backward()`` to see gradients.
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"draw: expected a Tensor, got {type(output).__name__}")
    return graph_from_view(TapeView(output, names), title, show_data, max_elements)


def to_dot(output: Tensor, names: Any = None, title: str = "tape",
           show_data: bool = True) -> Graph:
    """The same :class:`Graph` as :func:`draw`: a ``str`` holding the DOT source."""
    return draw(output, names, show_data, title)


def tape_to_dot(view: TapeView, title: str = "tape", show_data: bool = True) -> Graph:
    """The :class:`Graph` of a :class:`~tinynet.tape_view.TapeView`."""
    return graph_from_view(view, title, show_data)


def render_svg(dot_text: str, path: str) -> bool:
    """Write ``path`` as SVG from DOT text with the ``dot`` program; False if it is not
    installed.  (``Graph.save("g.svg")`` draws without Graphviz.)"""
    exe = shutil.which("dot")
    if exe is None:
        return False
    svg = run_dot(exe, str(dot_text))
    with atomic_open(path, "w") as f:  # never half an .svg, even if interrupted
        f.write(svg)
    return True


def _tape_to_dot(self: TapeView, title: str = "tape", show_data: bool = True) -> Graph:
    """The tape drawn as a :class:`tinynet.viz.Graph` (its ``str`` is the DOT source)."""
    return graph_from_view(self, title, show_data)


TapeView.to_dot = _tape_to_dot  # the view itself does not import its drawing
