"""conv2d as plain loops, forward and backward, in CS231n's notation: N inputs of C x H x W,
F filters of C x HH x WW (C // groups x HH x WW with groups).  Slow and plain: the tests
check the fast conv2d (conv.py) against it on every branch; docs/conv2d.md quotes it."""
import numpy as np


def output_shape(x_shape, w_shape, conv_param):
    """(N, F, H', W'): where each filter fits into each padded input."""
    (N, _, H, W), (F, _, HH, WW) = x_shape, w_shape
    s, p, d = conv_param["stride"], conv_param["pad"], conv_param.get("dilation", 1)
    return N, F, (H + 2 * p - d * (HH - 1) - 1) // s + 1, (W + 2 * p - d * (WW - 1) - 1) // s + 1


def receptive_fields(x_shape, w_shape, conv_param):
    """Yield each output position (n, f, i, j) with the index of its receptive field in
    xpad: the (C // groups, HH, WW) block that filter f meets there."""
    N, F, H_out, W_out = output_shape(x_shape, w_shape, conv_param)
    _, Cg, HH, WW = w_shape
    s, d = conv_param["stride"], conv_param.get("dilation", 1)
    for n in range(N):
        for f in range(F):
            c0 = f // (F // conv_param.get("groups", 1)) * Cg  # first channel of f's group
            for i in range(H_out):
                for j in range(W_out):
                    rows = slice(i * s, i * s + d * HH, d)     # i*s + hh*d for hh < HH
                    cols = slice(j * s, j * s + d * WW, d)     # j*s + ww*d for ww < WW
                    yield (n, f, i, j), (n, slice(c0, c0 + Cg), rows, cols)


def conv_forward_naive(x, w, b, conv_param):
    """
    Inputs:
    - x: input data of shape (N, C, H, W)
    - w: filter weights of shape (F, C // groups, HH, WW)
    - b: biases of shape (F,), or None
    - conv_param: 'stride', 'pad' (zeros on all four sides), optional 'dilation', 'groups'

    Returns (out, cache): out (N, F, H', W'), H' = (H + 2*pad - dilation*(HH-1) - 1) // stride + 1,
      out[n, f, i, j] = b[f] + sum_{c, hh, ww} w[f, c, hh, ww] * xpad[n, c, i*stride + hh*dilation,
                                                                        j*stride + ww*dilation]
    """
    p = conv_param["pad"]
    xpad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    out = np.zeros(output_shape(x.shape, w.shape, conv_param), dtype=x.dtype)
    for (n, f, i, j), field in receptive_fields(x.shape, w.shape, conv_param):
        out[n, f, i, j] = np.sum(xpad[field] * w[f]) + (0 if b is None else b[f])
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout, cache):
    """
    Inputs:
    - dout: upstream derivatives dL/dout, of shape (N, F, H', W')
    - cache: (x, w, b, conv_param) as returned by conv_forward_naive

    Returns (dx, dw, db): dL/dx (N, C, H, W), dL/dw (F, C // groups, HH, WW), dL/db (F,)
    or None.  out[n, f, i, j] adds xpad[field] * w[f] + b[f], so it sends dout[n, f, i, j]
    times w[f] to the field, times xpad[field] to w[f], and itself to b[f].
    """
    x, w, b, conv_param = cache
    p = conv_param["pad"]
    xpad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    dxpad, dw = np.zeros_like(xpad), np.zeros_like(w)
    for (n, f, i, j), field in receptive_fields(x.shape, w.shape, conv_param):
        dxpad[field] += dout[n, f, i, j] * w[f]
        dw[f] += dout[n, f, i, j] * xpad[field]
    dx = dxpad[:, :, p:p + x.shape[2], p:p + x.shape[3]]       # the padding's share is dropped
    db = None if b is None else dout.sum(axis=(0, 2, 3))
    return dx, dw, db
