"""Tensor habits of PyTorch scripts: ``.type()``, ``__index__``, ``.item()``, ``torch.max(t.data,
1)`` and its friends sort / argsort / topk -- values and gradients against torch (float64)."""
import operator

import numpy as np
import pytest

import tinynet
from tinynet.compat.device import DeviceError
from tinynet.compat.legacy import LegacyTensor


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


# -- .type() ------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "int16",
                                   "int8", "uint8", "bool"])
def test_type_names_match_torch(torch, dtype):
    assert tinynet.zeros(2, dtype=dtype).type() == torch.zeros(2, dtype=getattr(torch, dtype)).type()


def test_type_converts_as_torch(torch):
    a = np.array([1.5, -2.25, 3.0])
    x, tx = tinynet.tensor(a, dtype="float32"), torch.tensor(a, dtype=torch.float32)
    pairs = [(x.type(tinynet.float64), tx.type(torch.float64)),
             (x.type("torch.DoubleTensor"), tx.type("torch.DoubleTensor")),
             (x.type(tinynet.LongTensor), tx.type(torch.LongTensor)),
             (x.type(tinynet.IntTensor), tx.type(torch.IntTensor)),
             (x.type(LegacyTensor), tx.type(torch.Tensor)),
             (x.type(np.float64, non_blocking=True), tx.type(torch.float64, non_blocking=True))]
    for t, tt in pairs:
        assert t.type() == tt.type()
        np.testing.assert_array_equal(np.asarray(t), tt.numpy())
    assert x.type(tinynet.FloatTensor) is x  # already that type: itself, as torch


def test_type_conversion_carries_the_gradient(torch):
    a = np.array([0.5, -1.0])
    x, tx = tinynet.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    (x.type(tinynet.float32) * 3).sum().backward()
    (tx.type(torch.float32) * 3).sum().backward()
    np.testing.assert_array_equal(np.asarray(x.grad), tx.grad.numpy())
    assert x.grad.dtype == np.float64


def test_type_errors(torch):
    x = tinynet.zeros(2)
    with pytest.raises(ValueError, match="invalid type"):
        torch.zeros(2).type("float")
    with pytest.raises(ValueError, match="invalid type"):
        x.type("torch.FooTensor")
    with pytest.raises(DeviceError, match="tinynet runs on the CPU only"):
        x.type("torch.cuda.FloatTensor")


# -- __index__ ----------------------------------------------------------------------------
def test_index_uses_like_torch(torch):
    items = [10, 20, 30, 40]
    for lib in (tinynet, torch):
        i = lib.tensor(2)
        assert items[i] == 30 and items[lib.tensor([1])] == 20
        assert items[lib.tensor(True)] == 20
        assert list(range(lib.tensor(3))) == [0, 1, 2]
        assert items[lib.tensor(1):lib.tensor(3)] == [20, 30]
        assert hex(lib.tensor(255)) == "0xff" and operator.index(lib.tensor(-4)) == -4
        for bad in (lib.tensor(1.0), lib.tensor([1, 2])):
            with pytest.raises(TypeError, match="only integer tensors of a single element"):
                items[bad]


def test_index_keeps_numpy_and_tensor_indexing(torch):
    a = np.arange(10) * 10
    assert a[tinynet.tensor(3)] == 30
    np.testing.assert_array_equal(a[tinynet.tensor([1, 4])], [10, 40])
    np.testing.assert_array_equal(a[tinynet.tensor(a > 60)], [70, 80, 90])
    x = tinynet.arange(10)
    assert x[tinynet.tensor(2)].item() == 2 and x[tinynet.tensor([2, 3])].tolist() == [2, 3]


# -- .item() ------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(), (1,), (1, 1), (1, 1, 1)])
def test_item_on_one_element_tensors(torch, shape):
    a = np.full(shape, 2.5)
    assert tinynet.tensor(a).item() == torch.tensor(a).item() == 2.5
    assert type(tinynet.tensor(a).item()) is float
    assert type(tinynet.tensor(np.full(shape, 3)).item()) is int


def test_item_refuses_more_elements(torch):
    with pytest.raises(RuntimeError):
        torch.zeros(2).item()
    with pytest.raises(ValueError, match="only one-element tensors"):
        tinynet.zeros(2).item()


# -- torch.max(t.data, 1) and friends -----------------------------------------------------
A = np.array([[0.3, 2.0, -1.0, 2.0], [5.0, -3.0, 0.5, 1.0], [0.0, 0.0, 0.0, 0.0]])


def test_classic_accuracy_idiom_on_data(torch):
    """``_, predicted = torch.max(outputs.data, 1); correct += (predicted == labels).sum().item()``"""
    labels = [1, 0, 3]
    results = []
    for lib in (tinynet, torch):
        out = lib.tensor(A, requires_grad=True) * 1.0
        vals, predicted = lib.max(out.data, 1)
        named = out.data.max(dim=1)
        assert np.array_equal(np.asarray(named.values), np.asarray(vals))
        assert np.array_equal(np.asarray(named.indices), np.asarray(predicted))
        correct = (predicted == lib.tensor(labels)).sum().item()
        results.append((np.asarray(vals).tolist(), np.asarray(predicted).tolist(), correct,
                        out.data.requires_grad))
        mins = lib.min(out.data, dim=0)
        results.append((np.asarray(mins.values).tolist(), np.asarray(mins.indices).tolist()))
        results.append(np.asarray(lib.argmax(out.data, dim=1)).tolist())
    n = len(results) // 2
    assert results[:n] == results[n:]


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("descending", [False, True])
def test_sort_values_indices_and_gradient(torch, dim, descending):
    x, tx = tinynet.tensor(A, requires_grad=True), torch.tensor(A, requires_grad=True)
    s, ts = x.sort(dim, descending=descending), tx.sort(dim=dim, descending=descending, stable=True)
    np.testing.assert_array_equal(np.asarray(s.values), ts.values.detach().numpy())
    np.testing.assert_array_equal(np.asarray(s.indices), ts.indices.numpy())
    w = np.arange(A.size, dtype=np.float64).reshape(A.shape)
    (s.values * tinynet.tensor(w)).sum().backward()
    (ts.values * torch.tensor(w)).sum().backward()
    np.testing.assert_array_equal(np.asarray(x.grad), tx.grad.numpy())
    np.testing.assert_array_equal(np.asarray(tinynet.argsort(x, dim, descending=descending)),
                                  torch.argsort(tx, dim=dim, descending=descending,
                                                stable=True).numpy())


def test_sort_with_nan_and_0d(torch):
    a = np.array([1.0, np.nan, -2.0, 3.0])
    for descending in (False, True):
        s = tinynet.sort(tinynet.tensor(a), descending=descending)
        ts = torch.sort(torch.tensor(a), descending=descending)
        np.testing.assert_array_equal(np.asarray(s.values), ts.values.numpy())
        np.testing.assert_array_equal(np.asarray(s.indices), ts.indices.numpy())
    s, ts = tinynet.tensor(2.0).sort(), torch.tensor(2.0).sort()
    assert s.values.shape == () == tuple(ts.values.shape) and s.indices.item() == 0


@pytest.mark.parametrize("k, dim, largest", [(2, 1, True), (1, 0, True), (3, -1, False),
                                             (0, 1, True), (4, 1, True)])
def test_topk_values_indices_and_gradient(torch, k, dim, largest):
    B = A + np.arange(A.size).reshape(A.shape) * 1e-3  # no ties: torch's order is then unique
    x, tx = tinynet.tensor(B, requires_grad=True), torch.tensor(B, requires_grad=True)
    t, tt = x.topk(k, dim, largest=largest), tx.topk(k, dim, largest=largest)
    np.testing.assert_array_equal(np.asarray(t.values), tt.values.detach().numpy())
    np.testing.assert_array_equal(np.asarray(t.indices), tt.indices.numpy())
    (t.values ** 2).sum().backward()
    (tt.values ** 2).sum().backward()
    np.testing.assert_allclose(np.asarray(x.grad), tx.grad.numpy(), rtol=1e-15)


def test_topk_accuracy_idiom(torch):
    """examples/imagenet's accuracy(): ``_, pred = output.topk(maxk, 1, True, True)``."""
    target = [1, 3, 2]
    res = []
    for lib in (tinynet, torch):
        output = lib.tensor(A + np.arange(A.size).reshape(A.shape) * 1e-3)
        _, pred = output.topk(2, 1, True, True)
        pred = pred.t()
        correct = pred.eq(lib.tensor(target).view(1, -1).expand_as(pred))
        res.append(correct[:2].reshape(-1).float().sum(0, keepdim=True).item())
    assert res[0] == res[1]


def test_sort_topk_errors():
    x = tinynet.zeros(2, 3)
    with pytest.raises(ValueError, match="out of range"):
        x.topk(4)
    with pytest.raises(IndexError, match="dim 2 is out of range"):
        x.sort(2)
    with pytest.raises(TypeError, match="k must be an int"):
        x.topk(1.0)
    with pytest.raises(TypeError, match="expected a Tensor"):
        tinynet.sort(np.zeros(2))


def test_sort_and_topk_are_in_the_gradcheck_catalogue_and_pass():
    from tinynet import gradcheck_suite
    cases = {c.name: c for c in gradcheck_suite.cases()}
    for name in ("sort", "topk"):
        res = gradcheck_suite.check_case(cases[name])
        assert res.passed, (name, res.detail)
