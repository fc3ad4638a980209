"""Loss modules on probabilities: BCELoss, BCEWithLogitsLoss, KLDivLoss (thin wrappers
that keep the settings and call the functionals in ``functional/bce.py`` and
``functional/kl_div.py``)."""
from __future__ import annotations

from typing import Any, Optional

from ..tensor import Tensor
from .functional._elementwise_loss import check_reduction, legacy_reduction
from .functional.bce import binary_cross_entropy, binary_cross_entropy_with_logits
from .functional.kl_div import kl_div
from .module import Module

__all__ = ["BCELoss", "BCEWithLogitsLoss", "KLDivLoss"]


class BCELoss(Module):
    """``loss(probabilities, target)``: binary cross-entropy, see ``F.binary_cross_entropy``.

    ``-w [t log x + (1 - t) log(1 - x)]`` elementwise (logs floored at -100), reduced.
    ``weight`` (broadcasting to the input) is a buffer: in ``state_dict``, no gradient.
    """

    def __init__(self, weight: Any = None, size_average: Optional[bool] = None,
                 reduce: Optional[bool] = None, reduction: str = "mean") -> None:
        super().__init__()
        name = type(self).__name__
        self.reduction = check_reduction(name, legacy_reduction(name, size_average, reduce,
                                                                reduction))
        self.register_buffer("weight", weight)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(Module):
    """``loss(logits, target)``: sigmoid + binary cross-entropy in one stable step, see
    ``F.binary_cross_entropy_with_logits``.  ``weight`` and ``pos_weight`` (e.g. (C,):
    one weight for each class's positives) are buffers."""

    def __init__(self, weight: Any = None, size_average: Optional[bool] = None,
                 reduce: Optional[bool] = None, reduction: str = "mean",
                 pos_weight: Any = None) -> None:
        super().__init__()
        name = type(self).__name__
        self.reduction = check_reduction(name, legacy_reduction(name, size_average, reduce,
                                                                reduction))
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return binary_cross_entropy_with_logits(input, target, self.weight,
                                                reduction=self.reduction,
                                                pos_weight=self.pos_weight)


class KLDivLoss(Module):
    """``loss(log_q, p)``: the KL divergence ``p (log p - log_q)``, see ``F.kl_div``.
    Use ``reduction='batchmean'`` for the divergence per sample; ``log_target=True``
    when the target holds log p."""

    def __init__(self, size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                 reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__()
        name = type(self).__name__
        if size_average is not None or reduce is not None:
            reduction = legacy_reduction(name, size_average, reduce, reduction)
        self.reduction = check_reduction(name, reduction, ("mean", "batchmean", "sum", "none"))
        self.log_target = bool(log_target)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return kl_div(input, target, reduction=self.reduction, log_target=self.log_target)
