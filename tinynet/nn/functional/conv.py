"""conv2d: 2-D convolution (really cross-correlation) as im2col + one matrix product.

    out[n, f, i, j] = b[f] + sum_{c, a, b} xpad[n, c, i*s + a*d, j*s + b*d] * w[f, c, a, b]

The forward copies every receptive field of the (zero-padded) input into a
column of a matrix ``cols`` (im2col); the whole convolution is then a single
matrix product ``w_mat @ cols``.  A bias is folded into that product as the weight
of an extra input that is always 1: ``[W | b] @ [cols; 1] = W @ cols + b`` (and in the
backward ``db`` is the extra column of the dW product).  The backward is two more
products and the inverse scatter (col2im).  Read :func:`conv2d` first, then the helpers.

Memory layout, chosen for speed (numpy copies are fast only along long
contiguous runs):

* The padded input is stored channel-major, ``(C, N, Hq, Wq)``, so row
  ``(c, a, b)`` of ``cols`` -- kernel offset ``(a, b)`` of channel ``c`` for all
  images -- is filled by ONE strided copy per kernel offset.
* With stride 1 each output row is computed over the full padded width ``Wq``
  (``Wx = Wq`` instead of ``Wo``): then the window of one kernel offset is a
  single contiguous run ``Ho*Wq`` long in the flattened image, and copying it
  is 2-3x faster than copying row by row.  The ``Wq - Wo`` extra columns at
  the right of every row are filler: the forward drops them, the backward
  gives them gradient 0.  With stride > 1 there are no filler columns (``Wx = Wo``),
  nor with one input channel per group (a first layer on grayscale images):
  there ``cols`` has only HH*WW rows, and the output side (F rows, copied with
  runs ``Ho*Wo`` long instead of ``Wo``) costs more than im2col saves
  (measured: 1.3 -> 1.1 ms for 1->8 channels, 5.5 -> 4.5 ms for 1->32).
  Without filler the product is taken image by image (a batched ``matmul``): its
  output is then already in ``(N, F, Ho, Wo)`` order, which saves the transposing
  copies of the output and, for a first layer, of its gradient (4.5% of the
  reference CNN's training step).
* Big temporaries are plain ``np.empty`` arrays.  ``tinynet._malloc`` keeps freed
  blocks in glibc's heap, so a new array reuses the memory of the last one (no page
  faults) and is usually still in cache: measured ~6% faster per training step than
  keeping one buffer per temporary alive between calls.

* The bias row saves a pass over the output in the forward (the bias add) and one over
  ``dout`` in the backward (its sum): 2.6% of the reference CNN's training step.

Measured slower on the reference CNN's training step (same-process A/B), so not used:
computing every position of the padded grid, so that each window is a single run
over the whole batch (the copies get ~2x faster, but the products do 15% more work);
returning the output channel-major as a transposed view, which saves the transposing
copies but slows the ops that follow (+3%); one product per image, so the output needs
no transpose (about even); a channels-last shifted-matmul, an NHWC im2col and Winograd
F(2x2, 3x3) (7-17% slower).
"""
from __future__ import annotations

from typing import NamedTuple, Optional, Union

import numpy as np

from tinynet.tensor import Tensor, record
from tinynet.ops._arrays import numpy_rule

from ._args import pair
from tinynet._names import type_name

IntPair = Union[int, tuple[int, int]]

__all__ = ["conv2d", "im2col", "col2im"]


# --------------------------------------------------------------------------
# The op
# --------------------------------------------------------------------------
def conv2d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None,
           stride: IntPair = 1, padding: Union[IntPair, str] = 0,
           dilation: IntPair = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation of a batch of images with F filters (PyTorch's conv2d).

    Inputs:
    - input: (N, C, H, W), or one unbatched image (C, H, W)
    - weight: (F, C // groups, HH, WW) filters
    - bias: (F,) or None
    - stride, dilation: int or (sh, sw) / (dh, dw), >= 1
    - padding: int, (ph, pw), 'valid' (= 0) or 'same' (output as large as the
      input; stride must be 1; an odd total puts the extra row/column at the
      bottom/right, as PyTorch does).  Padding is with zeros.
    - groups: the C channels and F filters are split into ``groups`` equal
      parts; filter group g sees only channel group g (groups=C: depthwise).

    Returns out: (N, F, Ho, Wo) (or (F, Ho, Wo) for an unbatched input), with
        Ho = (H + 2*ph - dh*(HH-1) - 1) // sh + 1   (Wo likewise)
        out[n, f, i, j] = bias[f]
            + sum_{c,a,b} xpad[n, c, i*sh + a*dh, j*sw + b*dw] * weight[f, c, a, b]

    Cached for backward: ``cols`` (G, C/G*HH*WW + 1, N*Ho*Wx) if weight needs a
    gradient (the + 1 is the bias's row of ones, when there is a bias), and the
    weight's data if input needs one.
    """
    x, w = _check_tensor(input, "input"), _check_tensor(weight, "weight")
    if x.ndim not in (3, 4):
        raise ValueError(f"conv2d: input must be (N, C, H, W) or unbatched (C, H, W), "
                         f"got shape {x.shape}")
    unbatched = x.ndim == 3
    xd = x.array[None] if unbatched else x.array
    g = _geometry(xd, w.array, bias, stride, padding, dilation, groups)
    G, F, K = groups, g.F, g.C // groups * g.HH * g.WW

    # forward: out = W_mat @ cols, one product (batched over groups).  A bias rides in
    # the product: cols gets a row of ones and W_mat the bias as its last column, so
    # [W | b] @ [cols; 1] = W @ cols + b without a pass over the output to add b
    # (and the backward's dW product gives db as its last column).
    has_bias = bias is not None
    cols = im2col(xd, g, G, ones_row=has_bias)              # (G, K (+1), N*Ho*Wx)
    w_mat = w.array.reshape(G, F // G, K)                    # (G, F/G, C/G*HH*WW)
    if has_bias:
        w_mat = np.concatenate((w_mat, bias.array.reshape(G, F // G, 1)), axis=2)
    per_image = g.Wx == g.Wo  # no filler columns: see the module docstring
    if per_image:  # one product per image lands in (N, F, Ho, Wo) order: no transposing copy
        out = np.empty((g.N, G, F // G, g.Ho * g.Wo), dtype=xd.dtype)  # C order, as (N, F, Ho, Wo)
        np.matmul(w_mat, _images(cols, g), out=out)
        out = out.reshape(g.N, F, g.Ho, g.Wo)
    else:
        out_mat = np.matmul(w_mat, cols)                    # (G, F/G, N*Ho*Wx)
        out_cm = out_mat.reshape(F, g.N, g.Ho, g.Wx)[:, :, :, :g.Wo]  # drop filler columns
        out = np.empty((g.N, F, g.Ho, g.Wo), dtype=xd.dtype)
        np.copyto(out, out_cm.transpose(1, 0, 2, 3))

    w_data = w.array
    saved_cols = cols if w.requires_grad else None  # only dW needs cols
    del cols

    @numpy_rule
    def backward(dout):
        # dout: (N, F, Ho, Wo).  out = W_mat @ cols + b  =>
        #   [dW | db] = dout_mat @ [cols; 1]^T,  dcols = W_mat^T @ dout_mat
        dout = dout[None] if unbatched else dout
        want_db = has_bias and bias.requires_grad
        dx = dwb = None
        if per_image and not x.requires_grad:  # (a first layer) dW image by image, summed:
            if w.requires_grad:                # no transposing copy of dout
                dout_n = dout.reshape(g.N, G, F // G, g.Ho * g.Wo)
                dwb = np.matmul(dout_n, _images(saved_cols, g).transpose(0, 1, 3, 2)).sum(axis=0)
        else:
            dout_mat = np.empty((F, g.N, g.Ho, g.Wx), dtype=dout.dtype)
            dout_mat[:, :, :, :g.Wo] = dout.transpose(1, 0, 2, 3)
            dout_mat[:, :, :, g.Wo:] = 0                    # filler columns: no gradient
            dout_mat = dout_mat.reshape(G, F // G, -1)      # (G, F/G, N*Ho*Wx)
            if x.requires_grad:
                w_mat = w_data.reshape(G, F // G, K)
                dcols = np.matmul(w_mat.transpose(0, 2, 1), dout_mat)   # (G, K, N*Ho*Wx)
                dx = col2im(dcols, g)
                dx = dx[0] if unbatched else dx
            if w.requires_grad:
                # computed as dW^T = cols @ dout_mat^T: the same numbers, but multi-threaded
                # OpenBLAS can be very slow on dout_mat @ cols^T (a long inner dimension
                # split between threads: 350 ms instead of 8 ms on a busy 2-core machine)
                dwb = np.matmul(saved_cols, dout_mat.transpose(0, 2, 1)).transpose(0, 2, 1)
        # dwb: (G, F/G, K (+1)), [dW | db] when the weight needs a gradient
        dw = None if dwb is None else dwb[:, :, :K].reshape(w_data.shape)
        db = None
        if want_db:
            db = dwb[:, :, K].reshape(F) if dwb is not None else dout.sum(axis=(0, 2, 3))
        return (dx, dw) if bias is None else (dx, dw, db)

    if unbatched:
        out = out[0]
    inputs = (x, w) if bias is None else (x, w, bias)
    return record("conv2d", out, inputs, backward)


# --------------------------------------------------------------------------
# im2col / col2im
# --------------------------------------------------------------------------
class _Geometry(NamedTuple):
    """All sizes of one conv2d call.

    N, C, H, W: input;  F, HH, WW: filters;  sh, sw / dh, dw: stride / dilation;
    pt, pl: zero rows on top / columns on the left (bottom/right follow from Hq, Wq);
    Ho, Wo: output;  Hq, Wq: the padded buffer (Wq = W + left + right padding,
    Hq may hold an extra zero row so stride-1 windows can run past the last row);
    Wx: output row width actually computed (Wq with filler columns, else Wo).
    """
    N: int
    C: int
    H: int
    W: int
    F: int
    HH: int
    WW: int
    sh: int
    sw: int
    dh: int
    dw: int
    pt: int
    pl: int
    Ho: int
    Wo: int
    Hq: int
    Wq: int
    Wx: int


def _window(buf: np.ndarray, g: _Geometry, a: int, b: int) -> np.ndarray:
    """View of the padded buffer seen by kernel offset (a, b): a (C, N, Ho, Wx) array

        view[c, n, i, j] = buf[c, n, a*dh + i*sh, b*dw + j*sw]

    buf: (C, N, Hq, Wq).  With filler columns (Wx = Wq, stride 1) a row of the view
    runs past the end of its image row into the next one, so the view is one
    contiguous run.
    """
    if g.Wx == g.Wq and g.sh == 1 and g.sw == 1:
        flat = buf.reshape(g.C, g.N, g.Hq * g.Wq)
        start = a * g.dh * g.Wq + b * g.dw
        return flat[:, :, start:start + g.Ho * g.Wq].reshape(g.C, g.N, g.Ho, g.Wq)
    return buf[:, :, a * g.dh: a * g.dh + g.sh * (g.Ho - 1) + 1: g.sh,
               b * g.dw: b * g.dw + g.sw * (g.Wo - 1) + 1: g.sw]


def _images(cols: np.ndarray, g: _Geometry) -> np.ndarray:
    """``cols`` (G, K, N*Ho*Wo), without filler, seen image by image: a (N, G, K, Ho*Wo)
    view, so ``np.matmul(w_mat, _images(...))`` is one (F/G, K) @ (K, Ho*Wo) product per image."""
    return cols.reshape(cols.shape[0], cols.shape[1], g.N, g.Ho * g.Wo).transpose(2, 0, 1, 3)


def im2col(x: np.ndarray, g: _Geometry, groups: int = 1, ones_row: bool = False) -> np.ndarray:
    """Unfold every receptive field of x into one column.

    x: (N, C, H, W).  Returns cols: (G, K, N*Ho*Wx) for G = groups, K = C/G*HH*WW, rows
    ordered (c, a, b) within each group, columns ordered (n, i, j):
        cols[gr, (c, a, b), (n, i, j)] = xpad[n, gr*C/G + c, i*sh + a*dh, j*sw + b*dw]
    With ``ones_row`` each group gets one more row, all ones (for the bias).
    One strided copy per kernel offset (a, b).
    """
    xpad = np.zeros((g.C, g.N, g.Hq, g.Wq), dtype=x.dtype)   # channel-major
    xpad[:, :, g.pt:g.pt + g.H, g.pl:g.pl + g.W] = x.transpose(1, 0, 2, 3)
    Cg, K, M = g.C // groups, g.C // groups * g.HH * g.WW, g.N * g.Ho * g.Wx
    cols = np.empty((groups, K + ones_row, M), dtype=x.dtype)
    unfolded = cols[:, :K].reshape(groups, Cg, g.HH, g.WW, g.N, g.Ho, g.Wx)
    for a in range(g.HH):
        for b in range(g.WW):
            unfolded[:, :, a, b] = _window(xpad, g, a, b).reshape(groups, Cg, g.N, g.Ho, g.Wx)
    if ones_row:
        cols[:, K] = 1
    return cols


def col2im(dcols: np.ndarray, g: _Geometry) -> np.ndarray:
    """The adjoint of im2col: add every column back onto the pixels it was copied from.

    dcols: (G, C/G*HH*WW, N*Ho*Wx) (or (C*HH*WW, N*Ho*Wx): the same numbers).
    Returns dx: (N, C, H, W), where each input pixel collects the gradients of all
    the windows that contain it (one strided add per kernel offset; the padding's
    share is dropped).
    """
    dxpad = np.zeros((g.C, g.N, g.Hq, g.Wq), dtype=dcols.dtype)
    dcols = dcols.reshape(g.C, g.HH, g.WW, g.N, g.Ho, g.Wx)
    for a in range(g.HH):
        for b in range(g.WW):
            view = _window(dxpad, g, a, b)
            view += dcols[:, a, b]
    dx = np.empty((g.N, g.C, g.H, g.W), dtype=dcols.dtype)
    np.copyto(dx, dxpad[:, :, g.pt:g.pt + g.H, g.pl:g.pl + g.W].transpose(1, 0, 2, 3))
    return dx


# --------------------------------------------------------------------------
# Argument checking
# --------------------------------------------------------------------------
def _check_tensor(t: object, name: str) -> Tensor:
    if not isinstance(t, Tensor):
        raise TypeError(f"conv2d: {name} must be a Tensor, got {type_name(t)}")
    if t.dtype.kind != "f":
        raise TypeError(f"conv2d: {name} must be a floating-point tensor, got dtype {t.dtype}")
    return t


def _geometry(x: np.ndarray, w: np.ndarray, bias: Optional[Tensor], stride: object,
              padding: object, dilation: object, groups: object) -> _Geometry:
    """Validate the arguments of conv2d and work out every size."""
    if w.ndim != 4:
        raise ValueError(f"conv2d: weight must be (F, C/groups, HH, WW), got shape {w.shape}")
    if x.dtype != w.dtype:
        raise TypeError(f"conv2d: input dtype {x.dtype} and weight dtype {w.dtype} differ; "
                        f"convert one of them (e.g. tinynet.tensor(x, dtype='float32'))")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"conv2d: groups must be a positive int, got {groups!r}")
    N, C, H, W = x.shape
    F, Cg, HH, WW = w.shape
    if C % groups or F % groups:
        raise ValueError(f"conv2d: groups={groups} must divide both the input channels "
                         f"C={C} and the number of filters F={F}")
    if Cg != C // groups:
        raise ValueError(f"conv2d: weight of shape {w.shape} expects {Cg * groups} input "
                         f"channels (C/groups = {Cg}), but input has C={C} with groups={groups}")
    if HH < 1 or WW < 1 or F < 1:
        raise ValueError(f"conv2d: weight must have at least one filter and a non-empty "
                         f"kernel, got shape {w.shape}")
    if bias is not None:
        if not isinstance(bias, Tensor):
            raise TypeError(f"conv2d: bias must be a Tensor or None, got {type_name(bias)}")
        if bias.shape != (F,):
            raise ValueError(f"conv2d: bias must have shape ({F},) (one per filter), "
                             f"got {bias.shape}")
        if bias.dtype != x.dtype:
            raise TypeError(f"conv2d: bias dtype {bias.dtype} differs from input dtype {x.dtype}")
    sh, sw = pair(stride, "stride", 1, "conv2d")
    dh, dw = pair(dilation, "dilation", 1, "conv2d")
    if isinstance(padding, str):
        if padding == "valid":
            pt = pb = pl = pr = 0
        elif padding == "same":
            if (sh, sw) != (1, 1):
                raise ValueError(f"conv2d: padding='same' is not supported for strided "
                                 f"convolutions (stride={stride!r}); give the padding as ints")
            # total padding d*(k-1) keeps the size; an odd total puts the extra one last
            th, tw = dh * (HH - 1), dw * (WW - 1)
            pt, pl = th // 2, tw // 2
            pb, pr = th - pt, tw - pl
        else:
            raise ValueError(f"conv2d: padding must be an int, a pair of ints, 'valid' or "
                             f"'same', got {padding!r}")
    else:
        pt, pl = pair(padding, "padding", 0, "conv2d")
        pb, pr = pt, pl
    Hp, Wp = H + pt + pb, W + pl + pr
    Ho = (Hp - dh * (HH - 1) - 1) // sh + 1
    Wo = (Wp - dw * (WW - 1) - 1) // sw + 1
    if Ho < 1 or Wo < 1:
        raise ValueError(
            f"conv2d: no output: the padded input is {Hp}x{Wp} (input {H}x{W}, padding "
            f"{pt + pb}x{pl + pr} in total) but the dilated kernel is "
            f"{dh * (HH - 1) + 1}x{dw * (WW - 1) + 1} (kernel {HH}x{WW}, dilation {dh}x{dw}); "
            f"output would be {Ho}x{Wo}")
    Wq = Wp
    if (sh, sw) == (1, 1) and C // groups > 1:  # filler columns (see the module docstring)
        # the last window's contiguous run ends at this flat index: add zero rows to cover it
        end = ((HH - 1) * dh + Ho) * Wq + (WW - 1) * dw
        Hq, Wx = max(Hp, -(-end // Wq)), Wq
    else:
        Hq, Wx = Hp, Wo
    return _Geometry(N, C, H, W, F, HH, WW, sh, sw, dh, dw, pt, pl, Ho, Wo, Hq, Wq, Wx)
