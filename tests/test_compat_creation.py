"""PyTorch's creation functions: randint, normal, *_like, legacy constructors, Variable,
in-place random fills.  Deterministic results are compared with torch; random ones by
dtype, shape, range, moments and seeding."""
import numpy as np
import pytest

import tinynet
from tinynet.compat.legacy import LegacyTensor, Variable


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _same(t, tt):
    """Same dtype, shape and values as a torch tensor."""
    assert str(t.dtype) == str(tt.dtype).replace("torch.", "")
    assert t.shape == tuple(tt.shape)
    np.testing.assert_array_equal(np.asarray(t), tt.numpy())


# -- randint ------------------------------------------------------------------------------
@pytest.mark.parametrize("args, kwargs", [((10, (3,)), {}), ((3, 10, (2, 2)), {}),
                                          ((), {"high": 4, "size": (5,)}),
                                          ((1,), {"high": 4, "size": (5,)}),
                                          ((-3, 0, (4,)), {}), ((10, ()), {}),
                                          ((10, [2, 2]), {}),
                                          ((10, (3,)), {"dtype": "float32"})])
def test_randint_shapes_dtypes_and_range_as_torch(torch, args, kwargs):
    tkw = dict(kwargs)
    if "dtype" in tkw:
        tkw["dtype"] = getattr(torch, tkw["dtype"])
    t, tt = tinynet.randint(*args, **kwargs), torch.randint(*args, **tkw)
    assert t.shape == tuple(tt.shape) and str(t.dtype) == str(tt.dtype).replace("torch.", "")
    low = args[0] if len(args) == 3 else (args[0] if "high" in kwargs and args else 0)
    high = kwargs.get("high", args[1] if len(args) == 3 else args[0] if args else None)
    assert np.all(np.asarray(t) >= low) and np.all(np.asarray(t) < high)


def test_randint_covers_its_range_and_is_seeded():
    tinynet.manual_seed(3)
    a = tinynet.randint(2, 7, (2000,))
    assert set(np.asarray(a).tolist()) == {2, 3, 4, 5, 6}
    tinynet.manual_seed(3)
    assert tinynet.equal(a, tinynet.randint(2, 7, (2000,)))


@pytest.mark.parametrize("call", ["randint(10, 3)", "randint(5, 5, (2,))",
                                  "randint(10, (2,), requires_grad=True)",
                                  "randint(0, 10.5, (3,))", "randint((3,))"])
def test_randint_refuses_what_torch_refuses(torch, call):
    with pytest.raises(Exception):
        eval("torch." + call, {"torch": torch})
    with pytest.raises((TypeError, ValueError)):
        eval("tinynet." + call, {"tinynet": tinynet})


# -- normal -------------------------------------------------------------------------------
def test_normal_forms_shapes_and_dtypes_as_torch(torch):
    cases = [lambda m: m.normal(0.0, 1.0, (3, 2)),
             lambda m: m.normal(2.0, m.ones(4)),
             lambda m: m.normal(m.zeros(4)),
             lambda m: m.normal(m.zeros(2, 1), m.ones(3)),
             lambda m: m.normal(m.zeros(3, dtype=m.float64), 2.0),
             lambda m: m.normal(mean=0.0, std=1.0, size=(2,), dtype=m.float64)]
    for case in cases:
        t, tt = case(tinynet), case(torch)
        assert t.shape == tuple(tt.shape)
        assert str(t.dtype) == str(tt.dtype).replace("torch.", "")


def test_normal_moments_and_broadcast_parameters():
    tinynet.manual_seed(0)
    x = np.asarray(tinynet.normal(3.0, 2.0, (20000,)))
    assert abs(x.mean() - 3.0) < 0.05 and abs(x.std() - 2.0) < 0.05
    y = np.asarray(tinynet.normal(tinynet.tensor([[0.0], [100.0]]), tinynet.tensor([1.0, 0.0])))
    assert y.shape == (2, 2) and y[1, 1] == 100.0 and abs(y[1, 0] - 100) < 10


def test_normal_errors(torch):
    with pytest.raises(RuntimeError, match="std >= 0"):
        torch.normal(0.0, -1.0, (2,))
    with pytest.raises(ValueError, match="std must be >= 0"):
        tinynet.normal(0.0, -1.0, (2,))
    with pytest.raises(ValueError, match="do not broadcast"):
        tinynet.normal(tinynet.zeros(2), tinynet.ones(3))
    with pytest.raises(TypeError, match="floating point"):
        tinynet.normal(tinynet.zeros(3, dtype="int64"))
    with pytest.raises(TypeError, match="pass size="):
        tinynet.normal(0.0, 1.0)


def test_normal_has_no_gradient_path():
    m = tinynet.zeros(3, requires_grad=True)
    assert not tinynet.normal(m, 1.0).requires_grad  # documented: use m + std * randn_like


# -- *_like -------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_like_functions_match_torch(torch, dtype):
    a = np.arange(6).reshape(2, 3).astype(dtype)
    x, tx = tinynet.tensor(a), torch.tensor(a)
    _same(tinynet.zeros_like(x), torch.zeros_like(tx))
    _same(tinynet.ones_like(x), torch.ones_like(tx))
    _same(tinynet.full_like(x, 3.7), torch.full_like(tx, 3.7))  # 3 in an int tensor
    _same(tinynet.full_like(x, 2, dtype="float64"), torch.full_like(tx, 2, dtype=torch.float64))
    _same(tinynet.zeros_like(x, dtype="float64"), torch.zeros_like(tx, dtype=torch.float64))
    if dtype != "int64":
        for t, tt in [(tinynet.rand_like(x), torch.rand_like(tx)),
                      (tinynet.randn_like(x), torch.randn_like(tx))]:
            assert t.shape == tuple(tt.shape) and str(t.dtype) == dtype
        u = np.asarray(tinynet.rand_like(x))
        assert np.all((u >= 0) & (u < 1))
    else:
        for fn in ("rand_like", "randn_like"):
            with pytest.raises(NotImplementedError):
                getattr(torch, fn)(tx)
            with pytest.raises(TypeError, match="floating point"):
                getattr(tinynet, fn)(x)


def test_like_functions_make_new_leaves():
    x = tinynet.ones(2, requires_grad=True)
    for fn in (tinynet.zeros_like, tinynet.ones_like, tinynet.rand_like, tinynet.randn_like):
        y = fn(x)
        assert y.is_leaf and not y.requires_grad
    assert tinynet.randn_like(x, requires_grad=True).requires_grad
    with pytest.raises(TypeError, match="input must be a Tensor"):
        tinynet.zeros_like(np.ones(2))


def test_empty_arange_linspace_take_device_as_torch(torch):
    _same(tinynet.empty((2, 3), device="cpu").zero_(), torch.empty((2, 3), device="cpu").zero_())
    _same(tinynet.arange(1, 4, device="cpu"), torch.arange(1, 4, device="cpu"))
    np.testing.assert_allclose(np.asarray(tinynet.linspace(0, 1, 5, device="cpu")),
                               torch.linspace(0, 1, 5, device="cpu").numpy())


# -- legacy constructors ------------------------------------------------------------------
LEGACY = ["Tensor()", "Tensor(2, 3)", "Tensor([1, 2])", "Tensor([[1, 2], [3, 4]])",
          "Tensor(np.array([1, 2]))", "Tensor(np.array([1.5, 2]))", "Tensor((2, 3))",
          "Tensor([])", "LongTensor([1.7, 2])", "LongTensor(2)", "FloatTensor([1, 2])",
          "DoubleTensor([1, 2])", "ByteTensor([1, 2])", "BoolTensor([1, 0])", "IntTensor([3])",
          "HalfTensor([1.5])", "Tensor(2, device='cpu')", "Tensor([1, 2], device='cpu')"]


@pytest.mark.parametrize("call", LEGACY)
def test_legacy_constructors_match_torch(torch, call):
    tt = eval("torch." + call, {"torch": torch, "np": np})
    t = eval("T." + call, {"T": _Legacy, "np": np})
    assert t.shape == tuple(tt.shape) and str(t.dtype) == str(tt.dtype).replace("torch.", "")
    if not any(call.startswith(p) for p in ("Tensor(2", "LongTensor(2)")):  # uninitialised
        np.testing.assert_array_equal(np.asarray(t), tt.numpy())


class _Legacy:
    """The names of ``torch`` as a script sees them under ``tinynet run``."""
    Tensor = LegacyTensor
    FloatTensor, DoubleTensor, LongTensor = (tinynet.FloatTensor, tinynet.DoubleTensor,
                                             tinynet.LongTensor)
    ByteTensor, BoolTensor, IntTensor, HalfTensor = (tinynet.ByteTensor, tinynet.BoolTensor,
                                                     tinynet.IntTensor, tinynet.HalfTensor)


@pytest.mark.parametrize("call", ["Tensor(3.5)", "Tensor(-1)", "Tensor(2.0, 3)",
                                  "Tensor(2, [3])", "Tensor('ab')",
                                  "FloatTensor(torch.tensor([1.0, 2.0], dtype=torch.float64))",
                                  "DoubleTensor(torch.tensor([1.0, 2.0]))",
                                  "Tensor([1, 2], requires_grad=True)"])
def test_legacy_constructors_refuse_what_torch_refuses(torch, call):
    with pytest.raises((TypeError, RuntimeError)):
        eval("torch." + call, {"torch": torch})
    with pytest.raises((TypeError, ValueError)):
        eval("T." + call, {"T": _Legacy, "torch": tinynet})


def test_legacy_tensor_of_a_tensor_shares_memory(torch):
    x = tinynet.tensor([1, 2])  # int64 passes through torch.Tensor(...) unchanged
    y = LegacyTensor(x)
    assert y.dtype == np.int64 and torch.Tensor(torch.tensor([1, 2])).dtype == torch.int64
    y[0] = 5
    assert x.tolist() == [5, 2]
    f = tinynet.ones(2, requires_grad=True)
    assert not tinynet.FloatTensor(f).requires_grad  # off the tape


def test_legacy_isinstance_checks_dtype(torch):
    f, d = tinynet.zeros(2), tinynet.zeros(2, dtype="float64")
    tf, td = torch.zeros(2), torch.zeros(2, dtype=torch.float64)
    for legacy, tlegacy in [(tinynet.FloatTensor, torch.FloatTensor),
                            (tinynet.DoubleTensor, torch.DoubleTensor),
                            (LegacyTensor, torch.Tensor)]:
        assert isinstance(f, legacy) == isinstance(tf, tlegacy)
        assert isinstance(d, legacy) == isinstance(td, tlegacy)
    assert isinstance(tinynet.nn.Parameter(tinynet.ones(1)), LegacyTensor)
    assert issubclass(tinynet.nn.Parameter, LegacyTensor)
    assert not isinstance(np.zeros(2), LegacyTensor)
    assert LegacyTensor.sum is tinynet.Tensor.sum  # torch.Tensor.sum(x) works
    assert repr(tinynet.FloatTensor) == "<class 'torch.FloatTensor'>"


def test_legacy_constructor_then_inplace_random_fill():
    tinynet.manual_seed(0)
    w = tinynet.FloatTensor(3, 4).uniform_(-1, 1)
    a = np.asarray(w)
    assert w.dtype == np.float32 and np.all((a >= -1) & (a < 1)) and len(np.unique(a)) == 12
    n = LegacyTensor(5000).normal_(2.0, 0.5)
    assert abs(np.asarray(n).mean() - 2.0) < 0.05 and abs(np.asarray(n).std() - 0.5) < 0.05
    p = tinynet.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="while recording"):
        p.uniform_()
    with tinynet.no_grad():
        p.uniform_(0.0, 0.5)
    with pytest.raises(TypeError, match="floating-point"):
        tinynet.LongTensor(2).normal_()
    with pytest.raises(ValueError, match="a <= b"):
        tinynet.zeros(2).uniform_(1, 0)


# -- Variable -----------------------------------------------------------------------------
def test_variable_is_a_detached_alias_as_torch(torch):
    for lib in (tinynet, torch):
        V = Variable if lib is tinynet else torch.autograd.Variable
        a = lib.ones(2, requires_grad=True)
        b = a * 2
        v = V(b)
        assert v.is_leaf and not v.requires_grad
        v2 = V(b, requires_grad=True)
        assert v2.is_leaf and v2.requires_grad and not b.is_leaf
        x = lib.zeros(2)
        w = V(x)
        w[0] = 5
        assert x.tolist() == [5.0, 0.0] and w is not x
        assert isinstance(x, V)
        assert V().shape == (0,)


def test_variable_training_loop_of_old_tutorials(torch):
    """The 2017 'learning PyTorch with examples' loop: Variables, .data and .grad.data."""
    grads = []
    for lib in (tinynet, torch):
        V = Variable if lib is tinynet else torch.autograd.Variable
        x = V(lib.tensor(np.linspace(-1, 1, 8).reshape(4, 2)), requires_grad=False)
        w = V(lib.tensor(np.array([[0.5], [-0.25]])), requires_grad=True)
        loss = (x.mm(w) - 1).pow(2).sum()
        loss.backward()
        grads.append(np.asarray(w.grad).copy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


def test_variable_errors(torch):
    with pytest.raises(TypeError, match="has to be a tensor, but got list"):
        torch.autograd.Variable([1, 2])
    with pytest.raises(TypeError, match="has to be a tensor, but got list"):
        Variable([1, 2])
    with pytest.warns(UserWarning, match="volatile"):
        Variable(tinynet.ones(1), volatile=True)


# -- as_tensor, empty_like ----------------------------------------------------------------
def test_as_tensor_shares_memory_as_torch(torch):
    for a in (np.arange(4, dtype=np.float32), np.arange(3), np.array([1.5, 2.0])):
        for lib in (tinynet, torch):
            t = lib.as_tensor(a)
            assert str(t.dtype).replace("torch.", "") == str(a.dtype)
            a[0] = 7
            assert t[0].item() == 7  # no copy
    a = np.arange(3)
    mine, theirs = tinynet.as_tensor(a, dtype="float32"), torch.as_tensor(a, dtype=torch.float32)
    a[0] = 9  # a conversion copies
    assert mine.tolist() == theirs.tolist() == [0.0, 1.0, 2.0]
    _same(tinynet.as_tensor([1.5, 2]), torch.as_tensor([1.5, 2]))
    _same(tinynet.as_tensor([1, 2]), torch.as_tensor([1, 2]))
    x = tinynet.ones(2)
    assert tinynet.as_tensor(x) is x and tinynet.as_tensor(x, dtype="float64").dtype == np.float64
    assert tinynet.as_tensor([1.0], device="cpu").device.type == "cpu"


def test_empty_like_as_torch(torch):
    x = tinynet.ones(2, 3, dtype="float64")
    t = tinynet.empty_like(x)
    assert t.shape == (2, 3) and t.dtype == np.float64 and not t.requires_grad
    assert tinynet.empty_like(x, dtype="int64").dtype == torch.empty_like(
        torch.ones(2), dtype=torch.int64).numpy().dtype
