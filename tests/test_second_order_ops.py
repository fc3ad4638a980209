"""Second derivatives through the ops of tinynet/ops (elementwise, reductions, shape ops).

Each case is a function of float64 tensors, written once for both libraries (``m`` is
tinynet or torch).  For every case:

- ``gradgradcheck`` compares the recorded second derivatives with finite differences, for
  the op itself and for its square (``f(x)**2``: then the upstream gradient that reaches
  the op's rule depends on x, so the rule's own rule is exercised too, even for linear ops);
- against PyTorch's double backward: the first derivatives g = J^T w, the
  Hessian-vector product d(g . v)/dx and d(g . v)/dw = J v (the rule's own rule), to 1e-10.

Inputs keep away from kinks (|x|, relu, clamp bounds) where finite differences would
straddle them; ties are checked against PyTorch only.
"""
from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import tinynet as tn
from tinynet.autograd import grad, gradgradcheck
from tinynet.ops.reduce import reverse_cumsum
from tinynet.ops.shape import scatter_add


class Lib:
    """tinynet or torch, plus ``const(array)``: an index, a mask, or a constant tensor."""

    def __init__(self, mod, const):
        self.mod, self.const = mod, const

    def __getattr__(self, name):
        return getattr(self.mod, name)


TN = Lib(tn, lambda a: tn.tensor(a))


def _rand(*shape, lo=-2.0, hi=2.0, seed=0):
    return np.random.default_rng(seed + sum(shape)).uniform(lo, hi, shape)


def _away(*shape, seed=0):
    """Values with |x| in [0.3, 2]: away from the kinks at 0."""
    r = np.random.default_rng(seed + 7 * sum(shape))
    return r.uniform(0.3, 2.0, shape) * r.choice([-1.0, 1.0], shape)


def _distinct(*shape, seed=0):
    """Values at least 0.1 apart: no ties for max/min, so finite differences are smooth."""
    n = int(np.prod(shape))
    return np.random.default_rng(seed).permutation(np.arange(n) * 0.25 - n * 0.1).reshape(shape)


POS = _rand(3, 4, lo=0.5, hi=2.0)
X34 = _rand(3, 4)
Y34 = _rand(3, 4, seed=1)
X4 = _rand(4, seed=2)
IDX = np.array([[0, 2, 2], [1, 1, 0], [2, 0, 0]])
MASK = np.array([[True, False, True, False], [False, False, True, True],
                 [True, True, False, False]])

# name: (fn(m, *tensors), inputs)
CASES = {
    # elementwise
    "exp": (lambda m, x: m.exp(x), [X34]),
    "log": (lambda m, x: m.log(x), [POS]),
    "sqrt": (lambda m, x: m.sqrt(x), [POS]),
    "abs": (lambda m, x: m.abs(x) * x, [_away(3, 4)]),
    "tanh": (lambda m, x: m.tanh(x), [X34]),
    "sigmoid": (lambda m, x: m.sigmoid(x), [X34]),
    "relu": (lambda m, x: m.relu(x) * x, [_away(3, 4)]),
    "reciprocal": (lambda m, x: m.reciprocal(x), [POS]),
    "rsqrt": (lambda m, x: m.rsqrt(x), [POS]),
    "sign": (lambda m, x: m.sign(x) * x * x, [_away(3, 4)]),
    "sin": (lambda m, x: m.sin(x), [X34]),
    "cos": (lambda m, x: m.cos(x), [X34]),
    "log1p": (lambda m, x: m.log1p(x), [POS]),
    "expm1": (lambda m, x: m.expm1(x), [X34]),
    "maximum": (lambda m, x, y: m.maximum(x, y) * x, [X34, Y34]),
    "minimum": (lambda m, x, y: m.minimum(x, y) * y, [X34, Y34]),
    "maximum_broadcast": (lambda m, x, y: m.maximum(x, y) ** 2, [X34, X4]),
    "clamp": (lambda m, x: m.clamp(x, -1.0, 1.2) * x, [_away(3, 4) * 1.1]),
    "clamp_min": (lambda m, x: m.clamp(x, min=0.5) ** 3, [_away(3, 4)]),
    "where": (lambda m, x, y: m.where(m.const(MASK), x * y, y * y), [X34, Y34]),
    "where_broadcast": (lambda m, x, y: m.where(m.const(MASK), x, y) ** 3, [X34, X4]),
    "masked_fill": (lambda m, x: m.masked_fill(x * x, m.const(MASK), 0.5), [X34]),
    "masked_fill_broadcast": (lambda m, x: m.masked_fill(x.exp(), m.const(MASK), -1.0),
                              [X4]),
    # shape ops (linear: the squared variant differentiates their rules' rules)
    "reshape": (lambda m, x: x.reshape(2, 6) * x.reshape(2, 6).flip(1), [X34]),
    "flatten_unsqueeze": (lambda m, x: x.unsqueeze(1).flatten(1) * x.reshape(3, 4), [X34]),
    "permute": (lambda m, x: x.permute(2, 0, 1), [_rand(2, 3, 2)]),
    "transpose": (lambda m, x: x.transpose(0, 1) * x.T, [X34]),
    "expand": (lambda m, x: x.expand(3, 4) * x, [_rand(1, 4)]),
    "getitem_basic": (lambda m, x: x[1:, ::2] * x[0, None, 1:3], [X34]),
    "getitem_int": (lambda m, x: x[2] * x[:, 1].sum(), [X34]),
    "getitem_repeated": (lambda m, x: x[[0, 2, 0, 0]] * x[:, [3, 3, 1]].sum(), [X34]),
    "getitem_mask": (lambda m, x: x[m.const(MASK)] * x.flatten()[:6].sum(), [X34]),
    "cat": (lambda m, x, y: m.cat([x, y * x, y[:, :1]], 1), [X34, Y34]),
    "stack": (lambda m, x, y: m.stack([x, x * y], 1), [X34, Y34]),
    "pad": (lambda m, x: m.nn.functional.pad(x * x, (1, 2, 0, 1), value=0.5), [X34]),
    "flip": (lambda m, x: x.flip(0, 1) * x, [X34]),
    "narrow": (lambda m, x: x.narrow(1, 1, 2) * x.narrow(0, -2, 2).sum(), [X34]),
    "split": (lambda m, x: (lambda a, b: a * b)(*x.split([1, 3], 1)), [X34]),
    "chunk_unbind": (lambda m, x: x.chunk(2, 1)[1] * x.unbind(1)[0].unsqueeze(1), [X34]),
    "gather": (lambda m, x: x.gather(1, m.const(IDX)) * x[:, :3], [X34]),
    "index_select": (lambda m, x: x.index_select(1, m.const(np.array([3, 0, 3]))) ** 2,
                     [X34]),
    # reductions
    "sum": (lambda m, x: (x * x).sum(1), [X34]),
    "sum_all": (lambda m, x: x.exp().sum(), [X34]),
    "sum_keepdim": (lambda m, x: (x * x).sum(dim=(0, 2), keepdim=True), [_rand(2, 3, 2)]),
    "mean": (lambda m, x: (x * x).mean(0), [X34]),
    "mean_all": (lambda m, x: x.exp().mean(), [X34]),
    "var": (lambda m, x: x.var(1), [X34]),
    "var_biased_keepdim": (lambda m, x: x.var(dim=0, correction=0, keepdim=True), [X34]),
    "var_all": (lambda m, x: x.var(), [X34]),
    "std": (lambda m, x: x.std(1), [X34]),
    "std_all": (lambda m, x: x.std(correction=0), [X34]),
    "prod": (lambda m, x: x.prod(1), [X34]),
    "prod_all": (lambda m, x: x.prod(), [_rand(2, 3, lo=0.5, hi=1.5)]),
    "prod_zeros": (lambda m, x: x.prod(1, keepdim=True),  # rows with 0, 1 and 2 zeros
                   [np.array([[1.5, -2.0, 0.5, 1.2], [0.7, 0.0, 1.3, -0.8],
                              [0.0, 1.1, 0.0, 0.9]])]),
    "prod_all_zero": (lambda m, x: x.prod(), [np.array([[1.5, -2.0, 0.0], [0.7, 1.1, 0.9]])]),
    "max": (lambda m, x: x.max() * x, [_distinct(3, 4)]),
    "max_dim": (lambda m, x: x.max(1).values * x[:, 0], [_distinct(3, 4)]),
    "max_dim_keepdim": (lambda m, x: x.max(0, keepdim=True)[0] ** 2, [_distinct(3, 4)]),
    "min": (lambda m, x: x.min() * x, [_distinct(3, 4)]),
    "min_dim": (lambda m, x: x.min(1)[0] * x[:, 1], [_distinct(3, 4)]),
    "amax": (lambda m, x: x.amax(dim=(0, 2)) * x[0, :, 0], [_distinct(2, 3, 2)]),
    "amin": (lambda m, x: x.amin(1) ** 3, [_distinct(3, 4)]),
    "logsumexp": (lambda m, x: x.logsumexp(1), [X34]),
    "logsumexp_keepdim": (lambda m, x: x.logsumexp(0, keepdim=True), [X34]),
    "softmax": (lambda m, x: x.softmax(1), [X34]),
    "softmax_dim0": (lambda m, x: x.softmax(0), [X34]),
    "log_softmax": (lambda m, x: x.log_softmax(1), [X34]),
    "log_softmax_dim0": (lambda m, x: x.log_softmax(0), [X34]),
    "cumsum": (lambda m, x: x.cumsum(1) * x, [X34]),
    "cumsum_dim0": (lambda m, x: x.cumsum(0) ** 2, [X34]),
    "zero_dim": (lambda m, x: (x * x).sum().cumsum(0).logsumexp(0) * x.sum().softmax(0),
                 [X34]),
}

# Where finite differences cannot go: ties (max and min share the gradient equally among
# them, as PyTorch); checked against PyTorch's double backward only.
TIES = np.array([[1.0, 2.0, 2.0, -1.0], [0.5, 0.5, 0.5, 0.0], [2.0, -3.0, 1.0, 2.0]])
TORCH_ONLY = {
    "max_ties": (lambda m, x: x.max() * x, [TIES]),
    "amax_ties": (lambda m, x: x.amax(1) * x[:, 0], [TIES]),
    "amin_ties": (lambda m, x: x.amin(0) ** 2, [TIES]),
    "maximum_ties": (lambda m, x, y: m.maximum(x, y) * x, [TIES, TIES[::-1].copy()]),
    "minimum_ties": (lambda m, x, y: m.minimum(x, y) * y, [TIES, np.full((3, 4), 0.5)]),
}


def _tensors(lib, arrays, requires_grad=True):
    if lib is TN:
        return [tn.tensor(a, dtype=tn.float64, requires_grad=requires_grad) for a in arrays]
    import torch
    return [torch.tensor(a, dtype=torch.float64, requires_grad=requires_grad) for a in arrays]


@pytest.mark.parametrize("name", list(CASES))
def test_gradgradcheck(name):
    fn, arrays = CASES[name]
    assert gradgradcheck(lambda *xs: fn(TN, *xs), _tensors(TN, arrays))


@pytest.mark.parametrize("name", list(CASES))
def test_gradgradcheck_squared(name):
    """f(x)**2: the upstream gradient reaching the op's rule depends on x."""
    fn, arrays = CASES[name]
    assert gradgradcheck(lambda *xs: fn(TN, *xs) ** 2, _tensors(TN, arrays))


def _double_backward(lib, fn, arrays, mod):
    """g = J^T w, then d(g . v)/dx and d(g . v)/dw, as numpy arrays (zeros where unused)."""
    xs = _tensors(lib, arrays)
    out = fn(lib, *xs)
    rng = np.random.default_rng(3)
    w_np = rng.standard_normal(tuple(out.shape))
    vs_np = [rng.standard_normal(a.shape) for a in arrays]
    (w,) = _tensors(lib, [w_np])
    gs = mod.autograd.grad(out, xs, w, create_graph=True)
    s = sum((g * v).sum() for g, v in zip(gs, _tensors(lib, vs_np, requires_grad=False)))
    hs = mod.autograd.grad(s, xs + [w], allow_unused=True)
    z = [np.zeros(t.shape) if h is None else np.asarray(h.detach()) for t, h in
         zip(xs + [w], hs)]
    return [np.asarray(g.detach()) for g in gs], z


@pytest.mark.parametrize("name", list(CASES) + list(TORCH_ONLY))
def test_matches_torch_double_backward(name):
    torch = pytest.importorskip("torch")
    fn, arrays = CASES.get(name) or TORCH_ONLY[name]
    th = Lib(torch, torch.from_numpy)
    got_g, got_h = _double_backward(TN, fn, arrays, tn)
    want_g, want_h = _double_backward(th, fn, arrays, torch)
    for a, b in zip(got_g, want_g):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)
    for a, b in zip(got_h, want_h):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", list(CASES))
def test_rules_hold_no_reference_cycles(name):
    """A rule keeps its inputs (or arrays), never its own output Tensor: the output and the
    recorded gradients are freed by reference counting alone, with the collector off."""
    fn, arrays = CASES[name]
    gc.collect()
    gc.disable()
    try:
        xs = _tensors(TN, arrays)
        out = fn(TN, *xs)
        gs = tn.autograd.grad(out, xs, tn.ones(*out.shape, dtype=tn.float64),
                              create_graph=True)
        refs = [weakref.ref(out)] + [weakref.ref(g) for g in gs]
        del out, gs
        assert [r() for r in refs] == [None] * len(refs)
    finally:
        gc.enable()


def test_cast_is_differentiable_twice():
    x = tn.tensor([0.5, -1.5, 2.0], dtype=tn.float64, requires_grad=True)
    y = x.float()                                       # float32 inside
    (g,) = grad((y ** 3).sum(), x, create_graph=True)   # 3 x^2, cast back to float64
    (h,) = grad(g.sum(), x)                             # 6 x
    assert g.dtype == np.float64 and h.dtype == np.float64
    np.testing.assert_allclose(g.array, 3 * x.array ** 2, rtol=1e-6)
    np.testing.assert_allclose(h.array, 6 * x.array, rtol=1e-6)
    assert gradgradcheck(lambda x: x.clone() ** 3, [x])


def test_scatter_add_adds_repeats_and_its_gradient_picks_back():
    src = tn.tensor([1.0, 2.0, 3.0, 4.0], dtype=tn.float64, requires_grad=True)
    idx = np.array([0, 2, 2, 4])
    out = scatter_add(src, (5,), idx)
    np.testing.assert_array_equal(out.array, [1.0, 0.0, 5.0, 0.0, 4.0])
    g = tn.tensor([10.0, 20.0, 30.0, 40.0, 50.0], dtype=tn.float64)
    (gs,) = grad(out, src, g)
    np.testing.assert_array_equal(gs.array, [10.0, 30.0, 30.0, 50.0])  # g[idx]
    assert gradgradcheck(lambda s: scatter_add(s * s, (5,), idx), [src])
    assert gradgradcheck(lambda s: scatter_add(s * s, (2, 3), (slice(None), 1), unique=True),
                         [src[:2]])


def test_reverse_cumsum_is_cumsum_from_the_end():
    x = tn.tensor(X34, dtype=tn.float64, requires_grad=True)
    out = reverse_cumsum(x, 1)
    np.testing.assert_allclose(out.array, np.flip(np.flip(X34, 1).cumsum(1), 1))
    assert gradgradcheck(lambda x: reverse_cumsum(x * x, 0), [x])
