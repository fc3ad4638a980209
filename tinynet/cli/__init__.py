"""The ``tinynet`` command line: one module per subcommand, each with ``register(subparsers)``.

A subcommand's ``register`` adds its parser and sets ``func=run`` where ``run(args) -> int``
returns the exit code.  Errors a user can cause raise :class:`CLIError`, which ``main``
prints as one line (``tinynet: error: ...``) with exit code 2.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Optional, Sequence

# subcommand modules, in the order ``tinynet --help`` lists them
COMMANDS = ["train", "compare_dropout", "evaluate", "explain", "graph", "gradcheck_cmd", "run"]


class CLIError(Exception):
    """A user error: printed as one line, exit code 2, nothing overwritten."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> "None":  # one line, exit 2 (argparse prints usage too)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__
    parser = _Parser(prog="tinynet", description="tinynet: a small, readable autodiff framework")
    parser.add_argument("--version", action="version", version=f"tinynet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        importlib.import_module(f".{name}", __name__).register(sub)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    import numpy as np

    from ..training import TrainingError  # data, checkpoint and loop errors: one line too

    try:
        # a diverging run overflows long before its loss is NaN; the NaN guard says so in
        # one line, so numpy's RuntimeWarnings would only be noise before it
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            code = int(args.func(args) or 0)
        sys.stdout.flush()  # a reader that went away shows here, not in a traceback at exit
        return code
    except (CLIError, TrainingError) as e:
        print(f"tinynet: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `tinynet gradcheck | head`: the reader stopped reading
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # quiet exit flush
        return 141  # 128 + SIGPIPE, what a shell reports for a writer whose pipe closed
    except KeyboardInterrupt:
        print("tinynet: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
