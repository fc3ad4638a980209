"""Dropout and Dropout2d: statistics of the mask, exact backward, seeds, modes, errors.

Reminder: ``p`` is the probability of DROPPING a unit (PyTorch); keep = 1 - p.
"""
import numpy as np
import pytest

import tinynet
import tinynet.nn as nn
import tinynet.nn.functional as F


def _ones(*shape, dtype=np.float32, requires_grad=False):
    return tinynet.tensor(np.ones(shape, dtype), requires_grad=requires_grad)


# ---------------------------------------------------------------- statistics
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_zero_fraction_and_mean_over_a_million(p):
    tinynet.manual_seed(0)
    n = 10 ** 6
    out = F.dropout(_ones(1000, 1000), p).array
    frac = np.mean(out == 0)
    assert abs(frac - p) < 4 * np.sqrt(p * (1 - p) / n)
    # inverted dropout keeps the mean: each output is 0 or 1/(1-p), with E = 1,
    # Var = p/(1-p) per element
    assert set(np.unique(out)) == {np.float32(0), np.float32(1 / (1 - p))}
    assert abs(out.mean(dtype=np.float64) - 1.0) < 4 * np.sqrt(p / (1 - p) / n)


def test_vanilla_form_matches_the_quiz():
    p = 0.3
    rng = np.random.default_rng(0)
    y = tinynet.tensor(rng.standard_normal((500, 400)), requires_grad=True)
    tinynet.manual_seed(1)
    h = F.dropout(y, p, training=True, inverted=False)
    d = (h.array != 0).astype(np.float64)           # the Bernoulli(keep) mask D
    np.testing.assert_array_equal(h.array, d * y.array)   # H = D ⊙ Y, no rescaling
    assert abs(d.mean() - (1 - p)) < 4 * np.sqrt(p * (1 - p) / d.size)
    g = rng.standard_normal(h.shape)
    h.backward(g)
    np.testing.assert_array_equal(y.grad, g * d)    # dL/dY = dL/dH ⊙ D
    # evaluation: H = (1 - p) Y, gradient (1 - p) dL/dH
    y.grad = None
    h = F.dropout(y, p, training=False, inverted=False)
    np.testing.assert_allclose(h.array, 0.7 * y.array, rtol=1e-15)
    h.backward(g)
    np.testing.assert_allclose(y.grad, 0.7 * g, rtol=1e-15)
    # the vanilla module does the same
    m = nn.Dropout(p, inverted=False).eval()
    np.testing.assert_allclose(m(y).array, 0.7 * y.array, rtol=1e-15)


# ---------------------------------------------------------------- backward / tape
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_backward_is_the_scaled_mask_exactly(dtype):
    p = 0.25
    tinynet.manual_seed(3)
    x = _ones(64, 33, dtype=dtype, requires_grad=True)
    out = F.dropout(x, p)
    assert out.dtype == dtype
    assert out.grad_fn.op == "dropout" and out.grad_fn.inputs == (x,)
    mask = out.array  # x is all ones, so the output is the scaled mask itself
    assert set(np.unique(mask)) == {dtype(0), dtype(1 / (1 - p))}
    g = np.random.default_rng(0).standard_normal(x.shape).astype(dtype)
    out.backward(g)
    np.testing.assert_array_equal(x.grad, g * mask)


def test_gradcheck_with_a_fixed_mask():
    x = tinynet.tensor(np.random.default_rng(0).standard_normal((5, 6)), requires_grad=True)

    def fn(a):
        tinynet.manual_seed(7)  # gradcheck re-runs fn: reseeding keeps the mask fixed
        return F.dropout(a, 0.4) * a   # a nonlinear use, so the check is not trivial

    assert tinynet.gradcheck(fn, [x])
    z = tinynet.tensor(np.random.default_rng(1).standard_normal((2, 3, 2, 2)),
                       requires_grad=True)

    def fn2(a):
        tinynet.manual_seed(8)
        return F.dropout2d(a, 0.5)

    assert tinynet.gradcheck(fn2, [z])


# ---------------------------------------------------------------- modes, p edge cases
def test_eval_is_the_identity():
    x = _ones(4, 5, requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout2d(_ones(2, 3, 4, 4), 0.5, training=False).shape == (2, 3, 4, 4)
    m = nn.Dropout(0.5).eval()
    out = m(x)
    assert out is x and out.grad_fn is None
    y = _ones(2, 3, 4, 4)
    assert nn.Dropout2d(0.5).eval()(y) is y


def test_eval_draws_no_random_numbers():
    tinynet.manual_seed(0)
    F.dropout(_ones(10), 0.5, training=False)
    a = tinynet.rand(3).array
    tinynet.manual_seed(0)
    np.testing.assert_array_equal(a, tinynet.rand(3).array)


def test_p_zero_and_p_one():
    x = tinynet.tensor(np.arange(1.0, 7.0).reshape(2, 3), requires_grad=True)
    assert F.dropout(x, 0.0) is x                  # nothing dropped
    out = F.dropout(x, 1.0)                         # everything dropped, no 0/0
    np.testing.assert_array_equal(out.array, np.zeros((2, 3)))
    out.backward(np.ones((2, 3)))
    np.testing.assert_array_equal(x.grad, np.zeros((2, 3)))
    assert np.all(np.isfinite(F.dropout2d(_ones(2, 3, 2, 2), 1.0).array))
    np.testing.assert_array_equal(F.dropout(x, 1.0, inverted=False).array, 0)
    np.testing.assert_array_equal(F.dropout(x, 1.0, training=False, inverted=False).array, 0)


def test_seeds():
    x = _ones(50, 50)
    tinynet.manual_seed(11)
    a = F.dropout(x, 0.5).array
    tinynet.manual_seed(11)
    b = F.dropout(x, 0.5).array
    tinynet.manual_seed(12)
    c = F.dropout(x, 0.5).array
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    d = F.dropout(x, 0.5).array                       # the stream moves on: a new mask
    assert not np.array_equal(c, d)


def test_inplace():
    tinynet.manual_seed(0)
    x = _ones(100, 10)
    v = x._version
    out = F.dropout(x, 0.5, inplace=True)
    assert out is x and x._version == v + 1
    assert set(np.unique(x.array)) == {0.0, 2.0}
    y = _ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="inplace=True"):
        F.dropout(y, 0.5, inplace=True)
    with tinynet.no_grad():
        assert F.dropout(y, 1.0, inplace=True) is y
    np.testing.assert_array_equal(y.array, 0)
    z = _ones(4, 2, 3, 3)
    assert nn.Dropout2d(0.5, inplace=True)(z) is z


# ---------------------------------------------------------------- dropout2d
def test_dropout2d_zeroes_whole_channels():
    p = 0.3
    tinynet.manual_seed(5)
    x = tinynet.tensor(np.random.default_rng(2).uniform(1, 2, (100, 50, 3, 4)),
                       requires_grad=True)
    out = F.dropout2d(x, p)
    assert out.grad_fn.op == "dropout2d"
    ratio = out.array / x.array
    zero = np.all(ratio == 0, axis=(2, 3))
    kept = np.all(np.isclose(ratio, 1 / (1 - p), rtol=1e-14), axis=(2, 3))
    assert np.all(zero ^ kept)                      # each (n, c) map: all zero or all scaled
    n = zero.size
    assert abs(zero.mean() - p) < 4 * np.sqrt(p * (1 - p) / n)
    g = np.random.default_rng(3).standard_normal(x.shape)
    out.backward(g)
    np.testing.assert_allclose(x.grad, g * np.where(kept, 1 / (1 - p), 0)[:, :, None, None],
                               rtol=1e-14)
    # 3-D input is one unbatched (C, H, W) sample: channels dropped as a whole
    out3 = nn.Dropout2d(0.5)(_ones(200, 2, 2)).array
    per_channel = out3.reshape(200, -1)
    assert np.all((per_channel == 0).all(1) | (per_channel == 2).all(1))
    assert 0 < (per_channel == 0).all(1).sum() < 200


# ---------------------------------------------------------------- modules
def test_module_repr_matches_torch():
    assert repr(nn.Dropout()) == "Dropout(p=0.5, inplace=False)"
    assert repr(nn.Dropout2d(0.2)) == "Dropout2d(p=0.2, inplace=False)"
    assert repr(nn.Dropout(0.1, inverted=False)) == "Dropout(p=0.1, inplace=False, inverted=False)"
    torch = pytest.importorskip("torch")
    assert repr(nn.Dropout()) == repr(torch.nn.Dropout())
    assert repr(nn.Dropout2d(0.25)) == repr(torch.nn.Dropout2d(0.25))
    assert list(nn.Dropout().parameters()) == [] and nn.Dropout().state_dict() == {}


def test_train_eval_switches_every_dropout_and_batchnorm():
    Sequential = nn.Sequential
    inner = Sequential(nn.Dropout2d(0.5), nn.BatchNorm2d(3))
    model = Sequential(nn.BatchNorm1d(3), nn.Dropout(0.5), inner)
    layers = [m for m in model.modules() if not isinstance(m, Sequential)]
    assert len(layers) == 4 and all(m.training for m in layers)
    model.eval()
    assert not any(m.training for m in model.modules())
    x = _ones(4, 3)
    assert model[1](x) is x                          # dropout off
    np.testing.assert_allclose(model[0](x).array, 1 / np.sqrt(1 + 1e-5), rtol=1e-6)  # running stats
    model.train()
    assert all(m.training for m in model.modules())
    tinynet.manual_seed(0)
    assert np.any(model[1](_ones(100)).array == 0)    # dropout on again


# ---------------------------------------------------------------- errors
def test_errors():
    x = _ones(3, 3)
    for bad in (-0.1, 1.0001, 2, float("nan")):
        with pytest.raises(ValueError, match=r"p has to be between 0 and 1"):
            F.dropout(x, bad)
        with pytest.raises(ValueError, match=r"between 0 and 1"):
            nn.Dropout(bad)
        with pytest.raises(ValueError, match=r"between 0 and 1"):
            F.dropout2d(_ones(1, 1, 2, 2), bad)
    for bad in ("0.5", None, True, [0.5]):
        with pytest.raises(TypeError, match="p .*must be a number"):
            F.dropout(x, bad)
        with pytest.raises(TypeError, match="must be a number"):
            nn.Dropout2d(bad)
    with pytest.raises(TypeError, match="Tensor"):
        F.dropout(np.ones(3), 0.5)
    with pytest.raises(TypeError, match="floating point"):
        F.dropout(tinynet.tensor(np.ones(3, np.int64)), 0.5)
    for shape in [(3,), (2, 3), (1, 2, 3, 4, 5)]:
        with pytest.raises(ValueError, match=r"4-D \(N, C, H, W\) or 3-D"):
            F.dropout2d(_ones(*shape), 0.5)
