"""The same expressions in tinynet and PyTorch give the same values and gradients (float64, 1e-10).

Each case is ``f(lib, *xs)`` where ``lib`` is either ``tinynet`` or ``torch``; the loss is
``sum(f(...) * w)`` with fixed random weights w, so every output element's gradient is compared.
"""
import numpy as np
import pytest

import tinynet

torch = pytest.importorskip("torch")
F = torch.nn.functional

TOL = dict(rtol=1e-10, atol=1e-10)


def _rand(shape, seed, lo=-2.0, hi=2.0):
    return np.random.default_rng(seed).uniform(lo, hi, shape)


def _compare(f, *arrays, seed=0):
    """Run ``f`` in both libraries on float64 copies of ``arrays``; compare outputs and grads."""
    tn_in = [tinynet.tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    th_in = [torch.tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    tn_out, th_out = f(tinynet, *tn_in), f(torch, *th_in)
    assert tn_out.shape == tuple(th_out.shape)
    assert tn_out.dtype == np.float64
    np.testing.assert_allclose(tn_out.array, th_out.detach().numpy(), **TOL)
    w = np.random.default_rng(seed + 100).standard_normal(tn_out.shape)
    (tn_out * tinynet.tensor(w)).sum().backward()
    (th_out * torch.tensor(w)).sum().backward()
    for i, (a, b) in enumerate(zip(tn_in, th_in)):
        want = np.zeros(a.shape) if b.grad is None else b.grad.numpy()
        got = np.zeros(a.shape) if a.grad is None else a.grad
        np.testing.assert_allclose(got, want, err_msg=f"gradient of input {i}", **TOL)


# ================================================================ arithmetic + broadcasting
SHAPES = [(), (3,), (2, 3), (2, 1, 3)]
BINARY = {
    "add": lambda m, a, b: a + b,
    "sub": lambda m, a, b: a - b,
    "mul": lambda m, a, b: a * b,
    "div": lambda m, a, b: a / b,
    "pow": lambda m, a, b: a.abs() ** b,
    "maximum": lambda m, a, b: m.maximum(a, b),
    "minimum": lambda m, a, b: m.minimum(a, b),
}


@pytest.mark.parametrize("name", list(BINARY))
@pytest.mark.parametrize("sa", SHAPES, ids=str)
@pytest.mark.parametrize("sb", SHAPES, ids=str)
def test_binary(name, sa, sb):
    b = _rand(sb, 2)
    if name == "div":
        b = np.where(np.abs(b) < 0.3, 0.7, b)
    _compare(BINARY[name], _rand(sa, 1), b)


def test_scalars_and_rops():
    _compare(lambda m, x: 2.0 - x * 3 + 1 / (x.abs() + 1) - x / 4 + 2 ** x + x.abs() ** 1.5,
             _rand((2, 3), 3))
    _compare(lambda m, x: -x, _rand((4,), 4))


def test_maximum_minimum_ties():
    a = np.array([1.0, 2.0, 3.0, 3.0])
    b = np.array([1.0, 0.0, 3.0, 4.0])
    _compare(lambda m, x, y: m.maximum(x, y) * 2 + m.minimum(x, y), a, b)


@pytest.mark.parametrize("sa, sb", [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)),
                                    ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)), ((5, 2, 3), (5, 3, 4)),
                                    ((3,), (5, 3, 4)), ((5, 2, 3), (3,)),
                                    ((2, 1, 2, 3), (3, 3, 4))])
def test_matmul(sa, sb):
    _compare(lambda m, a, b: a @ b, _rand(sa, 1), _rand(sb, 2))


# ================================================================ elementwise
UNARY = {
    "exp": lambda m, x: m.exp(x),
    "log": lambda m, x: m.log(x.abs() + 0.1),
    "sqrt": lambda m, x: m.sqrt(x.abs() + 0.1),
    "abs": lambda m, x: m.abs(x),
    "tanh": lambda m, x: m.tanh(x),
    "sigmoid": lambda m, x: m.sigmoid(x),
    "relu": lambda m, x: m.relu(x),
    "clip": lambda m, x: m.clamp(x, -0.5, 0.7),
    "clip_min": lambda m, x: x.clamp(min=-0.5),
    "clip_max": lambda m, x: x.clamp(max=0.7),
}


@pytest.mark.parametrize("name", list(UNARY))
def test_unary(name):
    x = _rand((3, 4), 5)
    x[0, :3] = [0.0, -0.5, 0.7]  # kinks: relu/abs at 0, clamp bounds
    _compare(UNARY[name], x)


def test_relu_at_nan_and_infinities():
    # torch: relu(NaN) = NaN and its gradient passes through (NaN <= 0 is False)
    _compare(lambda m, x: m.relu(x), np.array([np.nan, -np.inf, -1.0, 0.0, 2.0, np.inf]))


def test_sigmoid_extremes():
    _compare(lambda m, x: m.sigmoid(x), np.array([-800.0, -30.0, 0.0, 30.0, 800.0]))


def test_tinynet_clip_is_torch_clamp():
    x = _rand((10,), 6)
    np.testing.assert_array_equal(tinynet.clip(tinynet.tensor(x), -0.3, 0.3).array,
                                  torch.clamp(torch.tensor(x), -0.3, 0.3).numpy())


# ================================================================ reductions
@pytest.mark.parametrize("dim", [None, 0, -1, (0, 2)], ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("name", ["sum", "mean"])
def test_sum_mean(name, dim, keepdim):
    if dim is None:
        f = (lambda m, x: getattr(x, name)()) if not keepdim else \
            (lambda m, x: getattr(x, name)(dim=(0, 1, 2), keepdim=True))
    else:
        f = lambda m, x: getattr(x, name)(dim=dim, keepdim=keepdim)  # noqa: E731
    _compare(f, _rand((2, 3, 4), 7))


@pytest.mark.parametrize("dim", [None, 0, 1, (0, 1)], ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("name", ["amax", "amin"])
def test_amax_amin_with_ties(name, dim, keepdim):
    # ties everywhere: amax/amin split the gradient evenly between equal values
    x = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0], [3.0, -1.0, 0.0, 3.0]])
    if name == "amin":
        x = -x

    def f(m, t):
        if m is torch:
            return getattr(torch, name)(t, dim=() if dim is None else dim, keepdim=keepdim)
        return getattr(t, name)(dim=dim, keepdim=keepdim)
    _compare(f, x)


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_all_share_ties(name):
    x = np.array([[1.0, 3.0, 3.0], [3.0, -1.0, 0.0]])
    _compare(lambda m, t: getattr(t, name)(), x if name == "max" else -x)


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_along_a_dim_give_values_and_indices(name, dim, keepdim):
    # torch: (values, indices); the gradient goes to the index of the FIRST max/min
    x = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0], [3.0, -1.0, 0.0, 3.0]])
    x = x if name == "max" else -x
    _compare(lambda m, t: getattr(t, name)(dim, keepdim).values, x)
    _compare(lambda m, t: getattr(m, name)(t, dim=dim, keepdim=keepdim)[0], x)
    got = getattr(tinynet.tensor(x), name)(dim, keepdim)
    want = getattr(torch.tensor(x), name)(dim, keepdim)
    values, indices = got
    np.testing.assert_array_equal(values.array, want.values.numpy())
    np.testing.assert_array_equal(indices.array, want.indices.numpy())
    assert indices.dtype == np.int64 and not indices.requires_grad


def test_max_along_a_dim_with_nan_and_argmax_argmin():
    x = np.array([[1.0, np.nan, 5.0], [2.0, 7.0, 7.0]])
    _compare(lambda m, t: t.max(1).values, x)
    np.testing.assert_array_equal(tinynet.tensor(x).max(1).indices.array,
                                  torch.tensor(x).max(1).indices.numpy())
    y = np.array([[1.0, 4.0, 4.0], [0.0, -2.0, 9.0]])
    for name in ("argmax", "argmin"):
        for kw in ({}, {"dim": 1}, {"dim": 0, "keepdim": True}):
            got = getattr(tinynet.tensor(y), name)(**kw)
            want = getattr(torch.tensor(y), name)(**kw)
            np.testing.assert_array_equal(got.array, want.numpy())
            assert got.shape == tuple(want.shape)


@pytest.mark.parametrize("correction", [0, 1, 2])
@pytest.mark.parametrize("dim", [None, 1, (0, 2)], ids=str)
def test_var(correction, dim):
    _compare(lambda m, x: x.var(dim=dim, correction=correction), _rand((3, 4, 2), 8))
    _compare(lambda m, x: x.var(dim=dim, correction=correction, keepdim=True),
             _rand((3, 4, 2), 9))


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp"])
def test_softmax_family(name, dim):
    x = _rand((3, 4, 5), 10, -4, 4)
    _compare(lambda m, t: getattr(m, name)(t, dim), x)
    _compare(lambda m, t: getattr(t, name)(dim=dim), x * 2500)  # logits of +-1e4
    if name == "logsumexp":
        _compare(lambda m, t: m.logsumexp(t, dim, keepdim=True), x)


# ================================================================ shape ops
def test_reshape_permute_transpose_flatten():
    x = _rand((2, 3, 4), 11)
    _compare(lambda m, t: t.reshape(4, -1).T * 2, x)
    _compare(lambda m, t: t.permute(2, 0, 1).reshape(-1, 3), x)
    _compare(lambda m, t: t.transpose(0, 2).flatten(1), x)
    _compare(lambda m, t: m.flatten(t, 0, 1), x)
    _compare(lambda m, t: t.unsqueeze(1).squeeze(), _rand((2, 1, 3), 12))
    _compare(lambda m, t: t.squeeze(1).unsqueeze(-1), _rand((2, 1, 3), 13))


def test_expand():
    _compare(lambda m, t: t.expand(4, 3, 5), _rand((3, 1), 14))
    _compare(lambda m, t: t.expand(2, -1, -1), _rand((1, 3, 2), 15))


@pytest.mark.parametrize("make_index", [
    lambda m: (slice(1, None), slice(None, None, 2)),
    lambda m: (Ellipsis, -1),
    lambda m: (None, 1, slice(0, 3)),
    lambda m: 2,
    lambda m: m.tensor([0, 0, 3, 1, 0]),                               # repeats
    lambda m: (slice(None), m.tensor([4, 4, 1])),
    lambda m: (m.tensor([0, 3, 3]), m.tensor([1, 1, 2])),              # pairs, repeated
    lambda m: m.tensor(np.array([True, False, True, True])),           # row mask
    lambda m: m.tensor(_rand((4, 5), 16) > 0),                         # full mask
], ids=["slices", "ellipsis", "none", "int", "int-array", "col-array", "pairs",
        "row-mask", "full-mask"])
def test_indexing(make_index):
    _compare(lambda m, t: t[make_index(m)], _rand((4, 5), 17))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat_stack(dim):
    a, b = _rand((2, 3), 18), _rand((2, 3), 19)
    _compare(lambda m, x, y: m.cat([x, y * 2, x], dim), a, b)
    _compare(lambda m, x, y: m.stack([x, y, x * y], dim), a, b)


@pytest.mark.parametrize("pad", [(1, 2), (0, 1, 2, 0), (1, 1, 0, 2, 1, 0)])
def test_pad_matches_F_pad(pad):
    def f(m, t):
        return F.pad(t, pad, value=0.5) if m is torch else m.pad(t, pad, value=0.5)
    _compare(f, _rand((2, 3, 4), 20))


# ================================================================ composites
def test_composite_mlp_like():
    def f(m, x, w1, b1, w2):
        h = m.tanh(x @ w1 + b1)
        z = m.relu(h) @ w2 - (h * h).mean(dim=1, keepdim=True)
        return m.log_softmax(z, dim=1).sum() / 3 + m.logsumexp(z, 0).sum() \
            + z.var(dim=0, correction=1).sqrt().sum()
    _compare(f, _rand((5, 4), 21), _rand((4, 6), 22), _rand((6,), 23), _rand((6, 3), 24))


def test_composite_shared_subexpressions():
    def f(m, x, y):
        s = m.sigmoid(x * y)
        t = m.cat([s, s.exp(), x[:, :1] ** 2], dim=1)
        u = t[t > 0.5]  # a data-dependent mask on an intermediate
        return u.sum() * (t - t.mean()).abs().max() + m.softmax(t, 1)[:, 0].sum()
    _compare(f, _rand((3, 4), 25), _rand((4,), 26))
