"""Regression loss modules: L1Loss, SmoothL1Loss, HuberLoss (thin wrappers that keep the
settings and call the functionals in ``functional/regression.py``)."""
from __future__ import annotations

from typing import Any, Optional

from ..tensor import Tensor
from .functional._elementwise_loss import check_reduction, legacy_reduction
from .functional.regression import huber_loss, l1_loss, smooth_l1_loss
from .module import Module

__all__ = ["L1Loss", "SmoothL1Loss", "HuberLoss"]


def _reduction(module: Module, size_average: Optional[bool], reduce: Optional[bool],
               reduction: str) -> str:
    name = type(module).__name__
    return check_reduction(name, legacy_reduction(name, size_average, reduce, reduction))


class L1Loss(Module):
    """``loss(input, target)`` of equal shapes: ``|input - target|``, reduced."""

    def __init__(self, size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                 reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = _reduction(self, size_average, reduce, reduction)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(Module):
    """``loss(input, target)``: 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta."""

    def __init__(self, size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                 reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__()
        self.reduction = _reduction(self, size_average, reduce, reduction)
        if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not beta >= 0:
            raise ValueError(f"SmoothL1Loss: beta must be a number >= 0, got {beta!r}")
        self.beta = float(beta)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(Module):
    """``loss(input, target)``: 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta)."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__()
        self.reduction = _reduction(self, None, None, reduction)
        if isinstance(delta, bool) or not isinstance(delta, (int, float)) or not delta > 0:
            raise ValueError(f"HuberLoss: delta must be a number > 0, got {delta!r}")
        self.delta = float(delta)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return huber_loss(input, target, reduction=self.reduction, delta=self.delta)
