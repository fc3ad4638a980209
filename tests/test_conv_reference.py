"""The fast conv2d (conv.py) against the plain reference (conv_reference.py) on every branch.

Each case names the branch of conv.py it takes, and the test checks that it does take it
(the geometry decides), so a case cannot silently drift onto another path.  Forward and
all three gradients, for every combination of what requires a gradient.
"""
import numpy as np
import pytest

import tinynet
from tinynet.nn.functional.conv import (_geometry, conv2d, conv2d_bias_grad,
                                        conv2d_input_grad, conv2d_weight_grad)
from tinynet.nn.functional.conv_reference import conv_backward_naive, conv_forward_naive


def _rand(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


# (id, x shape, w shape, conv_param, per image?, windows copied as contiguous runs?)
CASES = [
    ("filler", (2, 3, 6, 7), (4, 3, 3, 3), dict(stride=1, pad=0), False, True),
    ("filler-padding", (2, 3, 5, 6), (2, 3, 3, 2), dict(stride=1, pad=1), False, True),
    ("filler-dilation", (1, 2, 5, 5), (3, 2, 3, 3), dict(stride=1, pad=1, dilation=2), False, True),
    ("filler-groups", (2, 4, 6, 5), (6, 2, 3, 3), dict(stride=1, pad=1, groups=2), False, True),
    ("per-image-one-channel", (3, 1, 7, 6), (4, 1, 3, 2), dict(stride=1, pad=1), True, False),
    ("per-image-stride", (2, 3, 9, 8), (4, 3, 3, 3), dict(stride=2, pad=1), True, False),
    ("per-image-stride-dilation", (2, 2, 11, 10), (3, 2, 3, 2), dict(stride=3, pad=2, dilation=2),
     True, False),
    ("per-image-depthwise", (2, 3, 6, 6), (6, 1, 3, 3), dict(stride=1, pad=1, groups=3), True,
     False),
    ("per-image-groups-stride", (2, 4, 9, 8), (4, 2, 2, 3), dict(stride=2, pad=0, groups=2), True,
     False),
    ("per-image-1x1-kernel", (2, 3, 4, 5), (2, 3, 1, 1), dict(stride=1, pad=0), True, True),
]
NEEDS = {  # which of (x, w, b) require a gradient
    "all": (True, True, True),
    "first-layer": (False, True, True),   # no dx: dW (and db) take the per-image path if any
    "frozen-weight": (True, False, True),  # db without a dW product to read it from
    "weight-only": (False, True, False),
}


def _kwargs(conv_param):
    return dict(stride=conv_param["stride"], padding=conv_param["pad"],
                dilation=conv_param.get("dilation", 1), groups=conv_param.get("groups", 1))


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
@pytest.mark.parametrize("needs", list(NEEDS), ids=list(NEEDS))
@pytest.mark.parametrize("name,xs,ws,conv_param,per_image,contiguous", CASES,
                         ids=[c[0] for c in CASES])
def test_fast_conv2d_equals_the_reference(name, xs, ws, conv_param, per_image, contiguous,
                                          needs, bias):
    kwargs = _kwargs(conv_param)
    geo = _geometry(xs, ws, **kwargs)
    assert geo.per_image == per_image                               # the branch named
    assert (geo.Wx == geo.Wq and geo.sh == geo.sw == 1) == contiguous  # _window's two paths
    x, w, b = _rand(xs, 1), _rand(ws, 2), _rand(ws[0], 3) if bias else None
    need_x, need_w, need_b = NEEDS[needs]
    xt, wt = tinynet.tensor(x, requires_grad=need_x), tinynet.tensor(w, requires_grad=need_w)
    bt = tinynet.tensor(b, requires_grad=need_b) if bias else None

    out = conv2d(xt, wt, bt, **kwargs)
    ref, cache = conv_forward_naive(x, w, b, conv_param)
    np.testing.assert_allclose(out.array, ref, rtol=1e-12, atol=1e-12)

    dout = _rand(ref.shape, 4)
    out.backward(dout)
    dx, dw, db = conv_backward_naive(dout, cache)
    for t, want, needed in ((xt, dx, need_x), (wt, dw, need_w), (bt, db, need_b and bias)):
        if needed:
            np.testing.assert_allclose(t.grad.array, want, rtol=1e-12, atol=1e-12)
        elif t is not None:
            assert t.grad is None


@pytest.mark.parametrize("name,xs,ws,conv_param,per_image,contiguous", CASES,
                         ids=[c[0] for c in CASES])
def test_gradient_ops_equal_the_reference(name, xs, ws, conv_param, per_image, contiguous):
    # conv2d_input_grad / conv2d_weight_grad / conv2d_bias_grad on their own (as the second
    # derivatives call them), batched and unbatched
    kwargs = _kwargs(conv_param)
    x, w, b = _rand(xs, 5), _rand(ws, 6), _rand(ws[0], 7)
    ref, cache = conv_forward_naive(x, w, b, conv_param)
    dout = _rand(ref.shape, 8)
    dx, dw, db = conv_backward_naive(dout, cache)
    g = tinynet.tensor(dout)
    np.testing.assert_allclose(conv2d_input_grad(g, tinynet.tensor(w), xs, **kwargs).array, dx,
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(conv2d_weight_grad(tinynet.tensor(x), g, ws, **kwargs).array, dw,
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(conv2d_bias_grad(g).array, db, rtol=1e-12, atol=1e-12)
    # one image without its batch axis: the same numbers
    x1, d1 = x[:1], dout[:1]
    dx1, dw1, db1 = conv_backward_naive(d1, (x1, w, b, conv_param))
    g1 = tinynet.tensor(d1[0])
    np.testing.assert_allclose(conv2d_input_grad(g1, tinynet.tensor(w), xs[1:], **kwargs).array,
                               dx1[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(conv2d_weight_grad(tinynet.tensor(x1[0]), g1, ws, **kwargs).array,
                               dw1, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(conv2d_bias_grad(g1).array, db1, rtol=1e-12, atol=1e-12)


def test_unbatched_input_equals_the_reference():
    x, w, b = _rand((3, 6, 5), 9), _rand((2, 3, 3, 3), 10), _rand(2, 11)
    xt, wt, bt = (tinynet.tensor(a, requires_grad=True) for a in (x, w, b))
    out = conv2d(xt, wt, bt, padding=1)
    ref, cache = conv_forward_naive(x[None], w, b, dict(stride=1, pad=1))
    np.testing.assert_allclose(out.array, ref[0], rtol=1e-12, atol=1e-12)
    dout = _rand(ref.shape, 12)
    out.backward(dout[0])
    for t, want in zip((xt, wt, bt), conv_backward_naive(dout, cache)):
        np.testing.assert_allclose(t.grad.array, want[0] if t is xt else want, rtol=1e-12,
                                   atol=1e-12)


def test_float32_equals_the_reference():
    x, w, b = (_rand(s, k).astype(np.float32) for s, k in (((2, 3, 6, 6), 13),
                                                          ((4, 3, 3, 3), 14), (4, 15)))
    out = conv2d(tinynet.tensor(x), tinynet.tensor(w), tinynet.tensor(b), padding=1)
    ref, _ = conv_forward_naive(x, w, b, dict(stride=1, pad=1))
    assert out.dtype == ref.dtype == np.float32
    np.testing.assert_allclose(out.array, ref, rtol=1e-5, atol=1e-5)


def test_the_quiz_with_the_reference():
    # CS231n quiz, question 3: 3x3 X, 2x2 W, stride 1: O11 = X11W11 + X12W12 + X21W21 + X22W22
    X = np.arange(1.0, 10.0).reshape(3, 3)
    W = np.array([[2.0, -1.0], [3.0, 5.0]])
    (X11, X12, X13), (X21, X22, X23), (X31, X32, X33) = X
    (W11, W12), (W21, W22) = W
    O, _ = conv_forward_naive(X[None, None], W[None, None], None, dict(stride=1, pad=0))
    O = O[0, 0]
    assert O[0, 0] == X11 * W11 + X12 * W12 + X21 * W21 + X22 * W22
    assert O[0, 1] == X12 * W11 + X13 * W12 + X22 * W21 + X23 * W22
    assert O[1, 0] == X21 * W11 + X22 * W12 + X31 * W21 + X32 * W22
    assert O[1, 1] == X22 * W11 + X23 * W12 + X32 * W21 + X33 * W22
    fast = conv2d(tinynet.tensor(X[None, None]), tinynet.tensor(W[None, None])).array[0, 0]
    np.testing.assert_array_equal(fast, O)
