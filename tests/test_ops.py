"""Every op: forward values against numpy, gradients against finite differences
(``tinynet.gradcheck``), broadcasting of the binary ops, and the errors users can cause."""
import itertools

import numpy as np
import pytest

import tinynet
from tinynet import Tensor, gradcheck


def _rand(shape, seed=0, lo=-2.0, hi=2.0):
    return np.random.default_rng(seed).uniform(lo, hi, shape)


def _away_from(shape, seed, points=(0.0,), gap=0.1, lo=-2.0, hi=2.0):
    """Random float64 values at least ``gap`` from each of ``points`` (kinks of the op)."""
    a = _rand(shape, seed, lo, hi)
    for p in points:
        close = np.abs(a - p) < gap
        a = np.where(close, p + np.where(a >= p, gap, -gap) * 2, a)
    return a


def _leaf(a):
    return tinynet.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


# ================================================================ binary arithmetic
SHAPES = [(), (3,), (2, 3), (2, 1, 3)]
PAIRS = list(itertools.product(SHAPES, SHAPES))

# (name, tinynet expression, numpy expression, input generators)
BINARY = {
    "add": (lambda a, b: a + b, np.add, None),
    "sub": (lambda a, b: a - b, np.subtract, None),
    "mul": (lambda a, b: a * b, np.multiply, None),
    "div": (lambda a, b: a / b, np.divide, "b_nonzero"),
    "pow": (lambda a, b: a ** b, np.power, "a_positive"),
    "maximum": (tinynet.maximum, np.maximum, None),
    "minimum": (tinynet.minimum, np.minimum, None),
}


def _binary_inputs(kind, sa, sb, seed):
    a, b = _rand(sa, seed), _rand(sb, seed + 1)
    if kind == "b_nonzero":
        b = _away_from(sb, seed + 1, gap=0.5)
    if kind == "a_positive":
        a = _rand(sa, seed, 0.5, 2.0)
    return a, b


@pytest.mark.parametrize("name", list(BINARY))
@pytest.mark.parametrize("sa, sb", PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_binary_broadcast_values_and_grads(name, sa, sb):
    fn, ref, kind = BINARY[name]
    a, b = _binary_inputs(kind, sa, sb, seed=len(sa) * 7 + len(sb))
    out = fn(_leaf(a), _leaf(b))
    want = ref(a, b)
    assert out.shape == np.shape(want)
    np.testing.assert_allclose(out.array, want, rtol=1e-12)
    assert gradcheck(fn, [_leaf(a), _leaf(b)])


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow"])
def test_binary_with_python_scalar_on_either_side(name):
    fn, ref, _ = BINARY[name]
    x = _rand((2, 3), 3, 0.5, 2.0)
    np.testing.assert_allclose(fn(_leaf(x), 1.5).array, ref(x, 1.5), rtol=1e-12)
    np.testing.assert_allclose(fn(1.5, _leaf(x)).array, ref(1.5, x), rtol=1e-12)
    assert gradcheck(lambda t: fn(t, 1.5), [_leaf(x)])
    assert gradcheck(lambda t: fn(1.5, t), [_leaf(x)])


def test_only_one_side_requires_grad():
    a, b = _leaf(_rand((2, 3), 1, 0.5, 2.0)), tinynet.tensor(_rand((3,), 2))
    for fn, *_ in BINARY.values():
        assert gradcheck(lambda x: fn(x, b), [a])
        b.grad = None
    (a * b).sum().backward()
    assert b.grad is None


def test_neg():
    x = _rand((2, 3), 4)
    np.testing.assert_array_equal((-_leaf(x)).array, -x)
    assert gradcheck(lambda t: -t, [_leaf(x)])


def test_pow_gradient_wrt_exponent_at_zero_base():
    # d/db 0^b = 0^b ln 0 -> 0 for b > 0 (PyTorch's convention), not nan
    a = tinynet.tensor([0.0, 2.0], dtype=np.float64)
    b = _leaf([2.0, 3.0])
    (a ** b).sum().backward()
    np.testing.assert_allclose(b.grad, [0.0, 8.0 * np.log(2.0)])


@pytest.mark.parametrize("fn", [tinynet.maximum, tinynet.minimum])
def test_maximum_minimum_ties_split_gradient(fn):
    x = _leaf([1.0, 2.0, 3.0])
    y = _leaf([1.0, 0.0, 5.0])
    fn(x, y).sum().backward()
    if fn is tinynet.maximum:
        np.testing.assert_array_equal(x.grad, [0.5, 1.0, 0.0])
        np.testing.assert_array_equal(y.grad, [0.5, 0.0, 1.0])
    else:
        np.testing.assert_array_equal(x.grad, [0.5, 0.0, 1.0])
        np.testing.assert_array_equal(y.grad, [0.5, 1.0, 0.0])


def test_maximum_with_scalar_is_a_method_too():
    x = _rand((4,), 5)
    np.testing.assert_array_equal(_leaf(x).maximum(0.0).array, np.maximum(x, 0.0))
    np.testing.assert_array_equal(_leaf(x).minimum(0.0).array, np.minimum(x, 0.0))


# ================================================================ matmul
MATMUL = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
          ((2, 2, 3), (3, 4)), ((3,), (2, 3, 4)), ((2, 2, 3), (3,)),
          ((2, 1, 2, 3), (3, 3, 4)), ((2, 3), (2, 3, 1))]


@pytest.mark.parametrize("sa, sb", MATMUL, ids=[f"{a}@{b}" for a, b in MATMUL])
def test_matmul(sa, sb):
    a, b = _rand(sa, 1), _rand(sb, 2)
    out = _leaf(a) @ _leaf(b)
    assert out.shape == (a @ b).shape
    np.testing.assert_allclose(out.array, a @ b, rtol=1e-12)
    assert gradcheck(lambda x, y: x @ y, [_leaf(a), _leaf(b)])


def test_matmul_with_numpy_array_on_either_side():
    a, m = _rand((2, 3), 1), _rand((3, 4), 2)
    np.testing.assert_allclose((_leaf(a) @ m).array, a @ m)
    np.testing.assert_allclose((a.T @ _leaf(a)).array, a.T @ a)
    assert gradcheck(lambda x: x @ m, [_leaf(a)])
    assert gradcheck(lambda x: m.T @ x.T, [_leaf(a)])


@pytest.mark.parametrize("sa, sb", [((), (3,)), ((3,), ()), ((2, 3), (4, 2)), ((3,), (4,))])
def test_matmul_bad_shapes(sa, sb):
    with pytest.raises(ValueError, match="matmul"):
        _leaf(np.ones(sa)) @ _leaf(np.ones(sb))


# ================================================================ elementwise unary
UNARY = {
    "exp": (tinynet.exp, np.exp, dict()),
    "log": (tinynet.log, np.log, dict(lo=0.1, hi=3.0)),
    "sqrt": (tinynet.sqrt, np.sqrt, dict(lo=0.1, hi=3.0)),
    "abs": (tinynet.abs, np.abs, dict(kinks=(0.0,))),
    "tanh": (tinynet.tanh, np.tanh, dict()),
    "sigmoid": (tinynet.sigmoid, lambda x: 1 / (1 + np.exp(-x)), dict()),
    "relu": (tinynet.relu, lambda x: np.maximum(x, 0), dict(kinks=(0.0,))),
    "clip": (lambda x: tinynet.clip(x, -0.5, 1.0), lambda x: np.clip(x, -0.5, 1.0),
             dict(kinks=(-0.5, 1.0))),
    "clip_min": (lambda x: tinynet.clip(x, min=-0.5), lambda x: np.maximum(x, -0.5),
                 dict(kinks=(-0.5,))),
    "clip_max": (lambda x: tinynet.clamp(x, max=0.3), lambda x: np.minimum(x, 0.3),
                 dict(kinks=(0.3,))),
}


def _unary_input(spec, shape=(2, 3), seed=0):
    if "kinks" in spec:
        return _away_from(shape, seed, spec["kinks"])
    return _rand(shape, seed, spec.get("lo", -2.0), spec.get("hi", 2.0))


@pytest.mark.parametrize("name", list(UNARY))
@pytest.mark.parametrize("shape", [(), (5,), (2, 3)])
def test_unary_values_and_grads(name, shape):
    fn, ref, spec = UNARY[name]
    x = _unary_input(spec, shape)
    out = fn(_leaf(x))
    assert out.shape == shape and isinstance(out.array, np.ndarray)
    np.testing.assert_allclose(out.array, ref(x), rtol=1e-12, atol=1e-15)
    assert gradcheck(fn, [_leaf(x)])


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu", "clip"])
def test_unary_method_matches_function(name):
    fn = getattr(tinynet, name)
    x = _leaf(_rand((4,), 1, 0.1, 2.0))
    args = (0.2, 1.0) if name == "clip" else ()
    np.testing.assert_array_equal(getattr(x, name)(*args).array, fn(x, *args).array)


def test_builtin_abs_and_clamp_method():
    x = _rand((4,), 2)
    np.testing.assert_array_equal(abs(_leaf(x)).array, np.abs(x))
    np.testing.assert_array_equal(_leaf(x).clamp(-0.1, 0.1).array, np.clip(x, -0.1, 0.1))


def test_sigmoid_is_stable_for_large_inputs():
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = tinynet.sigmoid(_leaf(x)).array
    np.testing.assert_allclose(s, [0.0, np.exp(-50.0), 0.5, 1.0, 1.0], rtol=1e-12, atol=0)


def test_relu_abs_gradient_at_zero_is_zero():
    x = _leaf([0.0, 0.0])
    (tinynet.relu(x) + tinynet.abs(x)).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])


def test_clip_gradient_passes_at_the_bounds():
    x = _leaf([-1.0, -0.5, 0.0, 1.0, 2.0])
    tinynet.clip(x, -0.5, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 1.0, 1.0, 0.0])


def test_clip_needs_a_bound():
    with pytest.raises(ValueError, match="min and max"):
        tinynet.clip(_leaf([1.0]))


def test_unary_keeps_float32():
    x = tinynet.tensor([0.5, 1.5], requires_grad=True)
    for name, (fn, _, _) in UNARY.items():
        assert fn(x).dtype == np.float32, name


# ================================================================ reductions
AXES = [None, 0, -1, 1, (0, 2), (-1, 0, 1)]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("name", ["sum", "mean", "amax", "amin", "var"])
def test_reductions(name, axis, keepdims):
    x = _rand((2, 3, 4), 7)
    fn = getattr(tinynet, name)
    ref = {"sum": np.sum, "mean": np.mean, "amax": np.max, "amin": np.min,
           "var": lambda a, axis, keepdims: np.var(a, axis=axis, keepdims=keepdims, ddof=1)}[name]
    out = fn(_leaf(x), axis=axis, keepdims=keepdims)
    want = ref(x, axis=axis, keepdims=keepdims)
    assert out.shape == np.shape(want)
    np.testing.assert_allclose(out.array, want, rtol=1e-12)
    assert gradcheck(lambda t: fn(t, axis=axis, keepdims=keepdims), [_leaf(x)])
    # PyTorch spelling: dim= / keepdim= and the method
    np.testing.assert_array_equal(getattr(_leaf(x), name)(dim=axis, keepdim=keepdims).array,
                                  out.array)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "amax", "amin", "var"])
def test_reductions_of_0d(name):
    x = tinynet.tensor(np.array(2.0), requires_grad=True)
    out = getattr(tinynet, name)(x, correction=0) if name == "var" else getattr(tinynet, name)(x)
    assert out.shape == ()
    out.backward()
    assert x.grad.shape == ()


def test_sum_of_int_tensor():
    s = tinynet.sum(tinynet.tensor([[1, 2], [3, 4]]), axis=0)
    assert s.dtype == np.int64
    np.testing.assert_array_equal(s.array, [4, 6])


@pytest.mark.parametrize("correction", [0, 1, 2])
def test_var_correction(correction):
    x = _rand((3, 5), 3)
    out = tinynet.var(_leaf(x), axis=1, correction=correction)
    np.testing.assert_allclose(out.array, np.var(x, axis=1, ddof=correction), rtol=1e-12)
    assert gradcheck(lambda t: tinynet.var(t, axis=1, correction=correction), [_leaf(x)])
    unbiased = tinynet.var(_leaf(x), unbiased=False).array
    np.testing.assert_allclose(unbiased, np.var(x), rtol=1e-12)


def test_var_of_too_few_elements_is_nan_not_an_exception():
    x = _leaf([3.0])
    v = tinynet.var(x)  # n - correction = 0
    assert np.isnan(v.item())
    v.backward()
    assert np.isnan(x.grad.array).all()


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_ties_share_the_gradient(name):
    x = _leaf([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]] if name == "max" else
              [[1.0, 1.0, 3.0], [2.0, 2.0, 2.0]])
    getattr(tinynet, "a" + name)(x, axis=1).sum().backward()
    want = [[0, 0.5, 0.5], [1 / 3] * 3] if name == "max" else [[0.5, 0.5, 0], [1 / 3] * 3]
    np.testing.assert_allclose(x.grad, want)
    x.grad = None
    getattr(tinynet, name)(x).backward()  # over all: ties across the whole tensor
    assert np.isclose(x.grad.sum(), 1.0)
    x.grad = None  # along a dim (torch's values, indices): all to the first max/min
    values, indices = getattr(tinynet, name)(x, 1)
    values.sum().backward()
    first = [[0, 1, 0], [1, 0, 0]] if name == "max" else [[1, 0, 0], [1, 0, 0]]
    np.testing.assert_array_equal(x.grad, first)
    np.testing.assert_array_equal(indices.array, np.argmax(first, axis=1))


def test_reduction_errors():
    x = _leaf(np.ones((2, 3)))
    with pytest.raises(ValueError, match="out of range"):
        tinynet.sum(x, axis=2)
    with pytest.raises(ValueError, match="repeated"):
        tinynet.sum(x, axis=(0, -2))
    with pytest.raises(TypeError, match="axis"):
        tinynet.sum(x, axis=1.0)
    with pytest.raises(TypeError, match="either axis= or dim="):
        tinynet.mean(x, axis=0, dim=0)
    with pytest.raises(TypeError, match="floating-point"):
        tinynet.mean(tinynet.tensor([1, 2]))
    with pytest.raises(TypeError, match="floating-point"):
        tinynet.var(tinynet.tensor([1, 2]))
    with pytest.raises(ValueError, match="empty"):
        tinynet.max(tinynet.zeros(0))


# ================================================================ softmax family
def _np_logsumexp(x, axis, keepdims=False):
    m = x.max(axis=axis, keepdims=True)
    out = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_family(dim):
    x = _rand((3, 4, 2), 11, -3, 3)
    lse = _np_logsumexp(x, dim)
    sm = np.exp(x - _np_logsumexp(x, dim, keepdims=True))
    np.testing.assert_allclose(tinynet.logsumexp(_leaf(x), dim).array, lse, rtol=1e-12)
    np.testing.assert_allclose(tinynet.logsumexp(_leaf(x), dim, keepdim=True).array,
                               np.expand_dims(lse, dim), rtol=1e-12)
    np.testing.assert_allclose(tinynet.softmax(_leaf(x), dim=dim).array, sm, rtol=1e-12)
    np.testing.assert_allclose(tinynet.log_softmax(_leaf(x), dim=dim).array, np.log(sm),
                               rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(tinynet.softmax(_leaf(x), dim=dim).array.sum(axis=dim), 1.0)
    for fn in (lambda t: tinynet.logsumexp(t, dim), lambda t: tinynet.logsumexp(t, dim, True),
               lambda t: tinynet.softmax(t, dim), lambda t: tinynet.log_softmax(t, axis=dim)):
        assert gradcheck(fn, [_leaf(x)])


def test_softmax_methods():
    x = _leaf(_rand((2, 3), 1))
    np.testing.assert_array_equal(x.softmax(-1).array, tinynet.softmax(x, dim=-1).array)
    np.testing.assert_array_equal(x.log_softmax(dim=0).array, tinynet.log_softmax(x, 0).array)
    np.testing.assert_array_equal(x.logsumexp(1).array, tinynet.logsumexp(x, dim=1).array)


def test_logsumexp_of_all_minus_inf_row():
    x = tinynet.tensor(np.array([[-np.inf, -np.inf], [0.0, 0.0]]))
    np.testing.assert_array_equal(tinynet.logsumexp(x, 1).array, [-np.inf, np.log(2.0)])


@pytest.mark.parametrize("fn", [tinynet.softmax, tinynet.log_softmax, tinynet.logsumexp])
def test_softmax_family_needs_one_dim(fn):
    x = _leaf(np.ones((2, 3)))
    with pytest.raises(TypeError, match="dim"):
        fn(x)
    with pytest.raises(ValueError, match="single int"):
        fn(x, (0, 1))
    with pytest.raises(ValueError, match="out of range"):
        fn(x, 2)


# ================================================================ shape ops
def test_reshape_and_view():
    x = _rand((2, 3, 4), 1)
    for shape in [(6, 4), (-1,), (4, -1, 2), (24,)]:
        out = tinynet.reshape(_leaf(x), shape)
        np.testing.assert_array_equal(out.array, x.reshape(shape))
        assert gradcheck(lambda t: t.reshape(*shape), [_leaf(x)])
    np.testing.assert_array_equal(_leaf(x).view(4, 6).array, x.reshape(4, 6))
    with pytest.raises(ValueError, match=r"reshape.*\(2, 3, 4\).*\(5, 5\)"):
        _leaf(x).reshape(5, 5)


@pytest.mark.parametrize("dims", [(0, 1, 2), (2, 0, 1), (1, 2, 0), (-1, 0, 1)])
def test_permute(dims):
    x = _rand((2, 3, 4), 2)
    np.testing.assert_array_equal(_leaf(x).permute(*dims).array, x.transpose(dims))
    np.testing.assert_array_equal(tinynet.permute(_leaf(x), dims).array, x.transpose(dims))
    assert gradcheck(lambda t: t.permute(dims) * _leaf(np.arange(24.0).reshape(
        x.transpose(dims).shape)), [_leaf(x)])


def test_permute_errors():
    x = _leaf(np.ones((2, 3)))
    with pytest.raises(ValueError, match="permutation"):
        x.permute(0, 0)
    with pytest.raises(ValueError, match="permutation"):
        x.permute(0)
    with pytest.raises(ValueError, match="out of range"):
        x.permute(0, 2)


def test_transpose_and_T():
    x = _rand((2, 3, 4), 3)
    np.testing.assert_array_equal(_leaf(x).transpose(0, 2).array, np.swapaxes(x, 0, 2))
    np.testing.assert_array_equal(tinynet.transpose(_leaf(x), -1, 1).array, np.swapaxes(x, 2, 1))
    np.testing.assert_array_equal(_leaf(x).T.array, x.T)
    w = Tensor(_rand((4, 3, 2), 4))  # random weights: a transposition bug shows up
    assert gradcheck(lambda t: t.transpose(0, 2) * w, [_leaf(x)])
    assert gradcheck(lambda t: t.T * w, [_leaf(x)])


@pytest.mark.parametrize("start, end, shape", [(0, -1, (24,)), (1, -1, (2, 12)),
                                               (0, 1, (6, 4)), (1, 1, (2, 3, 4))])
def test_flatten(start, end, shape):
    x = _rand((2, 3, 4), 5)
    out = _leaf(x).flatten(start, end)
    np.testing.assert_array_equal(out.array, x.reshape(shape))
    assert gradcheck(lambda t: tinynet.flatten(t, start, end), [_leaf(x)])


def test_flatten_edge_cases():
    assert tinynet.flatten(_leaf(2.0)).shape == (1,)
    with pytest.raises(ValueError, match="start_dim"):
        _leaf(np.ones((2, 3))).flatten(1, 0)


def test_squeeze_unsqueeze():
    x = _rand((2, 1, 3, 1), 6)
    assert _leaf(x).squeeze().shape == (2, 3)
    assert _leaf(x).squeeze(1).shape == (2, 3, 1)
    assert _leaf(x).squeeze(-1).shape == (2, 1, 3)
    assert _leaf(x).squeeze(0).shape == (2, 1, 3, 1)  # not size 1: left alone, as torch
    assert tinynet.unsqueeze(_leaf(x), 0).shape == (1, 2, 1, 3, 1)
    assert _leaf(x).unsqueeze(-1).shape == (2, 1, 3, 1, 1)
    assert _leaf(x).unsqueeze(4).shape == (2, 1, 3, 1, 1)
    np.testing.assert_array_equal(_leaf(x).squeeze().array, x.squeeze())
    assert gradcheck(lambda t: t.squeeze() * 2, [_leaf(x)])
    assert gradcheck(lambda t: t.unsqueeze(2) * 2, [_leaf(x)])
    with pytest.raises(ValueError, match="unsqueeze"):
        _leaf(x).unsqueeze(5)
    with pytest.raises(ValueError, match="squeeze"):
        _leaf(x).squeeze(4)


def test_expand():
    x = _rand((3, 1), 7)
    out = _leaf(x).expand(2, 3, 4)
    np.testing.assert_array_equal(out.array, np.broadcast_to(x, (2, 3, 4)))
    assert _leaf(x).expand(-1, 5).shape == (3, 5)
    assert tinynet.expand(_leaf(x), (2, -1, 2)).shape == (2, 3, 2)
    w = _rand((2, 3, 4), 8)
    assert gradcheck(lambda t: t.expand(2, 3, 4) * Tensor(w), [_leaf(x)])
    with pytest.raises(ValueError, match="expand"):
        _leaf(x).expand(4, 4)
    with pytest.raises(ValueError, match="fewer dims"):
        _leaf(x).expand(3)


INDICES = [
    0, -1, slice(1, None), slice(None, None, -1), (slice(None), 1), (1, 2),
    (Ellipsis, 0), (None, 0), (slice(0, 2), slice(1, 3)),
    [0, 0, 2], np.array([2, 0, 2, 2]), (slice(None), [3, 3, 0]), ([0, 1, 1], [2, 2, 2]),
    "mask_rows", "mask_full",
]


def _idx(spec, x):
    if isinstance(spec, str) and spec == "mask_rows":
        return x[:, 0] > 0
    if isinstance(spec, str) and spec == "mask_full":
        return x > 0.3
    return spec


@pytest.mark.parametrize("spec", INDICES, ids=[str(i) for i in range(len(INDICES))])
def test_getitem(spec):
    x = _rand((3, 4), 9)
    idx = _idx(spec, x)
    out = _leaf(x)[idx]
    np.testing.assert_array_equal(out.array, x[idx])
    assert isinstance(out.array, np.ndarray)
    assert gradcheck(lambda t: t[idx], [_leaf(x)])


def test_getitem_repeated_indices_add_up():
    x = _leaf(np.arange(4.0))
    x[tinynet.tensor([1, 1, 1, 3])].sum().backward()
    np.testing.assert_array_equal(x.grad, [0, 3, 0, 1])


def test_getitem_with_tensor_indices():
    x = _rand((3, 4), 10)
    mask = tinynet.tensor(x > 0)
    rows = tinynet.tensor([2, 0])
    np.testing.assert_array_equal(_leaf(x)[mask].array, x[x > 0])
    np.testing.assert_array_equal(_leaf(x)[rows, 1:].array, x[[2, 0], 1:])


def test_getitem_out_of_range():
    with pytest.raises(IndexError, match=r"shape \(3,\)"):
        _leaf(np.ones(3))[3]


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat(dim):
    shapes = [(2, 3), (2, 3), (2, 3)]
    shapes = [tuple(n + k if i == dim % 2 else n for i, n in enumerate(s))
              for k, s in enumerate(shapes)]
    arrs = [_rand(s, k) for k, s in enumerate(shapes)]
    out = tinynet.cat([_leaf(a) for a in arrs], dim=dim)
    np.testing.assert_array_equal(out.array, np.concatenate(arrs, axis=dim))
    assert gradcheck(lambda *ts: tinynet.cat(ts, dim), [_leaf(a) for a in arrs])


def test_cat_with_constants_and_errors():
    a = _leaf(np.ones((2, 2)))
    c = tinynet.tensor(np.zeros((1, 2)))
    out = tinynet.cat([a, c, np.full((1, 2), 5.0)])
    np.testing.assert_array_equal(out.array, [[1, 1], [1, 1], [0, 0], [5, 5]])
    out.sum().backward()
    np.testing.assert_array_equal(a.grad, np.ones((2, 2)))
    assert c.grad is None
    with pytest.raises(ValueError, match="non-empty"):
        tinynet.cat([])
    with pytest.raises(ValueError, match="differ outside dim"):
        tinynet.cat([a, _leaf(np.ones((2, 3)))], dim=0)
    with pytest.raises(ValueError, match="differ outside dim"):
        tinynet.cat([a, _leaf(np.ones(2))])


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_stack(dim):
    arrs = [_rand((2, 3), k) for k in range(3)]
    out = tinynet.stack([_leaf(a) for a in arrs], dim=dim)
    np.testing.assert_array_equal(out.array, np.stack(arrs, axis=dim))
    assert gradcheck(lambda *ts: tinynet.stack(ts, dim), [_leaf(a) for a in arrs])


def test_stack_errors():
    with pytest.raises(ValueError, match="non-empty"):
        tinynet.stack([])
    with pytest.raises(ValueError, match="same shape"):
        tinynet.stack([_leaf(np.ones(2)), _leaf(np.ones(3))])
    with pytest.raises(ValueError, match="out of range"):
        tinynet.stack([_leaf(np.ones(2))], dim=2)


@pytest.mark.parametrize("pad, widths", [
    ((1, 2), [(0, 0), (0, 0), (1, 2)]),
    ((0, 1, 2, 0), [(0, 0), (2, 0), (0, 1)]),
    ((1, 1, 0, 0, 1, 0), [(1, 0), (0, 0), (1, 1)]),
])
def test_pad(pad, widths):
    x = _rand((2, 3, 2), 12)
    out = tinynet.pad(_leaf(x), pad, value=-1.5)
    np.testing.assert_array_equal(out.array, np.pad(x, widths, constant_values=-1.5))
    assert gradcheck(lambda t: tinynet.pad(t, pad), [_leaf(x)])


def test_pad_errors():
    x = _leaf(np.ones((2, 2)))
    with pytest.raises(ValueError, match="even number"):
        tinynet.pad(x, (1,))
    with pytest.raises(ValueError, match="even number"):
        tinynet.pad(x, (1, 1, 1, 1, 1, 1))
    with pytest.raises(ValueError, match="non-negative"):
        tinynet.pad(x, (-1, 0))
    with pytest.raises(ValueError, match="mode"):
        tinynet.pad(x, (1, 1), mode="reflect")


# ================================================================ a composite
def test_composite_expression():
    a, b = _rand((3, 4), 1), _rand((4,), 2)

    def f(x, y):
        h = tinynet.tanh(x * y + 1) @ y.unsqueeze(1)          # (3, 1)
        z = tinynet.cat([h, x[:, :2].exp()], dim=1)            # (3, 3)
        return tinynet.log_softmax(z, dim=1).mean() + (y ** 2).sum().sqrt()

    assert gradcheck(f, [_leaf(a), _leaf(b)])
    h = np.tanh(a * b + 1) @ b[:, None]
    z = np.concatenate([h, np.exp(a[:, :2])], axis=1)
    want = (z - _np_logsumexp(z, 1, keepdims=True)).mean() + np.sqrt((b ** 2).sum())
    np.testing.assert_allclose(f(_leaf(a), _leaf(b)).item(), want, rtol=1e-12)
