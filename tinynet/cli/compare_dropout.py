"""``tinynet compare-dropout``: the same CNN, same seed, trained with and without dropout.

    tinynet compare-dropout [--train-size 1000] [--val-size 500] [--epochs N] [--dropout P]
                            [--seed S] [--out runs/compare-dropout] [--quiet] ...

On a small training set a CNN without dropout learns its training images by
heart: its training accuracy reaches 100% while its test loss, after a minimum,
climbs again as it grows over-confident.  Dropout (``p`` = probability of
DROPPING a unit) keeps each unit from relying on particular others, which shows
as a lower test loss and a smaller gap between training and test accuracy.

Both runs start from the same generator state, so they have the same training
subset and the same initial weights; they differ only in the dropout layers.
Training accuracy and loss are measured in eval mode after each epoch (no
dropout), so the two runs' train-test gaps compare like with like.

The "best epoch" of each run is chosen on a validation split: ``--val-size``
further training images, held out (never trained on).  The test images choose
nothing; they are only reported, at the final and at the chosen epoch.

Writes ``dropout_comparison.csv`` (one row per run and epoch),
``dropout_comparison.json`` and, if matplotlib is installed,
``dropout_comparison.png`` (accuracy and loss curves of both runs).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..models import cnn_config, describe_cnn
from .._atomic import atomic_open
from ..random import get_rng_state, manual_seed, set_rng_state
from ..training import (METRIC_COLUMNS, VAL_COLUMNS, check_output_dir, fit,
                        is_tinynet_csv, is_tinynet_json, load_data, make_output_dir,
                        metrics_csv, new_run, atomic_write_text)
from . import CLIError
from ._options import add_data_options, add_training_options, positive_int, probability
from ._outputs import claim_output_folder, existing, refuse_to_replace

DEFAULTS: dict[str, Any] = {
    "train_size": 1000,
    "val_size": 500,       # other training images, held out to choose the best epoch
    "epochs": 30,
    "batch_size": 64,
    "optimizer": "adam",
    "lr": {"adam": 1e-3, "sgd": 0.05},
    "lr_decay": 1.0,       # lr of epoch e = lr * lr_decay ** (e - 1)
    "dropout": 0.5,        # before the last layer
    "conv_dropout": 0.25,  # after each conv block, in the dropout run only
    "seed": 0,
    "out": "runs/compare-dropout",
}
RUNS = ("no_dropout", "dropout")
JSON_FORMAT = "tinynet-dropout-comparison"
CSV_COLUMNS = ["run", "dropout", "conv_dropout"] + METRIC_COLUMNS + VAL_COLUMNS
OLD_CSV_COLUMNS = ["run", "dropout", "conv_dropout"] + METRIC_COLUMNS  # before validation
PNG_MARKER = b"tinynet compare-dropout"
PLOT_HINT = "pip install matplotlib"  # not 'tinynet[plot]': PyPI's "tinynet" is another project


def _is_our_png(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    return head.startswith(b"\x89PNG\r\n\x1a\n") and PNG_MARKER in head


OUTPUT_FILES = {
    "dropout_comparison.csv": lambda p: (is_tinynet_csv(p, CSV_COLUMNS)
                                         or is_tinynet_csv(p, OLD_CSV_COLUMNS)),
    "dropout_comparison.json": lambda p: is_tinynet_json(p, JSON_FORMAT),
    "dropout_comparison.png": _is_our_png,
}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "compare-dropout", help="train the same CNN with and without dropout on a small "
                                "training set, and compare overfitting",
        description="Train the same CNN from the same seed twice on a small training set "
                    "-- without dropout and with it -- and compare test accuracy (final, "
                    "and at the best epoch chosen on held-out validation images), the "
                    "train-test accuracy gap and the test loss.  Writes "
                    "dropout_comparison.{csv,json,png} to --out.")
    add_data_options(parser)
    add_training_options(parser, DEFAULTS)
    parser.add_argument("--conv-dropout", type=probability, default=DEFAULTS["conv_dropout"],
                        metavar="P", help=f"dropout after each conv block in the dropout run "
                                          f"(default {DEFAULTS['conv_dropout']:g})")
    parser.add_argument("--val-size", type=positive_int, default=DEFAULTS["val_size"],
                        metavar="N", help=f"other training images held out (never trained "
                                          f"on) to choose each run's best epoch (default "
                                          f"{DEFAULTS['val_size']})")
    parser.add_argument("--out", metavar="DIR", default=DEFAULTS["out"],
                        help=f"output directory (default {DEFAULTS['out']})")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an earlier comparison in --out")
    parser.set_defaults(func=run)


def _config(args: argparse.Namespace, dropout: float, conv_dropout: float) -> dict[str, Any]:
    optimizer = args.optimizer
    spec = {"name": optimizer, "lr": args.lr or DEFAULTS["lr"][optimizer],
            "lr_decay": DEFAULTS["lr_decay"]}
    if optimizer == "sgd":
        spec["momentum"] = 0.9
    return {
        "model": cnn_config(dropout=dropout, conv_dropout=conv_dropout),  # the reference CNN
        "optimizer": spec, "dataset": args.dataset, "train_size": args.train_size,
        "seed": args.seed, "batch_size": args.batch_size, "augment": 0,
        "epochs": args.epochs,
    }


def summarise(history: dict[str, list]) -> dict[str, Any]:
    """Final numbers of one run, its train-test gap, and its best epoch: the one with the
    highest validation accuracy (the earliest of equals) -- never chosen on the test set."""
    best = max(range(len(history["val_acc"])), key=lambda i: history["val_acc"][i])
    final = {k: history[k][-1]
             for k in ("train_acc", "test_acc", "train_loss", "test_loss", "val_acc")}
    return dict(final, best_epoch=history["epoch"][best],
                best_val_acc=history["val_acc"][best],
                test_acc_at_best=history["test_acc"][best],
                gap=final["train_acc"] - final["test_acc"])


def run(args: argparse.Namespace) -> int:
    if args.dropout == 0 and args.conv_dropout == 0:
        raise CLIError("--dropout and --conv-dropout are both 0: the two runs would be the "
                       "same; give a dropout probability > 0")
    out_dir = check_output_dir(args.out, OUTPUT_FILES)
    with claim_output_folder(out_dir, OUTPUT_FILES):  # one run at a time in a folder
        found = existing(out_dir / name for name in OUTPUT_FILES)
        if found and not args.overwrite:
            raise refuse_to_replace(found, "an earlier comparison")
        return _compare(args, out_dir)


def _compare(args: argparse.Namespace, out_dir: Path) -> int:
    manual_seed(args.seed)
    data = load_data(args.dataset, args.data_dir, download=not args.no_download,
                     train_size=args.train_size, verbose=not args.quiet,
                     val_size=args.val_size)
    start_state = get_rng_state()  # both runs start here: same initial weights
    print(f"data: {data.describe()}; {args.epochs} epochs each, {args.optimizer}, "
          f"batch {args.batch_size}, seed {args.seed}")

    results: dict[str, dict[str, Any]] = {}
    settings = {"no_dropout": (0.0, 0.0), "dropout": (args.dropout, args.conv_dropout)}
    for name in RUNS:
        p, pc = settings[name]
        config = _config(args, p, pc)
        config["data_source"] = data.source
        set_rng_state(start_state)
        run_ = new_run(config)
        print(f"\n{name.replace('_', ' ')}: {describe_cnn(run_.config['model'])}")
        fit(run_, data, args.epochs, progress=not args.quiet, eval_train=True,
            label=f"[{name.replace('_', ' ')}] ")
        results[name] = dict(summarise(run_.history), dropout=p, conv_dropout=pc,
                             config=run_.config, history=run_.history)

    print()
    print(table(results))
    print(f"(best epoch: chosen on {args.val_size:,} validation images held out from the "
          f"training set, not on test)")
    print(verdict(results))
    make_output_dir(out_dir)
    write_results(out_dir, results, args)
    written = ["dropout_comparison.csv", "dropout_comparison.json"]
    try:
        plotted = plot(results, out_dir / "dropout_comparison.png")
    except ImportError:
        plotted = False
        stale = out_dir / "dropout_comparison.png"
        if _is_our_png(stale):  # an earlier run's plot would sit beside this run's numbers
            stale.unlink()
        print(f"matplotlib is not installed, so no plot was drawn; for "
              f"dropout_comparison.png: {PLOT_HINT}")
    if plotted:
        written.append("dropout_comparison.png")
    print(f"wrote {', '.join(str(out_dir / w) for w in written)}")
    return 0


def table(results: dict[str, dict[str, Any]]) -> str:
    """The comparison as a fixed-width text table."""
    a, b = results["no_dropout"], results["dropout"]
    head = f"dropout {b['dropout']:g}" + (f" (+{b['conv_dropout']:g} conv)"
                                          if b["conv_dropout"] else "")
    rows = [("", "no dropout", head)]

    def pct(v: float) -> str:
        return f"{100 * v:.2f}%"
    rows += [
        ("final test accuracy", pct(a["test_acc"]), pct(b["test_acc"])),
        ("best epoch (validation acc.)", f"{a['best_epoch']} ({pct(a['best_val_acc'])})",
         f"{b['best_epoch']} ({pct(b['best_val_acc'])})"),
        ("test accuracy at best epoch", pct(a["test_acc_at_best"]),
         pct(b["test_acc_at_best"])),
        ("final train accuracy", pct(a["train_acc"]), pct(b["train_acc"])),
        ("train-test gap", f"{100 * a['gap']:.2f} pts", f"{100 * b['gap']:.2f} pts"),
        ("final test loss", f"{a['test_loss']:.4f}", f"{b['test_loss']:.4f}"),
        ("final train loss", f"{a['train_loss']:.4f}", f"{b['train_loss']:.4f}"),
    ]
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    w2 = max(len(r[2]) for r in rows)
    return "\n".join(f"{r[0]:<{w0}}  {r[1]:>{w1}}  {r[2]:>{w2}}" for r in rows)


def verdict(results: dict[str, dict[str, Any]]) -> str:
    """One sentence saying what dropout did -- whatever it did."""
    a, b = results["no_dropout"], results["dropout"]
    parts = [
        f"test loss {'lower' if b['test_loss'] < a['test_loss'] else 'NOT lower'} "
        f"({a['test_loss']:.3f} -> {b['test_loss']:.3f})",
        f"train-test gap {'narrower' if b['gap'] < a['gap'] else 'equal' if b['gap'] == a['gap'] else 'WIDER'}"
        f" ({100 * a['gap']:.1f} -> {100 * b['gap']:.1f} pts)",
        f"test accuracy {100 * a['test_acc']:.1f}% -> {100 * b['test_acc']:.1f}%",
    ]
    return "with dropout: " + "; ".join(parts)


def write_results(out_dir: Path, results: dict[str, dict[str, Any]],
                  args: argparse.Namespace) -> None:
    """dropout_comparison.csv (long format) and dropout_comparison.json."""
    parts = []
    for i, name in enumerate(RUNS):
        r = results[name]
        text = metrics_csv(r["history"], METRIC_COLUMNS + VAL_COLUMNS,
                           prefix=[("run", name), ("dropout", r["dropout"]),
                                   ("conv_dropout", r["conv_dropout"])])
        parts.append(text if i == 0 else text.split("\n", 1)[1])  # one header
    atomic_write_text(out_dir / "dropout_comparison.csv", "".join(parts))
    doc: dict[str, Any] = {
        "format": JSON_FORMAT,
        "settings": {"dataset": args.dataset, "train_size": args.train_size,
                     "val_size": args.val_size, "epochs": args.epochs, "batch_size": args.batch_size,
                     "optimizer": args.optimizer, "seed": args.seed},
    }
    for name in RUNS:
        doc[name] = results[name]
    atomic_write_text(out_dir / "dropout_comparison.json", json.dumps(doc, indent=2) + "\n")


def plot(results: dict[str, dict[str, Any]], path: Path) -> bool:
    """Accuracy and loss curves (train dashed, test solid) of both runs, as a PNG.

    Uses matplotlib's object API with the Agg canvas (no pyplot, no display, no
    global backend change).  Raises ImportError when matplotlib is missing.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(10, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax_acc, ax_loss = fig.subplots(1, 2)
    colours = {"no_dropout": "tab:red", "dropout": "tab:blue"}
    for name in RUNS:
        r, c = results[name], colours[name]
        h = r["history"]
        label = "no dropout" if name == "no_dropout" else f"dropout {r['dropout']:g}"
        for ax, key in ((ax_acc, "acc"), (ax_loss, "loss")):
            scale = 100 if key == "acc" else 1
            ax.plot(h["epoch"], [scale * v for v in h[f"train_{key}"]], "--", color=c,
                    label=f"{label}, train")
            ax.plot(h["epoch"], [scale * v for v in h[f"test_{key}"]], "-", color=c,
                    label=f"{label}, test")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    # a log scale shows the late epochs, where the runs part ways, as clearly as the first
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy (log scale)", title="loss",
                yscale="log")
    ax_acc.legend(fontsize=8)
    ax_loss.legend(fontsize=8)
    for ax in (ax_acc, ax_loss):
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    settings = results["dropout"]["config"]
    fig.suptitle(f"Dropout against overfitting: {settings['train_size']} training images, "
                 f"seed {settings['seed']}")
    fig.tight_layout()
    with atomic_open(path, "wb") as f:
        fig.savefig(f, format="png",
                    metadata={"Software": PNG_MARKER.decode(), "Title": "dropout comparison"})
    return True
