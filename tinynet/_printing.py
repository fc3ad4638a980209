"""How a Tensor prints: PyTorch's format, so printed values read the same.

``tensor([0.7546, 1.0000])`` -- floats with 4 decimals (``2.`` when every value is a
whole number, ``1.0000e-05`` when the magnitudes span too far for fixed point), then
``dtype=`` for anything but float32/int64/bool, then ``grad_fn=<MulBackward0>`` or
``requires_grad=True``.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np


def backward_name(op: str) -> str:
    """PyTorch's name for an entry's backward: ``mul`` -> ``MulBackward0``."""
    return "".join(w[:1].upper() + w[1:] for w in op.split("_")) + "Backward0"


def float_formatter(values: np.ndarray) -> Callable[[Any], str]:
    """One format for all the elements of a float array, as PyTorch chooses it."""
    finite = np.abs(values[np.isfinite(values)]).astype(np.float64)
    nonzero = finite[finite != 0]
    if finite.size and np.all(finite == np.round(finite)) and finite.max() < 1e8:
        fmt = lambda v: f"{v:.0f}." if np.isfinite(v) else f"{v}"  # noqa: E731
    elif nonzero.size and (nonzero.max() >= 1e8 or nonzero.min() < 1e-4
                           or nonzero.max() / nonzero.min() > 1e3):
        fmt = lambda v: f"{v:.4e}" if np.isfinite(v) else f"{v}"  # noqa: E731
    else:
        fmt = lambda v: f"{v:.4f}" if np.isfinite(v) else f"{v}"  # noqa: E731
    width = max((len(fmt(v)) for v in values.ravel()[:1000]), default=0)
    return lambda v: fmt(v).rjust(width)


def array_text(array: np.ndarray, prefix: str = "tensor(") -> str:
    """The array's elements as PyTorch prints them (long arrays shortened with ...)."""
    formatter = {}
    if array.dtype.kind == "f" and array.size:
        formatter["float_kind"] = float_formatter(array)
    text = np.array2string(array, separator=", ", prefix=prefix, formatter=formatter,
                           threshold=1000, edgeitems=3, max_line_width=80)
    return text.replace(", ..., ", ",  ..., ")  # PyTorch's spacing around the ellipsis


def tensor_repr(t: Any) -> str:
    """``tensor(..., dtype=..., grad_fn=<...>)`` for a tinynet Tensor."""
    extra = []
    if t.array.dtype not in (np.float32, np.int64, np.bool_):
        extra.append(f"dtype=tinynet.{t.array.dtype}")
    if t._node is not None:
        # Node.name() (tinynet/autograd/graph.py) also knows custom Functions' names
        name = t._node.name() if hasattr(t._node, "name") else backward_name(t._node.op)
        extra.append(f"grad_fn=<{name}>")
    elif t.requires_grad:
        extra.append("requires_grad=True")
    return "tensor(" + array_text(t.array) + "".join(", " + e for e in extra) + ")"
