"""Plain-loop reference for conv2d, written straight from the definition (slow; tests only).

    O[n, f, i, j] = b[f] + sum_c sum_hh sum_ww X[n, c, i*s + hh*dil, j*s + ww*dil] * W[f, c, hh, ww]

where X is the zero-padded input and c runs over the channels of filter f's group.  The
oracle for PyTorch-style arguments (pairs, 'same'); tinynet/nn/functional/conv_reference.py
is the plain version the docs quote (tests/test_conv_reference.py).
"""
import numpy as np


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def conv2d_naive(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """x: (N, C, H, W), w: (F, C // groups, HH, WW), b: (F,) or None -> (N, F, Ho, Wo).

    padding: int, (ph, pw), 'valid' or 'same' (stride 1; odd total: extra at bottom/right).
    """
    N, C, H, W = x.shape
    F, Cg, HH, WW = w.shape
    sh, sw = _pair(stride)
    dh, dw = _pair(dilation)
    if padding == "valid":
        top = bottom = left = right = 0
    elif padding == "same":
        total_h, total_w = dh * (HH - 1), dw * (WW - 1)
        top, left = total_h // 2, total_w // 2
        bottom, right = total_h - top, total_w - left
    else:
        top, left = _pair(padding)
        bottom, right = top, left
    X = np.zeros((N, C, H + top + bottom, W + left + right), dtype=x.dtype)
    X[:, :, top:top + H, left:left + W] = x
    Ho = (X.shape[2] - dh * (HH - 1) - 1) // sh + 1
    Wo = (X.shape[3] - dw * (WW - 1) - 1) // sw + 1
    Fg = F // groups
    O = np.zeros((N, F, Ho, Wo), dtype=x.dtype)
    for n in range(N):
        for f in range(F):
            first_channel = (f // Fg) * Cg  # filter f sees only its group's channels
            for i in range(Ho):
                for j in range(Wo):
                    total = 0.0 if b is None else b[f]
                    for c in range(Cg):
                        for hh in range(HH):
                            for ww in range(WW):
                                total += (X[n, first_channel + c, i * sh + hh * dh, j * sw + ww * dw]
                                          * w[f, c, hh, ww])
                    O[n, f, i, j] = total
    return O
