"""``tinynet gradcheck``: check every op's and layer's backward against finite differences.

Prints one row per case (op, shapes tried, worst relative error, PASS/FAIL) and exits
with 1 if any case fails.  The catalogue is in ``tinynet/gradcheck_suite.py``.
"""
from __future__ import annotations

import argparse
import textwrap
import time

from ..gradcheck_suite import ATOL, EPS, RTOL, CaseResult, run_suite
from . import CLIError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "gradcheck", help="check every op's and layer's gradient against finite differences",
        description="Compare the tape's gradients with central finite differences (float64) "
                    "for every op and layer; exit 1 if any disagrees.")
    parser.add_argument("--only", metavar="TEXT", default=None,
                        help="run only the cases whose group or name contains TEXT "
                             "(e.g. conv2d, dropout, layers)")
    parser.set_defaults(func=run)


WIDTH = 100  # the table and its notes fit a 100-column terminal
CAPS = (12, 30, 32, 10, 6)  # widest each column may get; longer cells wrap onto more lines


def _rows(cells: tuple[str, ...], widths: list[int]) -> list[str]:
    """One table row; cells wider than their column wrap onto continuation lines."""
    parts = [textwrap.wrap(c, w) or [""] for c, w in zip(cells, widths)]
    lines = []
    for k in range(max(len(p) for p in parts)):
        line = [p[k] if k < len(p) else "" for p in parts]
        lines.append("  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip())
    return lines


def run(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    results: list[CaseResult] = run_suite(args.only)
    if not results:
        raise CLIError(f"gradcheck: no case matches --only {args.only!r}; try conv2d, "
                       f"pooling, dropout, batch_norm, loss, layers, tensor, reduce, shape")
    header = ("group", "op", "shapes tried", "rel. error", "result")
    rows = [(r.case.group, r.case.name, r.case.shapes, f"{r.rel_error:.1e}",
             "PASS" if r.passed else "FAIL") for r in results]
    widths = [min(cap, max(len(row[i]) for row in [header] + rows))
              for i, cap in enumerate(CAPS)]
    for row in [header] + rows:
        print("\n".join(_rows(row, widths)))
    failed = [r for r in results if not r.passed]
    print(f"\n{len(results) - len(failed)}/{len(results)} passed in "
          f"{time.perf_counter() - t0:.1f} s")
    print(f"method: central differences (eps {EPS:g}, float64) on every element;\n"
          f"pass if |backward - numeric| <= {ATOL:g} + {RTOL:g}*|numeric|;\n"
          f"rel. error = max |backward - numeric| / max(max |numeric|, max |backward|, "
          f"{ATOL:g}), worst leaf")
    for r in failed:
        print(textwrap.fill(f"FAIL {r.case.name}: {r.detail}", WIDTH, subsequent_indent="  ",
                            break_on_hyphens=False))
    return 1 if failed else 0
