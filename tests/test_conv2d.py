"""conv2d: the course quiz, values vs a plain-loop reference, gradients, PyTorch, errors."""
import numpy as np
import pytest

import tinynet
from tinynet.nn.functional.conv import _geometry, col2im, conv2d, im2col

from conv_naive import conv2d_naive


def _t(a, requires_grad=False, dtype=np.float64):
    return tinynet.tensor(np.asarray(a, dtype=dtype), requires_grad=requires_grad)


def _rand(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


# ================================================================ the course quiz (pinned)
def test_quiz_3x3_input_2x2_kernel_is_cross_correlation():
    X = np.arange(1.0, 10.0).reshape(3, 3)          # X11=1 X12=2 X13=3 / X21=4 ... / X33=9
    W = np.array([[2.0, -1.0], [3.0, 5.0]])         # W11=2 W12=-1 W21=3 W22=5
    (X11, X12, X13), (X21, X22, X23), (X31, X32, X33) = X
    (W11, W12), (W21, W22) = W
    O = conv2d(_t(X[None, None]), _t(W[None, None]), stride=1).array[0, 0]
    assert O.shape == (2, 2)
    assert O[0, 0] == X11 * W11 + X12 * W12 + X21 * W21 + X22 * W22   # O11 = 2-2+12+25 = 37
    assert O[0, 1] == X12 * W11 + X13 * W12 + X22 * W21 + X23 * W22   # O12
    assert O[1, 0] == X21 * W11 + X22 * W12 + X31 * W21 + X32 * W22   # O21
    assert O[1, 1] == X22 * W11 + X23 * W12 + X32 * W21 + X33 * W22   # O22
    np.testing.assert_array_equal(O, [[37.0, 46.0], [64.0, 73.0]])
    # true convolution flips the kernel: O11 would be X11W22 + X12W21 + X21W12 + X22W11
    flipped = conv2d(_t(X[None, None]), _t(W[::-1, ::-1].copy()[None, None])).array[0, 0]
    assert flipped[0, 0] == X11 * W22 + X12 * W21 + X21 * W12 + X22 * W11
    assert not np.allclose(O, flipped)


# ================================================================ values vs the naive loops
@pytest.mark.parametrize("N,C,H,W,F,HH,WW", [
    (1, 1, 5, 5, 1, 3, 3),     # batch 1, one channel
    (2, 3, 6, 8, 4, 3, 2),     # non-square kernel and input
    (3, 2, 7, 5, 5, 1, 4),
    (1, 4, 4, 9, 2, 4, 4),     # kernel as tall as the input
    (2, 5, 8, 8, 3, 5, 1),
])
def test_forward_matches_naive(N, C, H, W, F, HH, WW):
    x, w, b = _rand((N, C, H, W), 0), _rand((F, C, HH, WW), 1), _rand(F, 2)
    out = conv2d(_t(x), _t(w), _t(b))
    np.testing.assert_allclose(out.array, conv2d_naive(x, w, b), rtol=1e-12, atol=1e-12)


OPTIONS = [(s, p, d, g) for s in [1, 2, 3, (3, 1)] for p in [0, 1, (0, 2), "same", "valid"]
           for d in [1, 2, (2, 1)] for g in [1, 2, 4]
           if not (p == "same" and s != 1)]  # 'same' needs stride 1: see test_errors


@pytest.mark.parametrize("stride,padding,dilation,groups", OPTIONS)
def test_forward_options_match_naive(stride, padding, dilation, groups):
    x, w, b = _rand((2, 4, 9, 8), 3), _rand((4, 4 // groups, 3, 2), 4), _rand(4, 5)
    out = conv2d(_t(x), _t(w), _t(b), stride, padding, dilation, groups)
    ref = conv2d_naive(x, w, b, stride, padding, dilation, groups)
    assert out.shape == ref.shape
    np.testing.assert_allclose(out.array, ref, rtol=1e-12, atol=1e-12)


def test_same_padding_keeps_the_size_even_kernel():
    # total padding 1 (even kernel): the extra zero row/column goes at the bottom/right
    x, w = _rand((1, 2, 5, 6), 6), _rand((3, 2, 2, 4), 7)
    out = conv2d(_t(x), _t(w), padding="same")
    assert out.shape == (1, 3, 5, 6)
    np.testing.assert_allclose(out.array, conv2d_naive(x, w, padding="same"), atol=1e-12)
    x_bottom_right = np.pad(x, ((0, 0), (0, 0), (0, 1), (1, 2)))
    np.testing.assert_allclose(out.array, conv2d_naive(x_bottom_right, w), atol=1e-12)


def test_unbatched_input_and_no_bias():
    x, w = _rand((3, 6, 5), 8), _rand((2, 3, 3, 3), 9)
    xt = _t(x, requires_grad=True)
    out = conv2d(xt, _t(w), padding=1)
    assert out.shape == (2, 6, 5)
    np.testing.assert_allclose(out.array, conv2d_naive(x[None], w, padding=1)[0], atol=1e-12)
    out.sum().backward()
    assert xt.grad.shape == (3, 6, 5)


def test_float32_stays_float32_and_one_tape_entry():
    x = _t(_rand((2, 3, 6, 6), 10), True, np.float32)
    w = _t(_rand((4, 3, 3, 3), 11), True, np.float32)
    b = _t(_rand(4, 12), True, np.float32)
    out = conv2d(x, w, b, padding=1)
    assert out.dtype == np.float32
    assert out.grad_fn.op == "conv2d" and out.grad_fn.inputs == (x, w, b)
    out.backward(np.ones(out.shape, np.float32))
    assert x.grad.dtype == w.grad.dtype == b.grad.dtype == np.float32
    np.testing.assert_allclose(out.array, conv2d_naive(x.array, w.array, b.array, padding=1),
                               rtol=1e-5, atol=1e-5)


def test_only_the_gradients_asked_for():
    x, w, b = _rand((2, 2, 5, 5), 13), _rand((3, 2, 3, 3), 14), _rand(3, 15)
    # weight only: no dx is computed, and cols are needed
    xt, wt = _t(x), _t(w, True)
    conv2d(xt, wt, _t(b)).sum().backward()
    assert xt.grad is None and wt.grad is not None
    # input only
    xt, wt = _t(x, True), _t(w)
    conv2d(xt, wt).sum().backward()
    assert wt.grad is None and xt.grad is not None
    # nothing requires grad: no tape entry
    assert conv2d(_t(x), _t(w)).grad_fn is None
    with tinynet.no_grad():
        assert conv2d(_t(x, True), _t(w, True)).grad_fn is None


# ================================================================ im2col / col2im
@pytest.mark.parametrize("stride,padding,dilation", [(1, 1, 1), (2, 0, 1), (1, 2, 2), (3, 1, 2)])
def test_col2im_is_the_adjoint_of_im2col(stride, padding, dilation):
    # <im2col(x), c> == <x, col2im(c)> for any x, c: col2im sends each column back to its pixels
    x, w = _rand((2, 3, 7, 6), 16), np.zeros((4, 3, 3, 2))
    geo = _geometry(x.shape, w.shape, stride, padding, dilation, 1)
    cols = im2col(x, geo)
    assert cols.shape == (1, 3 * 3 * 2, 2 * geo.Ho * geo.Wx)
    c = _rand(cols.shape, 17)
    np.testing.assert_allclose(np.sum(cols * c), np.sum(x * col2im(c, geo)), rtol=1e-12)


# ================================================================ gradients: finite differences
GRAD_CASES = [  # (x shape, w shape, stride, padding, dilation, groups)
    ((1, 1, 4, 4), (1, 1, 2, 2), 1, 0, 1, 1),          # batch 1, the quiz
    ((2, 3, 5, 6), (2, 3, 3, 2), 1, 1, 1, 1),          # non-square
    ((2, 2, 7, 6), (3, 2, 3, 3), 2, 0, 1, 1),          # stride 2
    ((1, 2, 8, 7), (2, 2, 2, 3), 3, 2, 1, 1),          # stride 3, padding 2
    ((2, 2, 7, 7), (2, 2, 3, 3), 1, 2, 2, 1),          # dilation 2
    ((1, 3, 6, 5), (2, 3, 2, 3), 1, "same", 1, 1),     # same, even kernel side
    ((1, 2, 6, 6), (2, 2, 3, 2), 1, "same", 2, 1),     # same with dilation
    ((2, 4, 5, 5), (4, 2, 3, 3), 1, 1, 1, 2),          # groups 2
    ((1, 3, 6, 5), (6, 1, 3, 3), (2, 1), 1, 1, 3),     # depthwise, 2 filters per channel
    ((2, 2, 9, 8), (4, 1, 2, 3), 2, (1, 0), (2, 1), 2),  # everything at once
]


@pytest.mark.parametrize("xs,ws,stride,padding,dilation,groups", GRAD_CASES)
def test_gradcheck(xs, ws, stride, padding, dilation, groups):
    x, w, b = _t(_rand(xs, 20), True), _t(_rand(ws, 21), True), _t(_rand(ws[0], 22), True)
    assert tinynet.gradcheck(
        lambda x, w, b: conv2d(x, w, b, stride, padding, dilation, groups), [x, w, b])


def test_two_convs_in_a_row():
    # the second conv reuses the first one's scratch buffers between its forward and backward
    x = _t(_rand((2, 2, 6, 5), 23), True)
    w1, w2 = _t(_rand((3, 2, 3, 3), 24), True), _t(_rand((2, 3, 2, 2), 25), True)
    assert tinynet.gradcheck(lambda x, w1, w2: conv2d(conv2d(x, w1, padding=1), w2, stride=2),
                             [x, w1, w2])


# ================================================================ PyTorch
@pytest.mark.parametrize("xs,ws,stride,padding,dilation,groups", GRAD_CASES + [
    ((3, 4, 10, 12), (6, 2, 3, 3), 2, 1, 1, 2),
    ((2, 6, 9, 9), (6, 1, 5, 5), 1, "same", 1, 6),
    ((2, 3, 11, 7), (5, 3, 4, 2), (3, 2), (2, 1), (1, 2), 1),
    ((1, 2, 5, 5), (3, 2, 1, 1), 2, 0, 1, 1),
])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("input_grad", [True, False], ids=["dx", "first-layer"])
@pytest.mark.filterwarnings("ignore:Using padding='same'")
def test_matches_torch(xs, ws, stride, padding, dilation, groups, bias, input_grad):
    # first-layer: the input needs no gradient, which takes another path for dW and db
    torch = pytest.importorskip("torch")
    arrays = [_rand(xs, 30), _rand(ws, 31)] + ([_rand(ws[0], 32)] if bias else [])
    needs = [input_grad] + [True] * (len(arrays) - 1)
    out = _compare_with_torch(torch, arrays, needs, stride=stride, padding=padding,
                              dilation=dilation, groups=groups)
    assert out.array.flags.c_contiguous


def _compare_with_torch(torch, arrays, needs, **kwargs):
    """conv2d of (x, w[, b]) in tinynet and torch, ``needs[i]``: whether arrays[i] requires
    grad; asserts equal outputs and equal gradients (None where torch has none)."""
    tn = [_t(a, r) for a, r in zip(arrays, needs)]
    th = [torch.tensor(a, requires_grad=r) for a, r in zip(arrays, needs)]
    out = conv2d(*tn, **kwargs)
    ref = torch.nn.functional.conv2d(*th, **kwargs)
    np.testing.assert_allclose(out.array, ref.detach().numpy(), rtol=1e-10, atol=1e-10)
    g = _rand(out.shape, 33)
    out.backward(g)
    ref.backward(torch.tensor(g))
    for a, b in zip(tn, th):
        if b.grad is None:
            assert a.grad is None
        else:
            assert a.grad.shape == a.shape
            np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-10, atol=1e-10)
    return out


@pytest.mark.parametrize("xs,ws,groups", [
    ((2, 4, 6, 5), (6, 2, 3, 3), 2),     # filler columns, one product over the batch
    ((3, 1, 7, 6), (4, 1, 3, 2), 1),     # one input channel: one product per image
])
@pytest.mark.parametrize("needs", [(x, w, b) for x in (True, False) for w in (True, False)
                                   for b in (True, False) if x or w or b])
def test_bias_row_every_requires_grad_combination(xs, ws, groups, needs):
    # the bias rides in the product as a row of ones; db must still come out right when
    # the weight is frozen (no dW product to take it from) and dW when the bias is frozen
    torch = pytest.importorskip("torch")
    arrays = [_rand(xs, 50), _rand(ws, 51), _rand(ws[0], 52)]
    _compare_with_torch(torch, arrays, needs, padding=1, groups=groups)


# ================================================================ errors
X4 = _rand((2, 4, 6, 6), 40)


@pytest.mark.parametrize("x,w,b,kw,exc,match", [
    (_rand((6, 6), 0), _rand((2, 1, 3, 3), 0), None, {}, ValueError, "input must be"),
    (_rand((1, 2, 1, 6, 6), 0), _rand((2, 1, 3, 3), 0), None, {}, ValueError, "input must be"),
    (X4, _rand((2, 4, 3), 0), None, {}, ValueError, "weight must be"),
    (X4, _rand((2, 3, 3, 3), 0), None, {}, ValueError, "input channels"),
    (X4, _rand((3, 2, 3, 3), 0), None, {"groups": 2}, ValueError, "groups=2 must divide"),
    (X4, _rand((2, 2, 3, 3), 0), None, {"groups": 3}, ValueError, "groups=3 must divide"),
    (X4, _rand((2, 4, 3, 3), 0), None, {"groups": 0}, ValueError, "groups must be"),
    (X4, _rand((2, 4, 3, 3), 0), _rand(3, 0), {}, ValueError, "bias must have shape"),
    (X4, _rand((2, 4, 3, 3), 0), None, {"stride": 0}, ValueError, "stride must be >= 1"),
    (X4, _rand((2, 4, 3, 3), 0), None, {"dilation": (1, 0)}, ValueError, "dilation"),
    (X4, _rand((2, 4, 3, 3), 0), None, {"padding": -1}, ValueError, "padding must be >= 0"),
    (X4, _rand((2, 4, 3, 3), 0), None, {"padding": "full"}, ValueError, "'valid' or 'same'"),
    (X4, _rand((2, 4, 3, 3), 0), None, {"padding": (1, 2, 3)}, TypeError, "pair of ints"),
    (X4, _rand((2, 4, 3, 3), 0), None, {"stride": 1.5}, TypeError, "stride"),
    (X4, _rand((2, 4, 3, 3), 0), None, {"padding": "same", "stride": 2}, ValueError,
     "'same' is not supported for strided"),
    (X4, _rand((2, 4, 7, 3), 0), None, {}, ValueError, r"no output.*6x6.*kernel is 7x3"),
    (X4, _rand((2, 4, 3, 3), 0), None, {"dilation": 3}, ValueError, "no output"),
])
def test_errors(x, w, b, kw, exc, match):
    with pytest.raises(exc, match=match):
        conv2d(_t(x), _t(w), None if b is None else _t(b), **kw)


def test_type_errors():
    x, w = _t(X4), _t(_rand((2, 4, 3, 3), 0))
    with pytest.raises(TypeError, match="input must be a Tensor"):
        conv2d(X4, w)
    with pytest.raises(TypeError, match="dtype"):
        conv2d(x, _t(w.array, dtype=np.float32))
    with pytest.raises(TypeError, match="floating-point"):
        conv2d(tinynet.tensor(np.ones((1, 4, 6, 6), dtype=np.int64)), w)
