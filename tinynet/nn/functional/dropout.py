"""Dropout: randomly zero activations during training.

The course writes dropout as ``H = D ⊙ Y`` with a mask ``D ~ Bernoulli(keep)``,
so the backward pass is ``dL/dY = dL/dH ⊙ D``: a dropped unit passes no
gradient.  Its ``keep`` is the probability of KEEPING a unit.

tinynet follows PyTorch instead: ``p`` is the probability of DROPPING a unit,
``keep = 1 - p``.  So the course's ``keep = 0.8`` is tinynet's ``p = 0.2``.

Two forms:

* **inverted** (the default, what PyTorch does): scale the kept units by
  ``1/(1-p)`` while training, ``H = D ⊙ Y / (1-p)``, so ``E[H] = Y`` and the
  layer is the identity at evaluation time.
* **vanilla** (the course quiz, ``inverted=False``): ``H = D ⊙ Y`` while
  training and ``H = (1-p) Y`` at evaluation, which matches ``E[D ⊙ Y]``.
"""
from __future__ import annotations

import numbers

import numpy as np

from ...guards import warn_dropout_in_no_grad
from ...random import generator
from ...tensor import Tensor, is_grad_enabled, record
from ..._names import type_name

__all__ = ["dropout", "dropout2d"]


def _check_p(name: str, p: float) -> float:
    """``p`` as a float in [0, 1], else a TypeError/ValueError naming ``p``."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"{name}: p (the probability of dropping a unit) must be a number, "
                        f"got {type_name(p)}")
    if not 0.0 <= p <= 1.0:  # also rejects NaN
        raise ValueError(f"{name}: dropout probability p has to be between 0 and 1, "
                         f"but got {p} (p is the probability of DROPPING a unit: keep = 1 - p)")
    return float(p)


def _check(name: str, input: Tensor, p: float) -> float:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: input must be a Tensor, got {type_name(input)}")
    if input.array.dtype.kind != "f":
        raise TypeError(f"{name}: input must be floating point, got dtype {input.array.dtype}")
    return _check_p(name, p)


def _dropout(name: str, input: Tensor, p: float, training: bool, inplace: bool,
             inverted: bool, mask_shape: tuple[int, ...]) -> Tensor:
    """Shared body of dropout/dropout2d; ``mask_shape`` broadcasts against the input."""
    if not isinstance(training, (bool, np.bool_)):  # a string or None is truthy: say so
        raise TypeError(f"{name}: training must be True or False, got {training!r}")
    x = input.array
    if not training:
        if inverted or p == 0.0:
            return input  # inverted dropout is the identity at evaluation time
        scale = x.dtype.type(1.0 - p)  # vanilla: H = (1-p) Y, the expectation of D ⊙ Y
        mask = None
    elif p == 0.0:
        return input  # nothing is dropped; no random numbers are drawn (as PyTorch)
    elif p == 1.0:
        scale, mask = x.dtype.type(0.0), None  # everything is dropped; no 0/0 from 1/(1-p)
    else:
        if not is_grad_enabled():  # an evaluation loop that forgot model.eval()?
            warn_dropout_in_no_grad(name)
        # keep = 1 with probability 1 - p: a uniform u in [0, 1) is >= p with probability 1 - p.
        # (The course code's `np.random.randn(*x.shape) < p`, its p being the KEEP
        # probability, is wrong: randn draws from a standard Gaussian, not a uniform, so it
        # keeps a fraction Phi(p) of the units -- 69% for p = 0.5, not 50%.)  float32 draws
        # are faster than float64 ones and precise enough for a probability.
        keep = generator().random(mask_shape, dtype=np.float32) >= p
        # Fold the 1/(1-p) scale into the mask once, in the input's dtype: forward and
        # backward are then a single multiply each.
        mask = np.multiply(keep, 1.0 / (1.0 - p) if inverted else 1.0, dtype=x.dtype)
        scale = None

    if inplace:
        if is_grad_enabled() and input.requires_grad:
            raise RuntimeError(f"{name}(inplace=True): the input requires grad, and tinynet "
                               f"forbids in-place changes while recording; use inplace=False")
        np.multiply(x, mask if mask is not None else scale, out=x)
        input._bump_version()
        return input

    if mask is None:
        out = x * scale

        def backward(g):  # H = s Y  ->  dL/dY = s dL/dH
            return (g * float(scale),)
    else:
        out = x * mask

        def backward(g):  # H = M ⊙ Y  ->  dL/dY = dL/dH ⊙ M  (M = D/(1-p), or D if vanilla)
            return (g * Tensor._wrap(mask),)
    return record(name, out, (input,), backward)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
            *, inverted: bool = True) -> Tensor:
    """Zero each element with probability ``p`` (PyTorch's convention: ``p`` DROPS, keep = 1-p).

    Training: ``H = D ⊙ Y / (1-p)`` with ``D ~ Bernoulli(1-p)`` elementwise; backward
    ``dL/dY = dL/dH ⊙ D / (1-p)``.  Evaluation (``training=False``): the identity (the
    input itself is returned).  ``p=0`` returns the input, ``p=1`` gives zeros.

    ``inverted=False`` is the course's vanilla form: ``H = D ⊙ Y`` in training and
    ``H = (1-p) Y`` in evaluation.  ``inplace=True`` overwrites the input (only allowed
    when nothing is being recorded for it), as in PyTorch.

    Shapes: input any shape; output the same shape.  Masks come from
    ``tinynet.random.generator()``, so ``tinynet.manual_seed`` reproduces them.
    """
    p = _check("dropout", input, p)
    return _dropout("dropout", input, p, training, inplace, inverted, input.shape)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels with probability ``p`` (``p`` DROPS a channel; keep = 1-p).

    Input (N, C, H, W), or (C, H, W) taken as one unbatched sample (PyTorch instead
    warns and treats 3-D input as (N, C, L)).  The mask has shape (N, C, 1, 1): each
    feature map is either all zero or all scaled by ``1/(1-p)``.  This suits conv
    features, where neighbouring pixels are correlated and elementwise dropout
    barely regularises.  Evaluation: the identity.
    """
    p = _check("dropout2d", input, p)
    if input.ndim not in (3, 4):
        raise ValueError(f"dropout2d: expected a 4-D (N, C, H, W) or 3-D (C, H, W) input, "
                         f"got {input.ndim}-D input of shape {input.shape}")
    mask_shape = input.shape[:-2] + (1, 1)
    return _dropout("dropout2d", input, p, training, inplace, True, mask_shape)
