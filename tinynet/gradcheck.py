"""Check the tape's gradients against central finite differences.

For each input x and a scalar ``L = sum(fn(*inputs) * w)`` (random fixed weights w, so
every output element matters), compare dL/dx from ``backward()`` with
``(L(x + eps e_i) - L(x - eps e_i)) / (2 eps)``, in float64.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .tensor import Tensor
from ._names import type_name

__all__ = ["gradcheck", "GradcheckError", "numerical_gradient"]


class GradcheckError(AssertionError):
    """The analytic and numerical gradients disagree."""


def gradcheck(fn: Callable[..., Tensor], inputs: Sequence[Tensor], eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3, max_elements: int = 10_000,
              n_directions: int = 8, seed: int = 0) -> bool:
    """Return True if ``fn``'s tape gradients match finite differences, else raise.

    Inputs that require grad are checked; they are converted to float64 copies first.
    For inputs with more than ``max_elements`` elements, ``n_directions`` random
    directions v are checked instead of every element: dL/dx . v against
    (L(x + eps v) - L(x - eps v)) / (2 eps).

    The error names the input, the worst element and both values.
    """
    if not isinstance(inputs, (list, tuple)):
        raise TypeError("gradcheck: inputs must be a list or tuple of tensors")
    xs = []
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"gradcheck: input {i} is {type_name(t)}, expected a Tensor")
        x = Tensor(np.array(t.array, dtype=np.float64) if t.dtype.kind == "f" else t.array)
        if t.requires_grad:
            x.requires_grad_(True)
        xs.append(x)
    if not any(x.requires_grad for x in xs):
        raise ValueError("gradcheck: no input requires grad, nothing to check")

    rng = np.random.default_rng(seed)
    out = fn(*xs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type_name(out)}")
    w = rng.standard_normal(out.shape)

    def loss() -> float:
        return float(np.sum(np.asarray(fn(*xs).array, dtype=np.float64) * w))

    for x in xs:
        x.grad = None
    (out * Tensor(w)).sum().backward() if out.requires_grad else None

    for i, x in enumerate(xs):
        if not x.requires_grad:
            continue
        analytic = np.zeros(x.shape) if x.grad is None else x.grad.array
        flat = x.array.reshape(-1)  # a view: nudging it nudges x
        if x.size <= max_elements:
            numeric = numerical_gradient(loss, flat, eps)
            _compare(i, x.shape, analytic.reshape(-1), numeric, atol, rtol, "element")
        else:
            got, want = [], []
            for _ in range(n_directions):
                v = rng.standard_normal(x.size)
                orig = flat.copy()
                flat += eps * v
                hi = loss()
                flat[:] = orig - eps * v
                lo = loss()
                flat[:] = orig
                got.append(float(analytic.reshape(-1) @ v))
                want.append((hi - lo) / (2 * eps))
            _compare(i, x.shape, np.array(got), np.array(want), atol, rtol, "direction")
    return True


def numerical_gradient(loss: Callable[[], float], flat: np.ndarray, eps: float) -> np.ndarray:
    """dL/dflat[k] ~ (L(flat[k] + eps) - L(flat[k] - eps)) / (2 eps) for every k.

    ``flat`` must be a 1-D view of the input that ``loss`` reads, so nudging it nudges
    the input; each element is restored after its two evaluations.
    """
    numeric = np.zeros(flat.size)
    for k in range(flat.size):
        orig = flat[k]
        flat[k] = orig + eps
        hi = loss()
        flat[k] = orig - eps
        lo = loss()
        flat[k] = orig
        numeric[k] = (hi - lo) / (2 * eps)
    return numeric


def _compare(i: int, shape: tuple, analytic: np.ndarray, numeric: np.ndarray,
             atol: float, rtol: float, what: str) -> None:
    err = np.abs(analytic - numeric)
    bad = ~(err <= atol + rtol * np.abs(numeric))  # nan on either side is a failure
    if bad.any() or not np.all(np.isfinite(analytic)):
        k = int(np.argmax(np.where(np.isfinite(err), err, np.inf)))
        # plain ints, so the message reads (1, 0) and not (np.int64(1), np.int64(0))
        where = tuple(int(j) for j in np.unravel_index(k, shape)) if what == "element" else k
        raise GradcheckError(
            f"gradcheck: input {i} (shape {shape}): worst {what} {where}: "
            f"backward gives {analytic[k]:.10g}, finite differences give {numeric[k]:.10g} "
            f"(|diff| {err[k]:.3g} > atol {atol} + rtol {rtol} * |numeric|)")
