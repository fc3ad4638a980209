"""Loss modules: thin wrappers that hold the reduction settings and call the functionals."""
from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from . import functional as F
from .functional.loss import (_check_ignore_index, _check_label_smoothing,
                             _check_reduction, _check_weight)
from .module import Module

__all__ = ["CrossEntropyLoss", "NLLLoss", "MSELoss"]


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        _check_reduction(type(self).__name__, reduction)
        self.reduction = reduction


class _WeightedLoss(_Loss):
    """A class loss with optional class weights, kept as the buffer ``weight`` (as PyTorch)."""

    def __init__(self, weight: Any, reduction: str, ignore_index: int) -> None:
        super().__init__(reduction)
        name = type(self).__name__
        _check_weight(name, weight)
        self.ignore_index = _check_ignore_index(name, ignore_index)
        self.register_buffer("weight", weight)


class CrossEntropyLoss(_WeightedLoss):
    """``loss(logits, target)``: softmax cross-entropy, see ``F.cross_entropy``.

    Shapes: logits (N, C), (N, C, d1, ...) or unbatched (C,); target integer class
    indices (N,), (N, d1, ...) or (), or class probabilities of the logits' shape.
    ``loss = -sum_c w_c q_c log softmax(x)_c`` with ``q = (1-s) onehot(t) + s/C``
    (``s = label_smoothing``; ``(1-s) p + s/C`` for probabilities p).  ``weight``: None or
    (C,) class weights, a buffer (in ``state_dict``, cast by ``.to()``), no gradient;
    targets equal to ``ignore_index`` count 0 loss and are left out of the 'mean'.
    """

    def __init__(self, weight: Any = None, *, ignore_index: int = -100,
                 reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(weight, reduction, ignore_index)
        self.label_smoothing = _check_label_smoothing("CrossEntropyLoss", label_smoothing)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """``loss(log_probs, target)``: ``-w_t log_probs[t]`` per target, reduced; see ``F.nll_loss``.

    Shapes: log_probs (N, C), (N, C, d1, ...) or unbatched (C,); target integer class
    indices (N,), (N, d1, ...) or ().  ``weight``: None or (C,) class weights (``w_t = 1``
    without), a buffer, no gradient; targets equal to ``ignore_index`` count 0 loss;
    'mean' divides by ``sum w_t`` over the other targets.
    """

    def __init__(self, weight: Any = None, *, ignore_index: int = -100,
                 reduction: str = "mean") -> None:
        super().__init__(weight, reduction, ignore_index)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class MSELoss(_Loss):
    """``loss(input, target)`` of equal shapes: ``(input - target)^2``, reduced."""

    def __init__(self, *, reduction: str = "mean") -> None:
        super().__init__(reduction)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)
