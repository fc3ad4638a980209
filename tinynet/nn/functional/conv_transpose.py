"""conv_transpose2d: the transposed ("fractionally strided") convolution, made of conv2d.

A transposed convolution sends every input pixel out through the kernel: each input
value x[n, c, i, j] adds ``x * w[c, f, a, b]`` to output pixel (i*s - p + a*d, j*s - p + b*d).
That is the adjoint of conv2d (the map conv2d's backward applies to its output gradient),
and it equals an ordinary convolution of a prepared input:

1. spread the input: put ``stride - 1`` zeros between neighbouring pixels;
2. pad each side with ``dilation * (kernel - 1) - padding`` zeros (crop if that is
   negative), plus ``output_padding`` more at the bottom and right;
3. convolve (stride 1, the same dilation) with the kernel flipped in both spatial dims
   and its in/out channel axes swapped.

Output size: ``(H - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1``.
Every step is an existing op (pad, reshape, narrow, permute, flip, conv2d), so the gradients
come from theirs.
"""
from __future__ import annotations

from typing import Optional, Union

import numpy as np

from ...ops.shape import pad
from ...tensor import Tensor
from ..._names import type_name
from ._args import pair
from .conv import conv2d

IntPair = Union[int, tuple[int, int]]

__all__ = ["conv_transpose2d"]


def _spread(x: Tensor, dim: int, stride: int) -> Tensor:
    """``stride - 1`` zeros between neighbouring entries along ``dim`` (2 or 3) of x:
    each entry gets a new axis of length ``stride`` (itself, then zeros), which a reshape
    lays out in line; the zeros after the last entry are cut off."""
    if stride == 1:
        return x
    n = x.shape[dim]
    spec = [0, 0] * (x.ndim - dim)                # F.pad's spec, from the last dim back:
    spec[-1] = stride - 1                         # the new axis (dim + 1) gets stride - 1
    spaced = pad(x.unsqueeze(dim + 1), tuple(spec))   # zeros after each entry
    shape = x.shape[:dim] + (n * stride,) + x.shape[dim + 1:]
    return spaced.reshape(shape).narrow(dim, 0, (n - 1) * stride + 1)


def _pad_or_crop(x: Tensor, dim: int, before: int, after: int) -> Tensor:
    """Add ``before``/``after`` zeros along ``dim``, or remove that many if negative."""
    if before < 0 or after < 0:
        lo, hi = max(-before, 0), max(-after, 0)
        x = x.narrow(dim, lo, x.shape[dim] - lo - hi)
        before, after = max(before, 0), max(after, 0)
    if before or after:
        spec = [0, 0] * (x.ndim - dim)
        spec[-2], spec[-1] = before, after
        x = pad(x, tuple(spec))
    return x


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None,
                     stride: IntPair = 1, padding: IntPair = 0, output_padding: IntPair = 0,
                     groups: int = 1, dilation: IntPair = 1) -> Tensor:
    """Transposed 2-D convolution (PyTorch's argument order: groups before dilation).

    Shapes: input (N, C_in, H, W) or unbatched (C_in, H, W); weight
    (C_in, C_out / groups, kH, kW); bias (C_out,) or None -> output (N, C_out, H_out, W_out),
    ``H_out = (H - 1) sh - 2 ph + dh (kH - 1) + oph + 1`` (W likewise).  ``output_padding``
    (each smaller than the stride or the dilation) adds rows and columns at the bottom and
    right, to choose between the input sizes a strided conv2d maps to the same output size.
    """
    name = "conv_transpose2d"
    for what, t in (("input", input), ("weight", weight)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}: {what} must be a Tensor, got {type_name(t)}")
        if t.dtype.kind != "f":
            raise TypeError(f"{name}: {what} must be a floating-point tensor, got dtype "
                            f"{t.dtype}")
    if input.ndim not in (3, 4):
        raise ValueError(f"{name}: Expected 3D (unbatched) or 4D (batched) input to "
                         f"conv_transpose2d, but got input of size: {list(input.shape)}")
    if weight.ndim != 4:
        raise ValueError(f"{name}: weight must be (C_in, C_out / groups, kH, kW), got shape "
                         f"{weight.shape}")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{name}: groups must be a positive int, got {groups!r}")
    c_in, c_out_g, kh, kw = weight.shape
    c_out = c_out_g * groups
    unbatched = input.ndim == 3
    x = input.unsqueeze(0) if unbatched else input
    if x.shape[1] != c_in:
        raise ValueError(f"{name}: weight of size {list(weight.shape)} expects input with "
                         f"{c_in} channels, but got {x.shape[1]} channels instead")
    if c_in % groups:
        raise ValueError(f"{name}: groups={groups} must divide the input channels {c_in}")
    if bias is not None:
        if not isinstance(bias, Tensor):
            raise TypeError(f"{name}: bias must be a Tensor or None, got {type_name(bias)}")
        if bias.shape != (c_out,):
            raise ValueError(f"{name}: expected bias to be 1-dimensional with {c_out} "
                             f"elements, but got bias of size {list(bias.shape)} instead")
    sh, sw = pair(stride, "stride", 1, name)
    ph, pw = pair(padding, "padding", 0, name)
    oph, opw = pair(output_padding, "output_padding", 0, name)
    dh, dw = pair(dilation, "dilation", 1, name)
    if not (oph < sh or oph < dh) or not (opw < sw or opw < dw):
        raise ValueError(f"{name}: output padding must be smaller than either stride or "
                         f"dilation, but got output_padding ({oph}, {opw}), stride "
                         f"({sh}, {sw}), dilation ({dh}, {dw})")
    h, w = x.shape[2:]
    h_out = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    w_out = (w - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    if h_out < 1 or w_out < 1:
        raise ValueError(f"{name}: Given input size per channel: ({h} x {w}). Calculated "
                         f"output size per channel: ({h_out} x {w_out}). Output size is too "
                         f"small")

    x = _spread(_spread(x, 2, sh), 3, sw)                                    # 1.
    top, left = dh * (kh - 1) - ph, dw * (kw - 1) - pw                       # 2.
    x = _pad_or_crop(_pad_or_crop(x, 2, top, top + oph), 3, left, left + opw)
    k = weight.reshape(groups, c_in // groups, c_out_g, kh, kw)              # 3.
    k = k.permute(0, 2, 1, 3, 4).reshape(c_out, c_in // groups, kh, kw).flip(2, 3)
    out = conv2d(x, k, bias, 1, 0, (dh, dw), groups)
    return out[0] if unbatched else out
