"""Batch normalisation: normalise each channel over the batch, then scale and shift.

For channel ``c`` over the ``m`` values it holds in the batch (all of N, and H, W
for images)::

    xhat = (x - mean) / sqrt(var + eps)        # var: biased (divide by m)
    y    = gamma * xhat + beta

Training uses the batch's mean/var and updates the running estimates; evaluation
uses the running estimates, so a single example gets a deterministic output.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from ...tensor import Tensor, is_grad_enabled, record
from ..._names import type_name

__all__ = ["batch_norm"]


def _check_vec(name: str, t: Optional[Tensor], c: int, dtype: np.dtype) -> None:
    if t is None:
        return
    if not isinstance(t, Tensor):
        raise TypeError(f"batch_norm: {name} must be a Tensor or None, got {type_name(t)}")
    if t.shape != (c,):
        raise ValueError(f"batch_norm: {name} must have shape ({c},) (one value per channel "
                         f"of the input), got {t.shape}")
    if t.dtype != dtype:  # as torch, rather than computing in one dtype and storing in another
        raise TypeError(f"batch_norm: {name} has dtype {t.dtype} but the input {dtype}; "
                        f"convert one of them (e.g. model.double() or x.float())")


def _normalised(x: Tensor, axes: tuple, eps: float, running_mean: Optional[Tensor],
                running_var: Optional[Tensor], training: bool) -> tuple[Tensor, Tensor]:
    """xhat = (x - mean) / sqrt(var + eps) and 1/sqrt(var + eps), as Tensor ops (shape
    (1, C, 1, ...) for the statistics): the batch's in training, the running ones else."""
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if training:
        xc = x - x.mean(axes, keepdims=True)
        inv_std = ((xc * xc).mean(axes, keepdims=True) + eps) ** -0.5
    else:
        xc = x - running_mean.detach().reshape(shape)
        inv_std = (running_var.detach().reshape(shape) + eps) ** -0.5
    return xc * inv_std, inv_std


def batch_norm(input: Tensor, running_mean: Optional[Tensor], running_var: Optional[Tensor],
               weight: Optional[Tensor] = None, bias: Optional[Tensor] = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch norm over channel axis 1 of an (N, C), (N, C, L) or (N, C, H, W) input.

    ``training=True``: normalise with the batch mean and biased variance, and (if the
    running tensors are given) update them in place::

        running_mean = (1 - momentum) running_mean + momentum mean
        running_var  = (1 - momentum) running_var  + momentum var * m/(m-1)   # unbiased

    ``training=False``: normalise with ``running_mean``/``running_var``.
    ``weight`` (gamma) and ``bias`` (beta) have shape (C,); None means 1 and 0.
    Output: the input's shape.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"batch_norm: input must be a Tensor, got {type_name(input)}")
    if input.ndim < 2:
        raise ValueError(f"batch_norm: input must be (N, C, ...) with at least 2 dimensions, "
                         f"got shape {input.shape}")
    if input.array.dtype.kind != "f":
        raise TypeError(f"batch_norm: input must be floating point, got dtype {input.array.dtype}")
    if not isinstance(training, (bool, np.bool_)):
        raise TypeError(f"batch_norm: training must be True or False, got {training!r}")
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        _check_vec(name, t, c, input.dtype)
    if (running_mean is None) != (running_var is None):
        raise ValueError("batch_norm: give both running_mean and running_var, or neither")
    if not training and running_mean is None:
        raise ValueError("batch_norm: running_mean and running_var must be given when "
                         "training=False (evaluation normalises with them)")
    if training and running_mean is not None and (
            isinstance(momentum, bool) or not isinstance(momentum, (int, float, np.floating))):
        raise TypeError(f"batch_norm: momentum must be a number, got {type_name(momentum)}")
    if not eps > 0:
        raise ValueError(f"batch_norm: eps must be > 0, got {eps}")

    x = input.array
    dt = x.dtype
    axes = (0,) + tuple(range(2, x.ndim))           # every axis but the channel axis
    m = x.size // c if c else 0                      # values per channel
    bshape = (1, c) + (1,) * (x.ndim - 2)            # (C,) -> broadcastable against x
    gamma = weight.array.astype(dt, copy=False).reshape(bshape) if weight is not None else None
    beta = bias.array.astype(dt, copy=False).reshape(bshape) if bias is not None else None

    if training:
        if m <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when "
                             f"training, got input of shape {input.shape}")
        mean = x.mean(axis=axes, keepdims=True)
        xc = x - mean
        var = np.mean(np.square(xc), axis=axes, keepdims=True)   # biased: divide by m
        inv_std = 1.0 / np.sqrt(var + dt.type(eps))
        xhat = xc
        xhat *= inv_std                                           # reuse xc's memory
        if running_mean is not None:
            rm, rv = running_mean.array, running_var.array
            rm *= 1.0 - momentum
            rm += (momentum * mean.reshape(c)).astype(rm.dtype, copy=False)
            rv *= 1.0 - momentum
            rv += (momentum * m / (m - 1) * var.reshape(c)).astype(rv.dtype, copy=False)
            running_mean._bump_version()
            running_var._bump_version()
    else:
        inv_std = (1.0 / np.sqrt(running_var.array.astype(dt) + dt.type(eps))).reshape(bshape)
        mean = running_mean.array.astype(dt).reshape(bshape)
        xhat = (x - mean) * inv_std

    out = xhat * gamma if gamma is not None else xhat.copy()
    if beta is not None:
        out += beta

    params = [t for t in (weight, bias) if t is not None]

    def backward(g):
        if is_grad_enabled():  # create_graph: rebuild xhat, inv_std on the input's tape,
            xh, istd = _normalised(input, axes, eps, running_mean, running_var, training)
        else:                  # so that they are differentiated too; else the saved arrays
            xh, istd = Tensor._wrap(xhat), Tensor._wrap(inv_std)
        need_x = input.requires_grad and training  # the training dx needs both sums
        w_grad = weight is not None and weight.requires_grad
        b_grad = bias is not None and bias.requires_grad
        # y = gamma xhat + beta:  dL/dbeta = sum g,  dL/dgamma = sum g xhat
        dbeta = g.sum(axes) if need_x or b_grad else None
        dgamma = (g * xh).sum(axes) if need_x or w_grad else None
        scale = istd if weight is None else weight.reshape(bshape) * istd
        dx = None
        if input.requires_grad:
            if training:
                # xhat depends on every x of its channel through mean and var.  With
                # dxhat = g gamma the standard compact form
                #   dx = inv_std/m (m dxhat - sum dxhat - xhat sum(dxhat xhat))
                # uses sum dxhat = gamma dbeta and sum(dxhat xhat) = gamma dgamma:
                dx = scale / m * (g * m - dbeta.reshape(bshape) - xh * dgamma.reshape(bshape))
            else:
                dx = g * scale  # running stats are constants: dy/dx = gamma inv_std
        grads = [dx]
        if weight is not None:
            grads.append(dgamma if w_grad else None)
        if bias is not None:
            grads.append(dbeta if b_grad else None)
        return tuple(grads)

    return record("batch_norm", out, (input, *params), backward)
