"""RMSprop: divide each coordinate's step by a running root-mean-square of its gradient."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT, check_bool, check_number


class RMSprop(Optimizer):
    """PyTorch's RMSprop.  For each parameter p with gradient g, every step::

        g = g + weight_decay * p                         (if weight_decay != 0)
        v = alpha * v + (1 - alpha) * g * g              running mean of g^2
        m = m + (1 - alpha) * (g - m)                    running mean of g   (if centered)
        avg = sqrt(v - m * m) + eps   if centered  else  sqrt(v) + eps
        b = momentum * b + g / avg;  p = p - lr * b      (if momentum > 0)
        p = p - lr * g / avg                             (otherwise)

    State per parameter: ``'step'`` (int), ``'square_avg'`` (v), and ``'momentum_buffer'``
    (b) when momentum > 0, ``'grad_avg'`` (m) when centered; arrays of p's shape and dtype.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False) -> None:
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered))

    def _check_group(self, group: dict[str, Any]) -> None:
        for name in ("lr", "alpha", "eps", "weight_decay", "momentum"):
            check_number("RMSprop", name, group[name])
        check_bool("RMSprop", "centered", group["centered"])

    def _state_keys(self, group: dict[str, Any]) -> set[str]:
        keys = {"step", "square_avg"}
        if group["momentum"] > 0:
            keys.add("momentum_buffer")
        if group["centered"]:
            keys.add("grad_avg")
        return keys

    def _update(self, group: dict[str, Any], params: list[Tensor]) -> None:
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        weight_decay, momentum, centered = group["weight_decay"], group["momentum"], \
            group["centered"]
        for p in params:
            g, d = self._grad(p), p.array
            state = self.state.get(p)
            if not state:
                state = self.state[p] = {"step": 0, "square_avg": np.zeros_like(d)}
                if momentum > 0:
                    state["momentum_buffer"] = np.zeros_like(d)
                if centered:
                    state["grad_avg"] = np.zeros_like(d)
            state["step"] += 1
            if weight_decay != 0:
                g = g + weight_decay * d
            v = state["square_avg"]
            v *= alpha
            v += (1 - alpha) * g * g
            if centered:
                m = state["grad_avg"]
                _lerp(m, g, 1 - alpha)
                avg = np.sqrt(v - m * m)
            else:
                avg = np.sqrt(v)
            avg += eps
            if momentum > 0:
                b = state["momentum_buffer"]
                b *= momentum
                b += g / avg
                d -= lr * b
            else:
                d -= lr * (g / avg)
            p._bump_version()  # the tape must see that p changed in place


def _lerp(start: np.ndarray, end: np.ndarray, weight: float) -> None:
    """start += weight * (end - start), in place, rounded as PyTorch's ``lerp_``:
    from the nearer end, so weight 1 gives ``end`` exactly."""
    if weight < 0.5:
        start += weight * (end - start)
    else:
        start[...] = end - (end - start) * (1 - weight)
