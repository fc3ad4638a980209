"""Losses: cross_entropy, nll_loss, mse_loss (functionals and modules)."""
import numpy as np
import pytest

import tinynet
import tinynet.nn.functional as F


def _logits(n=6, c=5, seed=0, dtype=np.float64, scale=3.0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, c)).astype(dtype) * scale


def _targets(n=6, c=5, seed=1):
    return np.random.default_rng(seed).integers(0, c, n).astype(np.int64)


def _ce_numpy(x, t, s=0.0):
    """Naive reference: -sum q log softmax, with q = (1-s) onehot + s/C."""
    x = x.astype(np.float64)
    logp = x - np.log(np.exp(x - x.max(1, keepdims=True)).sum(1, keepdims=True)) \
        - x.max(1, keepdims=True)
    q = np.full(x.shape, s / x.shape[1])
    q[np.arange(len(t)), t] += 1 - s
    return -(q * logp).sum(1)


# ---------------------------------------------------------------- values vs numpy
@pytest.mark.parametrize("s", [0.0, 0.1, 1.0])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_values(s, reduction):
    x, t = _logits(), _targets()
    out = F.cross_entropy(tinynet.tensor(x), tinynet.tensor(t), reduction=reduction,
                          label_smoothing=s)
    ref = _ce_numpy(x, t, s)
    ref = {"mean": ref.mean(), "sum": ref.sum(), "none": ref}[reduction]
    assert out.shape == np.shape(ref)
    np.testing.assert_allclose(out.array, ref, rtol=1e-12, atol=1e-12)


def test_cross_entropy_float32_keeps_dtype():
    x, t = _logits(dtype=np.float32), _targets()
    out = F.cross_entropy(tinynet.tensor(x), tinynet.tensor(t))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.item(), _ce_numpy(x, t).mean(), rtol=1e-5)


def test_cross_entropy_backward_is_softmax_minus_onehot():
    x, t = _logits(), _targets()
    xt = tinynet.tensor(x, requires_grad=True)
    F.cross_entropy(xt, tinynet.tensor(t)).backward()
    p = np.exp(x) / np.exp(x).sum(1, keepdims=True)
    p[np.arange(len(t)), t] -= 1
    np.testing.assert_allclose(xt.grad, p / len(t), rtol=1e-12, atol=1e-14)


def test_cross_entropy_one_tape_entry():
    xt = tinynet.tensor(_logits(), requires_grad=True)
    out = F.cross_entropy(xt, tinynet.tensor(_targets()))
    assert out.grad_fn.op == "cross_entropy" and out.grad_fn.inputs == (xt,)


def test_cross_entropy_extreme_logits_finite_and_correct():
    x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [1e4, 1e4, -1e4]])
    t = np.array([1, 2, 0])
    for dt in (np.float64, np.float32):
        xt = tinynet.tensor(x.astype(dt), requires_grad=True)
        out = F.cross_entropy(xt, tinynet.tensor(t), reduction="none")
        out.sum().backward()
        assert np.all(np.isfinite(out.array)) and np.all(np.isfinite(xt.grad.array))
        # row 0: -log softmax = 2e4; row 1: 0; row 2: log 2
        np.testing.assert_allclose(out.array, [2e4, 0.0, np.log(2)], rtol=1e-6)
        np.testing.assert_allclose(xt.grad, [[1, -1, 0], [0, 0, 0], [-0.5, 0.5, 0]],
                                   atol=1e-6)


@pytest.mark.parametrize("s", [0.0, 0.3])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_gradcheck(s, reduction):
    t = tinynet.tensor(_targets(4, 3))
    x = tinynet.tensor(_logits(4, 3), requires_grad=True)
    assert tinynet.gradcheck(
        lambda a: F.cross_entropy(a, t, reduction=reduction, label_smoothing=s), [x])


def test_cross_entropy_equals_nll_of_log_softmax():
    x, t = _logits(), _targets()
    a = F.cross_entropy(tinynet.tensor(x), tinynet.tensor(t))
    logp = x - np.log(np.exp(x).sum(1, keepdims=True))
    b = F.nll_loss(tinynet.tensor(logp), tinynet.tensor(t))
    np.testing.assert_allclose(a.item(), b.item(), rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_values_and_gradcheck(reduction):
    x, t = _logits(), _targets()
    out = F.nll_loss(tinynet.tensor(x), tinynet.tensor(t), reduction=reduction)
    ref = -x[np.arange(len(t)), t]
    ref = {"mean": ref.mean(), "sum": ref.sum(), "none": ref}[reduction]
    np.testing.assert_allclose(out.array, ref, rtol=1e-12)
    tt = tinynet.tensor(t)
    assert tinynet.gradcheck(lambda a: F.nll_loss(a, tt, reduction=reduction),
                             [tinynet.tensor(x, requires_grad=True)])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_values_and_gradcheck(reduction):
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    out = F.mse_loss(tinynet.tensor(a), tinynet.tensor(b), reduction=reduction)
    ref = (a - b) ** 2
    ref = {"mean": ref.mean(), "sum": ref.sum(), "none": ref}[reduction]
    np.testing.assert_allclose(out.array, ref, rtol=1e-12)
    # gradients flow to both input and target
    assert tinynet.gradcheck(lambda x, y: F.mse_loss(x, y, reduction=reduction),
                             [tinynet.tensor(a, requires_grad=True),
                              tinynet.tensor(b, requires_grad=True)])


def test_mse_numpy_target_and_dtype():
    a = tinynet.tensor(np.ones((2, 3), np.float32), requires_grad=True)
    out = F.mse_loss(a, np.zeros((2, 3)))  # float64 array target: result stays float32
    assert out.dtype == np.float32 and out.item() == 1.0
    out.backward()
    np.testing.assert_allclose(a.grad, np.full((2, 3), 2 / 6), rtol=1e-6)


# ---------------------------------------------------------------- errors
def test_class_loss_errors():
    x = tinynet.tensor(_logits(4, 3))
    good = tinynet.tensor(np.array([0, 1, 2, 0]))
    for fn in (F.cross_entropy, F.nll_loss):
        with pytest.raises(TypeError, match="integer"):
            fn(x, tinynet.tensor(np.array([0.0, 1.0, 2.0, 0.0])))
        with pytest.raises(ValueError, match=r"shape \(4,\)"):
            fn(x, tinynet.tensor(np.array([0, 1, 2])))
        with pytest.raises(ValueError, match=r"shape \(4,\)"):
            fn(x, tinynet.tensor(np.array([[0], [1], [2], [0]])))
        with pytest.raises(ValueError, match=r"target value 3 at index 2.*\[0, 3\)"):
            fn(x, tinynet.tensor(np.array([0, 1, 3, 0])))
        with pytest.raises(ValueError, match=r"target value -1 at index 1"):
            fn(x, tinynet.tensor(np.array([0, -1, 2, 0])))
        with pytest.raises(ValueError, match="reduction"):
            fn(x, good, reduction="avg")
        with pytest.raises(ValueError, match=r"\(N, C\)"):
            fn(tinynet.tensor(np.zeros(3)), good)
        with pytest.raises(TypeError, match="input must be a Tensor"):
            fn(np.zeros((4, 3)), good)
        with pytest.raises(TypeError, match="target must be a Tensor"):
            fn(x, [0, 1, 2, 0])
        with pytest.raises(TypeError, match="floating point"):
            fn(tinynet.tensor(np.zeros((4, 3), np.int64)), good)
    for bad in (-0.1, 1.5, "0.1", True, float("nan")):
        with pytest.raises(ValueError, match="label_smoothing"):
            F.cross_entropy(x, good, label_smoothing=bad)


def test_mse_errors():
    a = tinynet.tensor(np.zeros((4, 1)))
    with pytest.raises(ValueError, match=r"\(4, 1\).*\(4,\)"):
        F.mse_loss(a, tinynet.tensor(np.zeros(4)))
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss(a, a, reduction="mean ")
    with pytest.raises(TypeError, match="input must be a Tensor"):
        F.mse_loss(np.zeros((4, 1)), a)
    with pytest.raises(TypeError, match="floating point"):
        F.mse_loss(tinynet.tensor(np.zeros((4, 1), np.int64)), a)


# ---------------------------------------------------------------- modules
def test_loss_modules():
    import tinynet.nn as nn
    x, t = tinynet.tensor(_logits()), tinynet.tensor(_targets())
    np.testing.assert_allclose(
        nn.CrossEntropyLoss(reduction="sum", label_smoothing=0.2)(x, t).array,
        F.cross_entropy(x, t, reduction="sum", label_smoothing=0.2).array)
    np.testing.assert_allclose(nn.NLLLoss(reduction="none")(x, t).array,
                               F.nll_loss(x, t, reduction="none").array)
    np.testing.assert_allclose(nn.MSELoss()(x, x * 2).array, F.mse_loss(x, x * 2).array)
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"
    assert repr(nn.MSELoss()) == "MSELoss()" and repr(nn.NLLLoss()) == "NLLLoss()"
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing"):
        nn.CrossEntropyLoss(label_smoothing=2.0)
    assert list(nn.CrossEntropyLoss().parameters()) == []


# ---------------------------------------------------------------- vs torch
@pytest.mark.parametrize("s", [0.0, 0.25])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_vs_torch(s, reduction):
    torch = pytest.importorskip("torch")
    x, t = _logits(8, 7, scale=5.0), _targets(8, 7)
    xt = tinynet.tensor(x, requires_grad=True)
    out = F.cross_entropy(xt, tinynet.tensor(t), reduction=reduction, label_smoothing=s)
    xr = torch.tensor(x, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(xr, torch.tensor(t), reduction=reduction,
                                            label_smoothing=s)
    np.testing.assert_allclose(out.array, ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    w = np.random.default_rng(5).standard_normal(out.shape)
    (out * tinynet.tensor(w)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(xt.grad, xr.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_and_mse_vs_torch(reduction):
    torch = pytest.importorskip("torch")
    x, t = _logits(8, 7), _targets(8, 7)
    y = np.random.default_rng(9).standard_normal(x.shape)
    w = np.random.default_rng(5).standard_normal(8)
    for name in ("nll", "mse"):
        xt, yt = tinynet.tensor(x, requires_grad=True), tinynet.tensor(y, requires_grad=True)
        xr, yr = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
        if name == "nll":
            out = F.nll_loss(xt, tinynet.tensor(t), reduction=reduction)
            ref = torch.nn.functional.nll_loss(xr, torch.tensor(t), reduction=reduction)
        else:
            out = F.mse_loss(xt, yt, reduction=reduction)
            ref = torch.nn.functional.mse_loss(xr, yr, reduction=reduction)
        np.testing.assert_allclose(out.array, ref.detach().numpy(), rtol=1e-10, atol=1e-12)
        ww = w if out.ndim == 1 else np.ones(out.shape)
        (out * tinynet.tensor(ww)).sum().backward()
        (ref * torch.tensor(ww)).sum().backward()
        np.testing.assert_allclose(xt.grad, xr.grad.numpy(), rtol=1e-10, atol=1e-12)
        if name == "mse":
            np.testing.assert_allclose(yt.grad, yr.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_cross_entropy_backward_twice_with_retain_graph():
    x = tinynet.tensor(_logits(), requires_grad=True)
    loss = F.cross_entropy(x, tinynet.tensor(_targets()), label_smoothing=0.1)
    loss.backward(retain_graph=True)
    first = x.grad.array.copy()
    loss.backward()                  # the saved softmax pieces must be left intact
    np.testing.assert_allclose(x.grad, 2 * first, rtol=1e-14)
