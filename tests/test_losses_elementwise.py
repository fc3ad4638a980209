"""BCE (on probabilities and logits), L1, smooth L1, Huber and KL divergence, functional
and Module forms: values and gradients against PyTorch in float64 (skipped without
torch), gradients against finite differences, and PyTorch's argument errors."""
import warnings

import numpy as np
import pytest

import tinynet
import tinynet.nn as nn
import tinynet.nn.functional as F
from tinynet import gradcheck

SHAPE = (4, 3)


def _data(name, seed=0):
    """input, target and the extra tensors (weight, pos_weight) for loss ``name``."""
    rng = np.random.default_rng(seed)
    if name == "binary_cross_entropy":
        x = rng.uniform(0.05, 0.95, SHAPE)
        t = rng.uniform(0, 1, SHAPE)
    elif name == "kl_div":
        x = np.log(rng.dirichlet(np.ones(3), 4))      # log q per row
        t = rng.dirichlet(np.ones(3), 4)               # p per row
    else:
        x = rng.standard_normal(SHAPE) * 2
        t = rng.standard_normal(SHAPE) * 2
    return x, t


CASES = [
    ("binary_cross_entropy", {}),
    ("binary_cross_entropy", {"weight": "row"}),
    ("binary_cross_entropy_with_logits", {}),
    ("binary_cross_entropy_with_logits", {"weight": "row", "pos_weight": "col"}),
    ("binary_cross_entropy_with_logits", {"pos_weight": "full"}),
    ("l1_loss", {}),
    ("l1_loss", {"weight": "full"}),
    ("smooth_l1_loss", {}),
    ("smooth_l1_loss", {"beta": 0.5}),
    ("smooth_l1_loss", {"beta": 0.0}),
    ("smooth_l1_loss", {"beta": 3}),
    ("huber_loss", {}),
    ("huber_loss", {"delta": 0.7}),
    ("huber_loss", {"delta": 2.5, "weight": "full"}),
    ("kl_div", {}),
    ("kl_div", {"log_target": True}),
]
REDUCTIONS = {"kl_div": ["batchmean", "sum", "none", "mean"]}


def _extra(kind, rng):
    return {"row": rng.uniform(0.5, 2, (SHAPE[1],)), "col": rng.uniform(0.5, 3, (SHAPE[1],)),
            "full": rng.uniform(0.5, 2, SHAPE)}[kind]


@pytest.mark.parametrize("name, kw", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_values_and_gradients_match_torch(torch, name, kw):
    rng = np.random.default_rng(1)
    x, t = _data(name)
    if kw.get("log_target"):
        t = np.log(t)
    extra = {k: (_extra(v, rng) if isinstance(v, str) else v) for k, v in kw.items()}
    for reduction in REDUCTIONS.get(name, ["mean", "sum", "none"]):
        xt, tt = (tinynet.tensor(a, requires_grad=True) for a in (x, t))
        xr, tr = (torch.tensor(a, requires_grad=True) for a in (x, t))
        ours_kw = {k: tinynet.tensor(v) if isinstance(v, np.ndarray) else v
                   for k, v in extra.items()}
        ref_kw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                  for k, v in extra.items()}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # kl_div's 'mean' warns (both)
            out = getattr(F, name)(xt, tt, reduction=reduction, **ours_kw)
            ref = getattr(torch.nn.functional, name)(xr, tr, reduction=reduction, **ref_kw)
        assert out.shape == tuple(ref.shape) and out.dtype == np.float64
        np.testing.assert_allclose(out.array, ref.detach().numpy(), rtol=1e-10, atol=1e-12)
        g = rng.standard_normal(out.shape)
        (out * tinynet.tensor(g)).sum().backward()
        (ref * torch.tensor(g)).sum().backward()
        np.testing.assert_allclose(xt.grad, xr.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(tt.grad, tr.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name, kw", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_gradients_match_finite_differences(name, kw):
    rng = np.random.default_rng(2)
    x, t = _data(name, seed=3)
    if kw.get("log_target"):
        t = np.log(t)
    extra = {k: (tinynet.tensor(_extra(v, rng)) if isinstance(v, str) else v)
             for k, v in kw.items()}
    xt, tt = (tinynet.tensor(a, requires_grad=True) for a in (x, t))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert gradcheck(lambda a, b: getattr(F, name)(a, b, reduction="none", **extra),
                         [xt, tt])
        assert gradcheck(lambda a, b: getattr(F, name)(a, b, **extra), [xt, tt])


def test_bce_floors_the_logs_at_minus_100_as_torch(torch):
    x = np.array([0.0, 1.0, 1e-50, 1 - 1e-16, 1e-20, 0.5])
    t = np.array([1.0, 0.0, 1.0, 0.0, 0.0, 0.5])
    xt = tinynet.tensor(x, requires_grad=True)
    out = F.binary_cross_entropy(xt, tinynet.tensor(t), reduction="none")
    ref = torch.nn.functional.binary_cross_entropy(torch.tensor(x), torch.tensor(t),
                                                   reduction="none")
    np.testing.assert_allclose(out.array, ref.numpy(), rtol=1e-12)
    assert out.array[0] == out.array[1] == 100.0
    out.sum().backward()
    grad = np.asarray(xt.grad)
    assert np.isfinite(grad).all()           # the double where keeps inf and nan out
    assert grad[0] == grad[1] == 0.0         # where the floor is taken


def test_bce_with_logits_is_finite_for_huge_logits(torch):
    z = np.array([-1e4, -50.0, 0.0, 50.0, 1e4])
    t = np.array([1.0, 0.0, 0.5, 1.0, 0.0])
    zt = tinynet.tensor(z, requires_grad=True)
    out = F.binary_cross_entropy_with_logits(zt, tinynet.tensor(t), reduction="none")
    zr = torch.tensor(z, requires_grad=True)
    ref = torch.nn.functional.binary_cross_entropy_with_logits(zr, torch.tensor(t),
                                                               reduction="none")
    np.testing.assert_allclose(out.array, ref.detach().numpy(), rtol=1e-12, atol=1e-21)
    out.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(zt.grad, zr.grad.numpy(), rtol=1e-12, atol=1e-21)
    # the tiny values are exact both ways: log(1 + e^-50) and dloss/dz = s(z) - t
    tiny = np.log1p(np.exp(-50.0))
    assert out.array[1] == out.array[3] == tiny
    grad = np.asarray(zt.grad)
    assert grad[1] == pytest.approx(tiny, rel=1e-12) and grad[3] == pytest.approx(-tiny)


def test_bce_with_logits_equals_bce_of_sigmoid():
    rng = np.random.default_rng(4)
    z, t = rng.standard_normal(SHAPE), rng.uniform(0, 1, SHAPE)
    a = F.binary_cross_entropy_with_logits(tinynet.tensor(z), tinynet.tensor(t))
    b = F.binary_cross_entropy(tinynet.tensor(1 / (1 + np.exp(-z))), tinynet.tensor(t))
    assert abs(a.item() - b.item()) < 1e-12


def test_kl_div_batchmean_is_the_divergence_per_sample_and_0_log_0_is_0():
    p = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    q = np.array([[0.25, 0.25, 0.5], [0.2, 0.3, 0.5]])
    out = F.kl_div(tinynet.tensor(np.log(q)), tinynet.tensor(p), reduction="batchmean")
    assert out.item() == pytest.approx(np.log(2) / 2, rel=1e-12)
    t = tinynet.tensor(p, requires_grad=True)
    F.kl_div(tinynet.tensor(np.log(q)), t, reduction="sum").backward()
    assert np.isfinite(np.asarray(t.grad)).all()
    # a 0-d input: batchmean is the sum (there is no batch dim), as torch
    assert F.kl_div(tinynet.tensor(-1.0), tinynet.tensor(0.5), reduction="batchmean").item() \
        == pytest.approx(0.5 * (np.log(0.5) + 1), rel=1e-6)


def test_kl_div_mean_warns_as_torch():
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(tinynet.tensor([-1.0]), tinynet.tensor([0.5]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.kl_div(tinynet.tensor([-1.0]), tinynet.tensor([0.5]), reduction="batchmean")


def test_legacy_size_average_and_reduce_map_as_torch():
    x, t = tinynet.tensor([0.2, 0.6]), tinynet.tensor([1.0, 0.0])
    total = F.binary_cross_entropy(x, t, reduction="sum").item()
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert F.binary_cross_entropy(x, t, size_average=False).item() == total
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert F.l1_loss(x, t, reduce=False).shape == (2,)
    with pytest.warns(UserWarning, match="reduction='mean'"):
        assert nn.SmoothL1Loss(size_average=True).reduction == "mean"


# -- Module forms -----------------------------------------------------------------------
@pytest.mark.parametrize("module, fn, kw", [
    (nn.BCELoss, F.binary_cross_entropy, {}),
    (nn.BCEWithLogitsLoss, F.binary_cross_entropy_with_logits, {}),
    (nn.L1Loss, F.l1_loss, {}),
    (nn.SmoothL1Loss, F.smooth_l1_loss, {"beta": 0.3}),
    (nn.HuberLoss, F.huber_loss, {"delta": 0.3}),
    (nn.KLDivLoss, F.kl_div, {"log_target": True}),
])
@pytest.mark.parametrize("reduction", ["sum", "none"])
def test_modules_call_their_functional(module, fn, kw, reduction):
    rng = np.random.default_rng(5)
    x, t = rng.uniform(0.1, 0.9, SHAPE), rng.uniform(0.1, 0.9, SHAPE)
    a = module(reduction=reduction, **kw)(tinynet.tensor(x), tinynet.tensor(t))
    b = fn(tinynet.tensor(x), tinynet.tensor(t), reduction=reduction, **kw)
    assert np.array_equal(a.array, b.array)


def test_module_weights_are_buffers_as_torch(torch):
    w, pw = tinynet.tensor([1.0, 2.0, 3.0]), tinynet.tensor([0.5, 1.0, 4.0])
    m = nn.BCEWithLogitsLoss(weight=w, pos_weight=pw)
    ref = torch.nn.BCEWithLogitsLoss(weight=torch.ones(3), pos_weight=torch.ones(3))
    assert list(m.state_dict()) == list(ref.state_dict()) == ["weight", "pos_weight"]
    assert list(nn.BCELoss(weight=w).state_dict()) == ["weight"]
    assert list(nn.BCELoss().state_dict()) == []
    x, t = np.random.default_rng(6).standard_normal(SHAPE), np.ones(SHAPE)
    np.testing.assert_allclose(
        m(tinynet.tensor(x, dtype="float64"), tinynet.tensor(t, dtype="float64")).item(),
        torch.nn.BCEWithLogitsLoss(weight=torch.tensor([1.0, 2.0, 3.0]),
                                   pos_weight=torch.tensor([0.5, 1.0, 4.0]))(
            torch.tensor(x), torch.tensor(t)).item(), rtol=1e-6)
    assert repr(m) == "BCEWithLogitsLoss()" and repr(nn.KLDivLoss()) == "KLDivLoss()"


def test_float32_in_float32_out():
    x = tinynet.tensor([0.3, 0.8], requires_grad=True)
    for fn in (F.binary_cross_entropy, F.binary_cross_entropy_with_logits, F.l1_loss,
               F.smooth_l1_loss, F.huber_loss):
        out = fn(x, tinynet.tensor([1.0, 0.0]))
        assert out.dtype == np.float32
        out.backward()
        assert x.grad.dtype == np.float32
        x.grad = None


# -- argument errors: where torch raises, tinynet raises ---------------------------------
def _torch_raises(torch, fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises((ValueError, RuntimeError, TypeError)):
            fn(*args, **kw)


@pytest.mark.parametrize("name, args, kw, error, match", [
    ("binary_cross_entropy", ([1.5], [1.0]), {}, ValueError, "input should be between 0 and 1"),
    ("binary_cross_entropy", ([np.nan], [1.0]), {}, ValueError, "between 0 and 1"),
    ("binary_cross_entropy", ([0.5], [2.0]), {}, ValueError, "target should be between"),
    ("binary_cross_entropy", ([0.5, 0.5], [[1.0], [0.0]]), {}, ValueError, "shape"),
    ("binary_cross_entropy", ([0.5] * 4, [1.0] * 4), {"weight": [1.0] * 3}, ValueError,
     "does not broadcast"),
    ("binary_cross_entropy", ([0.5] * 4, [1.0] * 4), {"weight": [[1.0] * 4] * 3}, ValueError,
     "does not broadcast"),
    ("binary_cross_entropy", ([0.5], [1.0]), {"reduction": "x"}, ValueError, "reduction"),
    ("binary_cross_entropy", ([0.5], [1]), {}, TypeError, "floating point"),
    ("binary_cross_entropy_with_logits", ([0.0, 1.0], [[1.0], [0.0]]), {}, ValueError,
     "shape"),
    ("binary_cross_entropy_with_logits", ([[0.0] * 3] * 2, [[1.0] * 3] * 2),
     {"pos_weight": [1.0, 2.0]}, ValueError, "pos_weight of shape"),
    ("binary_cross_entropy_with_logits", ([0.5], [1.0]), {"reduction": "batchmean"},
     ValueError, "reduction"),
    ("smooth_l1_loss", ([0.5], [1.0]), {"beta": -1.0}, ValueError, "negative values for beta"),
    ("huber_loss", ([0.5], [1.0]), {"delta": 0.0}, ValueError, "non-positive values"),
    ("huber_loss", ([0.5], [1.0]), {"delta": -1.0}, ValueError, "non-positive values"),
    ("huber_loss", ([0.5, 1.0], [1.0, 0.0]), {"weight": [1.0]}, ValueError, "weight must"),
    ("l1_loss", ([0.5, 1.0], [1.0, 0.0]), {"weight": [1.0]}, ValueError, "weight must"),
    ("l1_loss", ([1, 2], [1, 2]), {}, TypeError, "floating point"),
    ("kl_div", ([-1.0], [0.5]), {"reduction": "x"}, ValueError, "reduction"),
])
def test_argument_errors_as_torch(torch, name, args, kw, error, match):
    def conv(mod, v):
        a = np.asarray(v)
        return mod.tensor(a if a.dtype.kind != "f" else a.astype(np.float64))
    tkw = {k: conv(torch, v) if isinstance(v, list) else v for k, v in kw.items()}
    _torch_raises(torch, getattr(torch.nn.functional, name), *(conv(torch, a) for a in args),
                  **tkw)
    okw = {k: conv(tinynet, v) if isinstance(v, list) else v for k, v in kw.items()}
    with pytest.raises(error, match=match):
        getattr(F, name)(*(conv(tinynet, a) for a in args), **okw)


def test_bce_weights_that_require_grad_are_refused_as_torch():
    w = tinynet.tensor([1.0, 2.0], requires_grad=True)
    x, t = tinynet.tensor([0.5, 0.5]), tinynet.tensor([1.0, 0.0])
    with pytest.raises(ValueError, match="weight must not require grad"):
        F.binary_cross_entropy(x, t, w)
    with pytest.raises(ValueError, match="weight must not require grad"):
        F.binary_cross_entropy_with_logits(x, t, w)
    with pytest.raises(ValueError, match="pos_weight must not require grad"):
        F.binary_cross_entropy_with_logits(x, t, pos_weight=w)


def test_bce_hints_at_logits():
    with pytest.raises(ValueError, match="binary_cross_entropy_with_logits"):
        F.binary_cross_entropy(tinynet.tensor([-2.0]), tinynet.tensor([1.0]))


@pytest.mark.parametrize("make, match", [
    (lambda: nn.BCELoss(reduction="avg"), "reduction"),
    (lambda: nn.KLDivLoss(reduction="avg"), "reduction"),
    (lambda: nn.L1Loss(reduction="avg"), "reduction"),
    (lambda: nn.SmoothL1Loss(beta=-1), "beta"),
    (lambda: nn.HuberLoss(delta=0), "delta"),
])
def test_modules_check_their_settings_when_built(make, match):
    # (torch only fails at the first forward; a bad setting is caught where it is written)
    with pytest.raises(ValueError, match=match):
        make()


def test_input_must_be_a_tensor():
    with pytest.raises(TypeError, match="input must be a Tensor"):
        F.l1_loss(np.zeros(2), tinynet.tensor([1.0, 2.0]))
