"""Adadelta: step sizes from running means of squared gradients and squared updates."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT, check_number


class Adadelta(Optimizer):
    """PyTorch's Adadelta (Zeiler, 2012).  For each parameter p with gradient g::

        g = g + weight_decay * p                             (if weight_decay != 0)
        v = rho * v + (1 - rho) * g * g                      running mean of g^2
        delta = sqrt(u + eps) / sqrt(v + eps) * g            the update, in p's units
        u = rho * u + (1 - rho) * delta * delta              running mean of delta^2
        p = p - lr * delta

    ``lr`` only scales the update (1.0, the default, is the paper's method).  State per
    parameter: ``'step'`` (int), ``'square_avg'`` (v), ``'acc_delta'`` (u); arrays of p's
    shape and dtype.
    """

    def __init__(self, params: ParamsT, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0) -> None:
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    def _check_group(self, group: dict[str, Any]) -> None:
        for name in ("lr", "eps", "weight_decay"):
            check_number("Adadelta", name, group[name])
        check_number("Adadelta", "rho", group["rho"])
        if not group["rho"] <= 1:
            raise ValueError(f"Adadelta: invalid rho={group['rho']!r} (expected 0 <= rho <= 1)")

    def _state_keys(self, group: dict[str, Any]) -> set[str]:
        return {"step", "square_avg", "acc_delta"}

    def _update(self, group: dict[str, Any], params: list[Tensor]) -> None:
        lr, rho, eps, weight_decay = group["lr"], group["rho"], group["eps"], \
            group["weight_decay"]
        for p in params:
            g, d = self._grad(p), p.array
            state = self.state.get(p)
            if not state:
                state = self.state[p] = {"step": 0, "square_avg": np.zeros_like(d),
                                         "acc_delta": np.zeros_like(d)}
            state["step"] += 1
            if weight_decay != 0:
                g = g + weight_decay * d
            v, u = state["square_avg"], state["acc_delta"]
            v *= rho
            v += (1 - rho) * g * g
            delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
            u *= rho
            u += (1 - rho) * delta * delta
            d -= lr * delta
            p._bump_version()  # the tape must see that p changed in place
