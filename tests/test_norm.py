"""x.norm() / tinynet.norm: values and gradients against PyTorch, and finite differences."""
import math

import numpy as np
import pytest

import tinynet as tn

CASES = [(p, dim, kd) for p in ("fro", 2, 1, 3, 0.5, math.inf, -math.inf)
         for dim, kd in ((None, False), (1, False), (1, True), ((0, 1), False), (0, True))]


@pytest.mark.parametrize("p,dim,keepdim", CASES)
def test_norm_matches_torch(p, dim, keepdim):
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(0).standard_normal((3, 4))
    t, th = tn.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    args = (p,) if dim is None else (p, dim, keepdim)
    out, ref = t.norm(*args), th.norm(*args)
    np.testing.assert_allclose(out.array, ref.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(t.grad.array, th.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("p", ["fro", 1, 3])
def test_norm_gradcheck(p):
    x = tn.tensor(np.random.default_rng(1).standard_normal((2, 5)) + 0.1, requires_grad=True)
    assert tn.gradcheck(lambda v: tn.norm(v, p, dim=1), [x])


def test_gradient_of_a_zero_vector_is_zero_not_nan():
    z = tn.zeros(3, requires_grad=True)
    z.norm().backward()
    assert np.array_equal(z.grad.array, [0.0, 0.0, 0.0])  # torch: 0 too, not 0/0


def test_the_pytorch_habits_on_grad_and_data():
    w = tn.tensor([3.0, 4.0], requires_grad=True)
    (w * w).sum().backward()
    assert w.grad.norm().item() == pytest.approx(10.0) and w.data.norm().item() == 5.0


@pytest.mark.parametrize("bad", [0, -1, "nuc", float("nan")])
def test_unsupported_p_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="p must be"):
        tn.tensor([1.0, 2.0]).norm(bad)
