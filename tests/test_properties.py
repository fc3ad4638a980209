"""Property-based tests (minitorch style): random shapes, random compositions, checked
against numpy and finite differences.  Few examples each, so the file runs in seconds."""
import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import tinynet  # noqa: E402
from tinynet import gradcheck  # noqa: E402

# derandomize: the same examples every run, so a failure is reproducible and CI is stable
FAST = settings(max_examples=25, deadline=None, derandomize=True, database=None)

floats = st.floats(-3, 3, allow_nan=False, allow_infinity=False, width=64)


def _arrays(shape):
    return hnp.arrays(np.float64, shape, elements=floats)


def _leaf(a):
    return tinynet.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)


# ---------------------------------------------------------------- binary ops, broadcast pairs
@st.composite
def broadcast_pair(draw):
    """Two arrays whose shapes broadcast: drop leading dims / set sizes to 1 at random."""
    shape = draw(shapes)
    sa, sb = list(shape), list(shape)
    for s in (sa, sb):
        for i in range(len(s)):
            if draw(st.booleans()):
                s[i] = 1
    sa = sa[draw(st.integers(0, len(sa))):]
    sb = sb[draw(st.integers(0, len(sb))):]
    return draw(_arrays(tuple(sa))), draw(_arrays(tuple(sb)))


BINARY = {
    "add": (lambda a, b: a + b, np.add),
    "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply),
    # keep the denominator and the base away from 0 so the op is smooth
    "div": (lambda a, b: a / (b * b + 0.5), lambda a, b: a / (b * b + 0.5)),
    "pow": (lambda a, b: (a * a + 0.5) ** b, lambda a, b: (a * a + 0.5) ** b),
}


@FAST
@given(pair=broadcast_pair(), name=st.sampled_from(sorted(BINARY)))
def test_binary_broadcasting(pair, name):
    a, b = pair
    fn, ref = BINARY[name]
    out = fn(_leaf(a), _leaf(b))
    np.testing.assert_allclose(out.array, ref(a, b), rtol=1e-12, atol=1e-12)
    assert gradcheck(fn, [_leaf(a), _leaf(b)])


@FAST
@given(pair=broadcast_pair(), which=st.sampled_from(["maximum", "minimum"]))
def test_maximum_minimum_broadcasting(pair, which):
    a, b = pair
    b = b + 0.25  # avoid exact ties, where the one-sided derivatives differ
    out = getattr(tinynet, which)(_leaf(a), _leaf(b))
    np.testing.assert_array_equal(out.array, getattr(np, which)(a, b))
    assume_far = np.abs(np.broadcast_to(a, out.shape) - np.broadcast_to(b, out.shape)) > 1e-3
    hypothesis.assume(assume_far.all())
    assert gradcheck(getattr(tinynet, which), [_leaf(a), _leaf(b)])


# ---------------------------------------------------------------- random unary compositions
UNARY = {
    "exp": (lambda t: (t * 0.3).exp(), lambda x: np.exp(x * 0.3)),
    "log": (lambda t: (t * t + 1).log(), lambda x: np.log(x * x + 1)),
    "sqrt": (lambda t: (t * t + 1).sqrt(), lambda x: np.sqrt(x * x + 1)),
    "tanh": (tinynet.tanh, np.tanh),
    "sigmoid": (tinynet.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    "neg": (lambda t: -t, np.negative),
    "square": (lambda t: t ** 2, np.square),
    "affine": (lambda t: 0.5 * t - 1.25, lambda x: 0.5 * x - 1.25),
    "softplus": (lambda t: (t.exp() + 1).log(), lambda x: np.log(np.exp(x) + 1)),
}


@FAST
@given(x=shapes.flatmap(_arrays), names=st.lists(st.sampled_from(sorted(UNARY)),
                                                 min_size=1, max_size=5))
def test_random_unary_compositions(x, names):
    def f(t):
        for n in names:
            t = UNARY[n][0](t)
        return t

    want = x
    for n in names:
        want = UNARY[n][1](want)
    np.testing.assert_allclose(f(_leaf(x)).array, want, rtol=1e-10, atol=1e-12)
    assert gradcheck(f, [_leaf(x)])


# ---------------------------------------------------------------- reductions over random axes
@st.composite
def array_and_axes(draw):
    x = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=3).flatmap(_arrays))
    axes = draw(st.none() | st.lists(st.integers(-x.ndim, x.ndim - 1), min_size=1,
                                     max_size=x.ndim, unique_by=lambda a: a % x.ndim)
                .map(tuple))
    return x, axes, draw(st.booleans())


@FAST
@given(case=array_and_axes(), name=st.sampled_from(["sum", "mean", "amax", "amin"]))
def test_reductions_over_random_axes(case, name):
    x, axes, keepdims = case
    out = getattr(tinynet, name)(_leaf(x), axis=axes, keepdims=keepdims)
    want = getattr(np, name[1:] if name in ("amax", "amin") else name)(x, axis=axes,
                                                                       keepdims=keepdims)
    assert out.shape == np.shape(want)
    np.testing.assert_allclose(out.array, want, rtol=1e-12, atol=1e-12)
    if name in ("sum", "mean"):  # amax/amin have kinks at ties: checked in test_ops
        assert gradcheck(lambda t: getattr(tinynet, name)(t, axis=axes, keepdims=keepdims),
                         [_leaf(x)])


@FAST
@given(case=array_and_axes())
def test_var_over_random_axes(case):
    x, axes, keepdims = case
    n = x.size if axes is None else int(np.prod([x.shape[a] for a in axes]))
    hypothesis.assume(n > 1)
    out = tinynet.var(_leaf(x), axis=axes, keepdims=keepdims)
    np.testing.assert_allclose(out.array, np.var(x, axis=axes, keepdims=keepdims, ddof=1),
                               rtol=1e-10, atol=1e-12)
    assert gradcheck(lambda t: tinynet.var(t, axis=axes, keepdims=keepdims), [_leaf(x)])


# ---------------------------------------------------------------- shape round trips
@FAST
@given(x=hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4).flatmap(_arrays),
       data=st.data())
def test_permute_round_trip(x, data):
    dims = data.draw(st.permutations(range(x.ndim)))
    t = _leaf(x)
    p = t.permute(*dims)
    np.testing.assert_array_equal(p.array, x.transpose(dims))
    back = p.permute(*np.argsort(dims))
    np.testing.assert_array_equal(back.array, x)
    w = np.arange(x.size, dtype=np.float64).reshape(p.shape)
    (p * tinynet.tensor(w)).sum().backward()
    np.testing.assert_array_equal(t.grad, w.transpose(np.argsort(dims)))


@FAST
@given(x=hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4).flatmap(_arrays),
       data=st.data())
def test_reshape_round_trip(x, data):
    # a random factorisation of x.size as the new shape
    size, new = x.size, []
    while size > 1:
        f = data.draw(st.sampled_from([d for d in range(1, size + 1) if size % d == 0]))
        new.append(f)
        size //= f
    new = tuple(data.draw(st.permutations(new))) if new else ()
    t = _leaf(x)
    r = t.reshape(new)
    assert r.shape == new
    np.testing.assert_array_equal(r.reshape(x.shape).array, x)
    w = np.arange(x.size, dtype=np.float64).reshape(new)
    (r * tinynet.tensor(w)).sum().backward()
    np.testing.assert_array_equal(t.grad, w.reshape(x.shape))


# ---------------------------------------------------------------- composite networks of ops
@FAST
@given(n=st.integers(1, 3), d=st.integers(1, 4), k=st.integers(1, 3), seed=st.integers(0, 99))
def test_random_small_mlp(n, d, k, seed):
    rng = np.random.default_rng(seed)
    x, w, b = rng.standard_normal((n, d)), rng.standard_normal((d, k)), rng.standard_normal(k)

    def f(xt, wt, bt):
        return tinynet.log_softmax((xt @ wt + bt).tanh(), dim=1).sum() + (wt ** 2).mean()

    h = np.tanh(x @ w + b)
    m = h.max(1, keepdims=True)
    lse = np.log(np.exp(h - m).sum(1, keepdims=True)) + m
    want = (h - lse).sum() + (w ** 2).mean()
    np.testing.assert_allclose(f(_leaf(x), _leaf(w), _leaf(b)).item(), want, rtol=1e-10)
    assert gradcheck(f, [_leaf(x), _leaf(w), _leaf(b)])
