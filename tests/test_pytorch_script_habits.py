"""PyTorch habits that a literal port (``import tinynet as torch``) relies on.

Each test compares with torch where torch is involved; each failed before its fix (found by
porting ten typical PyTorch scripts).
"""
import math

import numpy as np
import pytest

import tinynet
import tinynet.nn as nn
import tinynet.nn.functional as F


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


# -- x.size(0), x.size(): PyTorch's method; x.size stays numpy's element count ----------
def test_size_is_callable_like_torch(torch):
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    x, tx = tinynet.tensor(a), torch.tensor(a)
    assert x.size() == tuple(tx.size())
    for d in (0, 1, 2, -1, -3):
        assert x.size(d) == tx.size(d)
    assert x.view(x.size(0), -1).shape == tuple(tx.view(tx.size(0), -1).shape)
    assert x.size == 24 and x.size + 1 == 25  # still the element count (numpy's meaning)


def test_size_dim_errors():
    x = tinynet.ones(2, 3)
    with pytest.raises(IndexError, match="dim 2 is out of range for a tensor with 2 dims"):
        x.size(2)
    with pytest.raises(IndexError, match="out of range"):
        tinynet.tensor(1.0).size(0)
    with pytest.raises(TypeError, match="dim must be an int"):
        x.size("0")


# -- x += y is in place, as in PyTorch ---------------------------------------------------
def test_manual_sgd_loop_over_parameters_updates_them(torch):
    w = np.array([[0.5, -1.0], [2.0, 0.25]])
    results = []
    for lib in (tinynet, torch):
        lin = lib.nn.Linear(2, 2).double()
        with lib.no_grad():
            lin.weight.copy_(lib.tensor(w))
            lin.bias.zero_()
        lin(lib.tensor([[1.0, 2.0]], dtype=lib.float64)).pow(2).sum().backward()
        with lib.no_grad():
            for p in lin.parameters():
                p -= 0.1 * p.grad   # rebinding p here would leave the model unchanged
        results.append(np.array(lin.weight.detach().tolist()))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)
    assert not np.allclose(results[0], w)


def test_inplace_operators_alias_and_version(torch):
    x = tinynet.ones(3)
    alias = x
    x += 1
    x *= 3
    x -= 1
    x /= 5
    assert x is alias
    np.testing.assert_allclose(x.numpy(), (((torch.ones(3) + 1) * 3 - 1) / 5).numpy())
    assert x._version == 4


def test_inplace_on_leaf_that_requires_grad_is_an_error():
    p = tinynet.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="cannot be changed in place while recording"):
        p += 1


def test_inplace_on_intermediate_keeps_gradients(torch):
    a = np.array([1.0, -2.0, 3.0])
    grads = []
    for lib in (tinynet, torch):
        x = lib.tensor(a, requires_grad=True)
        identity = x * 3
        out = x * x
        out += identity          # a residual connection, written as PyTorch users do
        out *= 2
        out.sum().backward()
        grads.append(np.array(x.grad.tolist()))
    np.testing.assert_allclose(grads[0], grads[1])


def test_inplace_int_with_float_result_is_an_error_as_torch(torch):
    with pytest.raises(RuntimeError):
        t = torch.tensor([1, 2])
        t += 0.5
    x = tinynet.tensor([1, 2])
    with pytest.raises(TypeError, match="cannot be stored in place in a tensor of dtype int64"):
        x += 0.5
    with pytest.raises(TypeError, match="int64"):
        x /= 2
    x *= 3
    assert x.tolist() == [3, 6] and x.dtype == np.int64


@pytest.mark.parametrize("method, arg", [("add_", 0.5), ("sub_", 0.5), ("mul_", 1.5),
                                         ("div_", 2), ("div_", 2.0)])
def test_inplace_methods_refuse_a_float_result_in_an_int_tensor_as_torch(torch, method, arg):
    with pytest.raises(RuntimeError, match="can't be cast"):
        getattr(torch.tensor([1, 2]), method)(arg)
    x = tinynet.tensor([1, 2])
    with pytest.raises(TypeError, match=f"{method}: the result .* cannot be stored in place"):
        getattr(x, method)(arg)
    assert x.tolist() == [1, 2]
    b = tinynet.tensor([True, False])
    with pytest.raises(TypeError, match="in a tensor of dtype bool"):
        b.add_(1)


def test_inplace_methods_within_a_kind_still_work():
    x = tinynet.tensor([1.0, 2.0])  # float32
    x.add_(np.array([1.0, 1.0]))    # float64 values into float32: same kind, as torch
    x.mul_(2).sub_(1, alpha=0.5).div_(2)
    np.testing.assert_allclose(x.array, [1.75, 2.75])
    i = tinynet.tensor([1, 2])
    i.add_(3).mul_(2)
    assert i.tolist() == [8, 10] and i.dtype == np.int64


# -- f"{loss:.4f}" ---------------------------------------------------------------------
def test_format_of_0d_tensor(torch):
    for spec in (".4f", ".2e", "", "8.3f"):
        assert format(tinynet.tensor(1.23456), spec) == format(torch.tensor(1.23456), spec)
    with pytest.raises(TypeError):
        format(tinynet.ones(2), ".2f")


# -- ~mask, a & b, a | b, a ^ b ------------------------------------------------------------
def test_logical_operators(torch):
    a = np.array([1.0, -1.0, 2.0, 0.0])
    x, tx = tinynet.tensor(a), torch.tensor(a)
    for f in (lambda v: ~(v > 0), lambda v: (v > 0) & (v < 2), lambda v: (v > 0) | (v < 0),
              lambda v: (v > 0) ^ (v >= 0), lambda v: (v > 0) & True):
        assert f(x).tolist() == f(tx).tolist()
    with pytest.raises(TypeError, match="only bool and integer tensors, got dtype float32"):
        ~tinynet.ones(2)


# -- dtype names and casts ------------------------------------------------------------------
def test_dtype_aliases(torch):
    for name in ("long", "float", "double", "int", "int32", "bool", "uint8", "float16", "half"):
        t = tinynet.zeros(2, dtype=getattr(tinynet, name))
        assert str(t.dtype) == str(getattr(torch, name)).replace("torch.", "")
    y = tinynet.tensor([0, 2, 1], dtype=tinynet.long)
    assert y.dtype == np.int64


def test_cast_methods(torch):
    a = np.array([1.7, -0.2, 0.0])
    for m in ("long", "int", "bool", "half"):
        ours, theirs = getattr(tinynet.tensor(a), m)(), getattr(torch.tensor(a), m)()
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_cast_to_int_does_not_require_grad(torch):
    x = tinynet.ones(2, requires_grad=True)
    assert torch.ones(2, requires_grad=True).long().requires_grad is False
    assert x.long().requires_grad is False
    assert x.to(tinynet.int64).requires_grad is False
    assert x.double().requires_grad is True


# -- torch.equal, torch.allclose, inference_mode, from_numpy, randperm ----------------------
def test_equal_and_allclose(torch):
    a, b = np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-7])
    for x, y in ((a, a), (a, b), (a, a[:1]), (a, np.array([1.0, 3.0]))):
        assert tinynet.equal(tinynet.tensor(x), tinynet.tensor(y)) == \
            torch.equal(torch.tensor(x), torch.tensor(y))
        if x.shape == y.shape:
            assert tinynet.tensor(x).allclose(tinynet.tensor(y)) == \
                torch.tensor(x).allclose(torch.tensor(y))
    assert tinynet.allclose(tinynet.tensor(a), tinynet.tensor(a + 0.5), atol=0.6)
    assert isinstance(tinynet.equal(tinynet.tensor(a), tinynet.tensor(a)), bool)
    with pytest.raises(TypeError, match="other must be a Tensor"):
        tinynet.equal(tinynet.tensor(a), a)


def test_inference_mode():
    w = tinynet.ones(2, requires_grad=True)
    with tinynet.inference_mode():
        assert not (w * 2).requires_grad
    assert (w * 2).requires_grad


def test_from_numpy_shares_memory_and_dtype(torch):
    a = np.zeros(3)
    x = tinynet.from_numpy(a)
    a[0] = 5
    assert x.tolist() == torch.from_numpy(a).tolist() and x.dtype == np.float64
    with pytest.raises(TypeError, match="expected a numpy.ndarray, got list"):
        tinynet.from_numpy([1, 2])


def test_randperm():
    tinynet.manual_seed(3)
    p = tinynet.randperm(10)
    tinynet.manual_seed(3)
    assert p.dtype == np.int64 and sorted(p.tolist()) == list(range(10))
    assert tinynet.randperm(10).tolist() == p.tolist()
    with pytest.raises(ValueError, match="randperm: n must be a non-negative int"):
        tinynet.randperm(-1)


def test_linspace(torch):
    for start, end, steps in ((-2, 2, 100), (0, 1, 5), (0.5, -3, 7), (1, 1, 1), (0, 1, 0)):
        ours, theirs = tinynet.linspace(start, end, steps), torch.linspace(start, end, steps)
        assert ours.dtype == np.float32 and ours.shape == tuple(theirs.shape)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-6)
    assert tinynet.linspace(0, 1, 3, dtype=tinynet.float64).dtype == np.float64
    with pytest.raises(ValueError, match="steps must be a non-negative int"):
        tinynet.linspace(0, 1, -1)


# -- torch.max(a, b) / torch.min(a, b): elementwise ------------------------------------------
def test_max_min_of_two_tensors(torch):
    a, b = np.array([1.0, 5.0, 3.0]), np.array([2.0, 2.0, 3.0])
    for name in ("max", "min"):
        got = []
        for lib in (tinynet, torch):
            x = lib.tensor(a, requires_grad=True)
            out = getattr(lib, name)(x, lib.tensor(b))
            (out * lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)).sum().backward()
            got.append((out.tolist(), x.grad.tolist()))
        assert got[0] == got[1]


# -- torch.where ---------------------------------------------------------------------------
def test_where_values_and_gradients(torch):
    c = np.array([[True, False, True]])
    a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    b = np.array([10.0, 20.0, 30.0])
    got = []
    for lib in (tinynet, torch):
        x, y = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        out = lib.where(lib.tensor(c), x, y)
        (out * out).sum().backward()
        got.append((out.tolist(), x.grad.tolist(), y.grad.tolist()))
    assert got[0] == got[1]
    x = tinynet.tensor([1.0, -1.0])
    assert tinynet.where(x > 0, x, 0.0).tolist() == [1.0, 0.0]
    assert tinynet.where(x > 0, x, 0.0).dtype == np.float32
    assert x.where(x > 0, -5.0).tolist() == torch.tensor([1.0, -1.0]).where(
        torch.tensor([True, False]), -5.0).tolist()
    with pytest.raises(TypeError, match="condition must be a bool tensor"):
        tinynet.where(x, x, 0.0)
    with pytest.raises(ValueError, match="do not broadcast"):
        tinynet.where(x > 0, x, tinynet.ones(3))


# -- F.one_hot ---------------------------------------------------------------------------------
def test_one_hot(torch):
    y = np.array([[0, 2], [1, 3]])
    assert F.one_hot(tinynet.tensor(y)).tolist() == torch.nn.functional.one_hot(
        torch.tensor(y)).tolist()
    assert F.one_hot(tinynet.tensor(y), num_classes=6).tolist() == \
        torch.nn.functional.one_hot(torch.tensor(y), num_classes=6).tolist()
    assert F.one_hot(tinynet.tensor(y)).dtype == np.int64
    with pytest.raises(TypeError, match="integer class indices"):
        F.one_hot(tinynet.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="out of range for num_classes=3"):
        F.one_hot(tinynet.tensor([0, 5]), 3)


# -- nn.utils.clip_grad_norm_ / clip_grad_value_ ---------------------------------------------
def _two_params(lib, dtype):
    a = lib.tensor(np.array([[3.0, -4.0], [1.0, 2.0]]), dtype=dtype, requires_grad=True)
    b = lib.tensor(np.array([0.5, -12.0]), dtype=dtype, requires_grad=True)
    ((a * a).sum() + (b ** 3).sum()).backward()
    return [a, b]


@pytest.mark.parametrize("max_norm,norm_type", [(1.0, 2.0), (1000.0, 2.0), (2.0, 1.0),
                                                (5.0, math.inf)])
def test_clip_grad_norm_matches_torch(torch, max_norm, norm_type):
    ours, theirs = _two_params(tinynet, "float64"), _two_params(torch, torch.float64)
    t_ours = nn.utils.clip_grad_norm_(ours, max_norm=max_norm, norm_type=norm_type)
    t_theirs = torch.nn.utils.clip_grad_norm_(theirs, max_norm=max_norm, norm_type=norm_type)
    assert float(t_ours) == pytest.approx(float(t_theirs), rel=1e-12)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_float32_and_errors(torch):
    ours, theirs = _two_params(tinynet, "float32"), _two_params(torch, torch.float32)
    total = nn.utils.clip_grad_norm_(ours, 1.0)
    assert total.dtype == np.float32
    assert float(total) == pytest.approx(float(torch.nn.utils.clip_grad_norm_(theirs, 1.0)))
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-6)
    assert float(nn.utils.clip_grad_norm_([tinynet.ones(2, requires_grad=True)], 1.0)) == 0.0
    ours[0].grad[0, 0] = np.nan
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    with pytest.raises(TypeError, match="max_norm must be a number"):
        nn.utils.clip_grad_norm_(ours, "1")


def test_clip_grad_value_matches_torch(torch):
    ours, theirs = _two_params(tinynet, "float64"), _two_params(torch, torch.float64)
    nn.utils.clip_grad_value_(ours, 3.0)
    torch.nn.utils.clip_grad_value_(theirs, 3.0)
    for p, q in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad, q.grad.numpy())


# -- torch.load(path, map_location="cpu", weights_only=True) -----------------------------------
def test_load_accepts_torch_keywords(tmp_path):
    path = tmp_path / "ckpt.pt"
    tinynet.save({"epoch": 3, "w": tinynet.ones(2)}, path)
    ck = tinynet.load(path, map_location="cpu", weights_only=True)
    assert ck["epoch"] == 3 and ck["w"].tolist() == [1.0, 1.0]
    assert tinynet.load(path, "cpu")["epoch"] == 3
    with pytest.raises(ValueError, match="map_location='cuda:0' is not supported"):
        tinynet.load(path, map_location="cuda:0")
    with pytest.raises(TypeError, match="weights_only must be True or False"):
        tinynet.load(path, weights_only="yes")


# -- class MyData(tinynet.data.Dataset) --------------------------------------------------------
def test_dataset_base_class_with_dataloader():
    from tinynet.data import DataLoader, Dataset

    class Squares(Dataset):
        def __init__(self, n):
            self.x = tinynet.arange(n, dtype=tinynet.float32)

        def __len__(self):
            return len(self.x)

        def __getitem__(self, i):
            return self.x[i].unsqueeze(0), self.x[i] ** 2

    batches = [(xb.shape, yb.tolist()) for xb, yb in DataLoader(Squares(5), batch_size=2)]
    assert batches == [((2, 1), [0.0, 1.0]), ((2, 1), [4.0, 9.0]), ((1, 1), [16.0])]
    with pytest.raises(NotImplementedError, match="must define __getitem__"):
        Dataset()[0]


# -- F.pad ---------------------------------------------------------------------------------------
def test_functional_pad(torch):
    a = np.arange(6.0).reshape(1, 2, 3)
    for args in (((1, 2),), ((1, 0, 2, 1),), ((1, 1), "constant", 7.0), ((0, 1), "constant", None)):
        assert F.pad(tinynet.tensor(a), *args).tolist() == \
            torch.nn.functional.pad(torch.tensor(a), *args).tolist()


def test_inplace_operator_onto_a_plain_tensor_keeps_the_gradient_of_what_is_added():
    torch = pytest.importorskip("torch")
    results = []
    for lib in (tinynet, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        v = lib.tensor([4.0, 5.0], requires_grad=True)
        acc = lib.zeros(2)
        acc += w * 3          # acc does not require grad, w * 3 does
        acc *= v
        acc.sum().backward()
        results.append((np.asarray(w.grad), np.asarray(v.grad)))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs)


@pytest.mark.parametrize("write", [
    lambda acc, w: acc.add_(w), lambda acc, w: acc.sub_(w), lambda acc, w: acc.mul_(w),
    lambda acc, w: acc.div_(w), lambda acc, w: acc.copy_(w),
    lambda acc, w: acc.__setitem__(slice(None), w)])
def test_inplace_method_writing_a_value_that_requires_grad_is_refused(write):
    # tinynet records no in-place op: the gradient of w would be lost without a word
    w = tinynet.tensor([1.0, 2.0], requires_grad=True)
    acc = tinynet.ones(2)
    with pytest.raises(RuntimeError, match="requires grad, and tinynet does not record"):
        write(acc, w)
    np.testing.assert_array_equal(acc.array, [1.0, 1.0])  # untouched
    with tinynet.no_grad():
        write(acc, w)  # nothing is recorded there, so nothing is lost
