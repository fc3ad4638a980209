"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT, check_bool, check_number


class SGD(Optimizer):
    """PyTorch's SGD.  For each parameter p with gradient g, every step::

        g = g + weight_decay * p                  (if weight_decay != 0)
        b = g on the first step, else b = momentum * b + (1 - dampening) * g
        g = g + momentum * b  if nesterov  else  b      (if momentum != 0)
        p = p - lr * g

    State per parameter: ``'momentum_buffer'`` (array of p's shape), only when momentum != 0.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def _check_group(self, group: dict[str, Any]) -> None:
        check_number("SGD", "lr", group["lr"])
        check_number("SGD", "momentum", group["momentum"])
        check_number("SGD", "dampening", group["dampening"], low=float("-inf"))
        check_number("SGD", "weight_decay", group["weight_decay"])
        check_bool("SGD", "nesterov", group["nesterov"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: nesterov=True requires momentum > 0 and dampening=0 (got "
                             f"momentum={group['momentum']}, dampening={group['dampening']})")

    def _state_keys(self, group: dict[str, Any]) -> set[str]:
        return {"momentum_buffer"} if group["momentum"] != 0 else set()

    def _update(self, group: dict[str, Any], params: list[Tensor]) -> None:
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        weight_decay, nesterov = group["weight_decay"], group["nesterov"]
        for p in params:
            g = self._grad(p)
            if weight_decay != 0:
                g = g + weight_decay * p.array
            if momentum != 0:
                state = self.state.setdefault(p, {})
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = np.array(g)  # a copy (g may be p.grad)
                else:
                    buf *= momentum
                    buf += g if dampening == 0 else (1 - dampening) * g
                g = g + momentum * buf if nesterov else buf
            p.array -= lr * g
            p._bump_version()  # the tape must see that p changed in place
