"""The tape: replay order, buffer release, accumulation, grad mode, the version counter,
backward's errors, dtype rules through ops, numpy interop, and seeded randomness."""
import gc
import sys
import weakref

import numpy as np
import pytest

import tinynet
from tinynet import Tensor
from tinynet.ops._arrays import numpy_rule
from tinynet.tensor import record


def _leaf(a, dtype=np.float64):
    return tinynet.tensor(np.asarray(a, dtype=dtype), requires_grad=True)


# ================================================================ long chains
def test_100k_op_chain_no_recursion_limit_and_right_gradient():
    limit = sys.getrecursionlimit()
    x = _leaf(0.5)
    y = x
    n = 100_000
    for i in range(n):  # alternate ops so both rules are exercised: y = (y * c) + 1e-6
        y = y * 1.00001 if i % 2 == 0 else y + 1e-6
    y.backward()
    assert sys.getrecursionlimit() == limit < n
    np.testing.assert_allclose(x.grad, 1.00001 ** (n // 2), rtol=1e-9)
    del y
    gc.collect()  # tearing down the 100k-deep graph must not crash either


def test_diamond_graph_sums_both_paths():
    x = _leaf([1.0, 2.0])
    a = x * 3
    b = a.exp()
    c = a * a
    (b + c).sum().backward()
    xd = np.array([1.0, 2.0])
    np.testing.assert_allclose(x.grad, 3 * np.exp(3 * xd) + 18 * xd)


def test_same_tensor_twice_in_one_op():
    x = _leaf([3.0])
    (x * x).backward(np.ones(1))
    np.testing.assert_array_equal(x.grad, [6.0])


# ================================================================ buffer release
def _saving_op(x, saved):
    """y = 2x via ``record``, whose backward keeps ``saved`` alive in its closure."""
    def backward(g):
        assert saved.shape == (1000,)
        return (2 * g,)
    return record("double", x.array * 2, (x,), backward)


def test_saved_buffers_are_released_after_backward():
    x = _leaf(np.ones(3))
    saved = np.ones(1000)
    ref = weakref.ref(saved)
    y = _saving_op(x, saved)
    del saved
    loss = y.sum()
    assert ref() is not None  # the closure keeps it alive until backward
    loss.backward()
    assert ref() is None
    assert y.grad_fn.backward is None and loss.grad_fn.backward is None
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])


def test_builtin_op_saved_arrays_released():
    # var saves the centred input only in its closure
    x = _leaf(np.arange(6.0))
    v = x.var()
    def saved(fn):  # the arrays a gradient rule's closure holds (through any wrapper)
        for c in fn.__closure__ or ():
            v = c.cell_contents
            if callable(v) and getattr(v, "__closure__", None):
                yield from saved(v)
            elif isinstance(v, np.ndarray):
                yield v
    cells = list(saved(v.grad_fn.backward))
    refs = [weakref.ref(c) for c in cells]
    assert refs
    del cells
    v.backward()
    assert all(r() is None for r in refs)


def test_second_backward_raises_clearly():
    x = _leaf([1.0, 2.0])
    loss = (x.exp() * 2).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        loss.backward()
    # a new graph reusing a released intermediate also fails clearly
    y = x.exp()
    y.sum().backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        (y * 3).sum().backward()


def test_retain_graph_allows_a_second_backward_and_accumulates():
    x = _leaf([1.0, 2.0])
    saved = np.ones(1000)
    ref = weakref.ref(saved)
    loss = _saving_op(x.exp(), saved).sum()
    del saved
    loss.backward(retain_graph=True)
    np.testing.assert_allclose(x.grad, 2 * np.exp([1.0, 2.0]))
    assert ref() is not None
    loss.backward(retain_graph=True)
    loss.backward()  # the last one releases
    np.testing.assert_allclose(x.grad, 6 * np.exp([1.0, 2.0]))
    assert ref() is None
    with pytest.raises(RuntimeError, match="retain_graph"):
        loss.backward()


# ================================================================ accumulation, non-leaves
def test_gradients_accumulate_across_backward_calls():
    x = _leaf([1.0, -2.0])
    (x * 3).sum().backward()
    g1 = x.grad
    (x * x).sum().backward()
    assert x.grad is g1  # accumulated in place (+=), like PyTorch
    np.testing.assert_array_equal(x.grad, [3 + 2, 3 - 4])
    x.grad = None
    (x * 5).sum().backward()
    np.testing.assert_array_equal(x.grad, [5.0, 5.0])


def test_grad_is_a_copy_not_an_alias_of_the_incoming_gradient():
    x = _leaf([1.0, 2.0])
    g = np.array([1.0, 1.0])
    (x * 1).backward(g)
    x.grad += 1
    np.testing.assert_array_equal(g, [1.0, 1.0])


def test_non_leaf_grad_is_none_unless_retained():
    x = _leaf([1.0, 2.0])
    y = x * 3
    z = y * y
    z.retain_grad()
    (z.sum() * 2).backward()
    assert y.grad is None
    np.testing.assert_array_equal(z.grad, [2.0, 2.0])
    np.testing.assert_allclose(x.grad, 2 * 2 * 9 * np.array([1.0, 2.0]))


def test_backward_on_leaf_fills_its_grad():
    x = _leaf(2.0)
    x.backward()
    assert x.grad == 1.0


def test_no_gradient_into_constants():
    c = tinynet.tensor(np.array([1.0, 2.0]))
    x = _leaf([3.0, 4.0])
    (x * c + c).sum().backward()
    assert c.grad is None
    np.testing.assert_array_equal(x.grad, [1.0, 2.0])


# ================================================================ backward errors
def test_backward_on_non_scalar_without_grad():
    y = _leaf([1.0, 2.0]) * 2
    with pytest.raises(RuntimeError, match=r"one-element.*\(2,\)"):
        y.backward()


def test_backward_with_wrong_grad_shape():
    y = _leaf([1.0, 2.0]) * 2
    with pytest.raises(ValueError, match=r"gradient has shape \(3,\).*\(2,\)"):
        y.backward(np.ones(3))


def test_backward_with_explicit_grad():
    x = _leaf([1.0, 2.0])
    (x * 2).backward(tinynet.tensor(np.array([1.0, -1.0])))
    np.testing.assert_array_equal(x.grad, [2.0, -2.0])


def test_backward_on_tensor_not_requiring_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (tinynet.tensor([1.0]) * 2).sum().backward()


# ================================================================ no_grad
def test_no_grad_context_records_nothing():
    x = _leaf([1.0, 2.0])
    assert tinynet.is_grad_enabled()
    with tinynet.no_grad():
        assert not tinynet.is_grad_enabled()
        y = (x * 2).exp().sum()
    assert tinynet.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    with pytest.raises(RuntimeError):
        y.backward()


def test_no_grad_decorator_and_nesting():
    x = _leaf([1.0])

    @tinynet.no_grad()
    def f(t):
        inner = t * 2
        with tinynet.enable_grad():
            on = t * 3
        with tinynet.no_grad():  # nested no_grad inside no_grad
            pass
        return inner, on, tinynet.is_grad_enabled()

    inner, on, mode = f(x)
    assert not inner.requires_grad and on.requires_grad and mode is False
    assert f(x)[2] is False  # the same decorator instance works twice
    assert tinynet.is_grad_enabled()

    with tinynet.no_grad():
        with tinynet.no_grad():
            pass
        assert not tinynet.is_grad_enabled()  # inner exit restores "off", not "on"
        with tinynet.set_grad_enabled(True):
            assert tinynet.is_grad_enabled()
        assert not tinynet.is_grad_enabled()
    assert tinynet.is_grad_enabled()


def test_no_grad_restores_on_exception():
    @tinynet.no_grad()
    def boom():
        raise KeyError("x")

    with pytest.raises(KeyError):
        boom()
    assert tinynet.is_grad_enabled()
    with pytest.raises(ValueError):
        with tinynet.no_grad():
            raise ValueError
    assert tinynet.is_grad_enabled()


# ================================================================ version counter
def test_inplace_on_saved_tensor_raises_at_backward():
    x = _leaf([1.0, 2.0])
    c = tinynet.tensor(np.array([3.0, 4.0]))
    y = (x * c).sum()
    c.mul_(2)  # c does not require grad: allowed, but mul saved it
    with pytest.raises(RuntimeError, match="modified in place.*version 0 -> 1"):
        y.backward()


def test_inplace_on_saved_output_raises_at_backward():
    x = _leaf([1.0, 2.0])
    e = x.exp()  # exp's backward uses its output
    loss = e.sum()
    with tinynet.no_grad():
        e.mul_(2)
    with pytest.raises(RuntimeError, match="was modified in place"):
        loss.backward()


def test_inplace_on_requires_grad_tensor_outside_no_grad():
    x = _leaf([1.0, 2.0])
    for op in (lambda t: t.add_(1), lambda t: t.sub_(1), lambda t: t.mul_(2),
               lambda t: t.div_(2), lambda t: t.zero_(), lambda t: t.fill_(3.0),
               lambda t: t.copy_(np.zeros(2)), lambda t: t.__setitem__(0, 5.0)):
        with pytest.raises(RuntimeError, match="no_grad"):
            op(x)
    np.testing.assert_array_equal(x.array, [1.0, 2.0])
    assert x._version == 0
    with tinynet.no_grad():  # the optimizer's way
        x.sub_(np.array([0.5, 0.5]), alpha=2)
        x[1] = 7.0
    np.testing.assert_array_equal(x.array, [0.0, 7.0])
    assert x._version == 2


def test_inplace_values():
    t = tinynet.tensor(np.array([1.0, 2.0, 3.0]))
    t.add_(1).mul_(2).div_(4).sub_(tinynet.tensor(np.ones(3)), alpha=0.5)
    np.testing.assert_allclose(t.array, [0.5, 1.0, 1.5])
    t.copy_(5.0)
    np.testing.assert_array_equal(t.array, [5.0, 5.0, 5.0])
    t.zero_()
    assert not t.array.any() and t._version == 6
    with pytest.raises(ValueError, match="copy_"):
        t.copy_(np.ones(4))


def test_update_then_new_forward_is_fine():
    w = _leaf([1.0, 2.0])
    (w * w).sum().backward()
    with tinynet.no_grad():
        w.sub_(tinynet.tensor(w.grad) * 0.1)
    w.grad = None
    (w * w).sum().backward()  # a fresh graph records the new version
    np.testing.assert_allclose(w.grad, 2 * np.array([0.8, 1.6]))


def test_bump_version_after_manual_numpy_change():
    x = _leaf([1.0, 2.0])
    loss = (x * x).sum()
    x.array[0] = 5.0
    x._bump_version()
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


@pytest.mark.parametrize("make_view", [
    lambda c: c.reshape(4), lambda c: c[0], lambda c: c[:, 1:], lambda c: c.T,
    lambda c: c.unsqueeze(0).squeeze(0), lambda c: c.detach(), lambda c: c.permute(1, 0),
], ids=["reshape", "int", "slice", "T", "unsqueeze", "detach", "permute"])
def test_views_share_the_version_counter(make_view):
    c = tinynet.tensor(np.ones((2, 2)))
    v = make_view(c)
    v.add_(1)  # changes c's memory too
    assert c._version == 1 and v._version == 1
    c.mul_(3)
    assert v._version == 2
    x = _leaf(np.ones((2, 2)))
    y = (x * c).sum()
    make_view(c).mul_(2)
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_advanced_index_is_a_copy_with_its_own_counter():
    c = tinynet.tensor(np.ones(4))
    v = c[[0, 1]]
    v.add_(1)
    assert c._version == 0
    np.testing.assert_array_equal(c.array, np.ones(4))


# ================================================================ dtype rules through ops
def test_integer_tensors_cannot_require_grad_but_mix_with_float_ones():
    with pytest.raises(TypeError, match="floating-point"):
        tinynet.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="floating-point"):
        tinynet.arange(3).requires_grad_()
    k = tinynet.tensor([1, 2])
    x = _leaf([0.5, 0.25])
    y = (x * k).sum()
    assert y.dtype == np.float64 and y.requires_grad and not k.requires_grad
    y.backward()
    np.testing.assert_array_equal(x.grad, [1.0, 2.0])
    assert k.grad is None


def test_mixed_float32_float64():
    a = _leaf([1.0, 2.0], np.float32)
    b = _leaf([3.0, 4.0], np.float64)
    out = a * b + a
    assert out.dtype == np.float64
    out.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    np.testing.assert_allclose(a.grad, [4.0, 5.0])
    np.testing.assert_allclose(b.grad, [1.0, 2.0])


@pytest.mark.parametrize("expr", [
    lambda x: x + 1, lambda x: 1 + x, lambda x: x * 2.5, lambda x: 2.5 * x, lambda x: x - 0.1,
    lambda x: 0.1 - x, lambda x: x / 3, lambda x: 3 / x, lambda x: x ** 2, lambda x: x ** 0.5,
    lambda x: 2.0 ** x, lambda x: tinynet.maximum(x, 0.5), lambda x: tinynet.minimum(x, 1),
    lambda x: tinynet.clip(x, 0.1, 0.9), lambda x: -x, lambda x: x.mean(), lambda x: x.var(),
    lambda x: x.softmax(0), lambda x: x.logsumexp(0), lambda x: tinynet.pad(x, (1, 1), value=2.0),
    lambda x: tinynet.cat([x, x], 0), lambda x: x @ x, lambda x: x.sigmoid() * 1e-3,
])
def test_float32_stays_float32_with_python_scalars(expr):
    x = _leaf([0.25, 0.75], np.float32)
    out = expr(x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32


def test_numpy_arrays_on_either_side():
    x = _leaf([1.0, 2.0, 4.0])
    arr = np.array([2.0, 3.0, 5.0])
    for out, want in [(arr + x, arr + x.array), (x + arr, x.array + arr), (arr - x, arr - x.array),
                      (x - arr, x.array - arr), (arr * x, arr * x.array), (arr / x, arr / x.array),
                      (x / arr, x.array / arr), (arr ** x, arr ** x.array), (arr @ x, arr @ x.array)]:
        assert isinstance(out, Tensor) and out.requires_grad
        np.testing.assert_allclose(out.array, want)
    x.grad = None
    (arr - x).sum().backward()
    np.testing.assert_array_equal(x.grad, [-1.0, -1.0, -1.0])
    x.grad = None
    (arr / x).sum().backward()
    np.testing.assert_allclose(x.grad, -arr / x.array ** 2)


def test_unsupported_operand():
    with pytest.raises(TypeError, match="unsupported operand"):
        _leaf([1.0]) + "a"


@pytest.mark.parametrize("op", ["<", "<=", ">", ">=", "==", "!="])
def test_comparisons_return_bool_tensors_without_grad(op):
    x = _leaf([1.0, 2.0, 3.0])
    y = _leaf([2.0, 2.0, 2.0])
    arr = np.array([3.0, 2.0, 1.0])
    want = eval(f"x.array {op} y.array")
    for out, ref in [(eval(f"x {op} y"), want), (eval(f"x {op} 2.0"), want),
                     (eval(f"arr {op} x"), eval(f"arr {op} x.array")),
                     (eval(f"x {op} arr"), eval(f"x.array {op} arr")),
                     (eval(f"_leaf(1.0) {op} 1.0"), eval(f"1.0 {op} 1.0"))]:
        assert isinstance(out, Tensor) and isinstance(out.array, np.ndarray)
        assert out.dtype == np.bool_ and not out.requires_grad and out.grad_fn is None
        np.testing.assert_array_equal(out.array, ref)


def test_tensors_hash_by_identity():
    a, b = _leaf([1.0]), _leaf([1.0])
    assert len({a, b}) == 2


# ================================================================ 0-d results are arrays
def test_0d_results_are_arrays_and_support_inplace():
    x = _leaf(0.5)
    for y in (x.exp(), x * 2, x + x, -x, x.tanh(), x ** 2):
        assert isinstance(y.array, np.ndarray) and y.shape == ()
        d = y.detach()
        d.add_(1)  # would fail on a numpy scalar
    with tinynet.no_grad():
        z = x.exp()
    assert isinstance(z.array, np.ndarray)
    z.mul_(2)
    np.testing.assert_allclose(z.item(), 2 * np.exp(0.5))


# ================================================================ numerical stability
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp"])
def test_softmax_family_finite_for_huge_logits(name):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, 9999.0]])
    x = _leaf(logits, np.float32)
    out = getattr(tinynet, name)(x, dim=1)
    assert np.all(np.isfinite(out.array))
    (out * tinynet.tensor(np.arange(out.size, dtype=np.float32).reshape(out.shape))).sum() \
        .backward()
    assert np.all(np.isfinite(x.grad.array))
    if name == "logsumexp":
        np.testing.assert_allclose(out.array, [1e4, -1e4 + np.log(3), 1e4 + np.log(2 + np.exp(-1))],
                                   rtol=1e-6)
    if name == "softmax":
        np.testing.assert_allclose(out.array[0], [1, 0, 0])
        np.testing.assert_allclose(out.array[1], [1 / 3] * 3, rtol=1e-6)


# ================================================================ randomness
def test_manual_seed_is_bitwise_reproducible():
    tinynet.manual_seed(123)
    a = [tinynet.rand(5, 3).array, tinynet.randn(4, dtype=np.float64).array, tinynet.randn(7).array]
    tinynet.manual_seed(123)
    b = [tinynet.rand(5, 3).array, tinynet.randn(4, dtype=np.float64).array, tinynet.randn(7).array]
    for u, v in zip(a, b):
        assert u.tobytes() == v.tobytes()
    tinynet.manual_seed(124)
    assert tinynet.rand(5, 3).array.tobytes() != a[0].tobytes()


def test_rng_state_round_trip():
    tinynet.manual_seed(7)
    tinynet.rand(3)
    state = tinynet.get_rng_state()
    first = tinynet.randn(10).array.copy()
    tinynet.rand(100)  # move on
    tinynet.set_rng_state(state)
    assert tinynet.randn(10).array.tobytes() == first.tobytes()
    import json
    tinynet.set_rng_state(json.loads(json.dumps(state)))  # JSON-friendly
    assert tinynet.randn(10).array.tobytes() == first.tobytes()


def test_rng_argument_errors():
    with pytest.raises(TypeError, match="seed"):
        tinynet.manual_seed(1.5)
    with pytest.raises(ValueError, match=">= 0"):
        tinynet.manual_seed(-1)
    with pytest.raises(ValueError, match="get_rng_state"):
        tinynet.set_rng_state({"bit_generator": "MT19937"})
    with pytest.raises(ValueError, match="get_rng_state"):
        tinynet.set_rng_state([1, 2])


def test_set_grad_enabled_as_a_call_and_as_a_block():
    import tinynet as tn
    x = tn.tensor([1.0], requires_grad=True)
    tn.set_grad_enabled(False)
    try:
        assert not tn.is_grad_enabled() and not (x * 2).requires_grad
    finally:
        tn.set_grad_enabled(True)
    assert tn.is_grad_enabled()
    with tn.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert tn.is_grad_enabled() and (x * 2).requires_grad


def test_retained_grad_accumulates_like_a_leaf():
    import tinynet as tn
    x = tn.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    loss = (h * h).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_allclose(h.grad, 2 * 2 * h.array)


def test_a_backward_rule_returning_the_wrong_shape_is_an_error_not_a_silent_broadcast():
    import tinynet as tn
    from tinynet.tensor import record
    x = tn.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    out = record("broken", x.array * 2, (x,), numpy_rule(lambda g: (g.sum(axis=0, keepdims=True),)))
    with pytest.raises(RuntimeError, match=r"shape \(1, 2\) reached a tensor of shape \(2, 2\)"):
        out.sum().backward()
