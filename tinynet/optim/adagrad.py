"""Adagrad: each coordinate's step shrinks with the sum of its squared gradients so far."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT, check_number


class Adagrad(Optimizer):
    """PyTorch's Adagrad.  For each parameter p with gradient g, at step t = 1, 2, ...::

        g = g + weight_decay * p                    (if weight_decay != 0)
        clr = lr / (1 + (t - 1) * lr_decay)         the decayed learning rate
        s = s + g * g                               sum of squared gradients
        p = p - clr * g / (sqrt(s) + eps)

    ``s`` starts at ``initial_accumulator_value``.  State per parameter: ``'step'`` (int)
    and ``'sum'`` (s, of p's shape and dtype); as in PyTorch it exists from construction,
    so ``state_dict()`` lists every parameter before the first step.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10) -> None:
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps))
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        state = self.state[p] = {
            "step": 0, "sum": np.full_like(p.array, group["initial_accumulator_value"])}
        return state

    def _check_group(self, group: dict[str, Any]) -> None:
        for name in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            check_number("Adagrad", name, group[name])

    def _state_keys(self, group: dict[str, Any]) -> set[str]:
        return {"step", "sum"}

    def _update(self, group: dict[str, Any], params: list[Tensor]) -> None:
        lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
        weight_decay = group["weight_decay"]
        for p in params:
            g, d = self._grad(p), p.array
            state = self.state.get(p) or self._init_state(p, group)  # a group added later
            state["step"] += 1
            if weight_decay != 0:
                g = g + weight_decay * d
            clr = lr / (1 + (state["step"] - 1) * lr_decay)
            s = state["sum"]
            s += g * g
            std = np.sqrt(s)
            std += eps
            d -= clr * (g / std)
            p._bump_version()  # the tape must see that p changed in place
