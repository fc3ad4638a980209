"""tinynet's one CNN: the network every command, demo and benchmark trains.

:func:`reference_cnn` is the course's reference CNN; ``tinynet train``,
``compare-dropout`` (with and without dropout), ``graph``, the demos and
``bench/train_step.py`` all build it here, so they all train and draw the same net::

    model = reference_cnn()                   # dropout 0.5 before the last layer
    model = reference_cnn(dropout=0.0)        # the same net without dropout

Behind it is a plain config dict.  A config is JSON-friendly, so a checkpoint can
carry it and ``tinynet evaluate`` can rebuild the very same network without any flags::

    config = cnn_config(dropout=0.5)          # the reference CNN's config
    model = build_cnn(config)

For each entry ``c`` of ``channels`` the network has one block
``Conv2d(3x3, padding 1) -> ReLU -> MaxPool2d(2)`` (each block halves the image
side), optionally followed by ``Dropout(conv_dropout)``; then
``Flatten -> Linear(hidden) -> ReLU -> Dropout(dropout) -> Linear(num_classes)``.
With the defaults (``channels=[8, 16]``, ``hidden=128``) this is the course's reference CNN:

    Conv2d(1,8,3,p=1)-ReLU-MaxPool2d(2)-Conv2d(8,16,3,p=1)-ReLU-MaxPool2d(2)
    -Flatten-Linear(784,128)-ReLU-Dropout(0.5)-Linear(128,10)

Layers have names (``conv1``, ``fc1``, ...) rather than numbers, so the
state_dict keys (``conv1.weight``, ``fc2.bias``) do not depend on which dropout
layers are present: a model with dropout and one without have the same keys.
"""
from __future__ import annotations

import numbers
from collections import OrderedDict
from typing import Any, Mapping

from . import nn

__all__ = ["CNN_DEFAULTS", "cnn_config", "build_cnn", "describe_cnn", "reference_cnn"]

# Every key a CNN config has, with its default: together, the reference CNN.
CNN_DEFAULTS: dict[str, Any] = {
    "arch": "cnn",
    "in_channels": 1,       # grey images
    "image_size": 28,       # MNIST's 28 x 28 pixels
    "num_classes": 10,
    "channels": [8, 16],    # output channels of the conv blocks
    "hidden": 128,          # width of the fully connected hidden layer
    "conv_dropout": 0.0,    # Dropout after each conv block (0 = none)
    "dropout": 0.5,         # Dropout before the last layer (0 = none)
}


def _positive_int(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"CNN config: {key} must be a positive int, got {value!r}")
    return int(value)


def _probability(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not 0.0 <= float(value) < 1.0:
        raise ValueError(f"CNN config: {key} is a dropout probability in [0, 1), "
                         f"got {value!r}")
    return float(value)


def cnn_config(config: Mapping[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    """A complete, checked CNN config: the defaults, updated by ``config`` then ``overrides``.

    Raises ValueError naming the key if a value is out of range or a key is unknown
    (e.g. a damaged checkpoint), and if the pooling would shrink the image below 1 pixel.
    """
    given = dict(config or {})
    given.update(overrides)
    unknown = sorted(set(given) - set(CNN_DEFAULTS))
    if unknown:
        raise ValueError(f"CNN config: unknown key(s) {unknown}; "
                         f"expected some of {sorted(CNN_DEFAULTS)}")
    cfg = {**CNN_DEFAULTS, **given}
    if cfg["arch"] != "cnn":
        raise ValueError(f"CNN config: arch must be 'cnn', got {cfg['arch']!r}")
    for key in ("in_channels", "image_size", "num_classes", "hidden"):
        cfg[key] = _positive_int(key, cfg[key])
    channels = cfg["channels"]
    if isinstance(channels, (str, bytes)) or not hasattr(channels, "__iter__"):
        raise ValueError(f"CNN config: channels must be a list of ints, got {channels!r}")
    cfg["channels"] = [_positive_int("channels", c) for c in channels]
    if not cfg["channels"]:
        raise ValueError("CNN config: channels must list at least one conv block")
    for key in ("conv_dropout", "dropout"):
        cfg[key] = _probability(key, cfg[key])
    if cfg["image_size"] >> len(cfg["channels"]) < 1:
        raise ValueError(f"CNN config: {len(cfg['channels'])} pooling steps shrink a "
                         f"{cfg['image_size']}-pixel image to nothing")
    return cfg


def build_cnn(config: Mapping[str, Any] | None = None) -> nn.Sequential:
    """The network described by ``config`` (see :func:`cnn_config`), freshly initialised.

    Input (N, in_channels, image_size, image_size) -> output (N, num_classes) scores (logits).
    Initial weights are drawn from tinynet's generator: seed first with ``tinynet.manual_seed``.
    """
    cfg = cnn_config(config)
    layers: "OrderedDict[str, nn.Module]" = OrderedDict()
    c_in, side = cfg["in_channels"], cfg["image_size"]
    for i, c_out in enumerate(cfg["channels"], start=1):
        layers[f"conv{i}"] = nn.Conv2d(c_in, c_out, 3, padding=1)
        layers[f"relu{i}"] = nn.ReLU()
        layers[f"pool{i}"] = nn.MaxPool2d(2)  # halves the side (rounding down)
        if cfg["conv_dropout"] > 0:
            layers[f"drop{i}"] = nn.Dropout(cfg["conv_dropout"])
        c_in, side = c_out, side // 2
    layers["flatten"] = nn.Flatten()
    layers["fc1"] = nn.Linear(c_in * side * side, cfg["hidden"])
    layers["relu_fc"] = nn.ReLU()
    if cfg["dropout"] > 0:
        layers["drop_fc"] = nn.Dropout(cfg["dropout"])
    layers["fc2"] = nn.Linear(cfg["hidden"], cfg["num_classes"])
    return nn.Sequential(layers)


def reference_cnn(dropout: float = 0.5, conv_dropout: float = 0.0) -> nn.Sequential:
    """The reference CNN, freshly initialised (seed first with ``tinynet.manual_seed``)::

        Conv2d(1,8,3,p=1)-ReLU-MaxPool2d(2)-Conv2d(8,16,3,p=1)-ReLU-MaxPool2d(2)
        -Flatten-Linear(784,128)-ReLU-Dropout(dropout)-Linear(128,10)

    ``dropout`` is the probability of dropping a hidden unit before the last layer,
    ``conv_dropout`` after each conv block (0 = no such layer).
    Input (N, 1, 28, 28) -> output (N, 10) class scores (logits).
    """
    return build_cnn(cnn_config(dropout=dropout, conv_dropout=conv_dropout))


def describe_cnn(config: Mapping[str, Any]) -> str:
    """One line, e.g. ``conv 1->8->16, fc 784->128->10, dropout 0.5``."""
    cfg = cnn_config(config)
    side = cfg["image_size"] >> len(cfg["channels"])
    flat = cfg["channels"][-1] * side * side
    convs = "->".join(str(c) for c in [cfg["in_channels"], *cfg["channels"]])
    text = f"conv {convs}, fc {flat}->{cfg['hidden']}->{cfg['num_classes']}"
    drops = []
    if cfg["conv_dropout"] > 0:
        drops.append(f"conv dropout {cfg['conv_dropout']:g}")
    drops.append(f"dropout {cfg['dropout']:g}" if cfg["dropout"] > 0 else "no dropout")
    return text + ", " + ", ".join(drops)
