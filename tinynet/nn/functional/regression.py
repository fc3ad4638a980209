"""Regression losses on the difference d = input - target: L1, smooth L1 and Huber.

Composed from existing ops (``abs``, ``where``, ``mean``), so the gradients are theirs:
sign(d) for |d| (0 at d = 0, as PyTorch), and d / beta (or d) on the quadratic part.
"""
from __future__ import annotations

import numbers
from typing import Any, Optional

from ...ops.elementwise import abs, where
from ...tensor import Tensor
from ..._names import type_name
from ._elementwise_loss import (check_input, check_reduction, check_target, legacy_reduction,
                                reduce_loss)

__all__ = ["l1_loss", "smooth_l1_loss", "huber_loss"]


def _difference(name: str, input: Tensor, target: Any) -> Tensor:
    x = check_input(name, input)
    return x - check_target(name, x, target)


def _number(name: str, what: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: {what} must be a number, got {type_name(value)}")
    return float(value)


def _elementwise_weight(name: str, weight: Any, input: Tensor) -> Optional[Tensor]:
    """PyTorch's ``weight`` of l1_loss and huber_loss: one weight per element."""
    if weight is None:
        return None
    if not isinstance(weight, Tensor):
        weight = Tensor._lift(weight, input)
    if weight.shape != input.shape:
        raise ValueError(f"{name}: weight must have the input's shape {input.shape} (one "
                         f"weight per element), got {weight.shape}")
    return weight


def l1_loss(input: Tensor, target: Any, size_average: Optional[bool] = None,
            reduce: Optional[bool] = None, reduction: str = "mean",
            weight: Any = None) -> Tensor:
    """Mean absolute error: ``|input - target|`` elementwise, reduced.

    Shapes: input and target equal (see :func:`tinynet.nn.functional.mse_loss` for why
    they are not broadcast).  ``weight`` (the input's shape, optional) multiplies each
    term; with it, 'mean' divides by ``sum(weight)`` (PyTorch's rule for l1_loss).
    """
    name = "l1_loss"
    reduction = check_reduction(name, legacy_reduction(name, size_average, reduce, reduction))
    losses = abs(_difference(name, input, target))
    w = _elementwise_weight(name, weight, input)
    if w is None:
        return reduce_loss(losses, reduction)
    losses = losses * w
    return losses.sum() / w.sum() if reduction == "mean" else reduce_loss(losses, reduction)


def smooth_l1_loss(input: Tensor, target: Any, size_average: Optional[bool] = None,
                   reduce: Optional[bool] = None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """Smooth L1: quadratic near 0, linear beyond ``beta``; elementwise, then reduced::

        loss = 0.5 d^2 / beta   if |d| < beta
               |d| - 0.5 beta   otherwise            (d = input - target)

    The two pieces meet with equal value and slope at |d| = beta.  ``beta=0`` is the
    L1 loss.  ``huber_loss(d, delta) = delta * smooth_l1_loss(d, beta=delta)``.
    """
    name = "smooth_l1_loss"
    reduction = check_reduction(name, legacy_reduction(name, size_average, reduce, reduction))
    beta = _number(name, "beta", beta)
    if not beta >= 0:
        raise ValueError(f"{name}: beta must be >= 0 (smooth_l1_loss does not support "
                         f"negative values for beta), got {beta}")
    d = _difference(name, input, target)
    ad = abs(d)
    if beta == 0:  # as PyTorch: the L1 loss (0.5 d^2 / 0 would be 0/0)
        return reduce_loss(ad, reduction)
    losses = where(ad.array < beta, 0.5 * d * d / beta, ad - 0.5 * beta)
    return reduce_loss(losses, reduction)


def huber_loss(input: Tensor, target: Any, reduction: str = "mean", delta: float = 1.0,
               weight: Any = None) -> Tensor:
    """Huber loss: quadratic near 0, linear (slope ``delta``) beyond; then reduced::

        loss = 0.5 d^2                    if |d| < delta
               delta (|d| - 0.5 delta)    otherwise        (d = input - target)

    ``delta > 0``.  ``weight`` (the input's shape, optional) multiplies each term; with
    it 'mean' still divides by the number of elements (PyTorch's rule for huber_loss).
    """
    name = "huber_loss"
    reduction = check_reduction(name, reduction)
    delta = _number(name, "delta", delta)
    if not delta > 0:
        raise ValueError(f"{name}: delta must be > 0 (huber_loss does not support "
                         f"non-positive values for delta), got {delta}")
    d = _difference(name, input, target)
    ad = abs(d)
    losses = where(ad.array < delta, 0.5 * d * d, delta * (ad - 0.5 * delta))
    w = _elementwise_weight(name, weight, input)
    return reduce_loss(losses if w is None else losses * w, reduction)
