"""interpolate with mode 'nearest' (and 'nearest-exact'): resizing by copying pixels.

Each output position along a spatial dim takes the input position ``src(dst)``::

    nearest:        src = min(floor(dst * scale), in - 1)
    nearest-exact:  src = min(floor((dst + 0.5) * scale), in - 1)

with ``scale = 1 / scale_factor`` when a scale factor is given, else ``in / out``
(computed in float32, as PyTorch, so the same pixels are picked).  The resize is one
``index_select`` per spatial dim, so its gradient is index_select's: each input pixel
collects the gradients of all its copies.
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Optional, Sequence, Union

import numpy as np

from ...ops.shape import index_select
from ...tensor import Tensor
from ..._names import type_name

__all__ = ["interpolate"]

_MODES = ("nearest", "nearest-exact")
_OTHER_MODES = ("linear", "bilinear", "bicubic", "trilinear", "area")


def _per_dim(name: str, what: str, value: Any, dims: int, spatial: tuple[int, ...]) -> list:
    """A number or one per spatial dim, as a list of ``dims`` values."""
    if not isinstance(value, (list, tuple)):
        return [value] * dims
    if len(value) != dims:
        raise ValueError(f"{name}: Input and {what} must have the same number of spatial "
                         f"dimensions, but got input with spatial dimensions of "
                         f"{list(spatial)} and {what} of {tuple(value)}. Please provide input "
                         f"tensor in (N, C, d1, d2, ...,dK) format and {what} in "
                         f"(o1, o2, ...,oK) format.")
    return list(value)


def _sources(in_size: int, out_size: int, scale_factor: Optional[float],
             exact: bool) -> np.ndarray:
    """The input index each output index copies, with PyTorch's float32 arithmetic."""
    if scale_factor is not None and scale_factor > 0:
        scale = np.float32(1.0 / scale_factor)
    else:
        scale = np.float32(in_size) / np.float32(out_size)
    dst = np.arange(out_size)
    if exact:   # (dst + 0.5) in double, times the float scale, rounded to float, floored
        src = np.floor(((dst + 0.5) * np.float64(scale)).astype(np.float32))
    else:
        src = np.floor(dst.astype(np.float32) * scale)
    return np.minimum(src.astype(np.int64), in_size - 1)


def interpolate(input: Tensor, size: Union[int, Sequence[int], None] = None,
                scale_factor: Union[float, Sequence[float], None] = None,
                mode: str = "nearest", align_corners: Optional[bool] = None,
                recompute_scale_factor: Optional[bool] = None,
                antialias: bool = False) -> Tensor:
    """Resize the spatial dims of ``input`` (N, C, L), (N, C, H, W) or (N, C, D, H, W) to
    ``size`` (an int or one per spatial dim), or by ``scale_factor`` (output size
    ``floor(in * scale_factor)``); give exactly one.  Modes: 'nearest' (PyTorch's default,
    as used by ``nn.Upsample``) and 'nearest-exact' (pixel centres aligned).
    """
    name = "interpolate"
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: input must be a Tensor, got {type_name(input)}")
    if mode in _OTHER_MODES:
        raise ValueError(f"{name}: mode={mode!r} is not supported; tinynet implements "
                         f"'nearest' and 'nearest-exact'")
    if mode not in _MODES:
        raise ValueError(f"{name}: unknown mode {mode!r}; expected 'nearest' or "
                         f"'nearest-exact'")
    if align_corners is not None:
        raise ValueError(f"{name}: align_corners option can only be set with the "
                         f"interpolating modes: linear | bilinear | bicubic | trilinear")
    if antialias:
        raise ValueError(f"{name}: Anti-alias option is restricted to bilinear, bicubic, and "
                         f"lanczos modes and requires a 4-D tensor as input")
    if input.ndim not in (3, 4, 5):
        raise ValueError(f"{name}: Only 3D, 4D and 5D input Tensors supported (got "
                         f"{input.ndim}D): (N, C, L), (N, C, H, W) or (N, C, D, H, W)")
    if input.dtype.kind != "f":
        raise TypeError(f"{name}: input must be floating point, got dtype {input.dtype}")
    spatial = input.shape[2:]
    dims = len(spatial)
    if size is not None and scale_factor is not None:
        raise ValueError(f"{name}: only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError(f"{name}: either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError(f"{name}: recompute_scale_factor is not meaningful with an explicit "
                         f"size.")
    if size is not None:
        sizes = _per_dim(name, "output size", size, dims, spatial)
        if any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) for s in sizes):
            raise TypeError(f"{name}: expected size to be an int or a tuple of ints, got "
                            f"{size!r}")
        scales: list = [None] * dims
    else:
        scales = _per_dim(name, "scale_factor", scale_factor, dims, spatial)
        if any(isinstance(s, bool) or not isinstance(s, numbers.Real) for s in scales):
            raise TypeError(f"{name}: scale_factor must be a number or a tuple of numbers, "
                            f"got {scale_factor!r}")
        sizes = [math.floor(n * float(s)) for n, s in zip(spatial, scales)]
        if recompute_scale_factor:
            scales = [None] * dims   # the pixels follow in / out, as PyTorch
    if any(s <= 0 for s in sizes) or any(n <= 0 for n in spatial):
        raise ValueError(f"{name}: Input and output sizes should be greater than 0, but got "
                         f"input {tuple(spatial)} output {tuple(sizes)}")
    out = input
    for d, (n, m, s) in enumerate(zip(spatial, sizes, scales)):
        if m == n and s in (None, 1):
            continue   # this dim is unchanged
        out = index_select(out, 2 + d, Tensor(_sources(n, int(m), s, mode == "nearest-exact")))
    return out
