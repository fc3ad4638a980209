"""nn.ReLU(inplace=True) / LeakyReLU(inplace=True) in a model being trained (DCGAN- and
VGG-style code): the same values and gradients as the out-of-place layers, and as torch."""
import numpy as np
import pytest

import tinynet as tn
import tinynet.nn as nn


def _net(act):
    tn.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 5), act, nn.Linear(5, 2)).double()


@pytest.mark.parametrize("make", [lambda ip: nn.ReLU(inplace=ip),
                                  lambda ip: nn.LeakyReLU(0.2, inplace=ip),
                                  lambda ip: nn.ELU(inplace=ip)])
def test_inplace_activation_trains_like_the_out_of_place_one(make):
    x = tn.tensor(np.random.default_rng(0).standard_normal((3, 4)))
    grads = []
    for inplace in (False, True):
        net = _net(make(inplace))
        loss = (net(x) ** 2).sum()
        loss.backward()
        grads.append([p.grad.array.copy() for p in net.parameters()])
    for a, b in zip(*grads):
        np.testing.assert_array_equal(a, b)


def test_inplace_relu_matches_torch():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(1).standard_normal((3, 4))
    w = np.random.default_rng(2).standard_normal((5, 4))
    x, wt = tn.tensor(a), tn.tensor(w, requires_grad=True)
    out = nn.ReLU(inplace=True)(x @ wt.mT)
    out.sum().backward()
    xh, wh = torch.tensor(a), torch.tensor(w, requires_grad=True)
    torch.nn.ReLU(inplace=True)(xh @ wh.T).sum().backward()
    np.testing.assert_allclose(wt.grad.array, wh.grad.numpy(), rtol=1e-12)


def test_inplace_on_a_leaf_that_requires_grad_is_refused_as_in_torch():
    leaf = tn.tensor([1.0, -1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        nn.ReLU(inplace=True)(leaf)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        nn.LeakyReLU(inplace=True)(leaf)


def test_inplace_without_recording_still_overwrites_the_input():
    x = tn.tensor([1.0, -2.0])
    assert nn.ReLU(inplace=True)(x) is x and x.tolist() == [1.0, 0.0]
