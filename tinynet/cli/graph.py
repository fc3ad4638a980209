"""``tinynet graph``: draw the reference CNN's training step (forward + backward) as a graph.

    tinynet graph [--out graph.dot] [--batch-size 4] [--seed 0] [--tape]
    tinynet graph --html [--out graph.html] [--checkpoint runs/train/model.npz]

Builds the reference CNN (or, with ``--checkpoint``, the trained model a checkpoint
describes, on a batch of its test images), runs one forward and backward through
cross-entropy, and draws the tape (:func:`tinynet.viz.draw`): ops, shapes, values
and gradients.  It writes the DOT source and an ``.svg`` next to it (drawn by
Graphviz's ``dot`` when installed, else by tinynet), or with ``--html`` one
self-contained page: the picture and the tape table, every value on hover.
"""
from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

import numpy as np

from .._files import open_regular
from ..models import reference_cnn
from ..random import manual_seed, generator
from ..tensor import Tensor
from ..training import TrainingError
from ..viz import draw
from ..viz.checkpoint import checkpoint_step
from . import CLIError
from ._outputs import claim_output_folder, existing, file_kind, refuse_to_replace


TITLE = "CNN training step"  # in every .dot, .svg and .html this command writes


def _is_ours(path: str) -> bool:
    """Whether ``path`` looks like a graph this command wrote (its title near the top)."""
    try:
        with open_regular(path) as f:  # never blocks on a FIFO
            return TITLE.encode() in f.read(4096)
    except OSError:
        return False


def training_step_graph(batch_size: int = 4, seed: int = 0) -> tuple[Tensor, dict]:
    """One forward + backward of a random batch; returns the loss and the leaf names."""
    from ..nn.functional import cross_entropy
    manual_seed(seed)
    model = reference_cnn().train()
    x = Tensor(generator().standard_normal((batch_size, 1, 28, 28), dtype=np.float32))
    y = Tensor(generator().integers(0, 10, batch_size))
    loss = cross_entropy(model(x), y)
    loss.backward()
    return loss, dict(model.named_parameters(), input=x)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "graph", help="draw the reference CNN's training-step graph: .dot and .svg, or an .html page",
        description="Run one forward and backward pass of the reference CNN on a random "
                    "batch (or of a trained model on its test images) and draw its tape: "
                    "ops, shapes, values and gradients.  Writes Graphviz .dot and an .svg "
                    "(Graphviz is used when installed, not needed), or one .html page.")
    parser.add_argument("--out", default=None, metavar="FILE",
                        help="where to write the DOT text (default graph.dot; the .svg goes "
                             "next to it), or with --html the page (default graph.html)")
    parser.add_argument("--html", action="store_true",
                        help="write one self-contained HTML page instead: the picture and the "
                             "tape table, each node's values and gradient on hover")
    parser.add_argument("--checkpoint", metavar="PATH", default=None,
                        help="draw the model saved by `tinynet train` (e.g. runs/train/model.npz) "
                             "on a batch of its test images, instead of the reference CNN")
    parser.add_argument("--batch-size", type=int, default=4, help="images in the batch (default 4)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--tape", action="store_true", help="also print the tape as a table")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an earlier graph at --out (and its .svg)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    out = args.out or ("graph.html" if args.html else "graph.dot")
    if args.html and not out.endswith(".html"):
        raise CLIError(f"graph: with --html, --out must name an .html file, got {out!r}")
    if not args.html and not out.endswith(".dot"):
        raise CLIError(f"graph: --out must name a .dot file (the .svg is written next to it; "
                       f"--html writes a page), got {out!r}")
    parent = os.path.dirname(os.path.abspath(out))
    if file_kind(parent, "--out") != "a directory":
        raise CLIError(f"graph: the directory {parent} does not exist; create it or choose "
                       f"another --out")
    if not 1 <= args.batch_size <= 1024:
        raise CLIError(f"graph: --batch-size must be between 1 and 1024, got {args.batch_size}")
    if args.seed < 0:
        raise CLIError(f"graph: --seed must be >= 0, got {args.seed}")
    paths = [out] if args.html else [out, out[:-4] + ".svg"]
    for path in paths:  # never overwrite a file we did not write
        kind = file_kind(path, "--out")
        if kind == "a directory":
            raise CLIError(f"graph: {path} is a directory; choose another --out")
        if kind is not None:  # a FIFO would block whoever opens it to look
            raise CLIError(f"graph: {path} is {kind}, not a regular file; choose another --out")
        if os.path.exists(path) and not _is_ours(path):
            raise CLIError(f"graph: refusing to overwrite {path}, which tinynet did not "
                           f"write; move it or choose another --out")
    names = [os.path.basename(p) for p in paths]
    with claim_output_folder(Path(parent), names, create=False):  # one writer at a time
        found = existing(Path(p) for p in paths)
        if found and not args.overwrite:
            raise refuse_to_replace(found, "an earlier graph")
        return _draw(args, out, paths)


def _draw(args: argparse.Namespace, out: str, written: list) -> int:
    if args.checkpoint:
        try:
            loss, names, what = checkpoint_step(args.checkpoint, args.batch_size, args.seed)
        except TrainingError as e:
            raise CLIError(f"graph: {e}") from None
        title = f"{TITLE}: {os.path.basename(args.checkpoint)}"
    else:
        loss, names = training_step_graph(args.batch_size, args.seed)
        title, what = f"reference {TITLE}", "reference CNN, random batch"
    view = loss.tape(names=names)
    if args.tape:
        print(view)
    graph = draw(loss, names, title=title)
    print(f"{what}: {len(view)} tape entries, loss {loss.item():.4f}")
    drawer = "Graphviz dot" if shutil.which("dot") else "tinynet's layout (no Graphviz found)"
    for path in written:  # the .dot first: a broken Graphviz must not lose it
        try:
            graph.save(path)
        except RuntimeError as e:
            raise CLIError(f"graph: `dot` failed to draw {path}: {e}") from None
        print(f"wrote {path}" + ("" if path.endswith(".dot") else f" (drawn by {drawer})"))
    return 0
