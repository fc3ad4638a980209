"""Second derivatives through linear, batch norm, dropout and the losses.

For each case, written once for both libraries (``F`` is tinynet's or torch's functional
module): ``gradgradcheck`` against finite differences, and against PyTorch's double
backward (the first derivatives g = J^T w and the Hessian-vector product d(g . v)/dx),
to 1e-10.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinynet as tn
import tinynet.nn.functional as TF
from tinynet.autograd import grad, gradgradcheck

R = np.random.default_rng(0)
X = R.standard_normal((4, 3))
W = R.standard_normal((2, 3))
B = R.standard_normal(2)
IMG = R.standard_normal((3, 2, 2, 2))
GAMMA, BETA = R.uniform(0.5, 1.5, 2), R.standard_normal(2)
RM, RV = R.standard_normal(2), R.uniform(0.5, 2.0, 2)
LOGITS = R.standard_normal((5, 4))
T = np.array([0, 3, 1, 1, 2])
T_IGN = np.array([0, -100, 1, 1, -100])
CW = R.uniform(0.5, 2.0, 4)
PROBS = R.dirichlet(np.ones(4), 5)
MASK = (R.random((4, 3)) > 0.4) / 0.6
TARGET = R.standard_normal((4, 3))


def _const(lib, a):
    return tn.tensor(a) if lib == "tn" else __import__("torch").tensor(a)


# name: (fn(F, const, *tensors), inputs)
CASES = {
    "linear": (lambda F, c, x, w, b: F.linear(x, w, b) ** 2, [X, W, B]),
    "batch_norm train": (lambda F, c, x, g, b: F.batch_norm(
        x, None, None, g, b, training=True) ** 2, [IMG, GAMMA, BETA]),
    "batch_norm eval": (lambda F, c, x, g, b: F.batch_norm(
        x, c(RM), c(RV), g, b, training=False) ** 2, [IMG, GAMMA, BETA]),
    "dropout (fixed mask)": (lambda F, c, x: (x * c(MASK)) ** 2, [X]),
    "cross_entropy": (lambda F, c, x: F.cross_entropy(x, c(T)), [LOGITS]),
    "cross_entropy sum, smoothing": (lambda F, c, x: F.cross_entropy(
        x, c(T), reduction="sum", label_smoothing=0.2), [LOGITS]),
    "cross_entropy weighted, ignored": (lambda F, c, x: F.cross_entropy(
        x, c(T_IGN), c(CW)), [LOGITS]),
    "cross_entropy none": (lambda F, c, x: F.cross_entropy(x, c(T), reduction="none"),
                           [LOGITS]),
    "cross_entropy probabilities": (lambda F, c, x, p: F.cross_entropy(
        x, p, label_smoothing=0.1), [LOGITS, PROBS]),
    "nll_loss of log_softmax": (lambda F, c, x: F.nll_loss(
        F.log_softmax(x, 1), c(T), c(CW)), [LOGITS]),
    "mse_loss": (lambda F, c, x, y: F.mse_loss(x ** 2, y), [X, TARGET]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_second_order_matches_finite_differences(name):
    fn, arrays = CASES[name]
    xs = [tn.tensor(a, requires_grad=True) for a in arrays]
    assert gradgradcheck(lambda *t: fn(TF, lambda a: _const("tn", a), *t), xs)


@pytest.mark.parametrize("name", list(CASES))
def test_second_order_matches_torch(name):
    torch = pytest.importorskip("torch")
    fn, arrays = CASES[name]
    rng = np.random.default_rng(1)
    xs = [tn.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(TF, lambda a: _const("tn", a), *xs)
    ref = fn(torch.nn.functional, lambda a: _const("torch", a), *ts)
    w = rng.standard_normal(out.shape)
    gs = grad(out, xs, tn.tensor(w), create_graph=True)
    rs = torch.autograd.grad(ref, ts, torch.tensor(w), create_graph=True)
    vs = [rng.standard_normal(a.shape) for a in arrays]
    for g, r in zip(gs, rs):
        np.testing.assert_allclose(g.array, r.detach().numpy(), rtol=1e-10, atol=1e-12)
    dot = sum((g * tn.tensor(v)).sum() for g, v in zip(gs, vs))
    rdot = sum((r * torch.tensor(v)).sum() for r, v in zip(rs, vs))
    hv = grad(dot, xs, allow_unused=True, materialize_grads=True)
    rhv = torch.autograd.grad(rdot, ts, allow_unused=True, materialize_grads=True)
    for h, r in zip(hv, rhv):
        np.testing.assert_allclose(h.array, r.numpy(), rtol=1e-10, atol=1e-12)
