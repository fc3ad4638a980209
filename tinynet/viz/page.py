"""A self-contained HTML page of a drawn tape: the picture, the tape table, values on hover.

Everything is inline (styles, the SVG, a dozen lines of script): the page loads no
network resource and works from a file.  Hovering a box in the picture or a row of
the table shows that node's every value and its gradient in the side panel and
highlights both; without script, each box's tooltip says the same.  The markup is
well-formed XML as well as HTML.  Open ``page.html#op3`` to start on entry 3.
"""
from __future__ import annotations

from html import escape
from typing import Any

from .dot import STYLES

__all__ = ["page_html"]

_CSS = """
body { font-family: system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif;
       margin: 16px; color: #222; }
h1 { font-size: 19px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 18px 0 4px; }
p.summary { color: #444; font-size: 13px; margin: 0 0 6px; }
p.legend { font-size: 12px; color: #444; margin: 0 0 10px; }
p.legend span.key { display: inline-block; width: 14px; height: 10px; margin: 0 4px 0 12px;
                    vertical-align: middle; border: 1px solid #888; }
div.panel { position: sticky; top: 0; z-index: 1; background: #fafafa;
            border: 1px solid #ddd; padding: 6px 10px; margin: 0 0 10px;
            max-height: 30vh; overflow: auto; box-shadow: 0 2px 4px rgba(0, 0, 0, 0.08); }
div.panel h3 { font-size: 12px; color: #666; margin: 0 0 4px; font-weight: normal; }
div.detail { display: flex; flex-wrap: wrap; gap: 0.5em 2.5em; align-items: flex-start; }
div.detail pre { font: 11px Menlo, Consolas, 'DejaVu Sans Mono', monospace; margin: 0;
                 white-space: pre; }
div.graph { overflow-x: auto; border: 1px solid #ddd; }
div.graph svg { display: block; }
div.graph.fit svg { width: 100%; height: auto; }
button#fit { font-size: 12px; margin-left: 12px; }
g.node { cursor: pointer; }
g.node.hl rect, g.node.hl polygon, g.node.hl ellipse { stroke: #e69138; stroke-width: 3; }
tr.hl { background: #fff2cc; }
"""

# only DOM calls, no '<' or '&': the page stays well-formed XML without CDATA
_SCRIPT = """
(function () {
  var panel = document.getElementById('details');
  var graph = document.querySelector('div.graph');
  graph.querySelectorAll('g.node').forEach(function (g) {
    if (!g.hasAttribute('data-node')) { g.setAttribute('data-node', g.id); }
  });
  function show(id) {
    var d = document.getElementById('detail-' + id);
    if (!d) { return; }
    panel.innerHTML = d.innerHTML;
    document.querySelectorAll('.hl').forEach(function (e) { e.classList.remove('hl'); });
    document.querySelectorAll('[data-node="' + id + '"]').forEach(function (e) {
      e.classList.add('hl');
    });
  }
  document.querySelectorAll('[data-node]').forEach(function (e) {
    e.addEventListener('mouseenter', function () { show(e.getAttribute('data-node')); });
  });
  var fit = document.getElementById('fit');
  function setFit(on) {
    graph.classList.toggle('fit', on);
    fit.textContent = on ? 'actual size' : 'fit to window';
  }
  fit.addEventListener('click', function () { setFit(!graph.classList.contains('fit')); });
  // a picture a little too wide is shrunk to fit; a much wider one keeps readable text
  var svg = graph.querySelector('svg');
  var natural = svg ? svg.width.baseVal.value : 0;
  var room = graph.clientWidth;
  if (natural > room) { if (room >= 0.75 * natural) { setFit(true); } }
  show(location.hash ? location.hash.slice(1) : document.body.getAttribute('data-start'));
})();
"""

_KINDS = (("op", "op (tape entry)"), ("output", "output"),
          ("leaf", "leaf that requires grad"), ("const", "constant leaf"))


def _blocks(details: str) -> str:
    """A node's details side by side: what it is, its values, its gradient."""
    return "".join(f"<pre>{escape(block)}</pre>" for block in details.split("\n\n"))


def page_html(graph: Any, svg: str) -> str:
    """The page for ``graph`` with its picture ``svg`` (from ``graph.svg()``)."""
    start = next((n for n in graph.nodes if n.kind == "output"), None) or \
        (graph.nodes[0] if graph.nodes else None)
    legend = "".join(f'<span class="key" style="background:{STYLES[k][0]};'
                     f'border-color:{STYLES[k][1]}"></span>{escape(text)}'
                     for k, text in _KINDS)
    details = "\n".join(f'<div id="detail-{escape(n.id)}">{_blocks(n.details)}</div>'
                        for n in graph.nodes)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="generator" content="tinynet"/>
<title>tinynet: {escape(graph.title)}</title>
<style>{_CSS}</style>
</head>
<body data-start="{escape(start.id) if start else ''}">
<h1>{escape(graph.title)}</h1>
<p class="summary">{escape(graph.summary)}. Hover a box or a row of the table to see all
its values and its gradient; arrows run from each input to the op that used it.</p>
<p class="legend">{legend}<span style="margin-left:12px;color:#8b1a1a">grad</span>
= dL/d(output of the box), signed; |grad| its norm
<button id="fit" type="button">fit to window</button></p>
<div class="panel"><h3>values and gradient (hover a box or a row)</h3>
<div id="details" class="detail">{_blocks(start.details) if start else ''}</div></div>
<div class="graph">
{svg}
</div>
<h2>Tape</h2>
{graph.table}
<div hidden="hidden">
{details}
</div>
<script>{_SCRIPT}</script>
</body>
</html>
"""
