"""The tape table as HTML: what ``loss.tape()`` shows in a notebook.

One row per entry with the text table's columns (``#, op, inputs, output, dtype,
|grad|``) plus a preview of the output's values and of the signed gradient dL/dout
(:mod:`tinynet.preview`); then one row per leaf with its values and its ``.grad``.
Hovering a value shows every value (the cell's ``title``).  Rows carry
``data-node="op3"`` / ``data-node="leaf0"``, the ids of the same nodes in
:func:`tinynet.viz.draw`'s picture, so a page can link the two.

Styles are inline (a notebook keeps them even where it drops ``<style>``), and the
markup is well-formed XML, so the page that embeds it is too.
"""
from __future__ import annotations

from html import escape
from typing import Any, Optional

import numpy as np

from .preview import full_text, grad_lines, is_small, printable, stats, value_lines

__all__ = ["tape_html"]

_TABLE = "border-collapse:collapse;font-size:12px;margin:4px 0"
_TH = "text-align:left;padding:3px 8px;border-bottom:1px solid #999;background:#f3f3f3"
_TD = "text-align:left;padding:3px 8px;border-bottom:1px solid #e3e3e3;vertical-align:top"
_NUM = _TD.replace("text-align:left", "text-align:right")
_PRE = _TD + ";white-space:pre;font-family:Menlo,Consolas,'DejaVu Sans Mono',monospace"
_GRAD = _PRE + ";color:#8b1a1a"


def _cell(text: str, style: str = _TD, title: Optional[str] = None) -> str:
    tip = f' title="{escape(title)}"' if title else ""
    return f'<td style="{style}"{tip}>{escape(text)}</td>'


def _hover(a: np.ndarray) -> str:
    """The title text of a value cell: shape, range and every value (up to the setting)."""
    head = f"shape {tuple(a.shape)}, {a.dtype}"
    if a.size > 1:
        head += f"; {stats(a)}"
    return head + "\n" + full_text(a)


def _values(a: Optional[np.ndarray], grad: bool = False,
            norm_shown: bool = False) -> tuple[str, Optional[str]]:
    """A cell's preview and hover text.  A large gradient shows its norm, or its range
    where the norm has a column of its own (``norm_shown``)."""
    if a is None:
        return ("-" if grad else "(freed)"), None
    if grad and norm_shown and not is_small(a):
        return stats(a), _hover(a)
    return "\n".join(grad_lines(a) if grad else value_lines(a)), _hover(a)


def tape_html(view: Any, titles: bool = True) -> str:
    """The :class:`~tinynet.tape_view.TapeView` ``view`` as an HTML fragment (a ``div``).

    ``titles=False`` leaves out the hover text of the value cells (a page that shows
    it elsewhere, as :mod:`tinynet.viz.page` does, need not carry it twice).
    """
    def values(a: Optional[np.ndarray], grad: bool = False,
               norm_shown: bool = False) -> tuple[str, Optional[str]]:
        text, tip = _values(a, grad, norm_shown)
        return text, (tip if titles else None)

    head = ["#", "op", "inputs", "output", "dtype", "|grad|", "value", "grad"]
    out = ['<div class="tinynet-tape">',
           f'<table style="{_TABLE}"><thead><tr>'
           + "".join(f'<th style="{_TH}">{escape(h)}</th>' for h in head)
           + "</tr></thead><tbody>"]
    for node, cells in zip(view.entries, view.rows()):
        i, op, ins, shape, dtype, gnorm = cells
        name = view.entry_name(node)
        name = printable(name) if name is not None else None
        value, value_tip = values(view.value(node))
        grad, grad_tip = values(view.grad(node), grad=True, norm_shown=True)
        out.append(f'<tr data-node="op{i}">' + _cell(i, _NUM)
                   + _cell(op + (f" ({name})" if name else "")) + _cell(ins) + _cell(shape)
                   + _cell(dtype) + _cell(gnorm, _NUM) + _cell(value, _PRE, value_tip)
                   + _cell(grad, _GRAD, grad_tip) + "</tr>")
    out.append("</tbody></table>")
    if view.leaves:
        out.append(f'<table style="{_TABLE}"><thead><tr>'
                   + "".join(f'<th style="{_TH}">{h}</th>'
                             for h in ("leaf", "shape", "dtype", "requires grad", "value",
                                       "grad (.grad)"))
                   + "</tr></thead><tbody>")
        for k, t in enumerate(view.leaves):
            value, value_tip = values(np.asarray(t))
            grad, grad_tip = values(view.leaf_grad(t), grad=True)
            out.append(f'<tr data-node="leaf{k}">' + _cell(printable(view.label(t)))
                       + _cell(str(tuple(t.shape))) + _cell(str(np.asarray(t).dtype))
                       + _cell("yes" if t.requires_grad else "no")
                       + _cell(value, _PRE, value_tip) + _cell(grad, _GRAD, grad_tip)
                       + "</tr>")
        out.append("</tbody></table>")
    hint = "hover a value for all of it" if titles else "hover a row for all its values"
    out.append(f'<p style="font-size:12px;color:#555;margin:2px 0">{escape(view.footer())}; '
               f'{hint}</p></div>')
    return "\n".join(out)
