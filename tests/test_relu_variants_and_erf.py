"""LeakyReLU, ELU, GELU (exact and tanh) and the erf op: values and gradients against
PyTorch in float64, against finite differences, inplace forms, and argument errors."""
import math

import numpy as np
import pytest

import tinynet
import tinynet.nn as nn
import tinynet.nn.functional as F
from tinynet import gradcheck


# values around every kink and into both tails, 0 itself included
X = np.concatenate([np.linspace(-6, 6, 49), [0.0, -1e-8, 1e-8, -30.0, 30.0, 800.0, -800.0]])

CASES = [("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.2}),
         ("leaky_relu", {"negative_slope": -0.5}), ("elu", {}), ("elu", {"alpha": 0.3}),
         ("gelu", {}), ("gelu", {"approximate": "tanh"})]


@pytest.mark.parametrize("name, kw", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_functional_matches_torch(torch, name, kw):
    xt, xr = tinynet.tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    out = getattr(F, name)(xt, **kw)
    ref = getattr(torch.nn.functional, name)(xr, **kw)
    np.testing.assert_allclose(out.array, ref.detach().numpy(), rtol=1e-12, atol=1e-15)
    g = np.random.default_rng(0).standard_normal(X.shape)
    (out * tinynet.tensor(g)).sum().backward()
    (ref * torch.tensor(g)).sum().backward()
    assert np.isfinite(np.asarray(xt.grad)).all()
    np.testing.assert_allclose(xt.grad, xr.grad.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("module, kw", [(nn.LeakyReLU, {"negative_slope": 0.1}),
                                        (nn.ELU, {"alpha": 2.0}), (nn.GELU, {}),
                                        (nn.GELU, {"approximate": "tanh"})])
def test_modules_match_torch(torch, module, kw):
    x = np.random.default_rng(1).standard_normal((2, 3, 4)).astype(np.float32)
    out = module(**kw)(tinynet.tensor(x))
    ref = getattr(torch.nn, module.__name__)(**kw)(torch.tensor(x))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.array, ref.numpy(), rtol=1e-6, atol=1e-7)
    assert repr(module(**kw)) == repr(getattr(torch.nn, module.__name__)(**kw))


def test_reprs_as_torch(torch):
    for m in ("LeakyReLU", "ELU"):
        assert repr(getattr(nn, m)(0.5, True)) == repr(getattr(torch.nn, m)(0.5, True))


@pytest.mark.parametrize("name, kw", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_gradients_match_finite_differences(name, kw):
    x = np.random.default_rng(2).standard_normal(12) * 3
    x = np.where(np.abs(x) < 0.05, 0.5, x)  # off the kink at 0
    assert gradcheck(lambda t: getattr(F, name)(t, **kw), [tinynet.tensor(x, requires_grad=True)])


def test_erf_matches_math_and_torch(torch):
    x = np.array([[-3.0, -0.5, 0.0], [1e-3, 0.7, 4.0]])
    xt = tinynet.tensor(x, requires_grad=True)
    out = tinynet.erf(xt)
    assert out.shape == (2, 3) and out.dtype == np.float64
    np.testing.assert_array_equal(out.array, np.vectorize(math.erf)(x))
    np.testing.assert_allclose(out.array, torch.erf(torch.tensor(x)).numpy(), rtol=1e-15)
    out.sum().backward()
    np.testing.assert_allclose(xt.grad, 2 / np.sqrt(np.pi) * np.exp(-x * x), rtol=1e-15)
    assert gradcheck(tinynet.erf, [xt])
    assert xt.erf().grad_fn.op == "erf"                       # also a method, as torch
    assert tinynet.erf(tinynet.tensor(0.5)).shape == ()       # 0-d stays 0-d
    assert tinynet.erf(tinynet.tensor([1, 2])).dtype == np.float32   # ints -> float32
    x32 = tinynet.tensor([0.5, -1.5], requires_grad=True)
    tinynet.erf(x32).sum().backward()
    assert tinynet.erf(x32).dtype == x32.grad.dtype == np.float32


def test_erf_backward_written_with_tensor_ops_accepts_tensor_gradients():
    # the gradient rule also runs on Tensor gradients (a recorded backward), giving a Tensor
    x = tinynet.tensor([0.3, -1.2], dtype="float64", requires_grad=True)
    node = tinynet.erf(x).grad_fn
    g = node.backward(tinynet.tensor([1.0, 2.0], dtype="float64"))[0]
    assert isinstance(g, tinynet.Tensor) and g.requires_grad    # on the tape, through x
    np.testing.assert_allclose(g.array, np.array([1.0, 2.0]) * 2 / np.sqrt(np.pi) *
                               np.exp(-x.array ** 2), rtol=1e-15)


def test_inplace_forms():
    x = tinynet.tensor([-2.0, 0.5])
    assert F.leaky_relu(x, 0.1, inplace=True) is x
    np.testing.assert_allclose(x.array, [-0.2, 0.5], rtol=1e-6)
    y = tinynet.tensor([-1.0, 2.0])
    nn.ELU(inplace=True)(y)
    np.testing.assert_allclose(y.array, [np.expm1(-1.0), 2.0], rtol=1e-6)
    w = tinynet.tensor([-1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="inplace=True"):
        F.elu(w, inplace=True)
    with tinynet.no_grad():
        assert F.leaky_relu(w, inplace=True) is w


def test_argument_errors():
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
        F.gelu(tinynet.tensor([1.0]), approximate="erf")
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("fast")
    with pytest.raises(TypeError, match="negative_slope must be a number"):
        F.leaky_relu(tinynet.tensor([1.0]), "a")
    with pytest.raises(TypeError, match="alpha must be a number"):
        nn.ELU(alpha=None)
    with pytest.raises(TypeError, match="floating point"):
        F.gelu(tinynet.tensor([1, 2]))
    with pytest.raises(TypeError, match="must be a Tensor"):
        F.elu(np.zeros(2))


def test_erf_and_exact_gelu_have_second_derivatives(torch):
    # erf's gradient rule is written with Tensor ops, so a recorded backward differentiates
    x = np.array([-1.5, -0.2, 0.3, 2.0])
    xt = tinynet.tensor(x, requires_grad=True)
    assert tinynet.autograd.gradgradcheck(tinynet.erf, [xt])
    assert tinynet.autograd.gradgradcheck(F.gelu, [xt])
    ones = tinynet.tensor(np.ones(4))   # (not .sum(): its rule is numpy-only for now)
    (g,) = tinynet.autograd.grad(F.gelu(xt), xt, ones, create_graph=True)
    (h,) = tinynet.autograd.grad(g, xt, ones)
    xr = torch.tensor(x, requires_grad=True)
    (gr,) = torch.autograd.grad(torch.nn.functional.gelu(xr).sum(), xr, create_graph=True)
    (hr,) = torch.autograd.grad(gr.sum(), xr)
    np.testing.assert_allclose(np.asarray(g), gr.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(h), hr.numpy(), rtol=1e-10)
