"""conv2d: 2-D convolution (really cross-correlation) as im2col + one matrix product.

For N inputs of C x H x W and F filters of C x HH x WW (C/groups x HH x WW with groups):

    out[n, f, i, j] = bias[f] + sum_{c, hh, ww} xpad[n, c, i*sh + hh*dh, j*sw + ww*dw]
                                                * w[f, c, hh, ww]

1. **im2col**: copy every receptive field of the zero-padded input into one column of
   a matrix ``cols`` (rows ``(c, hh, ww)``, columns ``(n, i, j)``).
2. **One product**: with the filters flattened to the rows of ``w_mat``,
   ``out_mat = w_mat @ cols``; reshape to (N, F, Ho, Wo).  The bias rides in the same
   product as the weight of an extra input that is always 1:
   ``[W | bias] @ [cols; 1] = W @ cols + bias``.
3. **Backward** (``dout`` = dL/dout as a matrix like ``out_mat``): ``[dW | dbias] =
   dout_mat @ [cols; 1]^T`` and ``dcols = w_mat^T @ dout_mat``, which **col2im** adds
   back onto the pixels each column was copied from.

The gradients are ops of their own, recorded like any forward, so that
``backward(create_graph=True)`` can differentiate them again (as PyTorch does):
:func:`conv2d_input_grad` (a transposed convolution), :func:`conv2d_weight_grad` (a
correlation of the input with ``dout``) and :func:`conv2d_bias_grad` (a sum).  Each is
linear in each of its inputs, so its own gradients are convolutions again.

``conv_reference.py`` is the same computation as plain loops; the tests check this file
against it on every branch below.  Why the branches (timings: ``bench/README.md``):

* The padded input is stored channel-major, ``(C, N, Hq, Wq)``, so row ``(c, hh, ww)``
  of ``cols`` -- kernel offset ``(hh, ww)`` of channel ``c`` for all images -- is filled
  by ONE strided copy per kernel offset.
* **Filler columns.**  With stride 1 (and more than one input channel per group) each
  output row is computed over the full padded width ``Wq`` (``Wx = Wq`` instead of
  ``Wo``): then the window of one kernel offset is a single contiguous run ``Ho*Wq`` long
  in the flattened image, which copies several times faster than row by row.  The
  ``Wq - Wo`` extra columns at the right of every row are filler: the forward drops
  them, the backward gives them gradient 0.
* **Per image.**  Without filler (stride > 1, or one input channel per group, as in a
  first layer on grayscale images) the product is taken image by image (a batched
  ``matmul``): its output is then already in ``(N, F, Ho, Wo)`` order, which saves a
  transposing copy of the output (and, for a first layer, of ``dout``).
"""
from __future__ import annotations

from typing import NamedTuple, Optional, Sequence, Union

import numpy as np

from tinynet.tensor import Tensor, record

from ._args import pair
from tinynet._names import type_name

IntPair = Union[int, tuple[int, int]]

__all__ = ["conv2d", "conv2d_input_grad", "conv2d_weight_grad", "conv2d_bias_grad",
           "im2col", "col2im"]


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
      parts; filter group k sees only channel group k (groups=C: depthwise).

    Returns out: (N, F, Ho, Wo) (or (F, Ho, Wo) for an unbatched input), with
        Ho = (H + 2*ph - dh*(HH-1) - 1) // sh + 1   (Wo likewise)
        out[n, f, i, j] = bias[f]
            + sum_{c,hh,ww} xpad[n, c, i*sh + hh*dh, j*sw + ww*dw] * weight[f, c, hh, ww]

    Cached for backward: ``cols`` (G, C/G*HH*WW + 1, N*Ho*Wx) if weight needs a
    gradient (the + 1 is the bias's row of ones, when there is a bias), and the
    weight's data if input needs one.
    """
    x, w = _check_tensor(input, "input"), _check_tensor(weight, "weight")
    _check_bias(bias, x, w)
    args = (stride, padding, dilation, groups)
    unbatched = x.ndim == 3
    xd = x.array[None] if unbatched else x.array
    geo = _geometry(xd.shape, w.shape, *args)
    G, F, K = groups, geo.F, geo.C // groups * geo.HH * geo.WW

    # forward: out = W_mat @ cols, one product (batched over groups).  A bias rides in
    # the product: cols gets a row of ones and W_mat the bias as its last column, so
    # [W | b] @ [cols; 1] = W @ cols + b without a pass over the output to add b
    # (and the backward's dW product gives db as its last column).
    has_bias = bias is not None
    cols = im2col(xd, geo, G, ones_row=has_bias)            # (G, K (+1), N*Ho*Wx)
    w_mat = w.array.reshape(G, F // G, K)                    # (G, F/G, C/G*HH*WW)
    if has_bias:
        w_mat = np.concatenate((w_mat, bias.array.reshape(G, F // G, 1)), axis=2)
    if geo.per_image:  # one product per image lands in (N, F, Ho, Wo) order: no transposing copy
        out = np.empty((geo.N, G, F // G, geo.Ho * geo.Wo), dtype=xd.dtype)
        np.matmul(w_mat, _images(cols, geo), out=out)
        out = out.reshape(geo.N, F, geo.Ho, geo.Wo)
    else:
        out_mat = np.matmul(w_mat, cols)                     # (G, F/G, N*Ho*Wx)
        out_cm = out_mat.reshape(F, geo.N, geo.Ho, geo.Wx)[:, :, :, :geo.Wo]  # drop filler
        out = np.empty((geo.N, F, geo.Ho, geo.Wo), dtype=xd.dtype)
        np.copyto(out, out_cm.transpose(1, 0, 2, 3))

    w_data = w.array
    saved_cols = cols if w.requires_grad else None  # only dW needs cols
    del cols

    def backward(g):
        # out = conv(x, W) + b  =>  dx = conv2d_input_grad(g, W)  (a transposed convolution),
        # dW = conv2d_weight_grad(x, g)  (x correlated with g),  db = sum of g per filter.
        # Computed here from the forward's cols, sharing g laid out as a matrix:
        # [dW | db] = dout_mat @ [cols; 1]^T,  dx = col2im(W_mat^T @ dout_mat)
        dout = g.array[None] if unbatched else g.array
        first_layer = geo.per_image and not x.requires_grad  # dW image by image, no dout_mat
        dout_mat = None if first_layer else _dout_matrix(dout, geo)
        dx = dw = db = dwb = None
        if x.requires_grad:
            dx_arr = _input_grad(dout_mat, w_data, geo)
            dx = _recorded_input_grad(dx_arr[0] if unbatched else dx_arr, g, w, args)
        if w.requires_grad:
            dwb = _weight_grad(saved_cols, dout, dout_mat, geo)  # (G, F/G, K (+1)): [dW | db]
            dw = _recorded_weight_grad(dwb[:, :, :K].reshape(w_data.shape), x, g, args)
        if has_bias and bias.requires_grad:
            db_arr = dwb[:, :, K].reshape(F) if dwb is not None else dout.sum(axis=(0, 2, 3))
            db = _recorded_bias_grad(db_arr, g)
        return (dx, dw) if bias is None else (dx, dw, db)

    if unbatched:
        out = out[0]
    inputs = (x, w) if bias is None else (x, w, bias)
    return record("conv2d", out, inputs, backward)


# --------------------------------------------------------------------------
# The gradients as ops (PyTorch: torch.nn.grad.conv2d_input / conv2d_weight)
# --------------------------------------------------------------------------
def conv2d_input_grad(grad_output: Tensor, weight: Tensor, input_shape: Sequence[int],
                      stride: IntPair = 1, padding: Union[IntPair, str] = 0,
                      dilation: IntPair = 1, groups: int = 1) -> Tensor:
    """dL/dinput of ``conv2d(input, weight, ...)``: a transposed convolution of ``grad_output``.

    grad_output: (N, F, Ho, Wo) (or unbatched (F, Ho, Wo)), weight: (F, C/G, HH, WW),
    input_shape: (N, C, H, W) (or (C, H, W)) -> dx of input_shape:
        dx[n, c, y, x] = sum of g[n, f, i, j] * w[f, c, hh, ww] over the (f, i, j, hh, ww)
                         with i*sh + hh*dh = y + pt and j*sw + ww*dw = x + pl
    As matrices: dx = col2im(W_mat^T @ dout_mat).
    """
    g, w = _check_tensor(grad_output, "grad_output"), _check_tensor(weight, "weight")
    args = (stride, padding, dilation, groups)
    geo = _geometry(_batched(input_shape), w.shape, *args)
    dout = _check_grad_output(g, geo, len(input_shape) == 3)
    dx = _input_grad(_dout_matrix(dout, geo), w.array, geo)
    return _recorded_input_grad(dx.reshape(tuple(input_shape)), g, w, args)


def conv2d_weight_grad(input: Tensor, grad_output: Tensor, weight_shape: Sequence[int],
                       stride: IntPair = 1, padding: Union[IntPair, str] = 0,
                       dilation: IntPair = 1, groups: int = 1) -> Tensor:
    """dL/dweight of ``conv2d(input, weight, ...)``: the input correlated with ``grad_output``.

    input: (N, C, H, W) (or (C, H, W)), grad_output: (N, F, Ho, Wo) (or (F, Ho, Wo)),
    weight_shape: (F, C/G, HH, WW) -> dW of weight_shape:
        dW[f, c, hh, ww] = sum_{n, i, j} g[n, f, i, j] * xpad[n, c, i*sh + hh*dh, j*sw + ww*dw]
    As matrices: dW_mat = dout_mat @ cols^T.
    """
    x, g = _check_tensor(input, "input"), _check_tensor(grad_output, "grad_output")
    args = (stride, padding, dilation, groups)
    xd = x.array[None] if x.ndim == 3 else x.array
    geo = _geometry(xd.shape, tuple(weight_shape), *args)
    dout = _check_grad_output(g, geo, x.ndim == 3)
    cols = im2col(xd, geo, groups)
    dout_mat = None if geo.per_image else _dout_matrix(dout, geo)
    dw = _weight_grad(cols, dout, dout_mat, geo).reshape(tuple(weight_shape))
    return _recorded_weight_grad(dw, x, g, args)


def conv2d_bias_grad(grad_output: Tensor) -> Tensor:
    """dL/dbias of conv2d: ``grad_output`` (N, F, Ho, Wo) (or (F, Ho, Wo)) summed to (F,)."""
    g = _check_tensor(grad_output, "grad_output")
    if g.ndim not in (3, 4):
        raise ValueError(f"conv2d_bias_grad: grad_output must be (N, F, Ho, Wo) or "
                         f"(F, Ho, Wo), got shape {g.shape}")
    return _recorded_bias_grad(g.array.sum(axis=(0, 2, 3) if g.ndim == 4 else (1, 2)), g)


# Each gradient op is linear in each input, so its own gradient rule is read off an inner
# product identity (<u, v> = sum of u * v):
#   <conv2d_input_grad(g, W), gg> = <g, conv2d(gg, W)> = <conv2d_weight_grad(gg, g), W>
#   <conv2d_weight_grad(x, g), gg> = <g, conv2d(x, gg)> = <conv2d_input_grad(g, gg), x>
def _recorded_input_grad(dx: np.ndarray, g: Tensor, w: Tensor, args: tuple) -> Tensor:
    """Record ``dx = conv2d_input_grad(g, w)`` (its value computed by the caller)."""
    def backward(gg):  # d/dg = conv2d(gg, W),  d/dW = conv2d_weight_grad(gg, g)
        return (conv2d(gg, w, None, *args) if g.requires_grad else None,
                conv2d_weight_grad(gg, g, w.shape, *args) if w.requires_grad else None)
    return record("conv2d_input_grad", dx, (g, w), backward)


def _recorded_weight_grad(dw: np.ndarray, x: Tensor, g: Tensor, args: tuple) -> Tensor:
    """Record ``dw = conv2d_weight_grad(x, g)`` (its value computed by the caller)."""
    def backward(gg):  # d/dx = conv2d_input_grad(g, gg),  d/dg = conv2d(x, gg)
        return (conv2d_input_grad(g, gg, x.shape, *args) if x.requires_grad else None,
                conv2d(x, gg, None, *args) if g.requires_grad else None)
    return record("conv2d_weight_grad", dw, (x, g), backward)


def _recorded_bias_grad(db: np.ndarray, g: Tensor) -> Tensor:
    """Record ``db = conv2d_bias_grad(g)``; its gradient copies gg[f] to every g[.., f, ..]."""
    def backward(gg):
        return (gg.reshape((-1, 1, 1)).broadcast_to(g.shape),)
    return record("conv2d_bias_grad", db, (g,), backward)


# --------------------------------------------------------------------------
# The kernels (numpy arrays in, arrays out)
# --------------------------------------------------------------------------
def _dout_matrix(dout: np.ndarray, geo: "_Geometry") -> np.ndarray:
    """dL/dout (N, F, Ho, Wo) laid out as the forward's product: (G, F/G, N*Ho*Wx), with
    the filler columns 0 (they were dropped from the output, so get no gradient)."""
    dout_mat = np.empty((geo.F, geo.N, geo.Ho, geo.Wx), dtype=dout.dtype)
    dout_mat[:, :, :, :geo.Wo] = dout.transpose(1, 0, 2, 3)
    dout_mat[:, :, :, geo.Wo:] = 0
    return dout_mat.reshape(geo.G, geo.F // geo.G, -1)


def _input_grad(dout_mat: np.ndarray, w: np.ndarray, geo: "_Geometry") -> np.ndarray:
    """dx (N, C, H, W) = col2im(W_mat^T @ dout_mat)."""
    w_mat = w.reshape(geo.G, geo.F // geo.G, -1)
    dcols = np.matmul(w_mat.transpose(0, 2, 1), dout_mat)    # (G, K, N*Ho*Wx)
    return col2im(dcols, geo)


def _weight_grad(cols: np.ndarray, dout: np.ndarray, dout_mat: Optional[np.ndarray],
                 geo: "_Geometry") -> np.ndarray:
    """dW_mat = dout_mat @ cols^T: (G, F/G, rows of cols) (the last column is db when
    cols has the bias's row of ones).  Without ``dout_mat`` (no filler columns) image
    by image, summed: no transposing copy of dout."""
    if dout_mat is None:
        dout_n = dout.reshape(geo.N, geo.G, geo.F // geo.G, geo.Ho * geo.Wo)
        return np.matmul(dout_n, _images(cols, geo).transpose(0, 1, 3, 2)).sum(axis=0)
    # computed as dW^T = cols @ dout_mat^T: the same numbers, but multi-threaded OpenBLAS
    # can be very slow on dout_mat @ cols^T (a long inner dimension split between threads)
    return np.matmul(cols, dout_mat.transpose(0, 2, 1)).transpose(0, 2, 1)


# --------------------------------------------------------------------------
# im2col / col2im
# --------------------------------------------------------------------------
class _Geometry(NamedTuple):
    """All sizes of one conv2d call.

    N, C, H, W: input;  F, HH, WW: filters;  G: groups;  sh, sw / dh, dw: stride / dilation;
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
    G: int
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

    @property
    def per_image(self) -> bool:
        """No filler columns: the product is taken image by image (see the module docstring)."""
        return self.Wx == self.Wo


def _window(buf: np.ndarray, geo: _Geometry, hh: int, ww: int) -> np.ndarray:
    """View of the padded buffer seen by kernel offset (hh, ww): a (C, N, Ho, Wx) array

        view[c, n, i, j] = buf[c, n, hh*dh + i*sh, ww*dw + j*sw]

    buf: (C, N, Hq, Wq).  With filler columns (Wx = Wq, stride 1) a row of the view
    runs past the end of its image row into the next one, so the view is one
    contiguous run.
    """
    if geo.Wx == geo.Wq and geo.sh == 1 and geo.sw == 1:
        flat = buf.reshape(geo.C, geo.N, geo.Hq * geo.Wq)
        start = hh * geo.dh * geo.Wq + ww * geo.dw
        return flat[:, :, start:start + geo.Ho * geo.Wq].reshape(geo.C, geo.N, geo.Ho, geo.Wq)
    return buf[:, :, hh * geo.dh: hh * geo.dh + geo.sh * (geo.Ho - 1) + 1: geo.sh,
               ww * geo.dw: ww * geo.dw + geo.sw * (geo.Wo - 1) + 1: geo.sw]


def _images(cols: np.ndarray, geo: _Geometry) -> np.ndarray:
    """``cols`` (G, K, N*Ho*Wo), without filler, seen image by image: a (N, G, K, Ho*Wo)
    view, so ``np.matmul(w_mat, _images(...))`` is one (F/G, K) @ (K, Ho*Wo) product per image."""
    return cols.reshape(cols.shape[0], cols.shape[1], geo.N, geo.Ho * geo.Wo).transpose(2, 0, 1, 3)


def im2col(x: np.ndarray, geo: _Geometry, groups: int = 1, ones_row: bool = False) -> np.ndarray:
    """Unfold every receptive field of x into one column.

    x: (N, C, H, W).  Returns cols: (G, K, N*Ho*Wx) for G = groups, K = C/G*HH*WW, rows
    ordered (c, hh, ww) within each group, columns ordered (n, i, j):
        cols[k, (c, hh, ww), (n, i, j)] = xpad[n, k*C/G + c, i*sh + hh*dh, j*sw + ww*dw]
    With ``ones_row`` each group gets one more row, all ones (for the bias).
    One strided copy per kernel offset (hh, ww).
    """
    xpad = np.zeros((geo.C, geo.N, geo.Hq, geo.Wq), dtype=x.dtype)   # channel-major
    xpad[:, :, geo.pt:geo.pt + geo.H, geo.pl:geo.pl + geo.W] = x.transpose(1, 0, 2, 3)
    Cg, K, M = geo.C // groups, geo.C // groups * geo.HH * geo.WW, geo.N * geo.Ho * geo.Wx
    cols = np.empty((groups, K + ones_row, M), dtype=x.dtype)
    unfolded = cols[:, :K].reshape(groups, Cg, geo.HH, geo.WW, geo.N, geo.Ho, geo.Wx)
    for hh in range(geo.HH):
        for ww in range(geo.WW):
            unfolded[:, :, hh, ww] = _window(xpad, geo, hh, ww).reshape(
                groups, Cg, geo.N, geo.Ho, geo.Wx)
    if ones_row:
        cols[:, K] = 1
    return cols


def col2im(dcols: np.ndarray, geo: _Geometry) -> np.ndarray:
    """The adjoint of im2col: add every column back onto the pixels it was copied from.

    dcols: (G, C/G*HH*WW, N*Ho*Wx) (or (C*HH*WW, N*Ho*Wx): the same numbers).
    Returns dx: (N, C, H, W), where each input pixel collects the gradients of all
    the windows that contain it (one strided add per kernel offset; the padding's
    share is dropped).
    """
    dxpad = np.zeros((geo.C, geo.N, geo.Hq, geo.Wq), dtype=dcols.dtype)
    dcols = dcols.reshape(geo.C, geo.HH, geo.WW, geo.N, geo.Ho, geo.Wx)
    for hh in range(geo.HH):
        for ww in range(geo.WW):
            view = _window(dxpad, geo, hh, ww)
            view += dcols[:, hh, ww]
    dx = np.empty((geo.N, geo.C, geo.H, geo.W), dtype=dcols.dtype)
    np.copyto(dx, dxpad[:, :, geo.pt:geo.pt + geo.H, geo.pl:geo.pl + geo.W].transpose(1, 0, 2, 3))
    return dx


# --------------------------------------------------------------------------
# Argument checking
# --------------------------------------------------------------------------
def _check_tensor(t: object, name: str) -> Tensor:
    if not isinstance(t, Tensor):
        raise TypeError(f"conv2d: {name} must be a Tensor, got {type_name(t)}")
    if t.dtype.kind != "f":
        raise TypeError(f"conv2d: {name} must be a floating-point tensor, got dtype {t.dtype}")
    if name != "weight" and t.ndim not in (3, 4):
        raise ValueError(f"conv2d: {name} must be (N, C, H, W) or unbatched (C, H, W), "
                         f"got shape {t.shape}")
    return t


def _check_bias(bias: Optional[Tensor], x: Tensor, w: Tensor) -> None:
    if x.dtype != w.dtype:
        raise TypeError(f"conv2d: input dtype {x.dtype} and weight dtype {w.dtype} differ; "
                        f"convert one of them (e.g. tinynet.tensor(x, dtype='float32'))")
    if bias is None:
        return
    if not isinstance(bias, Tensor):
        raise TypeError(f"conv2d: bias must be a Tensor or None, got {type_name(bias)}")
    if w.ndim == 4 and bias.shape != (w.shape[0],):
        raise ValueError(f"conv2d: bias must have shape ({w.shape[0]},) (one per filter), "
                         f"got {bias.shape}")
    if bias.dtype != x.dtype:
        raise TypeError(f"conv2d: bias dtype {bias.dtype} differs from input dtype {x.dtype}")


def _batched(shape: Sequence[int]) -> tuple:
    shape = tuple(shape)
    if len(shape) not in (3, 4):
        raise ValueError(f"conv2d: input_shape must be (N, C, H, W) or (C, H, W), got {shape}")
    return (1,) + shape if len(shape) == 3 else shape


def _check_grad_output(g: Tensor, geo: _Geometry, unbatched: bool) -> np.ndarray:
    """g's array as (N, F, Ho, Wo), after checking that it is the conv's output shape."""
    want = (geo.N, geo.F, geo.Ho, geo.Wo)
    if g.shape != (want[1:] if unbatched else want):
        raise ValueError(f"conv2d: grad_output must have the output's shape "
                         f"{want[1:] if unbatched else want}, got {g.shape}")
    return g.array[None] if unbatched else g.array


def _geometry(x_shape: tuple, w_shape: tuple, stride: object, padding: object,
              dilation: object, groups: object) -> _Geometry:
    """Validate the arguments of conv2d and work out every size."""
    if len(w_shape) != 4:
        raise ValueError(f"conv2d: weight must be (F, C/groups, HH, WW), got shape {w_shape}")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"conv2d: groups must be a positive int, got {groups!r}")
    N, C, H, W = x_shape
    F, Cg, HH, WW = w_shape
    if C % groups or F % groups:
        raise ValueError(f"conv2d: groups={groups} must divide both the input channels "
                         f"C={C} and the number of filters F={F}")
    if Cg != C // groups:
        raise ValueError(f"conv2d: weight of shape {w_shape} expects {Cg * groups} input "
                         f"channels (C/groups = {Cg}), but input has C={C} with groups={groups}")
    if HH < 1 or WW < 1 or F < 1:
        raise ValueError(f"conv2d: weight must have at least one filter and a non-empty "
                         f"kernel, got shape {w_shape}")
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
    return _Geometry(N, C, H, W, F, HH, WW, int(groups), sh, sw, dh, dw, pt, pl, Ho, Wo,
                     Hq, Wq, Wx)
