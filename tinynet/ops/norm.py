"""Vector norms: ``x.norm()``, ``tinynet.norm(x, p, dim, keepdim)``, as PyTorch.

The 2-norm ``||x|| = sqrt(sum x^2)`` is an op of its own, so that its gradient
``x / ||x||`` can be 0 (not 0/0) for a zero vector, as in PyTorch; the other p-norms
are compositions of existing ops.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import Tensor, record
from . import tensor_method
from .reduce import _axes


@tensor_method
def norm(x: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False,
         dtype: Any = None) -> Tensor:
    """The p-norm over ``dim`` (all elements by default): ``(sum |x|^p)^(1/p)``.

    ``p``: 'fro' or 2 (the default), 1, any positive number, ``inf`` (max |x|) or
    ``-inf`` (min |x|).  Output: ``x``'s shape without ``dim`` (kept as size 1 with
    ``keepdim=True``).
    """
    if dtype is not None:
        x = x.to(dtype)
    if x.dtype.kind not in "fc":
        raise TypeError(f"norm: needs a floating-point tensor, got dtype {x.dtype}")
    if p == "fro" or p == 2:
        return _norm2(x, dim, keepdim)
    if isinstance(p, bool) or not isinstance(p, (int, float)) or math.isnan(p) or p == 0:
        raise ValueError(f"norm: p must be 'fro', a positive number, inf or -inf, got {p!r}")
    if p == math.inf:
        return x.abs().amax(dim=dim, keepdim=keepdim) if dim is not None else x.abs().amax()
    if p == -math.inf:
        return x.abs().amin(dim=dim, keepdim=keepdim) if dim is not None else x.abs().amin()
    if p < 0:
        raise ValueError(f"norm: p must be 'fro', a positive number, inf or -inf, got {p!r}")
    if p == 1:
        return x.abs().sum(dim=dim, keepdim=keepdim)
    return (x.abs() ** p).sum(dim=dim, keepdim=keepdim) ** (1.0 / p)


def _norm2(x: Tensor, dim: Any, keepdim: bool) -> Tensor:
    """sqrt(sum x^2) over ``dim``; d/dx = x / ||x||, taken as 0 where ||x|| = 0."""
    axes = _axes(x, None, dim)
    kept = np.sqrt(np.square(x.array).sum(axis=axes, keepdims=True))
    out = kept if keepdim else kept.reshape([n for i, n in enumerate(kept.shape)
                                             if axes is not None and i not in axes])

    def backward(g):  # d ||x|| / dx = x / ||x||  (0 for a zero vector)
        n = (x * x).sum(dim=axes, keepdim=True) ** 0.5
        safe = n + Tensor._wrap(n.array == 0)      # 1 where the norm is 0: x / 1 = 0 there
        return (g.reshape(kept.shape) * x / safe,)
    return record("norm", np.asarray(out), (x,), backward)
