"""Linear (fully connected) layer, plus the shape-only layers Identity and Flatten."""
from __future__ import annotations

from typing import Any

import numpy as np

from . import init
from .functional.linear import linear
from .module import Module, _check_input
from .parameter import Parameter
from .._names import type_name

__all__ = ["Linear", "Identity", "Flatten"]


def _check_size(layer: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{layer}: {name} must be an int, got {type_name(value)}")
    if value < 0:
        raise ValueError(f"{layer}: {name} must be >= 0, got {value}")
    return int(value)


class Linear(Module):
    """y = x W^T + b.

    Shapes: input (*, in_features) -> output (*, out_features);
    weight (out_features, in_features), bias (out_features,).
    Init (as PyTorch): W ~ U(-1/sqrt(in_features), 1/sqrt(in_features)) via
    kaiming_uniform_(a=sqrt(5)), and b from the same range.  ``device`` may only be
    the CPU; ``dtype`` is float32 (the default) or float64.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.in_features = _check_size("Linear", "in_features", in_features)
        self.out_features = _check_size("Linear", "out_features", out_features)
        self.weight = Parameter(np.empty((out_features, in_features), dtype=np.float32))
        if bias:
            self.bias = Parameter(np.empty(out_features, dtype=np.float32))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()
        self._place(device, dtype)

    def reset_parameters(self) -> None:
        """Draw fresh initial values (PyTorch's default init)."""
        init.default_layer_init_(self.weight, self.bias)

    def forward(self, input: Any) -> Any:
        name = f"Linear({self.in_features}, {self.out_features})"
        _check_input(name, input)
        if input.ndim == 0 or input.shape[-1] != self.in_features:
            raise ValueError(f"{name}: expected input with last dimension "
                             f"{self.in_features}, got shape {input.shape}")
        return linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Identity(Module):
    """Returns its input unchanged (a placeholder layer); any arguments are ignored."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Any) -> Any:
        return input


class Flatten(Module):
    """Merge dims ``start_dim..end_dim`` into one: (N, C, H, W) -> (N, C*H*W) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        for name, d in (("start_dim", start_dim), ("end_dim", end_dim)):
            if isinstance(d, bool) or not isinstance(d, int):
                raise TypeError(f"Flatten: {name} must be an int, got {type_name(d)}")
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Any) -> Any:
        _check_input("Flatten", input)
        for d in (self.start_dim, self.end_dim):
            if not -max(input.ndim, 1) <= d < max(input.ndim, 1):
                raise ValueError(f"Flatten(start_dim={self.start_dim}, end_dim={self.end_dim}): "
                                 f"dim {d} is out of range for an input of shape {input.shape}")
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
