"""max_pool2d and avg_pool2d by strided slices: one slice per offset inside the window.

For kernel offset (a, b) the strided slice

    x[..., a : a + s*(Ho-1) + 1 : s,  b : b + s*(Wo-1) + 1 : s]      -> (..., Ho, Wo)

holds element (a, b) of every window at once, so a pooling layer is a loop over
the kh*kw offsets, each a whole-array numpy operation.

The gradients are ops of their own, so ``backward(create_graph=True)`` can differentiate
them again: max pooling's gradient *scatters* g onto each window's winning pixel (its
gradient *gathers* gg from those pixels), average pooling's *spreads* g/(kh*kw) over each
window (its gradient is average pooling again).
"""
from __future__ import annotations

from typing import Iterator, NamedTuple, Optional, Union

import numpy as np

from tinynet.tensor import Tensor, record

from ._args import pair
from tinynet._names import type_name

IntPair = Union[int, tuple[int, int]]

__all__ = ["max_pool2d", "avg_pool2d"]


def max_pool2d(input: Tensor, kernel_size: IntPair, stride: Optional[IntPair] = None,
               padding: IntPair = 0, dilation: IntPair = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor:
    """Maximum over each kh x kw window (PyTorch's max_pool2d).

    Inputs:
    - input: (N, C, H, W) or unbatched (C, H, W)
    - kernel_size: int or (kh, kw);  stride: int or pair, default kernel_size
    - padding: int or pair, at most half the kernel; padded with -inf (never the max)
    - dilation, ceil_mode, return_indices: PyTorch's; only their defaults (1, False,
      False) are supported, other values raise a ValueError

    Returns out: (N, C, Ho, Wo), Ho = (H + 2*ph - kh) // sh + 1 (Wo likewise),
        out[n, c, i, j] = max_{a,b} xpad[n, c, i*sh + a, j*sw + b]

    Cached for backward: the padded input (the input itself if no padding) and
    ``idx`` (N, C, Ho, Wo) uint8, which kernel offset won
    each window (scan order, row by row).  The gradient goes to that position --
    on ties to the first maximum, as PyTorch does.
    """
    x = _check_input(input, "max_pool2d")
    check_unsupported("max_pool2d", padding, dilation=dilation, ceil_mode=ceil_mode,
                      return_indices=return_indices)
    geo = _geometry(x.array, kernel_size, stride, padding, "max_pool2d")
    xpad = _padded(x.array, geo, -np.inf)

    # Running maximum over the kernel offsets k = 0, 1, ... in scan order; where offset
    # k is strictly larger it becomes the winner, so ties go to the first maximum:
    # idx = max(idx, k * [win > out]) since k grows.  Each window is first copied into
    # a contiguous buffer: numpy compares and takes maxima ~2x faster on contiguous
    # arrays than on strided views, and the strided copy itself is cheap.
    windows = _windows(xpad, geo)
    out = np.array(next(windows), order="C")
    idx = np.zeros(out.shape, dtype=np.uint8 if geo.kh * geo.kw <= 256 else np.intp)
    win_c = np.empty_like(out)
    better = np.empty(out.shape, dtype=bool)
    k_better = np.empty_like(idx)
    for k, win in enumerate(windows, start=1):
        np.copyto(win_c, win)
        np.greater(win_c, out, out=better)
        np.maximum(out, win_c, out=out)
        np.multiply(better.view(np.uint8), idx.dtype.type(k), out=k_better)
        np.maximum(idx, k_better, out=idx)
    del win_c, better, k_better
    if geo.ph or geo.pw or np.isnan(out).any():  # rare: NaN, or -inf beside padding
        _torch_winners(xpad, x.shape, geo, out, idx)

    def backward(g):  # d max / d x = 1 at the winning position of the window, 0 elsewhere
        # (``*_like``: dx gets the input's memory layout)
        dxpad = np.empty_like(xpad) if geo.tiling else np.zeros_like(xpad)
        return (_max_pool_scatter(g, idx, geo, dxpad),)

    return record("max_pool2d", out, (x,), backward)


def avg_pool2d(input: Tensor, kernel_size: IntPair, stride: Optional[IntPair] = None,
               padding: IntPair = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: Optional[int] = None) -> Tensor:
    """Mean over each kh x kw window (PyTorch's avg_pool2d, count_include_pad=True).

    Inputs:
    - input: (N, C, H, W) or unbatched (C, H, W)
    - kernel_size: int or (kh, kw);  stride: int or pair, default kernel_size
    - padding: int or pair, at most half the kernel; padded with zeros, which
      count in the mean (the divisor is always kh*kw)
    - ceil_mode, count_include_pad, divisor_override: PyTorch's; only their defaults
      (False, True, None) are supported -- count_include_pad=False also without
      padding, where it changes nothing -- other values raise a ValueError

    Returns out: (N, C, Ho, Wo), Ho = (H + 2*ph - kh) // sh + 1 (Wo likewise),
        out[n, c, i, j] = 1/(kh*kw) * sum_{a,b} xpad[n, c, i*sh + a, j*sw + b]

    Cached for backward: nothing but the sizes.
    """
    x = _check_input(input, "avg_pool2d")
    check_unsupported("avg_pool2d", padding, ceil_mode=ceil_mode,
                      count_include_pad=count_include_pad, divisor_override=divisor_override)
    geo = _geometry(x.array, kernel_size, stride, padding, "avg_pool2d")
    xpad = _padded(x.array, geo, 0)
    area = geo.kh * geo.kw

    windows = _windows(xpad, geo)
    out = np.array(next(windows))           # running sum over the kernel offsets
    for win in windows:
        out += win
    out /= area
    pad_shape = xpad.shape
    del xpad

    def backward(g):  # d mean / d x = 1/(kh*kw) for every pixel of the window
        return (_avg_pool_spread(g, geo, pad_shape),)

    return record("avg_pool2d", out, (x,), backward)


# --------------------------------------------------------------------------
# The gradients as ops: each is linear in g, and its gradient is its adjoint
# --------------------------------------------------------------------------
def _max_pool_scatter(g: Tensor, winners: np.ndarray, geo: "_Geometry",
                      dxpad: np.ndarray) -> Tensor:
    """max_pool2d's input gradient: g (..., Ho, Wo) added onto the winning pixel of each
    window.  ``dxpad``: a buffer of the padded input's shape (zeros, unless the windows
    tile it); returns dx (..., H, W).  Its gradient gathers gg from the winners."""
    dout = g.array
    hit = np.empty(winners.shape, dtype=bool)
    for k, dwin in enumerate(_windows(dxpad, geo)):  # one scatter per kernel offset
        np.equal(winners, k, out=hit)                # the windows that offset k won
        if geo.overlapping:
            dwin += dout * hit
        else:                                        # each pixel lies in one window: assign
            np.multiply(dout, hit, out=dwin)
    pad_shape = dxpad.shape

    def backward(gg):
        return (_max_pool_gather(gg, winners, geo, pad_shape),)
    return record("max_pool2d_scatter", _unpadded(dxpad, geo), (g,), backward)


def _max_pool_gather(gg: Tensor, winners: np.ndarray, geo: "_Geometry",
                     pad_shape: tuple) -> Tensor:
    """The adjoint of the scatter: out[..., i, j] = gg at the pixel that won window (i, j).
    Its gradient scatters back."""
    ggpad = _padded(gg.array, geo, 0)
    out = np.empty(winners.shape, dtype=ggpad.dtype)
    for k, win in enumerate(_windows(ggpad, geo)):
        np.copyto(out, win, where=winners == k)

    def backward(ggg):
        return (_max_pool_scatter(ggg, winners, geo, np.zeros(pad_shape, ggg.dtype)),)
    return record("max_pool2d_gather", out, (gg,), backward)


def _avg_pool_spread(g: Tensor, geo: "_Geometry", pad_shape: tuple) -> Tensor:
    """avg_pool2d's input gradient: g/(kh*kw) added onto every pixel of each window.
    Its gradient, the adjoint of spreading, is average pooling."""
    dxpad = np.zeros(pad_shape, dtype=g.dtype)
    dshare = g.array / (geo.kh * geo.kw)
    for dwin in _windows(dxpad, geo):
        if geo.overlapping:
            dwin += dshare
        else:
            dwin[...] = dshare

    def backward(gg):
        return (avg_pool2d(gg, (geo.kh, geo.kw), (geo.sh, geo.sw), (geo.ph, geo.pw)),)
    return record("avg_pool2d_spread", _unpadded(dxpad, geo), (g,), backward)


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------
class _Geometry(NamedTuple):
    """Kernel (kh, kw), stride (sh, sw), padding (ph, pw), output (Ho, Wo);
    overlapping: some pixel lies in more than one window (stride < kernel);
    tiling: the windows cover every (padded) pixel exactly once (stride = kernel, no remainder)."""
    kh: int
    kw: int
    sh: int
    sw: int
    ph: int
    pw: int
    Ho: int
    Wo: int
    overlapping: bool
    tiling: bool


def _windows(xpad: np.ndarray, geo: _Geometry) -> Iterator[np.ndarray]:
    """For each offset (a, b) in scan order, the view (..., Ho, Wo) holding element (a, b)
    of every window:  view[..., i, j] = xpad[..., i*sh + a, j*sw + b]."""
    for a in range(geo.kh):
        for b in range(geo.kw):
            yield xpad[..., a: a + geo.sh * (geo.Ho - 1) + 1: geo.sh,
                       b: b + geo.sw * (geo.Wo - 1) + 1: geo.sw]


def _torch_winners(xpad: np.ndarray, shape: tuple[int, ...], geo: _Geometry,
                   out: np.ndarray, idx: np.ndarray) -> None:
    """Redo ``idx`` where PyTorch's rule differs from the fast loop's, in place.

    PyTorch scans only the real (unpadded) pixels of a window, starting from its
    first one, and takes a pixel when ``x > max or isnan(x)``: so a NaN wins (the
    last NaN if several), and a window of real pixels that are all -inf sends its
    gradient to its first real pixel, never to the padding.
    """
    fix = np.isnan(out) | (out == -np.inf)
    if not fix.any():
        return
    valid = _padded(np.ones(shape, dtype=bool), geo, False)
    best = np.full(out.shape, -np.inf, dtype=out.dtype)
    first = np.ones(out.shape, dtype=bool)     # no real pixel seen yet
    for k, (win, ok) in enumerate(zip(_windows(xpad, geo), _windows(valid, geo))):
        take = ok & (first | (win > best) | np.isnan(win)) & fix
        idx[take] = k
        best = np.where(take, win, best)
        first &= ~ok


def _padded(x: np.ndarray, geo: _Geometry, value: float) -> np.ndarray:
    """x with ph rows / pw columns of ``value`` on each side (x itself when there is no padding)."""
    if geo.ph == 0 and geo.pw == 0:
        return x
    H, W = x.shape[-2:]
    xpad = np.full(x.shape[:-2] + (H + 2 * geo.ph, W + 2 * geo.pw), value, dtype=x.dtype)
    xpad[..., geo.ph:geo.ph + H, geo.pw:geo.pw + W] = x
    return xpad


def _unpadded(dxpad: np.ndarray, geo: _Geometry) -> np.ndarray:
    """Drop the padding's rows and columns (their gradient goes nowhere)."""
    if geo.ph == 0 and geo.pw == 0:
        return dxpad
    return dxpad[..., geo.ph:dxpad.shape[-2] - geo.ph, geo.pw:dxpad.shape[-1] - geo.pw]


def check_unsupported(op: str, padding: object, dilation: object = 1, ceil_mode: object = False,
                      return_indices: object = False, count_include_pad: object = True,
                      divisor_override: object = None) -> None:
    """PyTorch's other pooling arguments: accepted where they change nothing, else a
    ValueError naming the argument (tinynet computes only the default form)."""
    if (type(dilation) is int and dilation == 1 and ceil_mode is False
            and return_indices is False and count_include_pad is True
            and divisor_override is None):
        return  # every call of the training step: the defaults need no parsing
    if pair(dilation, "dilation", 1, op) != (1, 1):
        raise ValueError(f"{op}: dilation={dilation!r} is not supported; tinynet pools "
                         f"windows of adjacent pixels only (dilation=1)")
    if ceil_mode:
        raise ValueError(f"{op}: ceil_mode={ceil_mode!r} is not supported; output sizes are "
                         f"rounded down (ceil_mode=False)")
    if return_indices:
        raise ValueError(f"{op}: return_indices={return_indices!r} is not supported; "
                         f"tinynet returns the pooled values only (return_indices=False)")
    if not count_include_pad and pair(padding, "padding", 0, op) != (0, 0):
        raise ValueError(f"{op}: count_include_pad={count_include_pad!r} is not supported "
                         f"with padding {padding!r}: the padded zeros always count in the "
                         f"mean (count_include_pad=True); or use padding=0")
    if divisor_override is not None:
        raise ValueError(f"{op}: divisor_override={divisor_override!r} is not supported; "
                         f"the divisor is always the window's area kh*kw")


def _check_input(t: object, op: str) -> Tensor:
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type_name(t)}")
    if t.ndim not in (3, 4):
        raise ValueError(f"{op}: input must be (N, C, H, W) or unbatched (C, H, W), "
                         f"got shape {t.shape}")
    if t.dtype.kind != "f":
        raise TypeError(f"{op}: input must be a floating-point tensor, got dtype {t.dtype}")
    return t


def _geometry(x: np.ndarray, kernel_size: object, stride: object, padding: object,
              op: str) -> _Geometry:
    """Validate the pooling arguments and work out the output size."""
    kh, kw = pair(kernel_size, "kernel_size", 1, op)
    sh, sw = (kh, kw) if stride is None else pair(stride, "stride", 1, op)
    ph, pw = pair(padding, "padding", 0, op)
    if ph > kh // 2 or pw > kw // 2:
        raise ValueError(f"{op}: padding {(ph, pw)} must be at most half the kernel "
                         f"size {(kh, kw)}")
    H, W = x.shape[-2:]
    Ho = (H + 2 * ph - kh) // sh + 1
    Wo = (W + 2 * pw - kw) // sw + 1
    if Ho < 1 or Wo < 1:
        raise ValueError(f"{op}: no output: input {H}x{W} with padding {ph}x{pw} is smaller "
                         f"than the {kh}x{kw} kernel (output would be {Ho}x{Wo})")
    tiling = (sh, sw) == (kh, kw) and (H + 2 * ph, W + 2 * pw) == (Ho * kh, Wo * kw)
    return _Geometry(kh, kw, sh, sw, ph, pw, Ho, Wo, sh < kh or sw < kw, tiling)
