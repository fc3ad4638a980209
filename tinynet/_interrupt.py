"""Ctrl-C while the ``tinynet`` command is still starting: one line and exit code 130.

Importing numpy and tinynet takes a few tenths of a second, before the command line's
``main`` (which turns Ctrl-C into "tinynet: interrupted", exit 130) is even running;
Python's own handler would print a traceback of whatever import was under way.  So,
first thing when tinynet is imported *as the command* (the ``tinynet`` script or
``python -m tinynet``, never as a library), SIGINT gets a handler that says one line and
exits; ``main`` puts Python's handler back as soon as it can catch KeyboardInterrupt itself.
"""
from __future__ import annotations

import os
import signal
import sys

__all__ = ["quiet_ctrl_c_while_starting", "restore_ctrl_c"]


def _started_as_command() -> bool:
    argv0 = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    if argv0 in ("tinynet", "tinynet.exe", "tinynet-script.py"):
        return True
    orig = getattr(sys, "orig_argv", [])  # Python 3.10+: the interpreter's own argv
    # `python -m tinynet ...`: while the package imports, runpy has not replaced argv[0] yet
    return sys.argv[:1] == ["-m"] and any(
        a == "-m" and b.split(".")[0] == "tinynet" for a, b in zip(orig, orig[1:]))


def _interrupted(signum: int, frame: object) -> None:
    try:
        sys.stderr.write("tinynet: interrupted\n")
        sys.stderr.flush()
    finally:
        raise SystemExit(130)


def quiet_ctrl_c_while_starting() -> None:
    """Install the one-line handler if tinynet is starting as the command (and Ctrl-C has
    Python's default handler, i.e. it is not ignored)."""
    if _started_as_command() and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _interrupted)


def restore_ctrl_c() -> None:
    """Give SIGINT back to Python (KeyboardInterrupt) if the startup handler has it."""
    if signal.getsignal(signal.SIGINT) is _interrupted:
        signal.signal(signal.SIGINT, signal.default_int_handler)
