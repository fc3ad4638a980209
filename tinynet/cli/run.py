"""``tinynet run SCRIPT.py [ARGS...]``: run a PyTorch script with ``import torch`` giving tinynet.

    tinynet run examples/mnist/main.py --epochs 1

The script runs in this process as ``python SCRIPT.py ARGS...`` would run it: as
``__main__``, with ``sys.argv`` = ``[SCRIPT.py, ARGS...]`` and its folder first on
``sys.path``; ``torch`` and ``torchvision`` resolve to tinynet
(:mod:`tinynet.compat.torch_import`).  One line on stderr says so.

Exit codes: the script's own (``sys.exit``), 0 when it ends normally, 1 with the
traceback (from the script's frames on) when it raises, and 2 with one line when it reaches
for something tinynet does not have -- a module or attribute of torch, a GPU -- or for data
that is not there.
"""
from __future__ import annotations

import argparse
import os
import re
import runpy
import sys
import traceback
from pathlib import Path
from types import TracebackType
from typing import Optional

from . import CLIError

_PACKAGE = Path(__file__).resolve().parent.parent  # tinynet/


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run", help="run a PyTorch script on tinynet (`import torch` gives tinynet)",
        description="Run a PyTorch script unchanged, with torch, its submodules and a "
                    "torchvision subset (MNIST, FashionMNIST, ToTensor, Normalize, Compose, "
                    "Lambda) resolved to tinynet. Arguments after SCRIPT.py go to the script.")
    parser.add_argument("script", metavar="SCRIPT.py", help="the PyTorch script")
    parser.add_argument("script_args", nargs=argparse.REMAINDER, metavar="ARGS",
                        help="the script's own arguments")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .. import __version__
    path = Path(args.script)
    if not path.is_file():
        raise CLIError(f"run: no such script: {args.script}")
    print(f"tinynet run: `import torch` gives tinynet {__version__} (CPU, numpy); torchvision: "
          f"MNIST, FashionMNIST, ToTensor, Normalize, Compose, Lambda", file=sys.stderr)
    return run_script(path, list(args.script_args))


def run_script(path: Path, argv: list[str]) -> int:
    """Run ``path`` as ``__main__`` with torch resolved to tinynet; returns the exit code."""
    from ..compat.torch_import import torch_as_tinynet

    saved_argv, saved_path = sys.argv[:], sys.path[:]
    sys.argv = [str(path)] + argv
    sys.path.insert(0, str(path.resolve().parent))
    try:
        with torch_as_tinynet():
            runpy.run_path(str(path), run_name="__main__")
        return 0
    except SystemExit as e:  # the script's sys.exit / argparse
        if e.code is None or isinstance(e.code, int):
            return e.code or 0
        print(e.code, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # noqa: B036 -- reported like Python would, or in one line
        line = unsupported(e)
        if line is not None:
            print(f"tinynet run: {_where(e.__traceback__, path)}{line}", file=sys.stderr)
            return 2
        _print_from_script(e, path)
        return 1
    finally:
        sys.argv[:], sys.path[:] = saved_argv, saved_path


def unsupported(e: BaseException) -> Optional[str]:
    """The one-line message for an error that means "tinynet does not have this" (a torch
    module or attribute, a GPU, missing data); None for any other error."""
    from ..compat.device import CPU_ONLY
    from ..compat.torch_import import TorchFeatureMissing
    from ..data.idx import DatasetError

    if isinstance(e, TorchFeatureMissing):
        return str(e)
    name = getattr(e, "name", None)
    if isinstance(e, ImportError) and isinstance(name, str) and \
            name.partition(".")[0] in ("torch", "torchvision"):
        m = re.match(r"cannot import name '([^']+)'", str(e))  # from torch.nn import Foo
        return f"tinynet has no {name}.{m.group(1)}" if m else str(e)
    if isinstance(e, DatasetError):  # no data files (and no download), a corrupt file
        return str(e).removeprefix("tinynet: ")
    if CPU_ONLY in str(e):
        return str(e)
    obj = getattr(e, "obj", None)
    if isinstance(e, AttributeError) and obj is not None and isinstance(name, str) \
            and type(obj).__module__.partition(".")[0] == "tinynet":
        return f"tinynet's {type(obj).__name__} has no attribute {name!r}"
    return None


def _user_frames(tb: Optional[TracebackType]) -> list:
    """The traceback's frames in the user's code (not tinynet's, runpy's or importlib's)."""
    frames = []
    while tb is not None:
        f = tb.tb_frame.f_code.co_filename
        if not f.startswith("<frozen") and Path(f).name != "runpy.py" and \
                not Path(f).resolve().is_relative_to(_PACKAGE):
            frames.append((f, tb.tb_lineno))
        tb = tb.tb_next
    return frames


def _where(tb: Optional[TracebackType], path: Path) -> str:
    """``script.py:LINE: `` for the innermost line of the user's code, if any."""
    frames = _user_frames(tb)
    if not frames:
        return ""
    f, line = frames[-1]
    try:
        shown = os.path.relpath(f)
    except ValueError:  # another drive (Windows)
        shown = f
    return f"{shown if len(shown) < len(f) else f}:{line}: "


def _print_from_script(e: BaseException, path: Path) -> None:
    """The traceback as ``python SCRIPT.py`` prints it: from the script's first frame on."""
    tb = e.__traceback__
    target = str(path.resolve())
    while tb is not None and str(Path(tb.tb_frame.f_code.co_filename).resolve()) != target:
        tb = tb.tb_next
    traceback.print_exception(type(e), e, tb, file=sys.stderr)
