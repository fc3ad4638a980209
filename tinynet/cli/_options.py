"""Options shared by ``tinynet train``, ``compare-dropout`` and ``evaluate``.

Argument types reject bad values while parsing, so ``--epochs 0`` or
``--dropout 1.5`` fail at once with a one-line message and exit code 2.
"""
from __future__ import annotations

import argparse
import math
from typing import Any, Callable, Optional

from ..training import DATASETS, OPTIMIZERS


def _number(cast: Callable[[str], Any], what: str, ok: Callable[[Any], bool]
            ) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return value
    parse.__name__ = what  # argparse names the type in some messages
    return parse


positive_int = _number(int, "a positive integer", lambda v: v > 0)
nonnegative_int = _number(int, "an integer >= 0", lambda v: v >= 0)
positive_float = _number(float, "a positive number", lambda v: math.isfinite(v) and v > 0)
probability = _number(float, "a dropout probability in [0, 1)", lambda v: 0.0 <= v < 1.0)


def add_data_options(parser: argparse.ArgumentParser, default: Optional[str] = "mnist",
                     shown: Optional[str] = None) -> None:
    """``--dataset``, ``--data-dir``, ``--no-download``; ``shown``: the default to
    mention in the help when ``default`` is None (filled in later)."""
    shown = f" (default: {default or shown})" if (default or shown) else ""
    parser.add_argument("--dataset", choices=DATASETS, default=default,
                        help=f"which images{shown}; mnist falls back to the 5,000 digits "
                             f"shipped with tinynet when its files are missing and the "
                             f"download fails")
    parser.add_argument("--data-dir", metavar="DIR", default=None,
                        help="folder holding the IDX files (default: $TINYNET_DATA/<dataset> "
                             "or ~/.cache/tinynet/<dataset>); downloads go there too")
    parser.add_argument("--no-download", action="store_true",
                        help="never use the network: only files on disk (and, for mnist, "
                             "the embedded digits)")


def add_training_options(parser: argparse.ArgumentParser, defaults: dict[str, Any],
                         resumable: bool = False) -> None:
    """``--epochs --batch-size --lr --optimizer --dropout --train-size --seed --quiet``.

    With ``resumable`` the flags default to None, so a resumed run can tell which
    ones were given (they must then agree with the checkpoint); ``defaults`` fills
    in the rest.
    """
    d = (lambda k: None) if resumable else defaults.get
    parser.add_argument("--epochs", type=positive_int, default=d("epochs"), metavar="N",
                        help=f"number of epochs in total (default {defaults['epochs']})"
                             + ("; with --resume, the total including the epochs already "
                                "done (default: the run's own total)" if resumable else ""))
    parser.add_argument("--batch-size", type=positive_int, default=d("batch_size"),
                        metavar="B", help=f"images per step (default {defaults['batch_size']})")
    parser.add_argument("--optimizer", choices=OPTIMIZERS, default=d("optimizer"),
                        help=f"default {defaults['optimizer']} (sgd uses momentum 0.9)")
    parser.add_argument("--lr", type=positive_float, default=None, metavar="LR",
                        help=f"learning rate of the first epoch (default "
                             f"{defaults['lr']['adam']:g} for adam, {defaults['lr']['sgd']:g} "
                             f"for sgd)")
    parser.add_argument("--dropout", type=probability, default=d("dropout"), metavar="P",
                        help=f"probability of dropping a hidden unit before the last layer "
                             f"(default {defaults['dropout']:g}; 0 = no dropout)")
    ts = defaults["train_size"]
    parser.add_argument("--train-size", type=positive_int, default=d("train_size"),
                        metavar="N", help="train on a class-balanced random subset of N "
                                          "images (default "
                                          + (f"{ts:,})" if ts else "all of them)"))
    parser.add_argument("--seed", type=nonnegative_int, default=d("seed"), metavar="S",
                        help=f"random seed: same seed, same run, bit for bit "
                             f"(default {defaults['seed']})")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress bar and no notices (the per-epoch lines stay)")
