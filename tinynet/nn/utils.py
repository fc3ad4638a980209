"""PyTorch's ``nn.utils`` gradient clipping: ``clip_grad_norm_`` and ``clip_grad_value_``.

Call them between ``loss.backward()`` and ``optimizer.step()``.  They change each
parameter's ``.grad`` in place; nothing is recorded on the tape.
"""
from __future__ import annotations

import math
from typing import Any, Iterable, Union

import numpy as np

from ..tensor import Tensor
from .._names import type_name
from ..optim.optimizer import check_number

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters: Union[Tensor, Iterable[Tensor]], fn: str) -> list[np.ndarray]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = []
    for p in parameters:
        if not isinstance(p, Tensor):
            raise TypeError(f"{fn}: parameters must be Tensors (e.g. model.parameters()), "
                            f"got {type_name(p)}")
        if p.grad is not None:
            grads.append(p.grad.array)
    return grads


def _number(fn: str, name: str, value: Any) -> float:
    check_number(fn, name, value, low=-math.inf)  # any real number; NaN is refused
    return float(value)


def clip_grad_norm_(parameters: Union[Tensor, Iterable[Tensor]], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach: Any = None) -> Tensor:
    """Scale the gradients together so that their joint ``norm_type``-norm is at most
    ``max_norm``; returns the norm before clipping (a 0-d tensor).

    As PyTorch: the norm of the per-parameter norms, and every gradient is multiplied by
    ``min(1, max_norm / (total_norm + 1e-6))``.
    """
    max_norm = _number("clip_grad_norm_", "max_norm", max_norm)
    norm_type = _number("clip_grad_norm_", "norm_type", norm_type)
    grads = _grads(parameters, "clip_grad_norm_")
    if not grads:
        return Tensor(0.0)
    if norm_type == math.inf:
        norms = [np.abs(g).max(initial=0) for g in grads]
        total = np.max(np.asarray(norms))
    else:
        norms = [np.linalg.norm(g.ravel(), ord=norm_type) for g in grads]
        total = np.linalg.norm(np.asarray(norms), ord=norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the "
                           f"gradients is non-finite ({total}), so it cannot be clipped; "
                           f"pass error_if_nonfinite=False to clip anyway")
    coef = min(max_norm / (float(total) + 1e-6), 1.0)
    for g in grads:
        np.multiply(g, coef, out=g, casting="unsafe")
    return Tensor(np.asarray(total, dtype=grads[0].dtype))


def clip_grad_value_(parameters: Union[Tensor, Iterable[Tensor]], clip_value: float,
                     foreach: Any = None) -> None:
    """Clip every gradient element into ``[-clip_value, clip_value]``, in place."""
    clip_value = _number("clip_grad_value_", "clip_value", clip_value)
    for g in _grads(parameters, "clip_grad_value_"):
        np.clip(g, -clip_value, clip_value, out=g)
