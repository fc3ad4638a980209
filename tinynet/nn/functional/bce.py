"""Binary cross-entropy, on probabilities and on logits, composed from existing ops.

For a predicted probability x of the positive class and a target t in [0, 1]:

    BCE(x, t) = -[t log x + (1 - t) log(1 - x)]

On logits z (x = sigmoid(z)) the same loss is computed without ever forming x, which
would round to 0 or 1 for large |z|:  log sigmoid(z) = min(z, 0) - log(1 + e^-|z|) and
log(1 - sigmoid(z)) = -max(z, 0) - log(1 + e^-|z|), where e^-|z| <= 1 never overflows.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ...ops.elementwise import abs, exp, log, log1p, maximum, minimum, where
from ...tensor import Tensor
from ._elementwise_loss import (check_constant, check_input, check_reduction, check_target,
                                legacy_reduction, reduce_loss)

__all__ = ["binary_cross_entropy", "binary_cross_entropy_with_logits"]

_LOG_FLOOR = -100.0  # PyTorch clamps BCE's logarithms here, so x = 0 or 1 gives 100, not inf


def _floored(fn: Any, arg: Tensor, at: float) -> Tensor:
    """max(fn(arg), -100) with gradient 0 where the floor is taken, and no inf or nan
    anywhere in the backward: ``fn`` is applied to ``at`` (a harmless point) instead of
    ``arg`` where the floor wins, and ``where`` then picks -100 there (the "double where":
    a single where would multiply a gradient of 0 by fn's infinite slope, giving nan)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        keep = fn(Tensor(arg.array)).array > _LOG_FLOOR
    return where(keep, fn(where(keep, arg, at)), _LOG_FLOOR)


def binary_cross_entropy(input: Tensor, target: Any, weight: Any = None,
                         size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                         reduction: str = "mean") -> Tensor:
    """Binary cross-entropy between probabilities ``input`` and targets in [0, 1].

    ``loss = -w [t max(log x, -100) + (1 - t) max(log(1 - x), -100)]`` elementwise (the
    -100 floor is PyTorch's: x = 0 or 1 costs 100, not inf), then reduced: 'mean' over
    every element, 'sum', or 'none' (the input's shape).  ``target`` has the input's
    shape and may require grad; ``weight`` broadcasts to it and gets no gradient.
    Where a floor is taken the gradient is 0 (PyTorch divides by max(x (1 - x), 1e-12)
    there instead); elsewhere both are dloss/dx = w (x - t) / (x (1 - x)).
    For logits use :func:`binary_cross_entropy_with_logits`: it is stable.
    """
    name = "binary_cross_entropy"
    reduction = check_reduction(name, legacy_reduction(name, size_average, reduce, reduction))
    x = check_input(name, input)
    t = check_target(name, x, target)
    w = check_constant(name, "weight", weight, x)
    for what, v in (("input", x), ("target", t)):
        a = v.array
        if a.size and not ((a >= 0) & (a <= 1)).all():  # NaN fails too, as in torch
            raise ValueError(f"{name}: all elements of {what} should be between 0 and 1"
                             + ("; for logits use binary_cross_entropy_with_logits "
                                "(or apply sigmoid first)" if what == "input" else ""))
    # torch's form: (t - 1) max(log1p(-x), -100) - t max(log x, -100)
    losses = (t - 1) * _floored(lambda v: log1p(-v), x, 0.0) - t * _floored(log, x, 1.0)
    if w is not None:
        losses = losses * w
    return reduce_loss(losses, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Any, weight: Any = None,
                                     size_average: Optional[bool] = None,
                                     reduce: Optional[bool] = None, reduction: str = "mean",
                                     pos_weight: Any = None) -> Tensor:
    """Binary cross-entropy on logits ``input`` (sigmoid applied inside, stably).

    ``loss = -w [p t log s(z) + (1 - t) log(1 - s(z))]`` elementwise, with s the sigmoid
    and ``p = pos_weight`` (1 without), computed as ``log s(z) = min(z, 0) - log(1 + e^-|z|)``
    and ``log(1 - s(z)) = -max(z, 0) - log(1 + e^-|z|)``: finite for any finite z.
    ``pos_weight`` (e.g. shape (C,) for (N, C) logits: one weight per class) and
    ``weight`` broadcast to the input and get no gradient; ``target`` (the input's shape)
    may require grad.  Reduced as :func:`binary_cross_entropy`.
    """
    name = "binary_cross_entropy_with_logits"
    reduction = check_reduction(name, legacy_reduction(name, size_average, reduce, reduction))
    z = check_input(name, input)
    t = check_target(name, z, target)
    w = check_constant(name, "weight", weight, z)
    pw = check_constant(name, "pos_weight", pos_weight, z)
    # log s(z) = min(z, 0) - softplus and log(1 - s(z)) = -max(z, 0) - softplus, with
    # softplus = log(1 + e^-|z|) (e^-|z| <= 1 never overflows).  Written as two terms, not
    # torch's (1 - t) z - log s(z): then the gradient s(z) - t keeps its tiny values
    # (s(-50) = 2e-22) instead of rounding 1 - (1 - 2e-22) to 0.
    softplus = log1p(exp(-abs(z)))
    pos = t if pw is None else pw * t
    losses = (1 - t) * (maximum(z, 0.0) + softplus) - pos * (minimum(z, 0.0) - softplus)
    if w is not None:
        losses = losses * w
    return reduce_loss(losses, reduction)
