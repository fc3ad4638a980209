"""Adam and AdamW: per-coordinate step sizes from running moments of the gradient."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT, check_bool, check_number


class Adam(Optimizer):
    """PyTorch's Adam.  For each parameter p with gradient g, at step t = 1, 2, ...::

        g = g + weight_decay * p                      (L2 penalty; AdamW differs here)
        m = beta1 * m + (1 - beta1) * g               first moment
        v = beta2 * v + (1 - beta2) * g * g           second moment
        v_max = max(v_max, v); use v_max for v        (if amsgrad)
        p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    State per parameter: ``'step'`` (int), ``'exp_avg'`` (m), ``'exp_avg_sq'`` (v) and,
    with amsgrad, ``'max_exp_avg_sq'``; arrays have p's shape and dtype.
    """

    _decoupled = False  # AdamW: weight decay shrinks p directly instead of adding to g

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad))

    def _check_group(self, group: dict[str, Any]) -> None:
        name = type(self).__name__
        check_number(name, "lr", group["lr"])
        betas = group["betas"]
        if not isinstance(betas, (tuple, list, np.ndarray)) or len(betas) != 2:
            raise TypeError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        check_number(name, "betas[0]", betas[0], 0.0, 1.0)
        check_number(name, "betas[1]", betas[1], 0.0, 1.0)
        check_number(name, "eps", group["eps"])
        check_number(name, "weight_decay", group["weight_decay"])
        check_bool(name, "amsgrad", group["amsgrad"])

    def _check_state_number(self, key: str, value: Any) -> str:
        problem = super()._check_state_number(key, value)
        if not problem and key == "step" and not (value == int(value) and 0 <= value < 2 ** 53):
            problem = "must be a whole number of steps from 0 to 2**53"
        return problem

    def _state_keys(self, group: dict[str, Any]) -> set[str]:
        keys = {"step", "exp_avg", "exp_avg_sq"}
        return keys | {"max_exp_avg_sq"} if group["amsgrad"] else keys

    def _update(self, group: dict[str, Any], params: list[Tensor]) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        weight_decay, amsgrad = group["weight_decay"], group["amsgrad"]
        for p in params:
            g, d = self._grad(p), p.array
            state = self.state.get(p)
            if not state:
                state = self.state[p] = {"step": 0, "exp_avg": np.zeros_like(d),
                                         "exp_avg_sq": np.zeros_like(d)}
            state["step"] += 1
            t = state["step"]
            if weight_decay != 0:
                if self._decoupled:
                    d *= 1 - lr * weight_decay
                else:
                    g = g + weight_decay * d
            m, v = state["exp_avg"], state["exp_avg_sq"]
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            v += (1 - beta2) * g * g
            if amsgrad:
                v_max = state.setdefault("max_exp_avg_sq", np.zeros_like(d))
                v = np.maximum(v_max, v, out=v_max)
            step_size = lr / (1 - beta1 ** t)
            denom = np.sqrt(v, out=np.empty_like(v))  # out=: stays an array even if 0-d
            denom /= (1 - beta2 ** t) ** 0.5
            denom += eps
            np.divide(m, denom, out=denom)  # reuse the buffer: denom now holds m / denom
            denom *= step_size
            d -= denom
            p._bump_version()  # the tape must see that p changed in place


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), as PyTorch's AdamW::

        p = p * (1 - lr * weight_decay)       then the Adam step without the L2 term

    Same state as :class:`Adam`; default ``weight_decay=1e-2``.
    """

    _decoupled = True

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad)
