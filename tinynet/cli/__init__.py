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


def _chosen_parser(parser: argparse.ArgumentParser,
                   args: argparse.Namespace) -> argparse.ArgumentParser:
    """The (sub)parser of the command that was named: ``tinynet explain dropout ...``
    -> the parser of ``explain dropout``."""
    while True:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        name = getattr(args, subs[0].dest, None) if subs else None
        if name not in (subs[0].choices if subs else {}):
            return parser
        parser = subs[0].choices[name]


def unknown_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace,
                      extras: Sequence[str]) -> str:
    """What to print for arguments no parser took: one line naming the first unknown flag
    (with the closest real flag, if one is close), then the command's usage line."""
    import difflib
    chosen = _chosen_parser(parser, args)
    flags = [f for f in extras if f.startswith("-") and len(f) > 1]
    if flags:
        given = flags[0].split("=", 1)[0]
        known = [o for a in chosen._actions for o in a.option_strings]
        close = difflib.get_close_matches(given, known, n=1, cutoff=0.6)
        line = f"unknown flag {given}" + (f"; did you mean {close[0]}?" if close else "")
    else:
        line = f"unexpected argument {extras[0]!r}"
    return f"{chosen.prog}: error: {line}\n{chosen.format_usage()}"


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__
    parser = _Parser(prog="tinynet", description="tinynet: a small, readable autodiff framework")
    parser.add_argument("--version", action="version", version=f"tinynet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        importlib.import_module(f".{name}", __name__).register(sub)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:  # at any moment, even while parsing: one line
        print("tinynet: interrupted", file=sys.stderr)
        return 130


def _main(argv: Optional[Sequence[str]]) -> int:
    from .._interrupt import restore_ctrl_c
    restore_ctrl_c()  # Ctrl-C is KeyboardInterrupt again: train saves its last epoch on it
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    if extras:  # a mistyped flag: say which, suggest the closest one, show the usage
        sys.stderr.write(unknown_arguments(parser, args, extras))
        return 2
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
    except OSError as e:  # the system said no (disk full, name too long, read-only, ...)
        from .._files import os_error_text
        print(f"tinynet: error: {os_error_text(e)}", file=sys.stderr)
        return 2
    except MemoryError:
        print("tinynet: error: out of memory; try a smaller --batch-size", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
