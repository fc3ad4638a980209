"""Kullback-Leibler divergence, composed from existing ops.

KL(P || Q) = sum_i p_i (log p_i - log q_i).  As in PyTorch, ``input`` holds log q (the
model's log-probabilities, e.g. from log_softmax) and ``target`` holds p (or log p with
``log_target=True``).
"""
from __future__ import annotations

import warnings
from typing import Any, Optional

from ...ops.elementwise import exp, log, where
from ...tensor import Tensor
from ._elementwise_loss import check_input, check_reduction, check_target, legacy_reduction

__all__ = ["kl_div"]


def _xlogx(p: Tensor) -> Tensor:
    """p log p, with 0 log 0 = 0 (its limit): log is taken of 1 where p is 0, so neither
    the value nor the gradient sees log 0 (negative p gives nan, as PyTorch's xlogy)."""
    zero = p.array == 0
    return where(zero, 0.0, p * log(where(zero, 1.0, p)))


def kl_div(input: Tensor, target: Any, size_average: Optional[bool] = None,
           reduce: Optional[bool] = None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """Pointwise KL divergence ``p (log p - input)`` between log-probabilities ``input``
    and probabilities ``target`` = p (``log_target=True``: target is log p, and the term
    is ``e^target (target - input)``); then reduced.

    Reductions: 'batchmean' (the KL divergence per sample: the sum divided by the batch
    size ``input.shape[0]``), 'sum', 'none' (the input's shape), and 'mean', which divides
    by the number of ELEMENTS -- not the KL divergence; PyTorch warns about it, and so
    does tinynet.  Shapes: input and target equal.
    """
    name = "kl_div"
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(name, size_average, reduce, reduction)
    else:
        check_reduction(name, reduction, ("mean", "batchmean", "sum", "none"))
        if reduction == "mean":
            warnings.warn("kl_div: reduction='mean' divides the total loss by both the batch "
                          "size and the support size; 'batchmean' divides only by the batch "
                          "size, and aligns with the KL div math definition (as PyTorch warns)",
                          UserWarning, stacklevel=2)
    x = check_input(name, input)
    t = check_target(name, x, target)
    if log_target:
        losses = exp(t) * (t - x)
    else:
        losses = _xlogx(t) - t * x  # PyTorch's xlogy(p, p) - p * input
    if reduction == "none":
        return losses
    if reduction == "mean":
        return losses.mean()
    total = losses.sum()
    return total / x.shape[0] if reduction == "batchmean" and x.ndim else total
