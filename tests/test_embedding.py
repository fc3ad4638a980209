"""nn.Embedding and F.embedding: lookups and gradients against PyTorch (float64, copied
weights), padding_idx, max_norm, from_pretrained, init, and PyTorch's argument errors."""
import numpy as np
import pytest

import tinynet
import tinynet.nn as nn
import tinynet.nn.functional as F


IDX = np.array([[1, 2, 1, 0], [4, 4, 3, 1]])


@pytest.mark.parametrize("kw", [{}, {"padding_idx": 1}, {"padding_idx": -1},
                                {"max_norm": 1.0}, {"max_norm": 0.5, "norm_type": 1.0},
                                {"padding_idx": 4, "max_norm": 2.0}])
def test_matches_torch_with_copied_weights(torch, kw):
    w = np.random.default_rng(0).standard_normal((5, 3)) * 2
    ours, ref = nn.Embedding(5, 3, **kw).double(), torch.nn.Embedding(5, 3, **kw).double()
    assert ours.padding_idx == ref.padding_idx
    ours.load_state_dict({"weight": w})
    ref.load_state_dict({"weight": torch.tensor(w)})
    out, rout = ours(tinynet.tensor(IDX)), ref(torch.tensor(IDX))
    assert out.shape == tuple(rout.shape) == (2, 4, 3)
    np.testing.assert_allclose(out.array, rout.detach().numpy(), rtol=1e-12)
    # max_norm renormalised the looked-up rows in place, as torch
    np.testing.assert_allclose(ours.weight.array, ref.weight.detach().numpy(), rtol=1e-12)
    g = np.random.default_rng(1).standard_normal(out.shape)
    (out * tinynet.tensor(g)).sum().backward()
    (rout * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(ours.weight.grad, ref.weight.grad.numpy(), rtol=1e-12)


def test_padding_row_starts_at_zero_and_gets_no_gradient():
    tinynet.manual_seed(0)
    e = nn.Embedding(6, 4, padding_idx=2)
    assert np.all(e.weight.array[2] == 0) and np.all(e.weight.array[[0, 1, 3]] != 0)
    with tinynet.no_grad():
        e.weight.array[2] = 7.0          # a changed padding row is still looked up
    out = e(tinynet.tensor([2, 3, 2]))
    np.testing.assert_array_equal(out.array[0], [7.0] * 4)
    out.sum().backward()
    grad = np.asarray(e.weight.grad)
    np.testing.assert_array_equal(grad[2], 0)
    np.testing.assert_array_equal(grad[3], 1)


def test_repeated_indices_add_their_gradients():
    e = nn.Embedding(3, 2)
    (e(tinynet.tensor([0, 0, 2, 0])) * tinynet.tensor([[1.0, 2.0]] * 4)).sum().backward()
    np.testing.assert_array_equal(e.weight.grad, [[3, 6], [0, 0], [1, 2]])


def test_init_is_standard_normal_float32():
    tinynet.manual_seed(0)
    w = nn.Embedding(1000, 50).weight
    assert w.dtype == np.float32 and w.requires_grad
    assert abs(w.array.mean()) < 0.02 and abs(w.array.std() - 1) < 0.02
    assert nn.Embedding(3, 2, dtype=np.float64).weight.dtype == np.float64


def test_from_pretrained(torch):
    vecs = np.arange(12.0).reshape(4, 3)
    e = nn.Embedding.from_pretrained(tinynet.tensor(vecs))
    r = torch.nn.Embedding.from_pretrained(torch.tensor(vecs))
    assert not e.weight.requires_grad and not r.weight.requires_grad
    assert repr(e) == repr(r) == "Embedding(4, 3)"
    np.testing.assert_array_equal(e(tinynet.tensor([3, 0])).array, vecs[[3, 0]])
    trainable = nn.Embedding.from_pretrained(tinynet.tensor(vecs), freeze=False, padding_idx=0)
    assert trainable.weight.requires_grad and trainable.padding_idx == 0
    np.testing.assert_array_equal(trainable.weight.array[0], [0, 1, 2])  # kept as given
    vecs[0, 0] = 99.0
    assert e.weight.array[0, 0] == 0  # a copy


def test_functional_form_and_int32_indices(torch):
    w = tinynet.tensor(np.arange(10.0).reshape(5, 2), requires_grad=True)
    idx = tinynet.tensor(np.array([4, 1], dtype=np.int32))
    out = F.embedding(idx, w, padding_idx=1)
    np.testing.assert_array_equal(out.array, [[8, 9], [2, 3]])
    out.sum().backward()
    np.testing.assert_array_equal(w.grad, [[0, 0], [0, 0], [0, 0], [0, 0], [1, 1]])
    assert F.embedding(tinynet.tensor(3), w).shape == (2,)   # a 0-d index


def test_repr_as_torch(torch):
    for kw in ({}, {"padding_idx": 1}, {"max_norm": 1.0, "norm_type": 1.0}):
        assert repr(nn.Embedding(5, 3, **kw)) == repr(torch.nn.Embedding(5, 3, **kw))


@pytest.mark.parametrize("call, error, match", [
    (lambda m, T: m.Embedding(5, 3)(T.zeros(3)), TypeError, "Long|integer"),
    (lambda m, T: m.Embedding(5, 3)(T.tensor([5])), IndexError, "index out of range"),
    (lambda m, T: m.Embedding(5, 3)(T.tensor([-1])), IndexError, "index out of range"),
    (lambda m, T: m.Embedding(5, 3, padding_idx=5), ValueError, "Padding_idx must be within"),
    (lambda m, T: m.Embedding(5, 3, padding_idx=-6), ValueError, "Padding_idx must be within"),
    (lambda m, T: m.Embedding.from_pretrained(T.zeros(3)), ValueError, "2-dimensional"),
    (lambda m, T: m.Embedding(5, 3, _weight=T.zeros(4, 3)), ValueError, "Shape of weight"),
])
def test_argument_errors_as_torch(torch, call, error, match):
    with pytest.raises((error, RuntimeError, AssertionError), match=match):
        call(torch.nn, torch)
    with pytest.raises(error, match=match):
        call(nn, tinynet)


def test_unsupported_options_are_refused_by_name():
    for kw in ({"sparse": True}, {"scale_grad_by_freq": True}):
        with pytest.raises(ValueError, match=f"{list(kw)[0]}=True is not supported"):
            nn.Embedding(5, 3, **kw)
