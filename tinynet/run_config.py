"""What a training run's configuration may hold, checked before anything is built from it.

A checkpoint carries its run's configuration (see :class:`tinynet.training.Run`), and
``tinynet train --resume`` and ``tinynet evaluate`` build a network, an optimizer and a
data loader from it.  A configuration that was edited, or crafted, could ask for a hidden
layer of 10**9 units, a learning rate of 10**400 or 56-pixel images; unchecked, that
would be a MemoryError, an OverflowError or a shape error deep in the forward pass.
:func:`check_run_config` accepts exactly what the command line could have written: the
ranges its flags accept, finite numbers, and a network that fits the dataset's images.
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Mapping

from .models import cnn_config

__all__ = ["ConfigError", "check_run_config", "DATASET_IMAGES", "LIMITS"]

DATASETS = ("mnist", "fashion-mnist")
OPTIMIZERS = ("sgd", "adam")

# What each dataset's images are: the network's input and output must match them.
DATASET_IMAGES: dict[str, dict[str, int]] = {
    "mnist": {"in_channels": 1, "image_size": 28, "num_classes": 10},
    "fashion-mnist": {"in_channels": 1, "image_size": 28, "num_classes": 10},
}

# Bounds on what no flag sets but a network needs (generous: the commands use 8-64
# channels and 128-256 hidden units), so that building one stays within memory.
LIMITS = {"channels": 1024, "hidden": 16384, "parameters": 2 ** 26}


class ConfigError(ValueError):
    """A configuration field out of range; ``field`` names it (``optimizer.lr``).  The
    message reads after the name of the checkpoint: "has a bad lr ... (expected ...)"."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _bad(field: str, value: Any, expected: str) -> ConfigError:
    key = field.rsplit(".", 1)[-1]
    where = "config" if "." not in field else f"{field.split('.')[0]} entry"
    return ConfigError(field, f"has a bad {key} {value!r:.40} in its {where} "
                              f"(expected {expected})")


def _int(field: str, value: Any, low: int, high: float = math.inf) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) \
            or not low <= value <= high:
        expected = f"an integer >= {low}" if high == math.inf else \
            f"an integer from {low} to {int(high)}"
        raise _bad(field, value, expected)
    return int(value)


def _real(field: str, value: Any, low: float, high: float, low_open: bool = False,
          high_open: bool = False) -> float:
    try:
        ok = not isinstance(value, bool) and isinstance(value, numbers.Real)
        x = float(value) if ok else math.nan
    except OverflowError:  # an int such as 10**400
        x = math.inf
    inside = (low < x if low_open else low <= x) and (x < high if high_open else x <= high)
    if not (math.isfinite(x) and inside):
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        top = "inf)" if high == math.inf else f"{high:g}{right}"
        raise _bad(field, value, f"a finite number in {left}{low:g}, {top}")
    return x


def _parameters(model: Mapping[str, Any]) -> int:
    """How many numbers the network of :func:`tinynet.models.build_cnn` holds: 3x3 convs
    with biases, each followed by a 2x2 pooling, then two fully connected layers."""
    count, c_in, side = 0, model["in_channels"], model["image_size"]
    for c_out in model["channels"]:
        count += c_out * c_in * 9 + c_out
        c_in, side = c_out, side // 2
    flat, hidden = c_in * side * side, model["hidden"]
    return count + flat * hidden + hidden + hidden * model["num_classes"] + model["num_classes"]


def check_run_config(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Check a run's configuration; returns a copy with the model's config completed.

    Raises :class:`ConfigError` naming the first field out of range.  Fields a newer
    tinynet may add are left alone; every field this one uses is checked.
    """
    if not isinstance(cfg, Mapping):
        raise ConfigError("config", f"has a config that is a {type(cfg).__name__}, not a dict")
    out = dict(cfg)
    dataset = cfg.get("dataset")
    if dataset not in DATASETS:
        raise ConfigError("dataset", f"names an unknown dataset {dataset!r:.40}")
    if cfg.get("data_source") not in ("embedded", "files"):
        raise _bad("data_source", cfg.get("data_source"), "'embedded' or 'files'")
    if not isinstance(cfg.get("data_fingerprint"), str):
        raise _bad("data_fingerprint", cfg.get("data_fingerprint"), "a string")
    run_id = cfg.get("run_id")
    if run_id is not None and not (isinstance(run_id, str) and 0 < len(run_id) <= 64):
        raise _bad("run_id", run_id, "a short string")
    _int("seed", cfg.get("seed"), 0)
    _int("batch_size", cfg.get("batch_size"), 1)
    if cfg.get("train_size") is not None:
        _int("train_size", cfg["train_size"], 1)
    if cfg.get("epochs") is not None:
        _int("epochs", cfg["epochs"], 1)
    images = DATASET_IMAGES[dataset]
    # a shift as large as the image leaves nothing of it
    _int("augment", cfg.get("augment", 0), 0, images["image_size"] - 1)

    opt = cfg.get("optimizer")
    if not isinstance(opt, Mapping) or opt.get("name") not in OPTIMIZERS:
        raise ConfigError("optimizer", f"has an unusable optimizer entry {opt!r:.80}")
    _real("optimizer.lr", opt.get("lr"), 0, math.inf, low_open=True)
    _real("optimizer.lr_decay", opt.get("lr_decay", 1.0), 0, 1, low_open=True)
    _real("optimizer.weight_decay", opt.get("weight_decay", 0.0), 0, math.inf)
    if opt["name"] == "sgd":
        _real("optimizer.momentum", opt.get("momentum", 0.9), 0, 1, high_open=True)

    try:
        model = cnn_config(cfg.get("model"))
    except (ValueError, TypeError) as e:
        raise ConfigError("model", f"has a bad model entry: {e}") from None
    for key, want in images.items():
        if model[key] != want:
            raise ConfigError(f"model.{key}", f"has a model entry with {key} {model[key]}, but "
                              f"{dataset} has {want} (images of {images['in_channels']} x "
                              f"{images['image_size']} x {images['image_size']}, "
                              f"{images['num_classes']} classes)")
    for c in model["channels"]:
        _int("model.channels", c, 1, LIMITS["channels"])
    _int("model.hidden", model["hidden"], 1, LIMITS["hidden"])
    n = _parameters(model)
    if n > LIMITS["parameters"]:
        raise ConfigError("model", f"has a model entry describing a network of {n:,} numbers, "
                          f"more than {LIMITS['parameters']:,}")
    out["model"] = model
    return out
