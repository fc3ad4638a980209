"""``tinynet gradcheck``: check every op's and layer's backward against finite differences.

Prints one row per case (op, shapes tried, worst relative error, PASS/FAIL) and exits
with 1 if any case fails.  ``--second-order`` adds the second derivatives (the gradient
of the recorded backward pass, as ``gradgradcheck``); an op whose rule computes
with numpy shows as "numpy rule" (first-order only), not as a failure.  The catalogue is
in ``tinynet/gradcheck_suite.py``.
"""
from __future__ import annotations

import argparse
import textwrap
import time

from ..gradcheck_suite import ATOL, EPS, NUMPY_RULE, RTOL, CaseResult, run_suite
from . import CLIError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "gradcheck", help="check every op's and layer's gradient against finite differences",
        description="Compare the tape's gradients with central finite differences (float64) "
                    "for every op and layer; exit 1 if any disagrees.")
    parser.add_argument("--only", metavar="TEXT", default=None,
                        help="run only the cases whose group or name contains TEXT "
                             "(e.g. conv2d, dropout, layers)")
    parser.add_argument("--second-order", action="store_true",
                        help="also check second derivatives: the gradient of the recorded "
                             "backward pass (backward(create_graph=True)) against finite "
                             "differences of the first derivatives")
    parser.set_defaults(func=run)


WIDTH = 100  # the table and its notes fit a 100-column terminal
CAPS = (12, 30, 32, 10, 6)  # widest each column may get; longer cells wrap onto more lines
CAPS_SECOND = (11, 20, 22, 10, 6, 9, 10)  # with --second-order's two columns


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
    second = getattr(args, "second_order", False)
    results: list[CaseResult] = (run_suite(args.only, second_order=True) if second
                                 else run_suite(args.only))
    if not results:
        raise CLIError(f"gradcheck: no case matches --only {args.only!r}; try conv2d, "
                       f"pooling, dropout, batch_norm, loss, layers, tensor, reduce, shape")
    header = ("group", "op", "shapes tried", "rel. error", "result")
    rows = [(r.case.group, r.case.name, r.case.shapes, f"{r.rel_error:.1e}",
             "PASS" if r.passed else "FAIL") for r in results]
    caps = CAPS
    if second:
        header += ("2nd error", "2nd order")
        rows = [row + (("-" if r.second.status == NUMPY_RULE else f"{r.second.rel_error:.1e}"),
                       r.second.status) for row, r in zip(rows, results)]
        caps = CAPS_SECOND
    widths = [min(cap, max(len(row[i]) for row in [header] + rows))
              for i, cap in enumerate(caps)]
    for row in [header] + rows:
        print("\n".join(_rows(row, widths)))
    failed = [r for r in results if not r.passed]
    print(f"\n{len(results) - len(failed)}/{len(results)} passed in "
          f"{time.perf_counter() - t0:.1f} s")
    failed2 = [r for r in results if second and r.second.status == "FAIL"]
    if second:
        numpy_cases = [r for r in results if r.second.status == NUMPY_RULE]
        numpy_ops = sorted({op for r in numpy_cases for op in r.second.numpy_ops})
        print(textwrap.fill(
            f"second order: {sum(r.second.status == 'PASS' for r in results)} passed, "
            f"{len(failed2)} failed, {len(numpy_cases)} through a numpy rule "
            f"(first-order only, not checked)"
            + (f": {', '.join(numpy_ops)}" if numpy_ops else ""), WIDTH,
            subsequent_indent="  ", break_on_hyphens=False))
    print(f"method: central differences (eps {EPS:g}, float64) on every element;\n"
          f"pass if |backward - numeric| <= {ATOL:g} + {RTOL:g}*|numeric|;\n"
          f"rel. error = max |backward - numeric| / max(max |numeric|, max |backward|, "
          f"{ATOL:g}), worst leaf"
          + (";\n2nd order: the same for the gradient of the recorded first derivatives"
             if second else ""))
    for label, r, detail in ([("FAIL", r, r.detail) for r in failed]
                             + [("FAIL (2nd order)", r, r.second.detail) for r in failed2]):
        print(textwrap.fill(f"{label} {r.case.name}: {detail}", WIDTH, subsequent_indent="  ",
                            break_on_hyphens=False))
    return 1 if failed or failed2 else 0
