"""``tinynet train``: train a CNN on MNIST (or Fashion-MNIST), with checkpoints and exact resume.

    tinynet train [--dataset mnist] [--epochs N] [--batch-size B] [--optimizer adam]
                  [--lr LR] [--dropout P] [--train-size N] [--seed S]
                  [--out runs/train] [--resume runs/train/model.npz] [--quiet]

Each epoch shows a progress bar (loss, images/s) on stderr and then one line:
training and test loss and accuracy, and the seconds it took.  After each epoch
``--out`` receives ``metrics.csv``, ``metrics.json`` and the checkpoint
``model.npz`` (each written atomically).  The checkpoint holds the model's
configuration, the weights, the optimizer and its state, tinynet's RNG state and
the metrics so far, so ``--resume`` continues exactly: ``--epochs`` is the total,
and 1 epoch followed by ``--epochs 3 --resume`` gives the same weights, bit for
bit, as 3 epochs straight.  Ctrl-C keeps the checkpoint of the last completed
epoch and exits with code 130.
"""
from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path
from typing import Any, Optional

from ..models import cnn_config, describe_cnn
from ..random import manual_seed
from ..training import (METRIC_COLUMNS, METRICS_FORMAT, TrainingError,
                        check_output_dir, fit, is_tinynet_checkpoint, is_tinynet_csv,
                        is_tinynet_json, load_checkpoint, load_data, make_output_dir,
                        new_run, resume_run, run_identity, save_checkpoint, write_metrics)
from .._blas import blas_info, resume_warning
from .._files import os_error_text
from . import CLIError
from ._outputs import claim_output_folder
from ._options import add_data_options, add_training_options

# The recipe for the reference CNN (tinynet/models.py), chosen by measurement on
# the 4,000 / 1,000 embedded digits: Adam with a per-epoch decaying learning rate,
# and random shifts of the training images (a cheap way to get more data).
DEFAULTS: dict[str, Any] = {
    "epochs": 20,
    "batch_size": 64,
    "optimizer": "adam",
    "lr": {"adam": 2e-3, "sgd": 0.05},
    "lr_decay": 0.85,     # lr of epoch e = lr * lr_decay ** (e - 1)
    "augment": 2,         # random shifts of up to 2 pixels each way
    "dropout": 0.5,
    "train_size": None,   # all training images
    "seed": 0,
    "out": "runs/train",
}
CHECKPOINT_NAME = "model.npz"
OUTPUT_FILES = {
    "metrics.csv": lambda p: is_tinynet_csv(p, METRIC_COLUMNS),
    "metrics.json": lambda p: is_tinynet_json(p, METRICS_FORMAT),
    CHECKPOINT_NAME: is_tinynet_checkpoint,
}
# Flags whose value a resumed run takes from its checkpoint: name -> config lookup.
_RESUME_FIXED = {
    "dataset": lambda c: c["dataset"],
    "batch_size": lambda c: c["batch_size"],
    "optimizer": lambda c: c["optimizer"]["name"],
    "lr": lambda c: c["optimizer"]["lr"],
    "dropout": lambda c: c["model"]["dropout"],
    "train_size": lambda c: c.get("train_size"),
    "seed": lambda c: c["seed"],
}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train", help="train a CNN on MNIST; checkpoints every epoch, exact --resume",
        description="Train a small CNN on MNIST or Fashion-MNIST.  Writes metrics.csv, "
                    "metrics.json and the checkpoint model.npz to --out after every epoch; "
                    "--resume continues a run exactly where it stopped.")
    add_data_options(parser, default=None, shown="mnist; with --resume, the checkpoint's")
    add_training_options(parser, DEFAULTS, resumable=True)
    parser.add_argument("--out", metavar="DIR", default=None,
                        help=f"output directory (default {DEFAULTS['out']}; with --resume, "
                             f"the checkpoint's directory)")
    parser.add_argument("--resume", metavar="PATH", default=None,
                        help="continue the run saved in this checkpoint (its settings are "
                             "kept; --epochs is the new total)")
    parser.add_argument("--overwrite", action="store_true",
                        help="start afresh even if --out already holds a trained model "
                             "(which is then replaced after the first epoch)")
    parser.set_defaults(func=run)


def _fresh_config(args: argparse.Namespace) -> dict[str, Any]:
    optimizer = args.optimizer or DEFAULTS["optimizer"]
    spec = {"name": optimizer, "lr": args.lr or DEFAULTS["lr"][optimizer],
            "lr_decay": DEFAULTS["lr_decay"]}
    if optimizer == "sgd":
        spec["momentum"] = 0.9
    dropout = DEFAULTS["dropout"] if args.dropout is None else args.dropout
    return {
        "model": cnn_config(dropout=dropout),  # the reference CNN
        "optimizer": spec,
        "dataset": args.dataset or "mnist",
        "train_size": args.train_size,
        "seed": DEFAULTS["seed"] if args.seed is None else args.seed,
        "batch_size": args.batch_size or DEFAULTS["batch_size"],
        "augment": DEFAULTS["augment"],
        "epochs": args.epochs or DEFAULTS["epochs"],
        # who this run is: a resumed run keeps it, so a folder's model is replaced only by
        # its own continuation (from os.urandom: tinynet's generator is the run's alone)
        "run_id": os.urandom(8).hex(),
    }


def _epochs(n: int) -> str:
    return f"{n} epoch" + ("s" if n != 1 else "")


def _check_resume_flags(args: argparse.Namespace, config: dict[str, Any]) -> None:
    for name, lookup in _RESUME_FIXED.items():
        given = getattr(args, name)
        saved = lookup(config)
        if given is not None and given != saved:
            flag = "--" + name.replace("_", "-")
            raise CLIError(f"{flag} {given} differs from the checkpoint's {saved}; a resumed "
                           f"run keeps its settings (drop {flag})")


def run(args: argparse.Namespace) -> int:
    # 1. Work out the run's settings and check everything before touching any file.
    ckpt: Optional[dict[str, Any]] = None
    if args.resume is not None:
        ckpt = load_checkpoint(args.resume)
        config = ckpt["config"]
        _check_resume_flags(args, config)
        epochs = args.epochs or config.get("epochs", ckpt["epoch"])
        done = ckpt["epoch"]
        if epochs <= done:
            more = f"e.g. --epochs {done + 10} for 10 more"
            if args.epochs is None:  # the run reached the total it was started with
                raise CLIError(f"the run in {args.resume} is finished: it has done all "
                               f"{_epochs(done)} it was asked for; to train on, give "
                               f"--epochs with a larger total, {more}")
            raise CLIError(f"--epochs {epochs} is the total number of epochs, and the run in "
                           f"{args.resume} has already done {_epochs(done)}; ask for more "
                           f"than {done}, {more}")
        config = dict(config, epochs=epochs)
        out = args.out if args.out is not None else str(Path(args.resume).parent)
    else:
        config = _fresh_config(args)
        epochs = config["epochs"]
        out = args.out if args.out is not None else DEFAULTS["out"]
    out_dir = check_output_dir(out, OUTPUT_FILES)
    ckpt_path = out_dir / CHECKPOINT_NAME
    # the folder is this run's until it ends: a second process on it stops at once
    with claim_output_folder(out_dir, OUTPUT_FILES):
        if not args.overwrite:
            _refuse_replacing_another_run(ckpt_path, ckpt, args.resume)
        return _train(args, config, ckpt, epochs, out_dir, ckpt_path)


def _refuse_replacing_another_run(ckpt_path: Path, ckpt: Optional[dict[str, Any]],
                                  resume: Optional[str]) -> None:
    """A model already in --out is the user's work: only its own continuation replaces it."""
    if not ckpt_path.exists():
        return
    if ckpt is None:
        raise CLIError(f"{ckpt_path.parent} already holds a trained model ({ckpt_path}); "
                       f"continue it with --resume {ckpt_path}, replace it with --overwrite, "
                       f"or choose another --out")
    if os.path.samefile(resume, ckpt_path):
        return
    there = load_checkpoint(str(ckpt_path))
    if run_identity(there["config"]) != run_identity(ckpt["config"]):
        n = there["epoch"]
        raise CLIError(f"{ckpt_path.parent} holds another run's model ({ckpt_path}: seed "
                       f"{there['config']['seed']}, {n} epoch{'s' * (n != 1)}); resuming "
                       f"{resume} there would replace it: choose another --out, or replace "
                       f"it with --overwrite")
    if there["epoch"] > ckpt["epoch"]:
        raise CLIError(f"{ckpt_path} holds this run further on (epoch {there['epoch']}) than "
                       f"{resume} (epoch {ckpt['epoch']}); continue it with --resume "
                       f"{ckpt_path}, or replace it with --overwrite")


def _train(args: argparse.Namespace, config: dict[str, Any], ckpt: Optional[dict[str, Any]],
           epochs: int, out_dir: Path, ckpt_path: Path) -> int:
    # 2. Data, then the model: the order of random draws is what makes runs repeatable.
    manual_seed(config["seed"])
    embedded = None if ckpt is None else config["data_source"] == "embedded"
    data = load_data(config["dataset"], args.data_dir, download=not args.no_download,
                     train_size=config["train_size"], verbose=not args.quiet,
                     embedded=embedded)
    if ckpt is None:
        config["data_source"] = data.source
        config["data_fingerprint"] = data.fingerprint()
        run_ = new_run(config)
    else:
        if data.fingerprint() != config.get("data_fingerprint"):
            raise CLIError(f"the training data differ from the ones {args.resume} was "
                           f"trained on ({data.describe()}); cannot resume exactly")
        try:
            run_ = resume_run(ckpt)
        except TrainingError as e:
            raise CLIError(f"{args.resume}: {e}") from None
        run_.config = config

    opt = config["optimizer"]
    shift = config.get("augment", 0)
    print(f"{describe_cnn(config['model'])}; {opt['name']} lr {opt['lr']:g}"
          f" (x{opt.get('lr_decay', 1.0):g} per epoch), batch {config['batch_size']}"
          + (f", random shifts of up to {shift} px" if shift else ""))
    print(f"data: {data.describe()}")
    if ckpt is not None:
        print(f"resuming from {args.resume} after epoch {run_.epoch}")
        differs = resume_warning(ckpt.get("blas"), blas_info())
        if differs:
            print(f"tinynet: warning: {args.resume}: {differs}", file=sys.stderr)
    make_output_dir(out_dir)

    # 3. Train; after each epoch write the checkpoint and the metrics.
    last = {"ckpt": None, "saved": run_.epoch}

    def save(c):
        wrote_model = False
        try:  # the checkpoint first: metrics can be rewritten from it, not the reverse
            save_checkpoint(ckpt_path, c)
            wrote_model = True
            write_metrics(out_dir, c["config"], c["history"])
        except OSError as e:  # disk full, ...: each file being replaced is intact
            kept = (f"{ckpt_path} holds epoch {c['epoch']}, but the metrics files were not "
                    f"updated" if wrote_model else
                    f"the previous checkpoint {ckpt_path} is intact" if ckpt_path.exists()
                    else "nothing was saved")
            raise TrainingError(f"could not save epoch {c['epoch']}: {os_error_text(e)}; "
                                f"{kept}") from None
        last["saved"] = c["epoch"]

    def on_epoch_end(r):
        c = r.checkpoint()  # now, before anything else draws random numbers
        last["ckpt"] = c
        save(c)

    try:
        fit(run_, data, epochs, progress=not args.quiet, on_epoch_end=on_epoch_end)
    except KeyboardInterrupt:
        c = last["ckpt"]
        if c is not None and last["saved"] != c["epoch"]:  # Ctrl-C hit while saving
            save(c)
        done = c["epoch"] if c is not None else (ckpt["epoch"] if ckpt is not None else 0)
        if done:
            again = f"tinynet train --resume {shlex.quote(str(ckpt_path))} --epochs {epochs}"
            if args.data_dir is not None:  # the checkpoint does not record where the data are
                again += f" --data-dir {shlex.quote(args.data_dir)}"
            print(f"\ninterrupted; {ckpt_path} holds the run after epoch {done}; continue "
                  f"with: {again}", file=sys.stderr)
        else:
            print("\ninterrupted before the first epoch finished; nothing was saved",
                  file=sys.stderr)
        return 130

    h = run_.history
    print(f"done: test accuracy {100 * h['test_acc'][-1]:.2f}% (loss "
          f"{h['test_loss'][-1]:.4f}) after {run_.epoch} epoch{'s' * (run_.epoch != 1)}, "
          f"{sum(h['seconds']):.0f} s in all; wrote {out_dir}/{{metrics.csv, metrics.json, "
          f"{CHECKPOINT_NAME}}}")
    return 0

