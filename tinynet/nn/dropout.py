"""Dropout layers: randomly zero activations while training, nothing at evaluation.

``p`` is the probability of DROPPING a unit (PyTorch's convention); the course's
keep-probability is ``1 - p``.  The layer reads ``self.training``, so
``model.train()`` / ``model.eval()`` switch it on and off.
"""
from __future__ import annotations

from ..tensor import Tensor
from . import functional as F
from .functional.dropout import _check_p
from .module import Module

__all__ = ["Dropout", "Dropout2d"]


class _DropoutNd(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        self.p = _check_p(type(self).__name__, p)  # fail at construction, not first forward
        self.inplace = bool(inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero each element with probability ``p`` while training (``p`` DROPS; keep = 1-p).

    ``inverted=True`` (default, PyTorch): training ``H = D ⊙ Y / (1-p)``, evaluation the
    identity.  ``inverted=False`` (the course's vanilla form): training ``H = D ⊙ Y``,
    evaluation ``H = (1-p) Y``.  Input: any shape; output: the same shape.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False, *, inverted: bool = True) -> None:
        super().__init__(p, inplace)
        self.inverted = bool(inverted)

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace, inverted=self.inverted)

    def extra_repr(self) -> str:
        return super().extra_repr() + ("" if self.inverted else ", inverted=False")


class Dropout2d(_DropoutNd):
    """Zero whole channels of an (N, C, H, W) input with probability ``p`` while training
    (``p`` DROPS a channel; keep = 1-p), scaling kept channels by ``1/(1-p)``.
    A 3-D input is taken as one unbatched (C, H, W) sample."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout2d(input, self.p, self.training, self.inplace)
