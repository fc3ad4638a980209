"""Second (and third) derivatives through conv2d, max_pool2d and avg_pool2d.

Their gradients are recorded ops (conv2d_input_grad, conv2d_weight_grad, conv2d_bias_grad,
max pooling's scatter and gather, average pooling's spread), so ``create_graph=True``
differentiates through them: checked against finite differences (gradgradcheck, float64)
on every branch of conv.py, and against PyTorch's double backward.
"""
import numpy as np
import pytest

import tinynet
from tinynet.autograd import grad, gradgradcheck
from tinynet.nn.functional.conv import (_geometry, conv2d, conv2d_bias_grad,
                                        conv2d_input_grad, conv2d_weight_grad)
from tinynet.nn.functional.pooling import avg_pool2d, max_pool2d


def _t(shape, seed, requires_grad=True):
    return tinynet.tensor(np.random.default_rng(seed).standard_normal(shape),
                          requires_grad=requires_grad)


# (id, x shape, w shape, conv2d keyword arguments)
CONV_CASES = [
    ("filler", (2, 2, 5, 5), (3, 2, 3, 3), dict()),
    ("padding", (1, 3, 4, 5), (2, 3, 3, 2), dict(padding=1)),
    ("padding-pair", (2, 2, 4, 4), (2, 2, 2, 3), dict(padding=(0, 2))),
    ("same-even-kernel", (1, 2, 5, 4), (2, 2, 2, 2), dict(padding="same")),
    ("stride", (2, 2, 7, 6), (3, 2, 3, 3), dict(stride=2)),
    ("stride-pair-padding", (1, 2, 7, 7), (2, 2, 3, 2), dict(stride=(3, 2), padding=1)),
    ("dilation", (1, 2, 7, 7), (2, 2, 3, 3), dict(dilation=2, padding=1)),
    ("groups", (2, 4, 5, 5), (4, 2, 3, 3), dict(groups=2, padding=1)),
    ("depthwise", (1, 3, 5, 5), (6, 1, 3, 3), dict(groups=3)),
    ("one-channel-per-image", (2, 1, 6, 5), (3, 1, 3, 2), dict(padding=1)),
    ("everything", (2, 4, 9, 8), (4, 2, 2, 3), dict(stride=2, padding=(1, 0), dilation=(2, 1),
                                                     groups=2)),
]


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
@pytest.mark.parametrize("input_grad", [True, False], ids=["dx", "first-layer"])
@pytest.mark.parametrize("name,xs,ws,kw", CONV_CASES, ids=[c[0] for c in CONV_CASES])
def test_conv2d_gradgradcheck(name, xs, ws, kw, input_grad, bias):
    x, w = _t(xs, 1, input_grad), _t(ws, 2)
    inputs = [x, w] + ([_t(ws[0], 3)] if bias else [])
    assert gradgradcheck(lambda *a: conv2d(*a, **kw), inputs)


def test_the_cases_cover_both_layouts_of_the_product():
    per_image = {name: _geometry(xs, ws, kw.get("stride", 1), kw.get("padding", 0),
                                 kw.get("dilation", 1), kw.get("groups", 1)).per_image
                 for name, xs, ws, kw in CONV_CASES}
    assert per_image["filler"] is False and per_image["one-channel-per-image"] is True
    assert per_image["stride"] is True and per_image["groups"] is False


def test_conv2d_unbatched_gradgradcheck():
    x, w, b = _t((2, 5, 4), 4), _t((3, 2, 2, 2), 5), _t(3, 6)
    assert gradgradcheck(lambda x, w, b: conv2d(x, w, b, padding=1), [x, w, b])


@pytest.mark.parametrize("name,xs,ws,kw", [c for c in CONV_CASES
                                           if c[0] in ("filler", "stride", "everything",
                                                       "one-channel-per-image")])
def test_gradient_ops_are_twice_differentiable(name, xs, ws, kw):
    # the ops the second derivatives call, differentiated twice: conv2d's third derivatives
    x, w = _t(xs, 7), _t(ws, 8)
    g = _t(conv2d(x, w, **kw).shape, 9)
    assert gradgradcheck(lambda g, w: conv2d_input_grad(g, w, xs, **kw), [g, w])
    assert gradgradcheck(lambda x, g: conv2d_weight_grad(x, g, ws, **kw), [x, g])


def test_create_graph_records_the_gradient_ops():
    x, w, b = _t((1, 2, 4, 4), 10), _t((2, 2, 2, 2), 11), _t(2, 12)
    out = conv2d(x, w, b)
    out.backward(np.ones(out.shape), create_graph=True)
    assert x.grad.grad_fn.op == "conv2d_input_grad"
    assert w.grad.grad_fn.op == "conv2d_weight_grad"
    # db = sum of the (constant) seed: a constant, as in PyTorch; with a seed that
    # requires grad it is recorded too
    assert not b.grad.requires_grad
    v = _t(out.shape, 13)
    assert grad(out, b, v, create_graph=True)[0].grad_fn.op == "conv2d_bias_grad"
    # without create_graph the gradients are plain values, as before
    x2 = _t((1, 2, 4, 4), 10)
    conv2d(x2, w).sum().backward()
    assert not x2.grad.requires_grad and x2.grad.grad_fn is None


POOL_CASES = [  # (id, x shape, kernel, stride, padding)
    ("tiling", (2, 2, 4, 6), 2, None, 0),
    ("gaps", (1, 2, 5, 7), 2, 3, 0),            # stride > kernel: pixels in no window
    ("overlapping-padded", (2, 1, 7, 5), 3, 2, 1),
    ("non-square", (1, 2, 8, 9), (2, 3), (1, 2), (1, 1)),
    ("unbatched", (2, 5, 5), 3, 1, 1),
]


@pytest.mark.parametrize("pool", [max_pool2d, avg_pool2d], ids=["max", "avg"])
@pytest.mark.parametrize("name,xs,k,s,p", POOL_CASES, ids=[c[0] for c in POOL_CASES])
def test_pooling_gradgradcheck(pool, name, xs, k, s, p):
    x = _t(xs, 13)   # continuous random values: no ties, no winner changes within eps
    assert gradgradcheck(lambda x: pool(x, k, s, p), [x])
    # third order: the scatter/spread and its adjoint, as functions of the incoming gradient
    g = _t(pool(x, k, s, p).shape, 14)
    assert gradgradcheck(lambda g: grad(pool(x, k, s, p), x, g, create_graph=True)[0], [g])


# ================================================================ PyTorch's double backward
def _double_backward(lib, fn, arrays, needs, seed):
    """d/d(inputs, v) of <grad(fn(inputs), inputs, v), u> for random v, u, in ``lib``."""
    rng = np.random.default_rng(seed)
    if lib == "tinynet":
        ins = [tinynet.tensor(a, requires_grad=r) for a, r in zip(arrays, needs)]
    else:
        import torch
        ins = [torch.tensor(a, requires_grad=r) for a, r in zip(arrays, needs)]
    wanted = [t for t in ins if t.requires_grad]
    out = fn(*ins)
    v_arr = rng.standard_normal(tuple(out.shape))
    v = tinynet.tensor(v_arr, requires_grad=True) if lib == "tinynet" else \
        __import__("torch").tensor(v_arr, requires_grad=True)
    if lib == "tinynet":
        gs = grad(out, wanted, v, create_graph=True)
        us = [tinynet.tensor(rng.standard_normal(g.shape)) for g in gs]
        second = grad(gs, wanted + [v], us, allow_unused=True)
        first = [g.array for g in gs]
        second = [None if s is None else s.array for s in second]
    else:
        import torch
        gs = torch.autograd.grad(out, wanted, v, create_graph=True)
        us = [torch.tensor(rng.standard_normal(tuple(g.shape))) for g in gs]
        second = torch.autograd.grad(gs, wanted + [v], us, allow_unused=True)
        first = [g.detach().numpy() for g in gs]
        second = [None if s is None else s.numpy() for s in second]
    return first, second


def _assert_same(mine, theirs, shapes):
    for a, b, shape in zip(mine, theirs, shapes):
        a = np.zeros(shape) if a is None else a   # no path: zero (torch may say either)
        b = np.zeros(shape) if b is None else b
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
@pytest.mark.parametrize("input_grad", [True, False], ids=["dx", "first-layer"])
@pytest.mark.parametrize("name,xs,ws,kw", CONV_CASES, ids=[c[0] for c in CONV_CASES])
@pytest.mark.filterwarnings("ignore:Using padding='same'")
def test_conv2d_double_backward_matches_torch(name, xs, ws, kw, input_grad, bias):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(20)
    arrays = [rng.standard_normal(xs), rng.standard_normal(ws)] + \
        ([rng.standard_normal(ws[0])] if bias else [])
    needs = [input_grad] + [True] * (len(arrays) - 1)
    mine = _double_backward("tinynet", lambda *a: conv2d(*a, **kw), arrays, needs, 21)
    theirs = _double_backward("torch", lambda *a: torch.nn.functional.conv2d(*a, **kw),
                              arrays, needs, 21)
    shapes = [a.shape for a, r in zip(arrays, needs) if r]
    _assert_same(mine[0], theirs[0], shapes)
    out_shape = tuple(conv2d(*[tinynet.tensor(a) for a in arrays], **kw).shape)
    _assert_same(mine[1], theirs[1], shapes + [out_shape])


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("name,xs,k,s,p", POOL_CASES, ids=[c[0] for c in POOL_CASES])
def test_pooling_double_backward_matches_torch(kind, name, xs, k, s, p):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(22).standard_normal(xs)
    ours = {"max": max_pool2d, "avg": avg_pool2d}[kind]
    theirs = {"max": torch.nn.functional.max_pool2d, "avg": torch.nn.functional.avg_pool2d}[kind]
    stride = k if s is None else s
    mine = _double_backward("tinynet", lambda x: ours(x, k, s, p), [x], [True], 23)
    ref = _double_backward("torch", lambda x: theirs(x, k, stride, p), [x], [True], 23)
    out_shape = tuple(ours(tinynet.tensor(x), k, s, p).shape)
    _assert_same(mine[0], ref[0], [xs])
    _assert_same(mine[1], ref[1], [xs, out_shape])


def test_gradient_ops_check_their_shapes():
    g, w = _t((1, 2, 3, 3), 30), _t((2, 2, 2, 2), 31)
    wrong = r"grad_output must have the output's shape "
    with pytest.raises(ValueError, match=wrong + r"\(1, 2, 4, 4\)"):
        conv2d_input_grad(g, w, (1, 2, 5, 5))
    with pytest.raises(ValueError, match="input_shape must be"):
        conv2d_input_grad(g, w, (5, 5))
    with pytest.raises(ValueError, match=wrong + r"\(1, 2, 2, 2\)"):
        conv2d_weight_grad(_t((1, 2, 3, 3), 32), g, w.shape)
    with pytest.raises(ValueError, match="grad_output must be"):
        conv2d_bias_grad(_t((3, 3), 33))
