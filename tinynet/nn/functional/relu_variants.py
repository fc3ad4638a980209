"""ReLU's variants: leaky_relu, elu and gelu (PyTorch's names and signatures).

Each is composed from existing ops (``where``, ``expm1``, ``erf``, ``tanh``), so its
gradient comes from theirs::

    leaky_relu(x) = x if x > 0 else slope * x
    elu(x)        = x if x > 0 else alpha (e^x - 1)
    gelu(x)       = x Phi(x) = x/2 (1 + erf(x / sqrt 2))           (Phi: the normal CDF)
                  ~ x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))  (approximate='tanh')
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Callable

import numpy as np

from ...ops.elementwise import expm1, tanh, where
from ...ops.special import erf
from ...tensor import Tensor, is_grad_enabled
from ..._names import type_name

__all__ = ["leaky_relu", "elu", "gelu"]


def _input(name: str, input: Any) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: input must be a Tensor, got {type_name(input)}; "
                        f"wrap arrays with tinynet.tensor(...)")
    if input.dtype.kind != "f":
        raise TypeError(f"{name}: input must be floating point, got dtype {input.dtype}")
    return input


def _number(name: str, what: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: {what} must be a number, got {type_name(value)}")
    return float(value)


def _maybe_inplace(name: str, x: Tensor, inplace: bool, fn: Callable[[Tensor], Tensor]) -> Tensor:
    """``fn(x)``, or with ``inplace=True`` written into x's memory and x returned.

    While recording, x made by an op gets the out-of-place result instead (the same
    values and gradients; ``x`` itself is left as it was), as ``x += y`` does; a leaf
    that requires grad is refused, as in PyTorch."""
    if not inplace:
        return fn(x)
    if is_grad_enabled() and x.requires_grad:
        if x.is_leaf:
            raise RuntimeError(f"{name}(inplace=True): a leaf tensor that requires grad "
                               f"cannot be changed in place (as in PyTorch); use "
                               f"inplace=False")
        return fn(x)
    out = fn(x.detach()).array
    return x._inplace(name, lambda d: np.copyto(d, out))


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else ``negative_slope * x``; the gradient at 0 is the slope (as
    PyTorch)."""
    x = _input("leaky_relu", input)
    slope = _number("leaky_relu", "negative_slope", negative_slope)
    return _maybe_inplace("leaky_relu", x, inplace,
                          lambda v: where(v.array > 0, v, v * slope))


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, else ``alpha * (e^x - 1)``; the gradient at 0 is alpha (as PyTorch)."""
    x = _input("elu", input)
    alpha = _number("elu", "alpha", alpha)

    def f(v: Tensor) -> Tensor:
        pos = v.array > 0
        # e^x - 1 of 0 where x > 0 (the "double where"): e^x of a large x would be inf,
        # and inf times the 0 gradient that where sends there is nan
        return where(pos, v, alpha * expm1(where(pos, 0.0, v)))
    return _maybe_inplace("elu", x, inplace, f)


_SQRT_HALF = math.sqrt(0.5)
_TANH_SCALE = math.sqrt(2 / math.pi)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit ``x Phi(x)`` (Phi: the standard normal CDF), exactly
    via erf (``approximate='none'``) or with PyTorch's tanh approximation
    (``approximate='tanh'``)."""
    x = _input("gelu", input)
    if approximate == "none":
        return x * 0.5 * (1 + erf(x * _SQRT_HALF))
    if approximate == "tanh":
        return 0.5 * x * (1 + tanh(_TANH_SCALE * (x + 0.044715 * x * x * x)))
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
