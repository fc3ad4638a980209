"""Training an image classifier, in one place: data, run state, the epoch loop, files.

``tinynet train`` and ``tinynet compare-dropout`` are thin layers over this module:

* :func:`load_data` -- a dataset's train and test splits as normalised float32
  arrays, optionally a class-balanced subset of the training set;
* :class:`Run` -- everything a training run *is*: its config, model, optimizer,
  per-epoch history and the number of completed epochs; :meth:`Run.checkpoint`
  captures it (with tinynet's RNG state) and :func:`resume_run` rebuilds it, so a
  resumed run continues exactly, bit for bit, as if it had never stopped;
* :func:`train_one_epoch`, :func:`evaluate` and :func:`fit`, the loop itself;
* :func:`write_metrics` and :func:`save_checkpoint`, atomic file writing, and
  :func:`check_output_dir`, which refuses to overwrite files tinynet did not write.

Reproducibility rests on one rule: every random draw -- the training subset,
initial weights, batch order, dropout masks -- comes from tinynet's generator,
in the same order every time.  A run is ``manual_seed(seed)``, then the subset,
then the model, then the epochs; a resumed run replays the first three steps and
then restores the generator state saved at the end of the last completed epoch.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

import numpy as np

from . import nn, optim
from ._atomic import atomic_open
from ._blas import blas_info
from ._files import open_regular, os_error_text, special_kind
from .data import (DataLoader, DatasetError, DatasetNotFoundError, TensorDataset,
                   load_dataset, load_embedded_mnist)
from .data.datasets import FashionMNIST, MNIST
from .guards import NonFiniteLossError, check_finite
from .models import build_cnn, cnn_config
from .random import generator, get_rng_state, set_rng_state
from .run_config import DATASETS, OPTIMIZERS, ConfigError, check_run_config
from .serialization import CheckpointError, load, save
from .tensor import Tensor, no_grad

__all__ = [
    "DATASETS", "TrainingError", "Data", "load_data", "load_test_split", "stratified_subset", "random_shift",
    "make_optimizer", "epoch_lr", "Run", "new_run", "resume_run", "train_one_epoch", "evaluate", "fit",
    "run_identity",
    "METRIC_COLUMNS", "VAL_COLUMNS", "write_metrics", "save_checkpoint", "load_checkpoint",
    "model_from_checkpoint", "check_output_dir", "atomic_write_text", "CHECKPOINT_KIND",
]

CHECKPOINT_KIND = "tinynet-train"
METRICS_FORMAT = "tinynet-metrics"
METRIC_COLUMNS = ["epoch", "train_loss", "train_acc", "test_loss", "test_acc", "lr", "seconds"]
VAL_COLUMNS = ["val_loss", "val_acc"]  # in a run's history only when its Data has a validation split
EVAL_BATCH = 500  # images per forward pass when evaluating (memory, not results)


class TrainingError(ValueError):
    """A problem the user can fix (missing data, a wrong checkpoint, a file in the way).

    Its message is one line; the command line prints it and exits with code 2.
    """


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------
@dataclass
class Data:
    """Both splits as arrays: images float32 (N, 1, 28, 28), normalised; labels int64 (N,)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    dataset: str   # "mnist" or "fashion-mnist"
    source: str    # "embedded" or "files"
    full_train_size: int  # training images available before taking a subset
    folder: Optional[str] = None  # where the IDX files are (None for the embedded digits)
    # a validation split held out from the training images (not trained on), to choose
    # a "best epoch" without looking at the test set; None when not asked for
    x_val: Optional[np.ndarray] = None
    y_val: Optional[np.ndarray] = None

    def fingerprint(self) -> str:
        """A short hash of the training arrays: a resumed run checks it sees the same data."""
        h = hashlib.sha256()
        for a in (self.x_train, self.y_train):
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()[:16]

    def describe(self) -> str:
        where = ("embedded digits" if self.source == "embedded"
                 else f"IDX files in {self.folder}" if self.folder else "IDX files")
        sub = (f"{len(self.y_train):,} of {self.full_train_size:,}"
               if len(self.y_train) != self.full_train_size else f"{len(self.y_train):,}")
        val = (f" (+ {len(self.y_val):,} held out for validation)"
               if self.y_val is not None else "")
        return (f"{self.dataset} ({where}): {sub} training{val} / {len(self.y_test):,} "
                f"test images")


def stratified_subset(labels: np.ndarray, n: int) -> np.ndarray:
    """Indices of ``n`` training examples, as evenly spread over the classes as possible.

    The order within each class is a random permutation from tinynet's generator;
    the subset takes each class's first, second, ... example in turn, so every
    class gets ``n // classes`` or one more (as long as it has enough examples).
    """
    order = generator().permutation(len(labels))
    # rank[i] = how many examples of the same class come before order[i]
    rank = np.empty(len(order), dtype=np.int64)
    for c in np.unique(labels):
        members = labels[order] == c
        rank[members] = np.arange(int(members.sum()))
    chosen = order[np.lexsort((np.arange(len(order)), rank))[:n]]  # by rank, then position
    return np.sort(chosen)


def load_data(dataset: str, root: Optional[str] = None, download: bool = True,
              train_size: Optional[int] = None, verbose: bool = True,
              embedded: Optional[bool] = None, val_size: Optional[int] = None) -> Data:
    """Load ``dataset``'s two splits (see :func:`tinynet.data.load_dataset`).

    MNIST falls back to tinynet's embedded digits when no files are in the default
    folder and no download is possible (one line on stderr says so); a ``root`` the user
    named (``--data-dir``) must hold the files or receive them.  ``embedded=True`` forces the
    embedded digits and ``embedded=False`` forbids them (a resumed run needs the data
    its checkpoint was trained on).  ``train_size`` takes a class-balanced random
    subset of the training split, drawn from tinynet's generator (seed it first);
    ``val_size`` then holds out that many *other* training images, class-balanced,
    as a validation split (``Data.x_val``, ``Data.y_val``).

    Raises TrainingError with a one-line message if the files are missing or corrupt.
    """
    if dataset not in DATASETS:
        raise TrainingError(f"unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}")
    try:
        if embedded:
            if dataset != "mnist":
                raise TrainingError(f"only mnist has embedded digits, not {dataset}")
            train, test = load_embedded_mnist(True), load_embedded_mnist(False)
        else:
            cls = MNIST if dataset == "mnist" else FashionMNIST
            if embedded is None and root is None:  # the default folder: embedded fallback
                train = load_dataset(dataset, True, download=download, verbose=verbose)
            else:  # a folder the user named (a typo?) must hold the files: no stand-in
                train = cls(root=root, train=True, download=download)
            if train.source == "embedded":
                test = load_embedded_mnist(False)
            else:  # the test split must come from the same place as the training split
                cls = MNIST if dataset == "mnist" else FashionMNIST
                test = cls(root=root, train=False, download=download)
                if test.folder != train.folder:  # e.g. a system folder filled the gap
                    raise TrainingError(f"the {dataset} training files are in {train.folder} "
                                        f"but the test files were found in {test.folder}; put "
                                        f"all four files in one folder")
    except DatasetNotFoundError as e:
        raise TrainingError(_not_found(dataset, e, root is not None)) from None
    except (DatasetError, OSError) as e:  # OSError: a folder name too long, no permission
        raise TrainingError(_one_line(e)) from None
    for split, ds in (("training", train), ("test", test)):
        if len(ds) == 0:
            raise TrainingError(f"the {dataset} {split} split holds no images ({ds.source})")
    x_train, y_train = train.to_arrays()
    x_test, y_test = test.to_arrays()
    full = len(y_train)
    x_val = y_val = None
    if train_size is not None:
        if train_size > full:
            raise TrainingError(f"--train-size {train_size} is more than the {full:,} "
                                f"training images of {dataset} ({_source(train)})")
        if val_size is not None and train_size + val_size > full:
            raise TrainingError(f"--train-size {train_size} and --val-size {val_size} add up "
                                f"to more than the {full:,} training images of {dataset} "
                                f"({_source(train)}); make one of them smaller")
        idx = stratified_subset(y_train, train_size)
        if val_size is not None:  # drawn second, so the training subset does not change
            rest = np.setdiff1d(np.arange(full), idx)
            val_idx = rest[stratified_subset(y_train[rest], val_size)]
            x_val, y_val = x_train[val_idx], y_train[val_idx]
        x_train, y_train = x_train[idx], y_train[idx]
    elif val_size is not None:
        raise ValueError("load_data: val_size needs a train_size (the images held out "
                         "come from the rest of the training split)")
    folder = getattr(train, "folder", None)
    return Data(x_train, y_train, x_test, y_test, dataset, _source(train), full,
                None if folder is None else str(folder), x_val, y_val)


def load_test_split(dataset: str, root: Optional[str] = None, download: bool = True,
                    verbose: bool = True) -> tuple[np.ndarray, np.ndarray, str]:
    """Only the test split: images, labels and where they came from ("embedded" or "files").

    MNIST falls back to the embedded 1,000 test digits, as in :func:`load_data`.
    """
    if dataset not in DATASETS:
        raise TrainingError(f"unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}")
    try:
        if root is None:  # the default folder: MNIST falls back to the embedded digits
            test = load_dataset(dataset, False, download=download, verbose=verbose)
        else:  # a folder the user named must hold the files
            cls = MNIST if dataset == "mnist" else FashionMNIST
            test = cls(root=root, train=False, download=download)
    except DatasetNotFoundError as e:
        raise TrainingError(_not_found(dataset, e, root is not None)) from None
    except (DatasetError, OSError) as e:
        raise TrainingError(_one_line(e)) from None
    if len(test) == 0:
        raise TrainingError(f"the {dataset} test split holds no images ({test.source})")
    x, y = test.to_arrays()
    folder = getattr(test, "folder", None)
    return x, y, ("embedded digits" if test.source == "embedded"
                  else f"IDX files in {folder}" if folder is not None else "IDX files")


def _not_found(dataset: str, e: DatasetNotFoundError, named: bool) -> str:
    """The command line's words for missing data files: its flags, not the API's arguments.

    ``named``: the folder came from --data-dir (so the embedded digits did not stand in)."""
    if e.folder is None:  # raised by something other than a dataset's file search
        return _one_line(e)
    files = " and ".join(e.files) + " (or the uncompressed files)"
    head = f"no {dataset} {e.split} files in " + (f"--data-dir {e.folder}" if named
                                                   else str(e.folder))
    if e.reason is None:
        text = (f"{head}, and --no-download is set; put {files} there, or drop "
                f"--no-download to download them there")
    else:
        text = (f"{head}, and downloading them failed ({e.reason}); put {files} there, "
                f"or give --data-dir a folder that holds them")
    if named and dataset == "mnist":
        text += "; the embedded digits stand in only without --data-dir"
    return text


def _source(ds: Any) -> str:
    return "embedded" if ds.source == "embedded" else "files"


def _one_line(e: BaseException) -> str:
    """An exception's message as one line, without a leading ``tinynet: ``."""
    if isinstance(e, OSError) and e.strerror:
        text = os_error_text(e)
    else:
        text = str(e)
    text = " ".join(text.split())
    return text[len("tinynet: "):] if text.startswith("tinynet: ") else text


def random_shift(x: np.ndarray, max_shift: int) -> np.ndarray:
    """Each image moved by a random whole number of pixels, up to ``max_shift`` each way.

    x: (N, C, H, W).  The uncovered border takes the image's background value (its
    minimum, i.e. a black pixel after normalisation).  Shifts come from tinynet's generator.
    """
    if max_shift <= 0:
        return x
    n, _, h, w = x.shape
    k = max_shift
    background = x.min(axis=(1, 2, 3), keepdims=True)
    padded = np.broadcast_to(background, (n, x.shape[1], h + 2 * k, w + 2 * k)).copy()
    padded[:, :, k:k + h, k:k + w] = x
    dy, dx = generator().integers(-k, k + 1, size=(2, n))
    out = np.empty_like(x)
    for i in range(n):  # one slice per image: cheap next to the convolutions
        out[i] = padded[i, :, k + dy[i]:k + dy[i] + h, k + dx[i]:k + dx[i] + w]
    return out


# --------------------------------------------------------------------------
# The run: config, model, optimizer, history
# --------------------------------------------------------------------------
def make_optimizer(spec: Mapping[str, Any], params: Iterable[Tensor]) -> optim.Optimizer:
    """``{"name": "adam", "lr": 1e-3}`` -> Adam; ``{"name": "sgd", "lr": 0.05,
    "momentum": 0.9}`` -> SGD.  Other keys of ``spec`` (``lr_decay``) are not the optimizer's."""
    name = spec.get("name")
    if name == "adam":
        return optim.Adam(params, lr=spec["lr"], weight_decay=spec.get("weight_decay", 0.0))
    if name == "sgd":
        return optim.SGD(params, lr=spec["lr"], momentum=spec.get("momentum", 0.9),
                         weight_decay=spec.get("weight_decay", 0.0))
    raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")


def epoch_lr(spec: Mapping[str, Any], epoch: int) -> float:
    """The learning rate of (1-based) ``epoch``: ``lr * lr_decay ** (epoch - 1)``.

    It depends on the epoch alone, not on how many epochs are planned, so
    ``--epochs`` can grow on a resume without changing the epochs already run.
    """
    return float(spec["lr"]) * float(spec.get("lr_decay", 1.0)) ** (epoch - 1)


@dataclass
class Run:
    """One training run.  ``config`` holds everything that defines it (JSON-friendly):

    ``model`` (a CNN config), ``optimizer`` (name, lr, lr_decay, ...), ``dataset``,
    ``data_source``, ``data_fingerprint``, ``train_size``, ``seed``, ``batch_size``,
    ``augment`` (max random shift in pixels).
    """

    config: dict[str, Any]
    model: nn.Module
    optimizer: optim.Optimizer
    epoch: int = 0  # completed epochs
    history: dict[str, list] = field(default_factory=lambda: {k: [] for k in METRIC_COLUMNS})

    def record(self, row: Mapping[str, float]) -> None:
        for k in METRIC_COLUMNS + [c for c in VAL_COLUMNS if c in row]:
            self.history.setdefault(k, []).append(row[k])
        self.epoch = int(row["epoch"])

    def checkpoint(self) -> dict[str, Any]:
        """Everything needed to continue exactly: call it between epochs (it captures
        tinynet's RNG state as it is *now*)."""
        return {
            "kind": CHECKPOINT_KIND,
            "epoch": self.epoch,
            "config": self.config,
            "model": dict(self.model.state_dict()),
            "optimizer": self.optimizer.state_dict(),
            "rng_state": get_rng_state(),
            "history": {k: list(v) for k, v in self.history.items()},
            "blas": blas_info(),  # same seed, same run: on the same BLAS and thread count
        }


def run_identity(config: Mapping[str, Any]) -> str:
    """Which run a checkpoint belongs to: its ``run_id`` (set when ``tinynet train`` starts a
    run), or for a checkpoint from before run ids, a hash of its settings (the total
    number of epochs aside, which a resume may raise)."""
    if config.get("run_id"):
        return str(config["run_id"])
    settings = {k: v for k, v in config.items() if k != "epochs"}
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()
                          ).hexdigest()[:16]


def new_run(config: Mapping[str, Any]) -> Run:
    """A fresh model and optimizer for ``config`` (initial weights from tinynet's generator)."""
    config = dict(config)
    config["model"] = cnn_config(config["model"])
    model = build_cnn(config["model"])
    return Run(config, model, make_optimizer(config["optimizer"], model.parameters()))


def resume_run(ckpt: Mapping[str, Any]) -> Run:
    """Rebuild a run from :func:`load_checkpoint`'s result, RNG state included.

    Raises TrainingError if the checkpoint's parts do not fit together.
    """
    try:
        run = new_run(ckpt["config"])
        run.model.load_state_dict(ckpt["model"])
        run.optimizer.load_state_dict(ckpt["optimizer"])
        hist = ckpt["history"]
        run.history = {k: [(int if k == "epoch" else float)(v) for v in hist[k]]
                       for k in METRIC_COLUMNS}
        if any(len(v) != ckpt["epoch"] for v in run.history.values()):
            raise ValueError("its history does not have one row per completed epoch")
        run.epoch = int(ckpt["epoch"])
        set_rng_state(ckpt["rng_state"])
    except KeyError as e:
        raise TrainingError(f"checkpoint does not fit together: it lacks the entry "
                            f"{e}") from None
    except (ValueError, RuntimeError, TypeError, OverflowError) as e:
        raise TrainingError(f"checkpoint does not fit together: {_one_line(e)}") from None
    return run


# --------------------------------------------------------------------------
# The loop
# --------------------------------------------------------------------------
def _accuracy(logits: np.ndarray, labels: np.ndarray) -> int:
    return int((logits.argmax(axis=1) == labels).sum())


def train_one_epoch(model: nn.Module, loader: DataLoader, optimizer: optim.Optimizer,
                    augment: int = 0, desc: str = "", progress: bool = True,
                    epoch: int = 1) -> tuple[float, float]:
    """One pass over ``loader`` with a gradient step per batch.

    Returns the mean loss and the accuracy over the epoch's batches, measured on
    the fly in training mode (dropout active, weights changing as it goes).
    A loss that becomes NaN or infinite stops training (TrainingError naming the
    epoch and batch) before the bad step reaches the weights.
    """
    from tqdm import tqdm  # a dependency of tinynet; imported here to keep import time low

    model.train()
    loss_fn = nn.CrossEntropyLoss()
    total_loss, correct, seen = 0.0, 0, 0
    start = time.perf_counter()
    with tqdm(total=len(loader), desc=desc, unit="batch", leave=False, file=sys.stderr,
              disable=None if progress else True,  # None: no bar when stderr is not a terminal
              dynamic_ncols=True) as bar:
        for batch, (images, labels) in enumerate(loader, 1):
            if augment:
                images = Tensor(random_shift(images.array, augment))
            logits = model(images)
            loss = loss_fn(logits, labels)
            try:
                value = check_finite(loss, epoch, batch)
            except NonFiniteLossError as e:
                raise TrainingError(str(e)) from None
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            n = len(labels)
            total_loss += value * n
            correct += _accuracy(logits.array, labels.array)
            seen += n
            # drop this step's graph now: it holds every activation and every node.grad,
            # which would otherwise stay alive through the next batch's forward pass
            del logits, loss
            bar.update(1)
            rate = seen / max(time.perf_counter() - start, 1e-9)
            bar.set_postfix_str(f"loss {total_loss / seen:.4f}, {rate:.0f} images/s")
    return total_loss / seen, correct / seen


@no_grad()
def evaluate(model: nn.Module, x: np.ndarray, y: np.ndarray,
             batch_size: int = EVAL_BATCH) -> tuple[float, float]:
    """Mean cross-entropy and accuracy (a fraction) of ``model`` on (x, y), in eval mode."""
    was_training = model.training
    model.eval()
    loss_fn = nn.CrossEntropyLoss(reduction="sum")
    total_loss, correct = 0.0, 0
    for i in range(0, len(y), batch_size):
        xb, yb = x[i:i + batch_size], y[i:i + batch_size]
        logits = model(Tensor(xb))
        total_loss += float(loss_fn(logits, Tensor(yb)).item())
        correct += _accuracy(logits.array, yb)
    model.train(was_training)
    return total_loss / len(y), correct / len(y)


def fit(run: Run, data: Data, epochs: int, *, progress: bool = True, eval_train: bool = False,
        on_epoch_end: Optional[Callable[[Run], None]] = None,
        log: Optional[Callable[[str], None]] = print, label: str = "") -> Run:
    """Train ``run`` from its next epoch up to epoch ``epochs`` (a total, not a count).

    After each epoch: evaluate on the test split (and on the validation split, if
    ``data`` has one: ``val_loss`` and ``val_acc``), append a row to ``run.history``,
    print one line with ``log``, and call ``on_epoch_end(run)`` (e.g. to save a
    checkpoint).  ``eval_train=True`` measures the training loss and accuracy with
    a separate pass in eval mode (no dropout) instead of on the fly -- the honest
    numbers for a train-test gap, at the price of one more forward pass.
    A NaN or infinite test loss (the epoch's last step diverged) raises TrainingError
    before the epoch is recorded, so ``on_epoch_end`` does not save the broken model.
    """
    cfg = run.config
    loader = DataLoader(TensorDataset(data.x_train, data.y_train),
                        batch_size=cfg["batch_size"], shuffle=True)
    width = len(str(epochs))
    for epoch in range(run.epoch + 1, epochs + 1):
        start = time.perf_counter()
        lr = epoch_lr(cfg["optimizer"], epoch)
        for group in run.optimizer.param_groups:
            group["lr"] = lr
        desc = f"{label}epoch {epoch:>{width}}/{epochs}"
        train_loss, train_acc = train_one_epoch(run.model, loader, run.optimizer,
                                                cfg.get("augment", 0), desc, progress,
                                                epoch=epoch)
        if eval_train:
            train_loss, train_acc = evaluate(run.model, data.x_train, data.y_train)
        test_loss, test_acc = evaluate(run.model, data.x_test, data.y_test)
        val = {}
        if data.x_val is not None:
            val["val_loss"], val["val_acc"] = evaluate(run.model, data.x_val, data.y_val)
        if not math.isfinite(test_loss):  # the epoch's last step diverged: keep the last save
            raise TrainingError(f"the test loss became {test_loss} at the end of epoch {epoch} "
                                f"(after batch {len(loader)}, its last): training stopped; "
                                f"lower the learning rate (--lr) or check the inputs for NaN/inf")
        row = dict(epoch=epoch, train_loss=train_loss, train_acc=train_acc,
                   test_loss=test_loss, test_acc=test_acc, lr=lr,
                   seconds=time.perf_counter() - start, **val)
        run.record(row)
        if log is not None:
            shown = f"val acc {100 * val['val_acc']:6.2f}%  " if val else ""
            log(f"{desc}  train loss {train_loss:.4f} acc {100 * train_acc:6.2f}%  {shown}"
                f"test loss {test_loss:.4f} acc {100 * test_acc:6.2f}%  {row['seconds']:5.1f} s")
        if on_epoch_end is not None:
            on_epoch_end(run)
    return run


# --------------------------------------------------------------------------
# Files: checkpoints, metrics, and not overwriting what is not ours
# --------------------------------------------------------------------------
def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and a rename: never half a file."""
    with atomic_open(path, "w") as f:
        f.write(text)


def metrics_csv(history: Mapping[str, Sequence[float]], columns: Sequence[str] = METRIC_COLUMNS,
                prefix: Sequence[tuple[str, Any]] = ()) -> str:
    """The history as CSV text: a header, then one row per epoch (``prefix`` columns first)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([k for k, _ in prefix] + list(columns))
    for i in range(len(history[columns[0]])):
        w.writerow([v for _, v in prefix] + [_fmt(history[k][i]) for k in columns])
    return buf.getvalue()


def _fmt(v: Any) -> Any:
    if isinstance(v, float):
        return f"{v:.6g}" if not v.is_integer() or abs(v) >= 1e6 else int(v)
    return v


def write_metrics(out_dir: Path, config: Mapping[str, Any],
                  history: Mapping[str, Sequence[float]]) -> None:
    """``metrics.csv`` (one row per epoch) and ``metrics.json`` (config, final row, history)."""
    out_dir = Path(out_dir)
    atomic_write_text(out_dir / "metrics.csv", metrics_csv(history))
    epochs = len(history["epoch"])
    final = {k: v[-1] for k, v in history.items()} if epochs else {}
    doc = {"format": METRICS_FORMAT, "config": config, "epochs": epochs,
           "final": final, "history": history}
    atomic_write_text(out_dir / "metrics.json", json.dumps(doc, indent=2) + "\n")


def save_checkpoint(path: Path, ckpt: Mapping[str, Any]) -> None:
    """Write a checkpoint atomically (``tinynet.save``): a crash leaves the old one intact."""
    save(dict(ckpt), path)


def load_checkpoint(path: str) -> dict[str, Any]:
    """Read and check a ``tinynet train`` checkpoint.  Raises TrainingError (one line)."""
    try:
        ckpt = load(Path(path))
    except FileNotFoundError:
        raise TrainingError(f"checkpoint not found: {path}") from None
    except IsADirectoryError:
        raise TrainingError(f"checkpoint {path} is a directory; give the model.npz file "
                            f"in it") from None
    except (CheckpointError, OSError) as e:  # a FIFO, a name too long, no permission, ...
        raise TrainingError(_one_line(e)) from None
    if not isinstance(ckpt, dict) or ckpt.get("kind") != CHECKPOINT_KIND:
        raise TrainingError(f"{path} is a tinynet file but not a `tinynet train` checkpoint")
    required = ("epoch", "config", "model", "optimizer", "rng_state", "history")
    missing = [k for k in required if k not in ckpt]
    if missing:
        raise TrainingError(f"checkpoint {path} is incomplete: it lacks {', '.join(missing)}")
    cfg = ckpt["config"]
    need = ("model", "optimizer", "dataset", "data_source", "data_fingerprint", "train_size",
            "seed", "batch_size")
    if not isinstance(cfg, dict) or any(k not in cfg for k in need):
        raise TrainingError(f"checkpoint {path} has an incomplete config")
    try:
        ckpt["config"] = check_run_config(cfg)
    except ConfigError as e:
        raise TrainingError(f"checkpoint {path} {e}") from None
    epoch = ckpt["epoch"]
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
        raise TrainingError(f"checkpoint {path} has a bad epoch count {epoch!r:.40}")
    history = ckpt["history"]
    for k in METRIC_COLUMNS:
        rows = history.get(k) if isinstance(history, dict) else None
        if rows is None:
            raise TrainingError(f"checkpoint {path} does not fit together: it lacks the "
                                f"entry '{k}' in its history")
        if not isinstance(rows, list) or len(rows) != epoch or not all(
                _finite_number(v) for v in rows):
            raise TrainingError(f"checkpoint {path} has a bad history column {k} (expected "
                                f"{epoch} finite numbers, one per completed epoch)")
    return ckpt


def model_from_checkpoint(path: str) -> tuple[nn.Sequential, dict[str, Any]]:
    """The network a checkpoint describes, with its trained weights, and the checkpoint.

    Built from the checkpoint's own configuration (no flags needed).  Raises
    TrainingError (one line) if the file is not a checkpoint or the weights do not fit.
    """
    ckpt = load_checkpoint(path)
    model = build_cnn(ckpt["config"]["model"])
    try:
        model.load_state_dict(ckpt["model"])
    except (RuntimeError, TypeError, ValueError) as e:
        raise TrainingError(f"{path}: the weights do not fit the model it "
                            f"describes ({' '.join(str(e).split())[:200]})") from None
    return model, ckpt


def _finite_number(v: Any) -> bool:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        return False
    try:
        return math.isfinite(v)
    except OverflowError:
        return False


# What each file tinynet writes looks like, so a file in the way can be recognised.
def is_tinynet_csv(path: Path, header: Sequence[str]) -> bool:
    try:
        with io.TextIOWrapper(open_regular(path), encoding="utf-8") as f:
            return f.readline(4096).rstrip("\r\n") == ",".join(header)
    except (OSError, UnicodeDecodeError):
        return False


def is_tinynet_json(path: Path, fmt: str) -> bool:
    try:
        with io.TextIOWrapper(open_regular(path), encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(doc, dict) and doc.get("format") == fmt


def is_tinynet_checkpoint(path: Path) -> bool:
    try:
        ckpt = load(path)
    except (CheckpointError, OSError):
        return False
    return isinstance(ckpt, dict) and ckpt.get("kind") == CHECKPOINT_KIND


def check_output_dir(out: str, files: Mapping[str, Callable[[Path], bool]],
                     flag: str = "--out") -> Path:
    """Check that ``out`` can hold ``files`` (name -> "is this our file?") without
    overwriting anything tinynet did not write.  Creates nothing.

    Raises TrainingError if ``out`` is a file, cannot be created, or holds one of
    the names as a directory or as a file tinynet did not write.
    """
    if not str(out).strip():  # Path("") is the current folder: an unset shell variable?
        raise TrainingError(f"{flag} is empty; give a directory")
    try:
        return _check_output_dir(Path(out), out, files, flag)
    except OSError as e:  # a name over 255 bytes, a folder we may not even look into, ...
        raise TrainingError(f"{flag} {out}: {os_error_text(e).split(': ')[0]}") from None


def _check_output_dir(path: Path, out: str, files: Mapping[str, Callable[[Path], bool]],
                      flag: str) -> Path:
    if path.exists() and not path.is_dir():
        raise TrainingError(f"{flag} {out} is an existing file; give a directory")
    if path.is_dir():
        if not os.access(path, os.W_OK | os.X_OK):
            raise TrainingError(f"{flag} {out}: the directory is not writable")
        for name, ours in files.items():
            f = path / name
            if f.is_dir():
                raise TrainingError(f"{flag} {out}: {f} is a directory")
            kind = special_kind(f.stat().st_mode) if f.exists() else None
            if kind:  # a FIFO would block whoever opens it to look
                raise TrainingError(f"{flag} {out}: {f} is {kind}, not a regular file; move "
                                    f"it or choose another {flag}")
            if f.exists() and not ours(f):
                raise TrainingError(f"{flag} {out}: refusing to overwrite {f}, which tinynet "
                                    f"did not write; move it or choose another {flag}")
        return path
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise TrainingError(f"{flag} {out}: {parent} is a file, so the directory cannot be made")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise TrainingError(f"{flag} {out}: cannot create it ({parent} is not writable)")
    return path


def make_output_dir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise TrainingError(f"cannot create {path}: {e.strerror or e}") from None
