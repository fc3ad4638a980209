"""Short text for a tensor's values and gradient, as the tape table and the graph show them.

A small tensor (up to ``options.max_elements`` elements, 16 by default) shows every
value, each to 4 significant digits as PyTorch prints them, the gradient with its sign::

    value_lines(np.array([2.0, -3.0]))   -> ['[2, -3]']
    grad_lines(np.array([-1.5, 1.0]))    -> ['[-1.5, 1]']

A larger one shows its range and, for the gradient, its L2 norm::

    value_lines(np.zeros((4, 8, 28, 28)))  -> ['min 0  mean 0  max 0']
    grad_lines(g)                           -> ['|grad| 0.07854']

:func:`full_text` is the longer text shown on hover: every value up to
``options.hover_elements`` elements (numpy's summary with ``...`` beyond).
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

__all__ = ["options", "fmt_number", "printable", "is_small", "value_lines", "grad_lines",
           "stats", "norm", "full_text"]


class PreviewOptions:
    """Settings for every preview: change them on ``tinynet.viz.options``.

    max_elements: tensors with at most this many elements show all their values.
    digits: significant digits of each number in a preview.
    hover_elements: the hover text shows every value up to this many elements.
    per_line: values per line of a 1-D preview (longer ones wrap).
    """

    def __init__(self) -> None:
        self.max_elements = 16
        self.digits = 4
        self.hover_elements = 1000
        self.per_line = 4

    def __repr__(self) -> str:
        return (f"PreviewOptions(max_elements={self.max_elements}, digits={self.digits}, "
                f"hover_elements={self.hover_elements}, per_line={self.per_line})")


options = PreviewOptions()


def fmt_number(v: Any, digits: Optional[int] = None) -> str:
    """One number: ``0.7071``, ``-1.5``, ``2``, ``1.235e+04``; ints and bools as they are."""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    v = float(v)
    if v == 0:
        return "0"  # never "-0": the sign of a zero gradient says nothing
    return f"{v:.{digits or options.digits}g}"


def printable(text: str) -> str:
    """``text`` with each unprintable character (newline, tab, control) as its escape, so a
    name stays on one line of a table or a box (and XML can hold it)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def norm(a: np.ndarray) -> float:
    """The L2 norm, summed in float64."""
    return float(np.sqrt(np.sum(np.square(np.asarray(a), dtype=np.float64))))


def stats(a: np.ndarray) -> str:
    """``min -1.2  mean 0.03  max 2.1`` (NaN and inf show as such)."""
    a = np.asarray(a)
    if a.size == 0:
        return "empty"
    if a.dtype == np.bool_:
        return f"{int(a.sum())} of {a.size} True"
    mean = np.mean(a, dtype=np.float64)
    return f"min {fmt_number(a.min())}  mean {fmt_number(mean)}  max {fmt_number(a.max())}"


def _nested(a: np.ndarray, per_line: int) -> list[str]:
    """All values of a small array, bracketed as numpy does, one line per last-axis row
    (a 1-D array wraps after ``per_line`` values)."""
    if a.ndim == 0:
        return [fmt_number(a.item())]
    if a.ndim == 1:
        cells = [fmt_number(v) for v in a.tolist()]
        rows = [", ".join(cells[i:i + per_line]) for i in range(0, len(cells), per_line)]
        if not rows:
            return ["[]"]
        lines = ["[" + rows[0]] + [" " + r for r in rows[1:]]
        lines = [ln + "," for ln in lines[:-1]] + [lines[-1]]
        lines[-1] += "]"
        return lines
    lines: list[str] = []
    for i, sub in enumerate(a):
        part = _nested(sub, max(per_line, sub.shape[-1]))  # a matrix keeps whole rows
        part = [("[" if i == 0 else " ") + part[0]] + [" " + ln for ln in part[1:]]
        part[-1] += "," if i < len(a) - 1 else "]"
        lines.extend(part)
    return lines or ["[]"]


def is_small(a: np.ndarray, max_elements: Optional[int] = None) -> bool:
    """Whether a preview shows every value of ``a`` (1 to ``max_elements`` elements)."""
    limit = options.max_elements if max_elements is None else max_elements
    return 0 < np.asarray(a).size <= limit


def value_lines(a: np.ndarray, max_elements: Optional[int] = None) -> list[str]:
    """Every value of a small array, else its min/mean/max (see the module docstring)."""
    a = np.asarray(a)
    return _nested(a, options.per_line) if is_small(a, max_elements) else [stats(a)]


def grad_lines(g: np.ndarray, max_elements: Optional[int] = None) -> list[str]:
    """Every signed gradient value of a small array, else ``|grad| <norm>``."""
    g = np.asarray(g)
    if is_small(g, max_elements):
        return _nested(g, options.per_line)
    return [f"|grad| {fmt_number(norm(g))}"]


def full_text(a: np.ndarray) -> str:
    """Every value up to ``options.hover_elements`` elements, then numpy's ``...`` summary."""
    a = np.asarray(a)
    if a.dtype.kind == "f" and a.size <= options.hover_elements:
        a = a + a.dtype.type(0)  # -0.0 + 0 = 0.0: a zero gradient shows as 0., not -0.
    text = np.array2string(a, precision=6, separator=", ", max_line_width=60,
                           threshold=options.hover_elements, edgeitems=3)
    if a.size > options.hover_elements:
        text += f"\n({a.size:,} values; first and last 3 along each axis shown)"
    return text
