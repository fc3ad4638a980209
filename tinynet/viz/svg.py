"""tinynet's own SVG of a drawn tape: used when Graphviz's ``dot`` is not installed.

Boxes come from :mod:`tinynet.viz.dot`'s styles (so both pictures look alike) and the
positions from :func:`tinynet.viz.layout.layered_layout`.  Text is monospace, so a
box's width follows from its longest line.  Each node is a ``<g class="node KIND"
id="op3">`` whose ``<title>`` is the hover text (every value and the gradient); each
edge is a ``<g class="edge">`` with a curve and an arrowhead.
"""
from __future__ import annotations

from html import escape
from typing import Any

from .dot import STYLES
from .layout import layered_layout

__all__ = ["draw_svg", "FONT"]

FONT = "Menlo, Consolas, 'DejaVu Sans Mono', 'Liberation Mono', monospace"
SIZE = 11.0          # font size, px
CHAR = 0.6 * SIZE    # a monospace character's width (0.6 em in these fonts)
LINE = 14.0          # line height
PAD_X, PAD_Y = 8.0, 5.0
ARROW = 7.0          # arrowhead length
COLOURS = {"title": "#000000", "meta": "#555555", "value": "#1a1a1a", "grad": "#8b1a1a"}


def _size(node: Any) -> tuple[float, float]:
    longest = max(len(text) for text, _ in node.lines)
    if node.kind == "number":
        return longest * CHAR + 2 * PAD_X, LINE + 2 * PAD_Y
    return longest * CHAR + 2 * PAD_X, len(node.lines) * LINE + 2 * PAD_Y


def _edge_path(pts: list) -> str:
    """Curves with vertical ends between an even point and the next, lines through dummies."""
    d = [f"M{pts[0][0]:.1f},{pts[0][1]:.1f}"]
    for k in range(len(pts) - 1):
        (x0, y0), (x1, y1) = pts[k], pts[k + 1]
        if k == len(pts) - 2:
            y1 -= ARROW  # stop at the arrowhead's base
        if k % 2 == 0:
            mid = (y0 + y1) / 2
            d.append(f"C{x0:.1f},{mid:.1f} {x1:.1f},{mid:.1f} {x1:.1f},{y1:.1f}")
        else:
            d.append(f"L{x1:.1f},{y1:.1f}")
    return " ".join(d)


def draw_svg(graph: Any) -> str:
    """SVG text for ``graph`` (a :class:`~tinynet.viz.graph.Graph`), laid out by tinynet."""
    sizes = {n.id: _size(n) for n in graph.nodes}
    lay = layered_layout([n.id for n in graph.nodes], sizes, graph.edges)
    w, h = lay.width, lay.height
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0f}" height="{h:.0f}" '
           f'viewBox="0 0 {w:.0f} {h:.0f}" font-family="{escape(FONT)}" '
           f'font-size="{SIZE:g}" class="tinynet-graph">',
           f"<!-- tinynet graph, laid out by tinynet: {escape(graph.title).replace('--', '- -')}"
           f" -->",
           f'<rect x="0" y="0" width="{w:.0f}" height="{h:.0f}" fill="#ffffff"/>',
           '<g class="edges">']
    for (a, b), pts in zip(graph.edges, lay.paths):
        tx, ty = pts[-1]
        out.append(f'<g class="edge" data-from="{a}" data-to="{b}">'
                   f'<path d="{_edge_path(pts)}" fill="none" stroke="#555555" '
                   f'stroke-width="1.1"/>'
                   f'<polygon points="{tx:.1f},{ty:.1f} {tx - 3.5:.1f},{ty - ARROW:.1f} '
                   f'{tx + 3.5:.1f},{ty - ARROW:.1f}" fill="#555555"/></g>')
    out.append("</g>")
    out.append('<g class="nodes">')
    for n in graph.nodes:
        fill, border, _ = STYLES[n.kind]
        bw, bh = sizes[n.id]
        cx, cy = lay.x[n.id], lay.y[n.id]
        left, top = cx - bw / 2, cy - bh / 2
        out.append(f'<g class="node {n.kind}" id="{escape(n.id)}" data-node="{escape(n.id)}">'
                   f"<title>{escape(n.details)}</title>")
        if n.kind != "number":
            rx = 7 if n.kind in ("leaf", "const") else 1.5
            stroke = 2.2 if n.kind == "output" else 1.0
            out.append(f'<rect x="{left:.1f}" y="{top:.1f}" width="{bw:.1f}" '
                       f'height="{bh:.1f}" rx="{rx}" fill="{fill}" stroke="{border}" '
                       f'stroke-width="{stroke}"/>')
        for k, (text, role) in enumerate(n.lines):
            y = top + PAD_Y + LINE * (k + 0.75)
            if k == 0:  # the title: centred, bold
                out.append(f'<text x="{cx:.1f}" y="{y:.1f}" text-anchor="middle" '
                           f'font-weight="bold" xml:space="preserve">{escape(text)}</text>')
            else:
                out.append(f'<text x="{left + PAD_X:.1f}" y="{y:.1f}" '
                           f'fill="{COLOURS[role]}" xml:space="preserve">{escape(text)}</text>')
        out.append("</g>")
    out.append("</g></svg>")
    return "\n".join(out)
