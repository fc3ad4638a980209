"""Activation functions under their torch.nn.functional names.

The ops themselves (forward and backward) live in ``tinynet/ops``; these are the
names PyTorch code expects, ``F.relu(x)``, ``F.softmax(x, dim=1)`` ...
"""
from __future__ import annotations

import numpy as np

from ...ops import elementwise, reduce
from ...tensor import Tensor, is_grad_enabled
from ..._names import type_name

__all__ = ["relu", "tanh", "sigmoid", "softmax", "log_softmax"]


def _tensor(input: object, fn: str) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}: input must be a Tensor, got {type_name(input)}; "
                        f"wrap arrays with tinynet.tensor(...)")
    return input


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0), elementwise.  ``inplace=True`` overwrites the input and returns it; while
    recording, an input made by an op gets the out-of-place result instead (the same
    values and gradients), as ``x += y`` does, and a leaf that requires grad is refused."""
    x = _tensor(input, "relu")
    if not inplace:
        return elementwise.relu(x)
    if is_grad_enabled() and x.requires_grad:
        if x.is_leaf:
            raise RuntimeError("relu(inplace=True): a leaf tensor that requires grad cannot "
                               "be changed in place (as in PyTorch); use inplace=False")
        return elementwise.relu(x)
    return x._inplace("relu", lambda d: np.maximum(d, 0, out=d))


def tanh(input: Tensor) -> Tensor:
    """tanh(x), elementwise."""
    return elementwise.tanh(_tensor(input, "tanh"))


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x)), elementwise."""
    return elementwise.sigmoid(_tensor(input, "sigmoid"))


def softmax(input: Tensor, dim: int) -> Tensor:
    """exp(x_i) / sum_j exp(x_j) along ``dim``."""
    return reduce.softmax(_tensor(input, "softmax"), dim=dim)


def log_softmax(input: Tensor, dim: int) -> Tensor:
    """log(softmax(x)) along ``dim``, computed stably."""
    return reduce.log_softmax(_tensor(input, "log_softmax"), dim=dim)
