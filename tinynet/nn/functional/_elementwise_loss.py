"""What the elementwise losses (BCE, L1, smooth L1, Huber, KL) share: argument checks,
PyTorch's legacy ``size_average``/``reduce`` flags, and the reduction, all with Tensor ops.

These losses are composed from existing ops (``abs``, ``log``, ``where``, ``mean`` ...),
so their gradients come from those ops' rules: nothing here has a backward of its own.
"""
from __future__ import annotations

import warnings
from typing import Any, Optional

from ...ops import broadcasts_to
from ...tensor import Tensor
from ..._names import type_name

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(name: str, reduction: Any, allowed: tuple[str, ...] = REDUCTIONS) -> str:
    if reduction not in allowed:
        listed = ", ".join(repr(r) for r in allowed[:-1]) + f" or {allowed[-1]!r}"
        raise ValueError(f"{name}: reduction must be {listed}, got {reduction!r}")
    return reduction


def legacy_reduction(name: str, size_average: Optional[bool], reduce: Optional[bool],
                     reduction: str) -> str:
    """PyTorch's old flags, as torch maps them (with its deprecation warning):
    ``reduce=False`` is 'none'; else ``size_average=False`` is 'sum'; else 'mean'."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    new = "none" if not reduce else ("mean" if size_average else "sum")
    warnings.warn(f"{name}: size_average and reduce args will be deprecated, please use "
                  f"reduction='{new}' instead.", UserWarning, stacklevel=3)
    return new


def reduce_loss(losses: Tensor, reduction: str) -> Tensor:
    """'mean' averages over every element, 'sum' adds them, 'none' keeps them."""
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses


def check_input(name: str, input: Any) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: input must be a Tensor, got {type_name(input)}")
    if input.dtype.kind != "f":
        raise TypeError(f"{name}: input must be floating point, got dtype {input.dtype}")
    return input


def check_target(name: str, input: Tensor, target: Any) -> Tensor:
    """``target`` as a floating Tensor of the input's shape and dtype.

    A numpy array is wrapped; a target of another float dtype is cast (the gradient
    still reaches it).  Different shapes are refused, as tinynet's ``mse_loss`` does:
    PyTorch broadcasts them with only a warning, and (N, 1) against (N,) then silently
    becomes an (N, N) loss.
    """
    if not isinstance(target, Tensor):
        target = Tensor._lift(target, input)
    if target.dtype.kind != "f":
        raise TypeError(f"{name}: target must be floating point, got dtype {target.dtype}; "
                        f"convert it with target.float()")
    if target.shape != input.shape:
        raise ValueError(f"{name}: target shape {target.shape} differs from input shape "
                         f"{input.shape}; they must be equal (broadcasting them is a common "
                         f"silent bug, e.g. (N, 1) vs (N,) gives (N, N)); reshape one of them")
    return target if target.dtype == input.dtype else target.to(input.dtype)


def check_constant(name: str, what: str, value: Any, input: Tensor) -> Optional[Tensor]:
    """A weight that must broadcast to the input's shape and gets no gradient (or None)."""
    if value is None:
        return None
    if not isinstance(value, Tensor):
        value = Tensor._lift(value, input)
    if value.requires_grad:
        raise ValueError(f"{name}: {what} must not require grad (as in PyTorch, the loss is "
                         f"not differentiable with respect to it); pass {what}.detach()")
    if value.dtype.kind != "f":
        raise TypeError(f"{name}: {what} must be floating point, got dtype {value.dtype}")
    if not broadcasts_to(value.shape, input.shape):
        raise ValueError(f"{name}: {what} of shape {value.shape} does not broadcast to the "
                         f"input's shape {input.shape}")
    return value if value.dtype == input.dtype else value.to(input.dtype)
