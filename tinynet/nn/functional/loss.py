"""Losses: cross-entropy, negative log-likelihood, mean squared error.

Each loss is one tape entry with a hand-written backward: cross-entropy runs in
every training step, so it is fused (log-softmax + pick + reduce) rather than
composed from small ops.
"""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ...tensor import Tensor, record

__all__ = ["cross_entropy", "nll_loss", "mse_loss"]

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(name: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _check_class_input(name: str, input: Tensor, target: Any) -> np.ndarray:
    """Validate (N, C) scores and (N,) integer class targets; return the targets as int64."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
    if input.data.dtype.kind != "f":
        raise TypeError(f"{name}: input must be floating point, got dtype {input.data.dtype}")
    if input.ndim != 2:
        raise ValueError(f"{name}: input must have shape (N, C) (a row of class scores per "
                         f"example), got shape {input.shape}")
    t = target.data if isinstance(target, Tensor) else target
    if not isinstance(t, np.ndarray):
        raise TypeError(f"{name}: target must be a Tensor of class indices, "
                        f"got {type(target).__name__}")
    if t.dtype.kind not in "iu":
        raise TypeError(f"{name}: target must hold integer class indices (e.g. int64), got "
                        f"dtype {t.dtype}; class-probability targets are not supported")
    n, c = input.shape
    if t.shape != (n,):
        raise ValueError(f"{name}: target must have shape ({n},) (one class index per row "
                         f"of input {input.shape}), got shape {t.shape}")
    if n:
        lo, hi = t.min(), t.max()  # two fast reductions instead of building a mask
        if lo < 0 or hi >= c:
            i = int(np.flatnonzero((t < 0) | (t >= c))[0])
            raise ValueError(f"{name}: target value {t[i]} at index {i} is out of range: "
                             f"expected a class index in [0, {c})")
    return t.astype(np.int64, copy=False)


def _reduce(name: str, losses: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "mean":
        return np.asarray(losses.mean() if losses.size else np.nan, dtype=losses.dtype)
    if reduction == "sum":
        return np.asarray(losses.sum(), dtype=losses.dtype)
    return losses


def cross_entropy(input: Tensor, target: Tensor, *, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy between logits ``input`` (N, C) and class indices ``target`` (N,).

    ``loss_i = -sum_c q_ic log softmax(x_i)_c`` with ``q_i = (1-s) onehot(t_i) + s/C``
    (``s = label_smoothing``; ``s = 0`` gives ``-log softmax(x_i)_{t_i}``).
    Backward: ``dL/dx_i = softmax(x_i) - q_i``, divided by N for ``reduction='mean'``.
    Output: a scalar for 'mean'/'sum', shape (N,) for 'none'.  Stable for any finite
    logits: the row maximum is subtracted before exponentiating.
    """
    _check_reduction("cross_entropy", reduction)
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, numbers.Real) \
            or not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be a number in [0, 1], "
                         f"got {label_smoothing!r}")
    t = _check_class_input("cross_entropy", input, target)
    x = input.data
    n, c = x.shape
    s = float(label_smoothing)
    rows = np.arange(n)

    # log softmax(x)_c = z_c - log sum_k e^{z_k}  with  z = x - max(x): every e^z <= 1
    z = x - x.max(axis=1, keepdims=True)
    # loss_i = lse_i - (1-s) z_{i,t_i} - s mean_c z_ic
    picked = z[rows, t] if s == 0.0 else (1.0 - s) * z[rows, t] + s * z.mean(axis=1)
    e = np.exp(z, out=z)                        # z is not needed any more: reuse its memory
    sumexp = e.sum(axis=1)
    losses = np.log(sumexp) - picked
    out = _reduce("cross_entropy", losses.astype(x.dtype, copy=False), reduction)

    def backward(g):  # dL/dx = (softmax(x) - q) * dL/dloss,  q = (1-s) onehot + s/C
        gs = g / n if reduction == "mean" else g   # dL/dloss_i: a scalar, or (N,) for 'none'
        gcol = gs[:, None] if reduction == "none" else gs
        dx = e * (gcol / sumexp[:, None])      # softmax * dL/dloss in one pass (a new array:
        if s:                                  # a retained graph may run backward again)
            dx -= (s / c) * gcol
        dx[rows, t] -= (1.0 - s) * gs
        return (dx,)
    return record("cross_entropy", out, (input,), backward)


def nll_loss(input: Tensor, target: Tensor, *, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices ``target`` (N,) under log-probs ``input`` (N, C).

    ``loss_i = -input[i, t_i]``; backward puts ``-1`` (÷N for 'mean') at ``[i, t_i]``.
    ``cross_entropy(x, t) == nll_loss(log_softmax(x, dim=1), t)``.
    """
    _check_reduction("nll_loss", reduction)
    t = _check_class_input("nll_loss", input, target)
    x = input.data
    n = x.shape[0]
    rows = np.arange(n)
    out = _reduce("nll_loss", -x[rows, t], reduction)

    def backward(g):  # d(-x[i, t_i])/dx = -onehot(t_i)
        dx = np.zeros_like(x)
        dx[rows, t] = -(g / n if reduction == "mean" else g)
        return (dx,)
    return record("nll_loss", out, (input,), backward)


def mse_loss(input: Tensor, target: Any, *, reduction: str = "mean") -> Tensor:
    """Mean squared error ``mean((input - target)^2)`` over all elements.

    ``input`` and ``target`` must have the SAME shape: PyTorch broadcasts different
    shapes with only a warning, and (N, 1) against (N,) then silently becomes an
    (N, N) loss -- a classic bug -- so tinynet raises instead.  ``target`` is a Tensor
    (gradients flow to it too if it requires grad) or a numpy array of that shape.
    Output: a scalar for 'mean'/'sum', the input's shape for 'none'.
    """
    _check_reduction("mse_loss", reduction)
    if not isinstance(input, Tensor):
        raise TypeError(f"mse_loss: input must be a Tensor, got {type(input).__name__}")
    if input.data.dtype.kind != "f":
        raise TypeError(f"mse_loss: input must be floating point, got dtype {input.data.dtype}")
    target = Tensor._lift(target, input) if not isinstance(target, Tensor) else target
    if target.shape != input.shape:
        raise ValueError(f"mse_loss: input shape {input.shape} and target shape {target.shape} "
                         f"differ; they must be equal (broadcasting them is a common silent "
                         f"bug, e.g. (N, 1) vs (N,) gives (N, N)); reshape one of them")
    diff = input.data - target.data
    if diff.dtype != input.data.dtype:
        diff = diff.astype(input.data.dtype)
    sq = np.square(diff)
    out = _reduce("mse_loss", sq, reduction) if reduction != "none" else sq

    def backward(g):  # d(a - b)^2/da = 2(a - b),  d/db = -2(a - b)
        k = 2.0 / max(diff.size, 1) if reduction == "mean" else 2.0
        gx = diff * (g * k)
        return (gx if input.requires_grad else None,
                -gx if target.requires_grad else None)
    return record("mse_loss", out, (input, target), backward)
