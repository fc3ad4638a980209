"""Tensor construction, dtype rules, properties, repr and the small conversions."""
import numpy as np
import pytest

import tinynet
from tinynet import Tensor


# ---------------------------------------------------------------- construction / dtypes
@pytest.mark.parametrize("data, dtype", [
    ([1.0, 2.0], np.float32),            # Python floats -> float32, as PyTorch
    (1.5, np.float32),
    ([1, 2, 3], np.int64),               # Python ints -> int64
    (7, np.int64),
    ([True, False], np.bool_),
    (np.array([1.0, 2.0]), np.float64),  # numpy arrays keep their float dtype
    (np.array([1.0], np.float32), np.float32),
    (np.float64(2.0), np.float64),
    (np.array([1, 2], np.int32), np.int64),  # any int array -> int64
    ([[1.0, 2], [3, 4]], np.float32),    # mixed ints and floats -> float
])
def test_default_dtype(data, dtype):
    t = tinynet.tensor(data)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.array, np.asarray(data))


def test_explicit_dtype_wins():
    assert tinynet.tensor([1, 2], dtype=np.float64).dtype == np.float64
    assert tinynet.tensor([1.5], dtype="float64").dtype == np.float64
    assert tinynet.tensor([1.7, 2.2], dtype=tinynet.int64).dtype == np.int64
    assert Tensor([1.0], dtype=tinynet.float32).dtype == np.float32


def test_data_is_copied():
    src = np.array([1.0, 2.0])
    t = tinynet.tensor(src)
    src[0] = 100.0
    assert t.array[0] == 1.0
    u = tinynet.tensor(t)  # from a Tensor: a new copy too
    u.array[1] = -1.0
    assert t.array[1] == 2.0


def test_data_is_ndarray_even_for_scalars():
    t = tinynet.tensor(3.0)
    assert isinstance(t.array, np.ndarray) and t.shape == () and t.ndim == 0


@pytest.mark.parametrize("bad", ["abc", ["a", "b"], {"a": 1}, object()])
def test_bad_data_raises_type_error(bad):
    with pytest.raises(TypeError, match="tensor"):
        tinynet.tensor(bad)


def test_ragged_data_raises():
    with pytest.raises(ValueError):
        tinynet.tensor([[1.0, 2.0], [3.0]])


# ---------------------------------------------------------------- requires_grad
def test_requires_grad_flag():
    t = tinynet.tensor([1.0, 2.0], requires_grad=True)
    assert t.requires_grad and t.is_leaf and t.grad is None and t.grad_fn is None
    assert tinynet.tensor([1.0]).requires_grad is False


@pytest.mark.parametrize("data", [[1, 2], [True, False]])
def test_integer_and_bool_tensors_cannot_require_grad(data):
    with pytest.raises(TypeError, match="floating-point"):
        tinynet.tensor(data, requires_grad=True)
    with pytest.raises(TypeError, match="floating-point"):
        tinynet.tensor(data).requires_grad_()


def test_requires_grad_underscore_returns_self_and_toggles_leaf():
    t = tinynet.tensor([1.0])
    assert t.requires_grad_() is t and t.requires_grad
    assert t.requires_grad_(False) is t and not t.requires_grad


def test_requires_grad_false_on_non_leaf_raises():
    x = tinynet.tensor([1.0], requires_grad=True)
    y = x * 2
    assert not y.is_leaf and y.grad_fn is not None and y.grad_fn.op == "mul"
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)


def test_retain_grad_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tinynet.tensor([1.0]).retain_grad()


# ---------------------------------------------------------------- properties
def test_properties():
    t = tinynet.tensor(np.zeros((2, 3, 4)))
    assert t.shape == (2, 3, 4) and isinstance(t.shape, tuple)
    assert t.ndim == 3 and t.size == 24 and t.dtype == np.float64
    assert len(t) == 2
    assert t.T.shape == (4, 3, 2)


def test_len_of_0d_raises():
    with pytest.raises(TypeError, match="0-d"):
        len(tinynet.tensor(1.0))


# ---------------------------------------------------------------- repr
def test_repr():
    assert repr(tinynet.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(tinynet.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(tinynet.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    assert repr(tinynet.tensor(np.array([0.5]))) == "tensor([0.5000], dtype=tinynet.float64)"
    x = tinynet.tensor([1.0], requires_grad=True)
    assert repr(x * 3) == "tensor([3.], grad_fn=<MulBackward0>)"
    assert repr(tinynet.tensor(0.75462) * x.sum()) == "tensor(0.7546, grad_fn=<MulBackward0>)"
    assert repr(tinynet.tensor([[1.0, 2.0], [3.0, 4.0]])) == (
        "tensor([[1., 2.],\n        [3., 4.]])")


@pytest.mark.parametrize("values", [
    [1.0, 2.0], [0.75462, -1.5], [1e-5, 1000.0], [123456789.0, 1.5], [3.14159], 2.5,
    [[1.5, -2.25], [1e-3, 4.0]], [float("nan"), 1.5, float("inf")], [0.0, -0.5],
    np.linspace(0, 1, 2000)])
def test_repr_matches_pytorch(values):
    torch = pytest.importorskip("torch")
    ours = repr(tinynet.tensor(np.asarray(values, np.float32)))
    assert ours == repr(torch.tensor(np.asarray(values, np.float32)))


# ---------------------------------------------------------------- conversions
def test_item():
    assert tinynet.tensor(2.5).item() == 2.5
    assert isinstance(tinynet.tensor([[3]]).item(), int)
    assert float(tinynet.tensor([1.5])) == 1.5 and int(tinynet.tensor(4)) == 4
    with pytest.raises(ValueError, match=r"one-element.*\(2,\)"):
        tinynet.tensor([1.0, 2.0]).item()


def test_bool():
    assert bool(tinynet.tensor(1.0)) and not bool(tinynet.tensor([0.0]))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(tinynet.tensor([1.0, 2.0]))


def test_tolist():
    assert tinynet.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]


def test_numpy_shares_memory_and_refuses_grad_tensors():
    t = tinynet.tensor([1.0, 2.0])
    a = t.numpy()
    assert isinstance(a, np.ndarray) and np.shares_memory(a, t.array)
    g = tinynet.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        g.numpy()
    np.testing.assert_array_equal(g.detach().numpy(), [1.0])


def test_detach():
    x = tinynet.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    assert np.shares_memory(d.array, y.array)
    np.testing.assert_array_equal(d.array, [2.0, 4.0])
    # ops on a detached tensor are not recorded
    assert (d * 3).grad_fn is None


# ---------------------------------------------------------------- creation functions
@pytest.mark.parametrize("fn, value", [(tinynet.zeros, 0.0), (tinynet.ones, 1.0),
                                       (tinynet.empty, None)])
def test_zeros_ones_empty(fn, value):
    for t in (fn(2, 3), fn((2, 3)), fn([2, 3])):
        assert t.shape == (2, 3) and t.dtype == np.float32 and not t.requires_grad
        if value is not None:
            np.testing.assert_array_equal(t.array, np.full((2, 3), value))
    assert fn(4, dtype=np.float64).dtype == np.float64
    assert fn(2, requires_grad=True).requires_grad
    assert fn().shape == ()


def test_full():
    t = tinynet.full((2, 2), 3.5)
    assert t.dtype == np.float32
    np.testing.assert_array_equal(t.array, np.full((2, 2), 3.5))
    assert tinynet.full(3, 7).dtype == np.int64
    assert tinynet.full(3, 7, dtype=np.float64).dtype == np.float64


def test_like_and_arange():
    x = tinynet.tensor(np.ones((2, 3)))
    z = tinynet.zeros_like(x)
    assert z.shape == (2, 3) and z.dtype == np.float64 and not z.array.any()
    assert tinynet.ones_like(x, dtype=np.float32).dtype == np.float32
    np.testing.assert_array_equal(tinynet.arange(4).array, [0, 1, 2, 3])
    assert tinynet.arange(4).dtype == np.int64
    a = tinynet.arange(0.0, 1.0, 0.25)
    assert a.dtype == np.float32
    np.testing.assert_allclose(a.array, [0, 0.25, 0.5, 0.75])
    np.testing.assert_array_equal(tinynet.arange(1, 7, 2).array, [1, 3, 5])
    with pytest.raises(ValueError, match="step"):
        tinynet.arange(0, 3, 0)


@pytest.mark.parametrize("bad", [(-1, 2), (2.5,), (True, 2)])
def test_bad_sizes_raise(bad):
    with pytest.raises(ValueError, match="size"):
        tinynet.zeros(*bad)


def test_bad_dtypes_raise():
    with pytest.raises(TypeError, match="dtype"):
        tinynet.zeros(2, dtype="not-a-dtype")
    with pytest.raises(TypeError, match="floating point"):
        tinynet.rand(2, dtype=np.int64)
    with pytest.raises(TypeError, match="floating point"):
        tinynet.randn(2, dtype=np.int64)


def test_rand_randn_shapes_ranges():
    tinynet.manual_seed(0)
    r = tinynet.rand(1000)
    assert r.dtype == np.float32 and r.shape == (1000,)
    assert 0 <= r.array.min() and r.array.max() < 1
    n = tinynet.randn(200, 50, dtype=np.float64)
    assert n.dtype == np.float64
    assert abs(n.array.mean()) < 0.05 and abs(n.array.std() - 1) < 0.05
    assert tinynet.randn(3, requires_grad=True).requires_grad


# ---------------------------------------------------------------- .grad and .data, as PyTorch
def test_grad_is_a_tensor_and_assignments_follow_pytorch():
    x = tinynet.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    assert isinstance(x.grad, tinynet.Tensor) and not x.grad.requires_grad
    assert repr(x.grad) == "tensor([2., 4.])"
    x.grad.zero_()
    assert x.grad.tolist() == [0.0, 0.0]
    with pytest.raises(TypeError, match="Tensor or None"):
        x.grad = 0.0
    with pytest.raises(TypeError, match="Tensor or None"):
        x.grad = np.zeros(2, np.float32)
    with pytest.raises(RuntimeError, match="shape"):
        x.grad = tinynet.zeros(3)
    with pytest.raises(RuntimeError, match="dtype"):
        x.grad = tinynet.zeros(2, dtype="float64")
    x.grad = tinynet.ones(2)
    x.grad = None
    assert x.grad is None


def test_data_is_a_detached_tensor_sharing_memory():
    w = tinynet.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    w.data -= 0.5 * w.grad                     # a manual SGD step, not recorded
    assert w.tolist() == [0.0, 0.0] and w.requires_grad and w.grad_fn is None
    d = w.data
    assert isinstance(d, tinynet.Tensor) and not d.requires_grad
    assert np.shares_memory(d.numpy(), w.array)
    version = w._version
    d.add_(1.0)                                # not recorded, not version-checked
    assert w.tolist() == [1.0, 1.0] and w._version == version
    with pytest.raises(TypeError, match="expected a Tensor"):
        w.data = [1.0, 2.0]
