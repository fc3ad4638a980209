"""Loss modules: thin wrappers that hold the reduction settings and call the functionals."""
from __future__ import annotations

import numbers
from typing import Any

from ..tensor import Tensor
from . import functional as F
from .functional.loss import _check_reduction
from .module import Module

__all__ = ["CrossEntropyLoss", "NLLLoss", "MSELoss"]


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        _check_reduction(type(self).__name__, reduction)
        self.reduction = reduction


class CrossEntropyLoss(_Loss):
    """``loss(logits (N, C), target (N,) int)``: softmax cross-entropy, see ``F.cross_entropy``."""

    def __init__(self, *, reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(reduction)
        if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, numbers.Real) \
                or not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be a number in [0, 1], "
                             f"got {label_smoothing!r}")
        self.label_smoothing = float(label_smoothing)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(input, target, reduction=self.reduction,
                               label_smoothing=self.label_smoothing)


class NLLLoss(_Loss):
    """``loss(log_probs (N, C), target (N,) int)``: ``-log_probs[i, target_i]``, reduced."""

    def __init__(self, *, reduction: str = "mean") -> None:
        super().__init__(reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(input, target, reduction=self.reduction)


class MSELoss(_Loss):
    """``loss(input, target)`` of equal shapes: ``(input - target)^2``, reduced."""

    def __init__(self, *, reduction: str = "mean") -> None:
        super().__init__(reduction)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)
