"""Draw the tape as a graph: Graphviz DOT text, no graphviz package needed.

``to_dot(loss, names=model)`` gives a ``digraph``: a box per tape entry (row number,
op, output shape and dtype, and after a backward ``|grad|``, the norm of dL/dout
that flowed through it), an ellipse per leaf (parameters blue, data grey) and an
arrow from each input to the entry that used it.  Render it with the ``dot``
program (``dot -Tsvg graph.dot -o graph.svg``) or paste it into any Graphviz viewer.
"""
from __future__ import annotations

import shutil
import subprocess
from typing import Any, Optional

import numpy as np

from ._atomic import atomic_open
from .tape_view import TapeView, fmt_shape
from .tensor import Tensor

__all__ = ["to_dot", "tape_to_dot", "render_svg"]


def _q(text: str) -> str:
    """A DOT double-quoted string (\\n inside stays a line break)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _norm(a: Optional[np.ndarray]) -> Optional[float]:
    if a is None:
        return None
    return float(np.sqrt(np.sum(np.square(np.asarray(a), dtype=np.float64))))


def tape_to_dot(view: TapeView, title: str = "tape") -> str:
    """DOT text for a :class:`TapeView` (see :func:`to_dot`)."""
    lines = [f"digraph {_q(title)} {{",
             "  rankdir=TB;",
             '  node [fontname="Helvetica", fontsize=10];',
             '  edge [color="#555555"];']
    leaf_id: dict[int, str] = {}
    for k, t in enumerate(view.leaves):
        leaf_id[id(t)] = f"leaf{k}"
        label = view.label(t)
        if t.array.ndim == 0 and not t.requires_grad and label != "?":
            text, style = label, 'shape=plaintext'
        else:
            text = f"{label}\n{fmt_shape(t.shape)}"
            g = _norm(t.grad) if t.requires_grad else None
            if g is not None:
                text += f"\n|grad| {g:.4g}"
            color = "#cfe2f3" if t.requires_grad else "#eeeeee"
            style = f'shape=ellipse, style=filled, fillcolor="{color}"'
        lines.append(f"  leaf{k} [label={_q(text)}, {style}];")
    last = len(view) - 1
    for i, node in enumerate(view):
        text = f"#{i} {node.op}\n{fmt_shape(node.out_shape)} {node.out_dtype}"
        g = view.shown_grad(node)
        if g is not None:
            text += f"\n|grad| {g:.4g}"
        style = "shape=box" + (', style="bold,filled", fillcolor="#fce5cd"' if i == last else "")
        lines.append(f"  op{i} [label={_q(text)}, {style}];")
        for t in node.inputs:
            r = view.producer(t)
            src = f"op{r}" if r is not None else leaf_id.get(id(t))
            if src is not None:
                lines.append(f"  {src} -> op{i};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_dot(output: Tensor, names: Any = None, title: str = "tape") -> str:
    """Graphviz DOT text of the tape that computed ``output``.

    ``names``: a Module or ``{name: tensor}`` dict to label leaves (as in ``Tensor.tape``).
    Call it after ``output.backward()`` to see gradient norms on every node.
    """
    return tape_to_dot(TapeView(output, names), title)


def render_svg(dot_text: str, path: str) -> bool:
    """Write ``path`` as SVG with the ``dot`` program; False if it is not installed."""
    exe = shutil.which("dot")
    if exe is None:
        return False
    done = subprocess.run([exe, "-Tsvg"], input=dot_text.encode(), capture_output=True,
                          timeout=120)
    if done.returncode != 0:  # say what dot said, not only its exit status
        said = done.stderr.decode(errors="replace").strip().splitlines()
        raise RuntimeError(f"dot exited with status {done.returncode}"
                           + (f": {said[0]}" if said else ""))
    with atomic_open(path) as f:  # never half an .svg, even if interrupted
        f.write(done.stdout)
    return True
