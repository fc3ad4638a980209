"""``tinynet graph``: draw the demo CNN's training step (forward + backward) as a graph.

    tinynet graph [--out graph.dot] [--batch-size 4] [--seed 0] [--tape]

Builds the reference CNN, runs one forward and backward of a small random batch
through cross-entropy, and writes the tape as Graphviz DOT (ops, shapes, gradient
norms).  When the ``dot`` program is installed, an ``.svg`` is written next to it.
"""
from __future__ import annotations

import argparse
import os

import numpy as np

from .._atomic import atomic_open
from ..models import reference_cnn
from ..random import manual_seed, generator
from ..tensor import Tensor
from ..viz import render_svg, to_dot
from . import CLIError


TITLE = "reference CNN training step"  # in every .dot and .svg this command writes


def _is_ours(path: str) -> bool:
    """Whether ``path`` looks like a graph this command wrote (its title near the top)."""
    try:
        with open(path, "rb") as f:
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
        "graph", help="write the demo CNN's training-step graph as Graphviz .dot (and .svg)",
        description="Run one forward and backward pass of the reference CNN on a random "
                    "batch and write its tape as a Graphviz graph: ops, shapes and gradient "
                    "norms.  An .svg is written too when the `dot` program is installed.")
    parser.add_argument("--out", default="graph.dot", metavar="FILE.dot",
                        help="where to write the DOT text (default graph.dot); the .svg goes "
                             "next to it")
    parser.add_argument("--batch-size", type=int, default=4, help="images in the batch (default 4)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--tape", action="store_true", help="also print the tape as a table")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    out = args.out
    if not out.endswith(".dot"):
        raise CLIError(f"graph: --out must name a .dot file (the .svg is written next to it), "
                       f"got {out!r}")
    parent = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(parent):
        raise CLIError(f"graph: the directory {parent} does not exist; create it or choose "
                       f"another --out")
    if not 1 <= args.batch_size <= 1024:
        raise CLIError(f"graph: --batch-size must be between 1 and 1024, got {args.batch_size}")
    if args.seed < 0:
        raise CLIError(f"graph: --seed must be >= 0, got {args.seed}")
    for path in (out, out[:-4] + ".svg"):  # never overwrite a file we did not write
        if os.path.isdir(path):
            raise CLIError(f"graph: {path} is a directory; choose another --out")
        if os.path.exists(path) and not _is_ours(path):
            raise CLIError(f"graph: refusing to overwrite {path}, which tinynet did not "
                           f"write; move it or choose another --out")

    loss, names = training_step_graph(args.batch_size, args.seed)
    view = loss.tape(names=names)
    if args.tape:
        print(view)
    text = to_dot(loss, names, title=TITLE)
    with atomic_open(out, "w") as f:
        f.write(text)
    print(f"wrote {out}: {len(view)} tape entries, loss {loss.item():.4f}")
    svg = out[:-4] + ".svg"
    try:
        made = render_svg(text, svg)
    except Exception as e:  # a broken graphviz install must not lose the .dot
        raise CLIError(f"graph: wrote {out}, but `dot` failed to make {svg}: {e}") from None
    if made:
        print(f"wrote {svg}")
    else:
        print(f"(no .svg: the Graphviz `dot` program is not installed; install it, e.g. "
              f"`apt-get install graphviz`, then run: dot -Tsvg {out} -o {svg})")
    return 0
