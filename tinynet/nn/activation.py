"""Activation layers: Modules wrapping the elementwise functions, so they can sit
in a Sequential. They have no parameters."""
from __future__ import annotations

from typing import Any, Optional

from .functional import activation as F
from .module import Module, _check_input
from .._names import type_name

__all__ = ["ReLU", "Tanh", "Sigmoid", "Softmax", "LogSoftmax"]


class ReLU(Module):
    """max(x, 0), elementwise. Any shape.  ``inplace=True`` overwrites the input (only
    outside recording, see ``F.relu``)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = bool(inplace)

    def forward(self, input: Any) -> Any:
        _check_input("ReLU", input)
        return F.relu(input, self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Tanh(Module):
    """tanh(x), elementwise. Any shape."""

    def forward(self, input: Any) -> Any:
        _check_input("Tanh", input)
        return F.tanh(input)


class Sigmoid(Module):
    """1 / (1 + exp(-x)), elementwise. Any shape."""

    def forward(self, input: Any) -> Any:
        _check_input("Sigmoid", input)
        return F.sigmoid(input)


class _SoftmaxBase(Module):
    def __init__(self, dim: Optional[int] = None) -> None:
        super().__init__()
        if dim is not None and (isinstance(dim, bool) or not isinstance(dim, int)):
            raise TypeError(f"{self._get_name()}: dim must be an int, got {type_name(dim)}")
        self.dim = dim

    def _dim(self, input: Any) -> int:
        _check_input(self._get_name(), input)
        if self.dim is None:
            raise ValueError(f"{self._get_name()}(dim=None): say which dim to normalise over, "
                             f"e.g. {self._get_name()}(dim=1) for (N, classes) scores")
        return self.dim

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_SoftmaxBase):
    """exp(x_i) / sum_j exp(x_j) along ``dim``: each slice becomes a probability vector."""

    def forward(self, input: Any) -> Any:
        return F.softmax(input, self._dim(input))


class LogSoftmax(_SoftmaxBase):
    """log(softmax(x)) along ``dim``, computed stably (pairs with nll_loss)."""

    def forward(self, input: Any) -> Any:
        return F.log_softmax(input, self._dim(input))
