"""linear: the affine map of a fully connected layer, as one tape entry."""
from __future__ import annotations

import math
from typing import Optional

from ...tensor import Tensor, record
from ..._names import type_name

__all__ = ["linear"]


def linear(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """y = x W^T + b.

    Shapes: input (*, in_features), weight (out_features, in_features),
    bias (out_features,) -> output (*, out_features). Any leading dims (*) are
    treated as a batch.
    """
    for name, t in (("input", input), ("weight", weight), ("bias", bias)):
        if (t is not None or name != "bias") and not isinstance(t, Tensor):
            raise TypeError(f"linear: {name} must be a Tensor, got {type_name(t)}")
    if input.dtype.kind != "f":
        raise TypeError(f"linear: input must be a floating-point tensor, got dtype {input.dtype}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.dtype != input.dtype:
            # as PyTorch: no silent float64 promotion (slow) or float32 truncation
            raise TypeError(f"linear: input dtype {input.dtype} and {name} dtype {t.dtype} "
                            f"differ; convert the input (tinynet.tensor(x, dtype='{t.dtype}')) "
                            f"or the model (model.float() / model.double())")
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), "
                         f"got shape {weight.shape}")
    out_f, in_f = weight.shape
    if input.ndim == 0 or input.shape[-1] != in_f:
        raise ValueError(f"linear: expected input with last dimension {in_f}, "
                         f"got shape {input.shape}")
    if bias is not None and bias.shape != (out_f,):
        raise ValueError(f"linear: bias must have shape ({out_f},), got {bias.shape}")

    x = input.array
    out = x @ weight.array.T
    if bias is not None:
        out += bias.array  # in place: out is a fresh array (promotion was ruled out above)

    def backward(g):
        # Flatten the batch dims: X (n, in), G (n, out), so dW is one matrix product.
        # (n given, not -1: numpy cannot infer it when in or out_features is 0)
        n = math.prod(x.shape[:-1])
        G = g.reshape(n, out_f)
        gx = (G @ weight).reshape(x.shape) if input.requires_grad else None     # dX = G W
        gw = G.mT @ input.reshape(n, in_f) if weight.requires_grad else None    # dW = G^T X
        if bias is None:
            return gx, gw
        gb = G.sum(0) if bias.requires_grad else None                           # db = sum_n G
        return gx, gw, gb

    inputs = (input, weight) if bias is None else (input, weight, bias)
    return record("linear", out, inputs, backward)
