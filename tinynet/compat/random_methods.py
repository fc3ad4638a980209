"""In-place random fills as Tensor methods: ``x.uniform_(a, b)``, ``x.normal_(mean, std)``,
as in ``torch.Tensor(3, 4).uniform_(-1, 1)``.  They draw from tinynet's one generator and
follow the in-place rules of every other ``..._`` method (refused on a tensor that requires
grad while recording; use them under ``no_grad()``, as ``nn.init`` does)."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import random as _random
from ..tensor import Tensor
from . import inplace as _inplace  # noqa: F401 -- Tensor._inplace, used below

__all__ = ["uniform_", "normal_"]


def _real(name: str, what: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) \
            or math.isnan(v):
        raise TypeError(f"{name}: {what} must be a number, got {v!r}")
    return float(v)


def _fill_floats(self: Tensor, name: str, draw: Any) -> Tensor:
    if self.array.dtype.kind != "f":
        raise TypeError(f"{name}: needs a floating-point tensor, got dtype {self.array.dtype}")
    values = draw(self.array.shape)  # drawn before the in-place checks change nothing
    return self._inplace(name, lambda d: np.copyto(d, values, casting="unsafe"))


def uniform_(self: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill with samples from U(a, b), in place."""
    a, b = _real("uniform_", "a", a), _real("uniform_", "b", b)
    if a > b:
        raise ValueError(f"uniform_: expects a <= b, got a={a}, b={b}")
    return _fill_floats(self, "uniform_", lambda s: _random.generator().uniform(a, b, s))


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill with samples from N(mean, std^2), in place."""
    mean, std = _real("normal_", "mean", mean), _real("normal_", "std", std)
    if std < 0:
        raise ValueError(f"normal_: expects std >= 0, got {std}")
    return _fill_floats(self, "normal_", lambda s: _random.generator().normal(mean, std, s))


Tensor.uniform_ = uniform_
Tensor.normal_ = normal_
