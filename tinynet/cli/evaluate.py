"""``tinynet evaluate``: test loss and accuracy of a checkpoint written by ``tinynet train``.

    tinynet evaluate --checkpoint runs/train/model.npz [--dataset ...] [--data-dir DIR]

The checkpoint carries the network's configuration, so no architecture flags are
needed; ``--dataset`` defaults to the one the model was trained on.
"""
from __future__ import annotations

import argparse

from ..models import describe_cnn
from ..training import TrainingError, evaluate, load_test_split, model_from_checkpoint
from . import CLIError
from ._options import add_data_options, positive_int


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluate", help="test loss and accuracy of a checkpoint from `tinynet train`",
        description="Evaluate a checkpoint written by `tinynet train` on the test split "
                    "of its dataset (or of --dataset).")
    parser.add_argument("--checkpoint", required=True, metavar="PATH",
                        help="a model.npz written by `tinynet train`")
    add_data_options(parser, default=None, shown="the checkpoint's")
    parser.add_argument("--batch-size", type=positive_int, default=500, metavar="B",
                        help="images per forward pass (default 500; memory only)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        model, ckpt = model_from_checkpoint(args.checkpoint)
        config = ckpt["config"]
        dataset = args.dataset or config["dataset"]
        x, y, where = load_test_split(dataset, args.data_dir, download=not args.no_download)
    except TrainingError as e:
        raise CLIError(str(e)) from None
    loss, acc = evaluate(model, x, y, batch_size=args.batch_size)
    print(f"model: {describe_cnn(config['model'])}, trained {ckpt['epoch']} "
          f"epoch{'s' * (ckpt['epoch'] != 1)} on {config['dataset']}")
    print(f"test loss {loss:.4f}  accuracy {100 * acc:.2f}% "
          f"({round(acc * len(y)):,} of {len(y):,} {dataset} test images, {where})")
    return 0
