"""Activation layers for ReLU's variants: LeakyReLU, ELU, GELU (see
``functional/relu_variants.py`` for the formulas).  No parameters."""
from __future__ import annotations

from typing import Any

from .functional import relu_variants as F
from .module import Module, _check_input

__all__ = ["LeakyReLU", "ELU", "GELU"]


class LeakyReLU(Module):
    """x where x > 0, else ``negative_slope * x``, elementwise. Any shape."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = F._number("LeakyReLU", "negative_slope", negative_slope)
        self.inplace = bool(inplace)

    def forward(self, input: Any) -> Any:
        _check_input("LeakyReLU", input)
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace
                                                          else "")


class ELU(Module):
    """x where x > 0, else ``alpha * (e^x - 1)``, elementwise. Any shape."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = F._number("ELU", "alpha", alpha)
        self.inplace = bool(inplace)

    def forward(self, input: Any) -> Any:
        _check_input("ELU", input)
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """``x Phi(x)`` elementwise (exact, or ``approximate='tanh'``). Any shape."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input: Any) -> Any:
        _check_input("GELU", input)
        return F.gelu(input, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"
