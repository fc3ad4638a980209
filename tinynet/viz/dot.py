"""Graphviz DOT text for a drawn tape, and running the ``dot`` program on it.

The styles match tinynet's own SVG (:mod:`tinynet.viz.svg`), so a picture looks alike
whichever draws it: entries are boxes, the output's box is orange and bold, leaves
that require grad are blue rounded boxes, constants grey, numbers bare text.
"""
from __future__ import annotations

import subprocess
from typing import Any, Sequence

__all__ = ["STYLES", "dot_source", "dot_label", "run_dot", "quote"]

# per node kind: (fill, border colour, DOT shape and style)
STYLES = {
    "op": ("#ffffff", "#444444", 'shape=box, style="filled"'),
    "output": ("#fce5cd", "#b45f06", 'shape=box, style="filled,bold"'),
    "leaf": ("#cfe2f3", "#3d85c6", 'shape=box, style="rounded,filled"'),
    "const": ("#eeeeee", "#999999", 'shape=box, style="rounded,filled"'),
    "number": ("none", "none", "shape=plaintext"),
}


def quote(text: str) -> str:
    """A DOT double-quoted string (a newline becomes the ``\\n`` line break)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def dot_label(lines: Sequence[tuple[str, str]]) -> str:
    """The label as a DOT string: the title centred (``\\n``), the other lines flush left
    (``\\l``), as tinynet's own SVG sets them."""
    body = [quote(text)[1:-1] for text, _ in lines]
    if len(body) == 1:
        return f'"{body[0]}"'
    return '"' + body[0] + "\\n" + "".join(t + "\\l" for t in body[1:]) + '"'


def dot_source(title: str, nodes: Sequence[Any], edges: Sequence[tuple[str, str]]) -> str:
    """``digraph "title" {...}``: one statement per node (label first), one per edge."""
    lines = [f"digraph {quote(title)} {{",
             "  rankdir=TB; nodesep=0.3; ranksep=0.45;",
             '  node [fontname="Courier", fontsize=10, margin="0.12,0.06"];',
             '  edge [color="#555555", arrowsize=0.7];']
    for n in nodes:
        fill, border, style = STYLES[n.kind]
        tip = n.details if len(n.details) <= 4000 else n.details[:4000] + "\n..."
        colours = "" if n.kind == "number" else f', fillcolor="{fill}", color="{border}"'
        lines.append(f"  {n.id} [label={dot_label(n.lines)}, {style}{colours}, id={quote(n.id)}, "
                     f"class={quote(n.kind)}, tooltip={quote(tip)}];")
    for a, b in edges:
        lines.append(f"  {a} -> {b};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def run_dot(exe: str, source: str) -> str:
    """SVG text from ``dot -Tsvg``, starting at ``<svg`` (no XML prologue), for inlining."""
    done = subprocess.run([exe, "-Tsvg"], input=source.encode(), capture_output=True,
                          timeout=120)
    if done.returncode != 0:  # say what dot said, not only its exit status
        said = done.stderr.decode(errors="replace").strip().splitlines()
        raise RuntimeError(f"dot exited with status {done.returncode}"
                           + (f": {said[0]}" if said else ""))
    text = done.stdout.decode("utf-8", errors="replace")
    start = text.find("<svg")
    if start < 0:
        raise RuntimeError("dot wrote no <svg> element")
    return f"<!-- tinynet graph, drawn by Graphviz dot: {_comment(source)} -->\n" + text[start:]


def _comment(source: str) -> str:
    """The graph's title line, safe inside an XML comment."""
    return source.split("\n", 1)[0].replace("--", "- -")
