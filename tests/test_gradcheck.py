"""tinynet.gradcheck: passes correct ops, catches wrong ones with a useful message."""
import numpy as np
import pytest

import tinynet
from tinynet import gradcheck
from tinynet.gradcheck import GradcheckError
from tinynet.tensor import record


def _leaf(a, dtype=np.float64):
    return tinynet.tensor(np.asarray(a, dtype=dtype), requires_grad=True)


def _cube(x, factor=3.0):
    """x^3 made with ``record``; its backward uses ``factor`` x^2 (3 is right)."""
    out = x.array ** 3

    def backward(g):
        return (g * factor * x.array ** 2,)
    return record("cube", out, (x,), backward)


def test_true_on_correct_ops():
    x = _leaf(np.random.default_rng(0).standard_normal((3, 4)))
    y = _leaf(np.random.default_rng(1).standard_normal((4,)))
    assert gradcheck(_cube, [x]) is True
    assert gradcheck(lambda a, b: (a * b).tanh() @ b, [x, y]) is True
    assert gradcheck(lambda a, b: a.sum() + b.exp().mean(), (x, y)) is True


def test_raises_on_wrong_backward_naming_input_element_and_values():
    x = _leaf([[0.5, -1.0], [2.0, 1.5]])
    with pytest.raises(GradcheckError) as err:
        gradcheck(lambda a: _cube(a, factor=2.9), [x])
    msg = str(err.value)
    assert "input 0" in msg and "(2, 2)" in msg
    # the worst element is where |2.9 x^2 - 3 x^2| * |w| is largest; check against a recomputation
    w = np.random.default_rng(0).standard_normal((2, 2))
    bad = np.abs(0.1 * x.array ** 2 * w)
    worst = np.unravel_index(np.argmax(bad), bad.shape)
    assert f"({worst[0]}, {worst[1]})" in msg
    assert f"{2.9 * x.array[worst] ** 2 * w[worst]:.6g}"[:6] in msg  # backward's value
    assert f"{3.0 * x.array[worst] ** 2 * w[worst]:.6g}"[:6] in msg  # finite differences' value
    assert isinstance(err.value, AssertionError)  # usable in plain asserts / pytest


def test_names_the_right_input():
    a, b = _leaf([1.0, 2.0]), _leaf([0.5, 0.25])
    with pytest.raises(GradcheckError, match="input 1"):
        gradcheck(lambda p, q: p * 2 + _cube(q, factor=4.0), [a, b])


def test_skips_inputs_without_grad():
    a = _leaf([1.0, 2.0])
    c = tinynet.tensor(np.array([3.0, 4.0]))  # wrong gradient for c would not matter
    assert gradcheck(lambda p, q: p * q, [a, c])


def test_works_on_float32_inputs_by_checking_in_float64():
    x = _leaf([0.3, -0.7, 1.1], np.float32)
    assert gradcheck(lambda t: (t * t).tanh(), [x])
    assert x.dtype == np.float32 and x.grad is None  # caller's tensor untouched


def test_inputs_are_not_modified():
    data = np.array([1.0, 2.0, 3.0])
    x = _leaf(data)
    gradcheck(lambda t: t.exp(), [x])
    np.testing.assert_array_equal(x.array, data)
    assert x.grad is None


def test_random_direction_path_for_big_inputs():
    rng = np.random.default_rng(3)
    big = _leaf(rng.standard_normal((101, 100)))  # 10,100 elements > 10,000
    calls = {"n": 0}

    def f(t):
        calls["n"] += 1
        return (t * t).sum(axis=1)

    assert gradcheck(f, [big])
    assert calls["n"] == 1 + 2 * 8  # one forward for backward + 2 per direction
    with pytest.raises(GradcheckError, match=r"input 0 \(shape \(101, 100\)\): worst direction"):
        gradcheck(lambda t: _cube(t, factor=3.3), [big])
    # the full element-by-element path when the limit is raised
    small = _leaf(rng.standard_normal((3, 3)))
    calls["n"] = 0
    assert gradcheck(f, [small], max_elements=9)
    assert calls["n"] == 1 + 2 * 9
    calls["n"] = 0
    assert gradcheck(f, [small], max_elements=8, n_directions=3)
    assert calls["n"] == 1 + 2 * 3


def test_output_not_depending_on_input_has_zero_gradient():
    x, y = _leaf([1.0, 2.0]), _leaf([3.0])
    assert gradcheck(lambda a, b: a * 2, [x, y])  # dL/dy = 0 both ways


def test_non_finite_analytic_gradient_fails():
    x = _leaf([0.0, 1.0])
    with pytest.raises(GradcheckError):
        gradcheck(lambda t: t.sqrt(), [x])  # 1/(2 sqrt 0) = inf


def test_bad_arguments():
    x = _leaf([1.0])
    with pytest.raises(TypeError, match="list or tuple"):
        gradcheck(lambda t: t, x)
    with pytest.raises(TypeError, match="input 0 is ndarray"):
        gradcheck(lambda t: t, [np.ones(2)])
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(lambda t: t * 2, [tinynet.tensor([1.0])])
    with pytest.raises(TypeError, match="must return a Tensor"):
        gradcheck(lambda t: t.array * 2, [x])
