"""Losses: cross-entropy, negative log-likelihood, mean squared error.

Each loss is one tape entry with a hand-written backward: cross-entropy runs in
every training step, so it is fused (log-softmax + pick + reduce) rather than
composed from small ops.

The class losses take scores of shape (N, C), (N, C, d1, d2, ...) (class dim 1) or
unbatched (C,).  Internally the scores are handled as rows (M, C), one per target.
"""
from __future__ import annotations

import numbers
from typing import Any, Optional

import numpy as np

from ...ops.elementwise import _cast
from ...tensor import Tensor, is_grad_enabled, record
from ..._names import type_name

__all__ = ["cross_entropy", "nll_loss", "mse_loss"]

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(name: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _check_ignore_index(name: str, ignore_index: Any) -> int:
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, numbers.Integral):
        raise TypeError(f"{name}: ignore_index must be an int (the target value to skip), "
                        f"got {ignore_index!r}")
    return int(ignore_index)


def _check_label_smoothing(name: str, label_smoothing: Any) -> float:
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, numbers.Real) \
            or not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{name}: label_smoothing must be a number in [0, 1], "
                         f"got {label_smoothing!r}")
    return float(label_smoothing)


def _check_weight(name: str, weight: Any) -> Optional[np.ndarray]:
    """``weight``: None, or a 1-D floating Tensor/numpy array of class weights (no gradient)."""
    if weight is None:
        return None
    if isinstance(weight, Tensor):
        if weight.requires_grad:
            raise ValueError(f"{name}: weight must not require grad: class weights get no "
                             f"gradient (as in PyTorch); pass weight.detach()")
        w = weight.array
    elif isinstance(weight, np.ndarray):
        w = weight
    else:
        raise TypeError(f"{name}: weight must be a Tensor or numpy array of shape (C,) "
                        f"(one weight per class), got {type_name(weight)}")
    if w.dtype.kind != "f":
        raise TypeError(f"{name}: weight must be floating point (one weight per class), "
                        f"got dtype {w.dtype}")
    if w.ndim != 1:
        raise ValueError(f"{name}: weight must have shape (C,) (one weight per class), "
                         f"got shape {w.shape}")
    return w


def _class_weight(name: str, weight: Any, input: Tensor) -> Optional[np.ndarray]:
    """``weight`` checked against the input's C classes, in the input's dtype (or None)."""
    if weight is None:
        return None
    w = _check_weight(name, weight)
    c = input.shape[1 if input.ndim > 1 else 0]
    if w.shape != (c,):
        raise ValueError(f"{name}: weight must have shape ({c},) (one weight per class of "
                         f"input {input.shape}), got shape {w.shape}")
    return w.astype(input.array.dtype, copy=False)


def _check_class_input(name: str, input: Tensor, target: Any, ignore_index: int,
                       probs_ok: bool = False):
    """Validate class scores and targets; return ``(t, kept)``.

    Class indices: ``t`` is int64 of shape (M,), one per row of scores (M, C), and
    ``kept`` is the bool mask of targets != ignore_index, or None if none is ignored.
    With ``probs_ok``, a floating target of the input's own shape holds class
    probabilities: it is returned as is, with ``kept`` None.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: input must be a Tensor, got {type_name(input)}")
    if input.array.dtype.kind != "f":
        raise TypeError(f"{name}: input must be floating point, got dtype {input.array.dtype}")
    shape = input.shape
    if not shape:
        raise ValueError(f"{name}: input must have shape (N, C), (N, C, d1, ...) or unbatched "
                         f"(C,) (class scores), got shape ()")
    t = target.array if isinstance(target, Tensor) else target
    if not isinstance(t, np.ndarray):
        raise TypeError(f"{name}: target must be a Tensor of class indices, "
                        f"got {type_name(target)}")
    if t.dtype.kind not in "iu":
        if probs_ok and t.dtype.kind == "f" and t.shape == shape:
            return t, None
        hint = (f"or class probabilities (floating point) of the input's shape {shape}"
                if probs_ok else "nll_loss takes no class-probability targets")
        raise TypeError(f"{name}: target must hold integer class indices (e.g. int64), {hint}; "
                        f"got dtype {t.dtype} and shape {t.shape}")
    if len(shape) == 1:
        c, expected = shape[0], ()
        if t.shape != expected:
            raise ValueError(f"{name}: target must have shape () (one class index for the "
                             f"unbatched input of shape {shape}; a batch needs input (N, C)), "
                             f"got shape {t.shape}")
    else:
        c, expected = shape[1], shape[:1] + shape[2:]
        if t.shape != expected:
            per = "row" if len(shape) == 2 else "position (the input's shape without dim 1)"
            raise ValueError(f"{name}: target must have shape {expected} (one class index per "
                             f"{per} of input {shape}), got shape {t.shape}")
    if t.ndim != 1:
        t = t.reshape(-1)
    kept = None
    if t.size:
        lo, hi = t.min(), t.max()  # two fast reductions instead of building a mask
        if lo < 0 or hi >= c or 0 <= ignore_index < c:
            kept = t != ignore_index
            bad = kept & ((t < 0) | (t >= c))
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                at = np.unravel_index(i, expected)
                at = f" at index {int(at[0]) if len(at) == 1 else tuple(map(int, at))}" \
                    if expected else ""
                raise ValueError(f"{name}: target value {t[i]}{at} is out of range: expected "
                                 f"a class index in [0, {c}) or ignore_index={ignore_index}")
            if kept.all():
                kept = None
            else:
                t = np.where(kept, t, 0)   # any valid class: the ignored rows get weight 0
    return t.astype(np.int64, copy=False), kept


def _rows(x: np.ndarray) -> np.ndarray:
    """Scores (N, C), (N, C, d1, ...) or (C,) as rows (M, C): the class dim last."""
    if x.ndim == 2:
        return x
    if x.ndim == 1:
        return x[None]
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _unrows(d: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Inverse of ``_rows``: rows (M, C) back to ``shape`` (used for gradients)."""
    if len(shape) == 2:
        return d
    if len(shape) == 1:
        return d[0]
    return np.ascontiguousarray(np.moveaxis(d.reshape(shape[:1] + shape[2:] + shape[1:2]), -1, 1))


def _rows_t(x: Tensor) -> Tensor:
    """``_rows`` as Tensor ops (for gradient rules that are recorded)."""
    if x.ndim == 2:
        return x
    if x.ndim == 1:
        return x.reshape(1, -1)
    return x.permute(0, *range(2, x.ndim), 1).reshape(-1, x.shape[1])


def _unrows_t(d: Tensor, shape: tuple[int, ...]) -> Tensor:
    """``_unrows`` as Tensor ops: rows (M, C) back to ``shape``."""
    if len(shape) <= 2:
        return d.reshape(shape)
    nd = len(shape)
    return d.reshape(shape[:1] + shape[2:] + shape[1:2]).permute(0, nd - 1, *range(1, nd - 1))


def _softmax_rows(input: Tensor, e: np.ndarray, sumexp: np.ndarray) -> Tensor:
    """softmax of the rows of ``input``: on the tape when the backward is recorded (its
    own gradient is then needed), else from the forward's saved ``e / sum e``."""
    if is_grad_enabled():
        return _rows_t(input).softmax(1)
    return Tensor._wrap(e / sumexp.reshape(-1, 1))


def _target_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of the class-index target (and of 'none' losses) for scores of ``shape``."""
    return shape[:1] + shape[2:] if len(shape) > 1 else ()


def _reduce(losses: np.ndarray, reduction: str, den: Any = None,
            shape: Optional[tuple[int, ...]] = None) -> np.ndarray:
    """Losses reduced: 'mean' is ``sum / den`` (``den`` defaults to the number of losses;
    nan for 0/0), 'sum' the sum, 'none' the losses themselves (in ``shape`` if given)."""
    if reduction == "mean":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(losses.sum() / (losses.size if den is None else den),
                              dtype=losses.dtype)
    if reduction == "sum":
        return np.asarray(losses.sum(), dtype=losses.dtype)
    return losses if shape is None else losses.reshape(shape)


def cross_entropy(input: Tensor, target: Tensor, weight: Any = None, *,
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy between logits ``input`` and class targets ``target``.

    Shapes: ``input`` (N, C), (N, C, d1, ...) (class dim 1) or unbatched (C,); ``target``
    holds integer class indices of shape (N,), (N, d1, ...) or (), or class probabilities
    p (floating point, the input's shape).  ``weight``: optional (C,) class weights, a
    constant (no gradient).  Per target, with ``s = label_smoothing``:
    ``loss = -sum_c w_c q_c log softmax(x)_c``,  ``q = (1-s) onehot(t) + s/C``  (or
    ``(1-s) p + s/C``); a target equal to ``ignore_index`` gives 0 loss and 0 gradient.
    'mean' divides the sum by ``sum w_t`` over the kept index targets (nan if there is
    none), or by the number of targets for probabilities; 'none' has the target's shape
    (for probabilities: the input's shape without dim 1).
    Backward: ``dloss/dx = (sum_c w_c q_c) softmax(x) - w q``.  Stable for any finite
    logits: the row maximum is subtracted before exponentiating.
    """
    _check_reduction("cross_entropy", reduction)
    s = _check_label_smoothing("cross_entropy", label_smoothing)
    ignore_index = _check_ignore_index("cross_entropy", ignore_index)
    t, kept = _check_class_input("cross_entropy", input, target, ignore_index, probs_ok=True)
    w = _class_weight("cross_entropy", weight, input)
    x = _rows(input.array)
    m, c = x.shape

    if t.dtype.kind == "f":                      # class probabilities p: q = (1-s) p + s/C
        if ignore_index >= 0:
            raise ValueError(f"cross_entropy: ignore_index is not supported for class-"
                             f"probability (floating-point) targets, got {ignore_index} "
                             f"(as in PyTorch); leave it at -100")
        q = _rows(t).astype(x.dtype)             # a copy: the caller's target stays intact
        if s:
            q = (1.0 - s) * q + s / c
        p = target if isinstance(target, Tensor) else None
        return _cross_entropy_rows(input, x, q, w, m, None, reduction,
                                  _target_shape(input.shape), p, s)
    if w is not None or kept is not None:        # weighted or ignored class indices
        rows = np.arange(m)
        q = np.full((m, c), s / c, x.dtype)
        q[rows, t] += 1.0 - s
        wt = w[t] if w is not None else np.ones(m, x.dtype)   # each target's class weight
        if kept is not None:
            q[~kept] = 0.0
            wt[~kept] = 0.0
        # 'mean' divides by sum w_t over the kept targets, the smoothing term too (torch)
        return _cross_entropy_rows(input, x, q, w, wt.sum(), kept, reduction,
                                  _target_shape(input.shape))

    # The fast path of every training step: unweighted class indices, none ignored.
    rows = np.arange(m)
    # log softmax(x)_c = z_c - log sum_k e^{z_k}  with  z = x - max(x): every e^z <= 1
    z = x - x.max(axis=1, keepdims=True)
    # loss_i = lse_i - (1-s) z_{i,t_i} - s mean_c z_ic
    picked = z[rows, t] if s == 0.0 else (1.0 - s) * z[rows, t] + s * z.mean(axis=1)
    e = np.exp(z, out=z)                        # z is not needed any more: reuse its memory
    sumexp = e.sum(axis=1)
    losses = np.log(sumexp) - picked
    out = _reduce(losses.astype(x.dtype, copy=False), reduction,
                  shape=_target_shape(input.shape))

    def backward(g):  # dL/dx = (softmax(x) - q) * dL/dloss,  q = (1-s) onehot + s/C
        gs = g / m if reduction == "mean" and m else g   # dL/dloss_i: scalar, (M,) for 'none'
        gcol = gs.reshape(-1, 1) if reduction == "none" else gs
        q = np.full((m, c), s / c, x.dtype)
        q[rows, t] += 1.0 - s
        dx = (_softmax_rows(input, e, sumexp) - Tensor._wrap(q)) * gcol
        return (_unrows_t(dx, input.shape),)
    return record("cross_entropy", out, (input,), backward)


def _cross_entropy_rows(input: Tensor, x: np.ndarray, q: np.ndarray, w: Optional[np.ndarray],
                        den: Any, kept: Optional[np.ndarray], reduction: str,
                        shape: tuple[int, ...], p: Optional[Tensor] = None,
                        s: float = 0.0) -> Tensor:
    """The general cross-entropy: rows of scores ``x`` (M, C) against target rows ``q`` (M, C).

    ``loss_i = -sum_c w_c q_ic log softmax(x_i)_c``; ``q`` is 0 on ignored rows, ``den``
    is the 'mean' denominator, ``p`` the probability target Tensor (if any: it gets
    ``dloss_i/dp_ic = -(1-s) w_c log softmax(x_i)_c``).
    """
    qw = q * w if w is not None else q           # w_c q_ic
    z = x - x.max(axis=1, keepdims=True)
    e = np.exp(z)
    sumexp = e.sum(axis=1, keepdims=True)
    logp = z - np.log(sumexp)                    # log softmax(x): -inf only for a -inf logit
    # a term with q_ic = 0 counts 0 even where log p_ic = -inf (a masked logit, an ignored row)
    out = _reduce((qw * np.where(qw == 0, 0.0, -logp)).sum(axis=1), reduction, den, shape)

    def backward(g):  # dloss_i/dx_ic = (sum_k w_k q_ik) softmax(x_i)_c - w_c q_ic
        gs = g / den if reduction == "mean" and den else g
        gcol = gs.reshape(-1, 1) if reduction == "none" else gs
        if reduction == "mean" and not den:      # no weight left: nan like the loss (torch),
            dx = Tensor._wrap(np.where(kept[:, None] if kept is not None else True,
                                       np.nan, 0.0).astype(x.dtype) + np.zeros_like(x))
        else:                                    # and exactly 0 where ignored
            sm = _softmax_rows(input, e, sumexp)
            qw_t = Tensor._wrap(qw)
            if p is not None and p.requires_grad and is_grad_enabled():  # recorded: q is
                c = x.shape[1]                                          # a function of p
                qp = _rows_t(p if p.dtype == x.dtype else _cast(p, x.dtype)) * (1.0 - s) + s / c
                qw_t = qp * Tensor._wrap(w) if w is not None else qp
            dx = (sm * qw_t.sum(1, keepdim=True) - qw_t) * gcol
            if kept is not None:
                dx = dx * Tensor._wrap(kept[:, None].astype(x.dtype))
        dx = _unrows_t(dx, input.shape)
        if p is None:
            return (dx,)
        dp = None
        if p.requires_grad:                      # dloss_i/dp_ic = -(1-s) w_c log p_ic
            lp = _rows_t(input).log_softmax(1) if is_grad_enabled() else Tensor._wrap(logp)
            dp = lp * (-(1.0 - s)) * gcol
            if w is not None:
                dp = dp * Tensor._wrap(w)
            dp = _unrows_t(dp, p.shape)
            dp = dp if dp.dtype == p.dtype else _cast(dp, p.dtype)
        return dx, dp
    return record("cross_entropy", out, (input,) if p is None else (input, p), backward)


def nll_loss(input: Tensor, target: Tensor, weight: Any = None, *,
             ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices ``target`` under log-probabilities ``input``.

    Shapes: ``input`` (N, C), (N, C, d1, ...) (class dim 1) or unbatched (C,); ``target``
    integer class indices of shape (N,), (N, d1, ...) or ().  ``weight``: optional (C,)
    class weights, a constant.  ``loss = -w_t input[t]`` (``w_t = 1`` without weight, 0
    where ``t == ignore_index``); 'mean' divides the sum by ``sum w_t`` (nan if 0);
    'none' has the target's shape.  Backward puts ``-w_t`` (÷ that sum for 'mean') at
    each target's entry.  ``cross_entropy(x, t) == nll_loss(log_softmax(x, dim=1), t)``.
    """
    _check_reduction("nll_loss", reduction)
    ignore_index = _check_ignore_index("nll_loss", ignore_index)
    t, kept = _check_class_input("nll_loss", input, target, ignore_index)
    w = _class_weight("nll_loss", weight, input)
    x = _rows(input.array)
    m = x.shape[0]
    rows = np.arange(m)
    wt = w[t] if w is not None else None         # each target's class weight (None: all 1)
    if kept is not None:
        wt = kept.astype(x.dtype) if wt is None else wt * kept
    losses = -x[rows, t]
    if kept is not None:
        losses[~kept] = 0.0                      # exactly 0, even for an input of -inf
    if wt is not None:
        losses *= wt
    den = m if wt is None else wt.sum()
    out = _reduce(losses, reduction, den, _target_shape(input.shape))

    def backward(g):  # d(-w_t x[i, t_i])/dx = -w_t onehot(t_i): linear in g
        gs = g / den if reduction == "mean" and den else g
        gcol = gs.reshape(-1, 1) if reduction == "none" else gs
        coef = np.zeros_like(x)                  # -w_t at each target's entry
        coef[rows, t] = -1.0 if wt is None else -wt
        if reduction == "mean" and not den:      # no weight left: nan like the loss (torch)
            coef[rows, t] = np.nan
        if kept is not None:
            coef[~kept] = 0.0                    # exactly 0, even if sum w_t is 0 (as torch)
            if reduction == "mean" and not den:
                return (Tensor._wrap(_unrows(coef, input.shape)),)
        return (_unrows_t(Tensor._wrap(coef) * gcol, input.shape),)
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
        raise TypeError(f"mse_loss: input must be a Tensor, got {type_name(input)}")
    if input.array.dtype.kind != "f":
        raise TypeError(f"mse_loss: input must be floating point, got dtype {input.array.dtype}")
    target = Tensor._lift(target, input) if not isinstance(target, Tensor) else target
    if target.shape != input.shape:
        raise ValueError(f"mse_loss: input shape {input.shape} and target shape {target.shape} "
                         f"differ; they must be equal (broadcasting them is a common silent "
                         f"bug, e.g. (N, 1) vs (N,) gives (N, N)); reshape one of them")
    diff = input.array - target.array
    if diff.dtype != input.array.dtype:
        diff = diff.astype(input.array.dtype)
    sq = np.square(diff)
    out = _reduce(sq, reduction)

    def backward(g):  # d(a - b)^2/da = 2(a - b),  d/db = -2(a - b)
        k = 2.0 / max(diff.size, 1) if reduction == "mean" else 2.0
        d = input - target if is_grad_enabled() else Tensor._wrap(diff)
        gx = d * (g * k)
        return (gx if input.requires_grad else None,
                -gx if target.requires_grad else None)
    return record("mse_loss", out, (input, target), backward)
