"""PyTorch's common Tensor methods (add ... index_select): aliases and new ops.

Against torch in float64 (values, dtypes and input gradients), with tinynet.gradcheck for
every new differentiable op (so they are checked without torch too), and the errors a
user can cause.
"""
import numpy as np
import pytest

import tinynet
from tinynet import gradcheck_suite

NAMES = ("add sub mul div pow neg matmul mm t std dim numel expand_as clone contiguous square "
         "reciprocal rsqrt sign sin cos log1p expm1 eq ne lt le gt ge all any isnan isinf "
         "isfinite type_as view_as reshape_as new_zeros new_ones masked_fill prod cumsum flip "
         "chunk split unbind narrow gather index_select").split()


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def _rand(shape, seed, lo=-2.0, hi=2.0):
    return np.random.default_rng(seed).uniform(lo, hi, shape)


def _same_dtype(a, b):
    assert str(a.dtype) == str(b.dtype).replace("torch.", ""), (a.dtype, b.dtype)


def _compare(torch, f, *arrays, seed=0):
    """``f(lib, *xs)`` in tinynet and torch on float64 leaves: the same shapes, dtypes and
    values (a tuple output piece by piece) and the same input gradients of
    sum(out_k * w_k) with fixed random weights w_k."""
    tn_in = [tinynet.tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    th_in = [torch.tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    tn_out, th_out = f(tinynet, *tn_in), f(torch, *th_in)
    if not isinstance(tn_out, tuple):
        tn_out, th_out = (tn_out,), (th_out,)
    assert isinstance(th_out, tuple) and len(tn_out) == len(th_out)
    rng = np.random.default_rng(seed + 100)
    tn_loss = th_loss = 0
    for a, b in zip(tn_out, th_out):
        assert a.shape == tuple(b.shape)
        _same_dtype(a, b)
        np.testing.assert_allclose(a.array, b.detach().numpy(), rtol=1e-10, atol=1e-10)
        if b.requires_grad:
            w = rng.standard_normal(a.shape)
            tn_loss = tn_loss + (a * tinynet.tensor(w)).sum()
            th_loss = th_loss + (b * torch.tensor(w)).sum()
    if isinstance(tn_loss, int):
        return
    tn_loss.backward()
    th_loss.backward()
    for i, (a, b) in enumerate(zip(tn_in, th_in)):
        want = np.zeros(a.shape) if b.grad is None else b.grad.numpy()
        got = np.zeros(a.shape) if a.grad is None else a.grad
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10,
                                   err_msg=f"gradient of input {i}")


def _values(torch, f, *arrays):
    """No gradients: ``f(lib, *xs)`` on tensors made from the arrays as they are (any dtype)."""
    got = f(tinynet, *[tinynet.tensor(a) for a in arrays])
    want = f(torch, *[torch.tensor(a) for a in arrays])
    assert got.shape == tuple(want.shape)
    _same_dtype(got, want)
    np.testing.assert_allclose(got.array, want.numpy(), rtol=1e-6)  # float32: numpy vs torch ulps
    return got


def test_every_method_exists():
    x = tinynet.tensor([1.0])
    assert [n for n in NAMES if not hasattr(x, n)] == []


# ================================================================ aliases of existing ops
def _pair(lib, arr):
    return lib.tensor(arr)


BINARY = {
    "add": lambda m, a, b: a.add(b),
    "add alpha": lambda m, a, b: a.add(b, alpha=-1.5),
    "torch.add alpha": lambda m, a, b: m.add(a, b, alpha=2),
    "sub": lambda m, a, b: a.sub(b),
    "sub alpha": lambda m, a, b: m.sub(a, b, alpha=0.5),
    "mul": lambda m, a, b: a.mul(b),
    "div": lambda m, a, b: m.div(a, b.abs() + 0.5),
    "pow": lambda m, a, b: (a.abs() + 0.1).pow(b),
}


@pytest.mark.parametrize("name", list(BINARY))
@pytest.mark.parametrize("sa, sb", [((2, 3), (2, 3)), ((2, 1, 3), (3,)), ((), (2, 3))], ids=str)
def test_binary_aliases(torch, name, sa, sb):
    _compare(torch, BINARY[name], _rand(sa, 1), _rand(sb, 2))


def test_aliases_with_numbers_and_the_same_tape_entry():
    x = tinynet.tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert x.add(1, alpha=3).tolist() == [4.0, 5.0] and x.sub(1, alpha=2).tolist() == [-1.0, 0.0]
    assert x.mul(2).tolist() == [2.0, 4.0] and x.div(4).tolist() == [0.25, 0.5]
    assert x.pow(2).tolist() == [1.0, 4.0] and x.square().tolist() == [1.0, 4.0]
    # thin aliases: the operator's own tape entry, not a second implementation
    for y, op in ((x.add(x), "add"), (x.sub(x), "sub"), (x.mul(x), "mul"), (x.div(x), "div"),
                  (x.pow(2), "pow"), (x.neg(), "neg"), (x.matmul(x), "matmul"),
                  (tinynet.add(x, x, alpha=2), "add"), (x.square(), "pow")):
        assert y.grad_fn.op == op
    assert x.add(x, alpha=2).grad_fn.inputs[1].grad_fn.op == "mul"  # alpha: other * alpha


@pytest.mark.parametrize("f", [
    lambda m, a: a.neg(),
    lambda m, a: m.neg(a),
    lambda m, a: a.square(),
    lambda m, a: m.square(a),
    lambda m, a: a.clone() * 2,
    lambda m, a: m.clone(a),
    lambda m, a: a.t().contiguous(),
    lambda m, a: a.t(),
    lambda m, a: m.t(a[0]),
    lambda m, a: a[0, 0].t(),
    lambda m, a: a.expand_as(m.zeros(4, 2, 3, dtype=m.float64)),
    lambda m, a: a.view_as(m.zeros(3, 2)),
    lambda m, a: a.reshape_as(m.zeros(6)),
    lambda m, a: a.type_as(m.zeros(1, dtype=m.float32)).double(),  # grad rounded as torch
    lambda m, a: a.type_as(m.zeros(1, dtype=m.float64)),
], ids=["neg", "torch.neg", "square", "torch.square", "clone", "torch.clone", "contiguous",
        "t", "t 1-D", "t 0-d", "expand_as", "view_as", "reshape_as", "type_as float32",
        "type_as same"])
def test_unary_aliases(torch, f):
    _compare(torch, f, _rand((2, 3), 3))


@pytest.mark.parametrize("sa, sb", [((2, 3), (3, 4)), ((1, 5), (5, 1))], ids=str)
def test_mm_and_matmul(torch, sa, sb):
    _compare(torch, lambda m, a, b: a.mm(b), _rand(sa, 4), _rand(sb, 5))
    _compare(torch, lambda m, a, b: m.mm(a, b), _rand(sa, 4), _rand(sb, 5))
    _compare(torch, lambda m, a, b: m.matmul(a, b), _rand((2,) + sa, 4), _rand(sb, 5))


@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparisons(torch, name):
    a = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    b = np.array([2.0, 2.0, 2.0])
    got = _values(torch, lambda m, x, y: getattr(x, name)(y), a, b)
    _values(torch, lambda m, x, y: getattr(m, name)(x, y), a, b)
    _values(torch, lambda m, x, y: getattr(x, name)(2.0), a, b)
    _values(torch, lambda m, x, y: getattr(x, name)(y), np.array([1, 2, 3]), b)
    assert not got.requires_grad and got.grad_fn is None


def test_dim_numel_and_casts(torch):
    for shape in [(), (3,), (2, 0, 4)]:
        a, b = tinynet.zeros(shape), torch.zeros(shape)
        assert a.dim() == b.dim() and a.numel() == b.numel() == tinynet.numel(a)
    x = np.arange(6.0).reshape(2, 3)
    _values(torch, lambda m, t: t.type_as(m.tensor([1])), x)
    _values(torch, lambda m, t: t.type_as(m.tensor([True])), x)
    _values(torch, lambda m, t: t.square(), np.array([1, -2, 3]))
    _values(torch, lambda m, t: t.square(), np.array([True, False]))


def test_clone_and_contiguous_are_copies_with_identity_gradient():
    x = tinynet.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    for y in (x.clone(), x.contiguous(), x.T.contiguous(), tinynet.clone(x)):
        assert not np.shares_memory(y.array, x.array) and y.array.flags.c_contiguous
        assert y.array.flags.writeable
    y = x.T.contiguous()
    (y * tinynet.tensor(np.arange(6.0).reshape(3, 2))).sum().backward()
    np.testing.assert_array_equal(x.grad, np.arange(6.0).reshape(3, 2).T)
    e = tinynet.tensor([1.0, 2.0]).expand(3, 2).contiguous()
    e[0, 0] = 5.0  # an expand view is read-only; its contiguous() copy is not
    assert e.tolist() == [[5.0, 2.0], [1.0, 2.0], [1.0, 2.0]]


def test_new_zeros_new_ones(torch):
    for dt in ("float32", "float64", "int64"):
        x, tx = tinynet.zeros(2, dtype=dt), torch.zeros(2, dtype=getattr(torch, dt))
        for args in [(2, 3), ((2,),), ([],)]:
            for name in ("new_zeros", "new_ones"):
                got, want = getattr(x, name)(*args), getattr(tx, name)(*args)
                assert got.shape == tuple(want.shape) and not got.requires_grad
                _same_dtype(got, want)
                np.testing.assert_array_equal(got.array, want.numpy())
    y = tinynet.zeros(1).new_ones(2, dtype="int64")
    assert y.dtype == np.int64 and y.tolist() == [1, 1]
    assert tinynet.zeros(1).new_zeros(2, requires_grad=True).requires_grad


# ================================================================ new elementwise ops
UNARY = {
    "reciprocal": (lambda m, x: x.reciprocal(), dict(away=0.2)),
    "rsqrt": (lambda m, x: m.rsqrt(x), dict(lo=0.2)),
    "sign": (lambda m, x: x.sign() * x, {}),
    "sin": (lambda m, x: m.sin(x), {}),
    "cos": (lambda m, x: x.cos(), {}),
    "log1p": (lambda m, x: x.log1p(), dict(lo=-0.9)),
    "expm1": (lambda m, x: m.expm1(x), {}),
}


def _input(shape, seed, lo=None, away=None):
    a = _rand(shape, seed) if lo is None else _rand(shape, seed, lo, lo + 3)
    return a if away is None else np.where(np.abs(a) < away, away, a)


@pytest.mark.parametrize("name", list(UNARY))
@pytest.mark.parametrize("shape", [(), (4,), (2, 3)], ids=str)
def test_unary_ops(torch, name, shape):
    f, kw = UNARY[name]
    _compare(torch, f, _input(shape, 6, **kw))


@pytest.mark.parametrize("name", list(UNARY))
def test_unary_ops_gradcheck(name):
    f, kw = UNARY[name]
    x = tinynet.tensor(_input((2, 3), 7, **kw), requires_grad=True)
    assert tinynet.gradcheck(lambda t: f(tinynet, t), [x])


def test_unary_special_values_and_int_dtypes(torch):
    v = np.array([0.0, -0.0, -1.0, np.inf, -np.inf, np.nan, 1e-30])
    with np.errstate(all="ignore"):
        for name in ("reciprocal", "rsqrt", "sign", "sin", "cos", "log1p", "expm1"):
            got = getattr(tinynet.tensor(v), name)().array
            want = getattr(torch.tensor(v), name)().numpy()
            np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=name)  # nan == nan
            _values(torch, lambda m, t: getattr(t, name)(), np.array([1, 0, 3]))
            _values(torch, lambda m, t: getattr(t, name)(), np.array([True, False]))
    # sign: 0 at NaN; its gradient is 0 everywhere (a tensor of zeros, as torch)
    x = tinynet.tensor(np.array([-2.0, 0.0, 3.0]), requires_grad=True)
    x.sign().sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


MASKS = [((2, 3), (3,)), ((2, 3), (2, 1)), ((3,), (2, 3)), ((), (2,)), ((2, 3), ())]


@pytest.mark.parametrize("sx, sm", MASKS, ids=str)
def test_masked_fill(torch, sx, sm):
    mask = np.random.default_rng(8).random(sm) < 0.5
    for value in (-1.5, 0, float("-inf")):
        with np.errstate(invalid="ignore"):  # the loss sum(out * w) of -inf entries is nan
            _compare(torch, lambda m, x: x.masked_fill(m.tensor(mask), value) * 2, _rand(sx, 9))
    _compare(torch, lambda m, x: m.masked_fill(x, m.tensor(mask), m.tensor(7.0)), _rand(sx, 9))
    _values(torch, lambda m, x: x.masked_fill(m.tensor(mask), 2.7), np.zeros(sx, np.int64))


def test_masked_fill_gradcheck():
    x = tinynet.tensor(_rand((2, 3), 10), requires_grad=True)
    mask = tinynet.tensor(np.array([[True], [False]]))
    assert tinynet.gradcheck(lambda t: t.masked_fill(mask, 0.5), [x])


@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite"])
def test_isnan_isinf_isfinite(torch, name):
    v = np.array([[0.0, np.nan, np.inf], [-np.inf, -1.0, 1e300]])
    got = _values(torch, lambda m, t: getattr(t, name)(), v)
    _values(torch, lambda m, t: getattr(m, name)(t), v[:, :2].astype(np.float32))
    _values(torch, lambda m, t: getattr(t, name)(), np.array([1, 2]))
    x = tinynet.tensor(v, requires_grad=True)
    y = getattr(x, name)()
    assert y.dtype == np.bool_ and not y.requires_grad and y.grad_fn is None
    assert got.tolist() == y.tolist()


# ================================================================ reductions and cumsum
STD = [lambda m, x: x.std(), lambda m, x: m.std(x, 1), lambda m, x: x.std(-1, True),
       lambda m, x: x.std(dim=(0, 2), keepdim=True), lambda m, x: x.std(1, False, True),
       lambda m, x: x.std(dim=1, unbiased=False), lambda m, x: x.std(dim=-2, correction=0),
       lambda m, x: x.std(dim=0, correction=2)]


@pytest.mark.parametrize("k", range(len(STD)))
def test_std(torch, k):
    _compare(torch, STD[k], _rand((3, 4, 2), 11))


def test_std_of_a_constant_and_of_one_element(torch):
    # zero spread: torch's gradient is 0 (not nan); one element with correction=1: nan
    _compare(torch, lambda m, x: x.std(dim=1), np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]]))
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _compare(torch, lambda m, x: x.std(dim=0), np.array([[1.0, 2.0]]))
    with pytest.raises(TypeError, match="std: needs a floating-point tensor"):
        tinynet.tensor([1, 2]).std()


def test_std_gradcheck():
    x = tinynet.tensor(_rand((3, 4), 12), requires_grad=True)
    assert tinynet.gradcheck(lambda t: t.std(dim=1, keepdim=True), [x])
    assert tinynet.gradcheck(lambda t: tinynet.std(t, correction=0), [x])


ZEROS = {
    "no zero": _rand((3, 4), 13),
    "one zero": np.array([[1.5, 0.0, 2.0, -1.0], [0.5, 1.0, 3.0, 2.0], [0.0, 0.0, 1.0, 2.0]]),
    "zeros everywhere": np.array([[0.0, 0.0, 2.0, 0.0], [0.0, 1.0, 3.0, 2.0],
                                  [0.0, 0.0, 0.0, 0.0]]),
}


@pytest.mark.parametrize("case", list(ZEROS))
@pytest.mark.parametrize("f", [lambda m, x: x.prod(), lambda m, x: m.prod(x, 0),
                               lambda m, x: x.prod(-1), lambda m, x: x.prod(1, True),
                               lambda m, x: x.prod(dim=0, keepdim=True),
                               lambda m, x: x[0, 0].prod(0)],
                         ids=["all", "dim0", "dim-1", "dim1 keepdim", "dim0 keepdim", "0-d"])
def test_prod_with_zeros(torch, case, f):
    _compare(torch, f, ZEROS[case])


@pytest.mark.parametrize("case", list(ZEROS))
def test_prod_gradcheck(case):
    x = tinynet.tensor(ZEROS[case], requires_grad=True)
    assert tinynet.gradcheck(lambda t: t.prod(1), [x])
    assert tinynet.gradcheck(lambda t: t[:2, :3].prod(), [x])


@pytest.mark.parametrize("dim", [0, 1, -1, -3])
def test_cumsum(torch, dim):
    _compare(torch, lambda m, x: x.cumsum(dim), _rand((2, 3, 4), 14))
    _compare(torch, lambda m, x: m.cumsum(x, dim=dim), _rand((2, 3, 4), 15))


def test_cumsum_prod_int_dtypes_and_0d(torch):
    for a in (np.array([[1, 2], [3, 4]]), np.array([[True, False], [True, True]]),
              np.array([[1, 2]], np.int32), np.array([[1.5, 2.0]], np.float32)):
        for f in (lambda m, t: t.cumsum(1), lambda m, t: t.prod(), lambda m, t: t.prod(0),
                  lambda m, t: m.cumsum(t, -2)):
            _values(torch, f, a)
    _compare(torch, lambda m, x: x.cumsum(0), np.array(3.0))
    _compare(torch, lambda m, x: x.cumsum(-1) * 2, np.array(3.0))


def test_cumsum_gradcheck():
    x = tinynet.tensor(_rand((2, 3, 4), 16), requires_grad=True)
    assert tinynet.gradcheck(lambda t: t.cumsum(1), [x])
    assert tinynet.gradcheck(lambda t: t.cumsum(-1), [x])


@pytest.mark.parametrize("name", ["all", "any"])
def test_all_any(torch, name):
    a = np.array([[[1.0, 0.0], [2.0, 3.0]], [[0.0, 0.0], [1.0, 1.0]]])
    for args, kw in [((), {}), ((1,), {}), ((-1, True), {}), ((), dict(dim=(0, 2))),
                     ((), dict(dim=0, keepdim=True)), ((), dict(dim=())),
                     ((), dict(keepdim=True))]:
        if not args and kw.get("keepdim") and "dim" not in kw:
            continue  # torch.all(x, keepdim=True) is not in torch's signature
        got = _values(torch, lambda m, t: getattr(t, name)(*args, **kw), a)
        assert got.dtype == np.bool_
    _values(torch, lambda m, t: getattr(m, name)(t, 0), np.array([[True, False], [True, True]]))
    _values(torch, lambda m, t: getattr(t, name)(), np.array(0))
    x = tinynet.tensor(a, requires_grad=True)
    y = getattr(x, name)(1)
    assert not y.requires_grad and y.grad_fn is None


# ================================================================ shape ops
@pytest.mark.parametrize("dims", [(0,), (-1,), (0, 2), (2, -3), ()], ids=str)
def test_flip(torch, dims):
    _compare(torch, lambda m, x: x.flip(dims), _rand((2, 3, 4), 17))
    _compare(torch, lambda m, x: m.flip(x, dims), _rand((2, 3, 4), 17))
    if dims:
        _compare(torch, lambda m, x: x.flip(*dims), _rand((2, 3, 4), 18))


def test_flip_is_a_copy_and_gradcheck(torch):
    _compare(torch, lambda m, x: x.flip(0), np.array(2.0))
    x = tinynet.tensor(_rand((2, 3), 19), requires_grad=True)
    assert not np.shares_memory(x.flip(1).array, x.array)
    assert tinynet.gradcheck(lambda t: t.flip(0, 1), [x])


@pytest.mark.parametrize("dim, start, length", [(0, 0, 1), (1, -2, 2), (-1, 1, 3), (2, 4, 0),
                                                (1, 0, 0), (-3, -2, 2)])
def test_narrow(torch, dim, start, length):
    _compare(torch, lambda m, x: x.narrow(dim, start, length), _rand((2, 3, 4), 20))
    _compare(torch, lambda m, x: m.narrow(x, dim, start, length), _rand((2, 3, 4), 21))


@pytest.mark.parametrize("f", [
    lambda m, x: x.chunk(2),
    lambda m, x: x.chunk(3, 1),
    lambda m, x: m.chunk(x, 3, dim=-1),
    lambda m, x: x.chunk(9, -1),
    lambda m, x: x.split(1),
    lambda m, x: x.split(3, 2),
    lambda m, x: m.split(x, [1, 2], dim=1),
    lambda m, x: x.split([2, 0, 3], -1),
    lambda m, x: x.split(10, dim=-1),
    lambda m, x: x.unbind(),
    lambda m, x: m.unbind(x, -1),
    lambda m, x: x.unbind(1),
], ids=["chunk", "chunk dim1", "chunk -1", "chunk more than size", "split 1", "split 3 dim2",
        "split sections", "split with empty section", "split larger than dim", "unbind",
        "unbind -1", "unbind 1"])
def test_chunk_split_unbind(torch, f):
    _compare(torch, f, _rand((2, 3, 5), 22))


def test_pieces_are_views_and_gradients_flow():
    x = tinynet.tensor(_rand((4, 6), 23), requires_grad=True)
    for pieces in (x.chunk(3, 1), x.split([1, 3], 0), x.unbind(1), (x.narrow(1, 2, 3),)):
        assert isinstance(pieces, tuple)
        assert all(np.shares_memory(p.array, x.array) and p.grad_fn.op == "getitem"
                   for p in pieces)
    assert tinynet.gradcheck(lambda t: tinynet.cat(t.chunk(3, 1)[::-1], 1), [x])
    assert tinynet.gradcheck(lambda t: t.split([1, 3], 0)[1] * t.split(2)[0].sum(), [x])
    assert tinynet.gradcheck(lambda t: tinynet.stack(t.unbind(1)[1:4:2]), [x])
    assert tinynet.gradcheck(lambda t: t.narrow(-1, -4, 3), [x])


def test_empty_dims_split_and_chunk(torch):
    for f in (lambda m, x: x.split(0), lambda m, x: x.split(2), lambda m, x: x.chunk(3),
              lambda m, x: x.unbind(1)):
        got, want = f(tinynet, tinynet.zeros(0, 2)), f(torch, torch.zeros(0, 2))
        assert [p.shape for p in got] == [tuple(p.shape) for p in want]


GATHER = [
    (1, np.array([[0, 2, 2], [1, 1, 0]])),           # repeated indices: gradients add up
    (0, np.array([[1, 0, 1, 1], [0, 0, 0, 1], [1, 1, 1, 1]])),
    (-1, np.array([[3], [0]])),                       # index smaller than the input
    (1, np.array([[0, 1, 2, 0, 1, 2]])),            # larger along dim itself
    (0, np.zeros((0, 4), np.int64)),
]


@pytest.mark.parametrize("k", range(len(GATHER)))
def test_gather(torch, k):
    dim, idx = GATHER[k]
    _compare(torch, lambda m, x: x.gather(dim, m.tensor(idx)), _rand((2, 4), 24))
    _compare(torch, lambda m, x: m.gather(x, dim, index=m.tensor(idx)), _rand((2, 4), 25))


def test_gather_3d_and_0d(torch):
    idx = np.random.default_rng(26).integers(0, 3, (2, 2, 4))
    for dim in (0, 1, 2, -2):
        i = idx % (2, 3, 4)[dim]
        _compare(torch, lambda m, x: x.gather(dim, m.tensor(i)), _rand((2, 3, 4), 27))
    _compare(torch, lambda m, x: x.gather(0, m.tensor(0)), np.array(5.0))


@pytest.mark.parametrize("dim, idx", [(0, [1, 1, 0]), (1, [3, 0, 3, 3]), (-1, [2]), (1, 2),
                                      (0, np.zeros(0, np.int64))], ids=str)
def test_index_select(torch, dim, idx):
    _compare(torch, lambda m, x: x.index_select(dim, m.tensor(idx)), _rand((2, 4), 28))
    _compare(torch, lambda m, x: m.index_select(x, dim, m.tensor(idx)), _rand((3, 4, 4), 29))


def test_index_select_0d_and_int32_index(torch):
    _compare(torch, lambda m, x: x.index_select(0, m.tensor([0])), np.array(5.0))
    _compare(torch, lambda m, x: x.index_select(-1, m.tensor(np.array([1, 1], np.int32))),
             _rand((2, 3), 30))


def test_gather_index_select_gradcheck():
    x = tinynet.tensor(_rand((3, 4), 31), requires_grad=True)
    i = tinynet.tensor(np.array([[0, 3, 3], [1, 1, 1]]))
    assert tinynet.gradcheck(lambda t: t.gather(1, i), [x])
    assert tinynet.gradcheck(lambda t: t.index_select(1, tinynet.tensor([3, 0, 3])), [x])
    assert tinynet.gradcheck(lambda t: t.index_select(0, tinynet.tensor([2, 2])), [x])


# ================================================================ gradcheck_suite
def test_gradcheck_suite_covers_the_new_ops():
    new = {"reciprocal", "rsqrt", "sign", "sin", "cos", "log1p", "expm1", "masked_fill", "std",
           "prod (with zeros)", "cumsum", "flip", "narrow", "chunk", "split", "unbind",
           "gather", "index_select"}
    cases = {c.name: c for c in gradcheck_suite.cases()}
    assert new <= set(cases), new - set(cases)
    for name in sorted(new):
        res = gradcheck_suite.check_case(cases[name])
        assert res.passed, (name, res.detail)


# ================================================================ errors a user can cause
X = tinynet.tensor(np.arange(6.0).reshape(2, 3))


@pytest.mark.parametrize("call, exc, match", [
    (lambda: X.cumsum(2), ValueError, "cumsum: dim 2 is out of range"),
    (lambda: X.cumsum(), TypeError, "dim"),
    (lambda: X.prod(-3), ValueError, "prod: dim -3 is out of range"),
    (lambda: X.prod((0, 1)), TypeError, "prod: dim must be a single int"),
    (lambda: X.std(dim=2), ValueError, "out of range"),
    (lambda: X.all(dim=5), ValueError, "dim=5 is out of range"),
    (lambda: X.any(dim=1.5), TypeError, "dim must be an int"),
    (lambda: X.flip(2), ValueError, "flip: dim 2 is out of range"),
    (lambda: X.flip(0, -2), ValueError, "flip: a dim appears more than once"),
    (lambda: X.narrow(2, 0, 1), ValueError, "narrow: dim 2 is out of range"),
    (lambda: X.narrow(1, 4, 0), IndexError, "narrow: start 4 is out of range"),
    (lambda: X.narrow(1, 2, 2), ValueError, "narrow: length 2 from start 2 does not fit"),
    (lambda: X.narrow(1, 0, -1), ValueError, "narrow: length -1"),
    (lambda: X.narrow(1, 0.5, 1), TypeError, "narrow: start must be an int"),
    (lambda: tinynet.tensor(1.0).narrow(0, 0, 1), ValueError, "narrow: needs a tensor with"),
    (lambda: X.chunk(0), ValueError, "chunk: chunks must be positive"),
    (lambda: X.chunk(2.0), TypeError, "chunk: chunks must be an int"),
    (lambda: X.chunk(2, dim=-3), ValueError, "chunk: dim -3 is out of range"),
    (lambda: X.split(0, 1), ValueError, "split: split_size must be positive"),
    (lambda: X.split(-1), ValueError, "split: split_size must be positive"),
    (lambda: X.split([1, 1], 1), ValueError, r"split: sections \[1, 1\] must be"),
    (lambda: X.split([4, -1], 1), ValueError, r"split: sections \[4, -1\] must be"),
    (lambda: X.split(1.5), TypeError, "split: split_size_or_sections must be an int"),
    (lambda: X.unbind(2), ValueError, "unbind: dim 2 is out of range"),
    (lambda: tinynet.tensor(1.0).unbind(), ValueError, "unbind: needs a tensor with"),
    (lambda: X.gather(2, tinynet.tensor([[0]])), ValueError, "gather: dim 2 is out of range"),
    (lambda: X.gather(1, tinynet.tensor([0, 1])), ValueError,
     r"gather: index of shape \(2,\) does not fit the input's shape \(2, 3\)"),
    (lambda: X.gather(1, tinynet.tensor([[0], [1], [2]])), ValueError,
     r"gather: index of shape \(3, 1\) does not fit"),
    (lambda: X.gather(1, tinynet.tensor([[3]])), IndexError,
     "gather: index 3 is out of range for dim 1 of size 3"),
    (lambda: X.gather(1, tinynet.tensor([[-1]])), IndexError, "gather: index -1 is out of range"),
    (lambda: X.gather(1, tinynet.tensor([[0.0]])), TypeError,
     "gather: index must be an integer tensor"),
    (lambda: X.index_select(-3, tinynet.tensor([0])), ValueError,
     "index_select: dim -3 is out of range"),
    (lambda: X.index_select(1, tinynet.tensor([[0]])), ValueError,
     "index_select: index must be 0-d or 1-D"),
    (lambda: X.index_select(0, tinynet.tensor([2])), IndexError,
     "index_select: index 2 is out of range for dim 0 of size 2"),
    (lambda: X.index_select(0, tinynet.tensor([True])), TypeError,
     "index_select: index must be an integer tensor"),
    (lambda: tinynet.tensor(1.0).index_select(0, tinynet.tensor([0, 0])), ValueError,
     "one value for a 0-d input"),
    (lambda: X.masked_fill(tinynet.tensor([True, False]), 0.0), ValueError,
     r"masked_fill: mask of shape \(2,\) does not broadcast with the input's shape \(2, 3\)"),
    (lambda: X.masked_fill(tinynet.tensor([1, 0, 1]), 0.0), TypeError,
     "masked_fill: mask must be a bool tensor, got dtype int64"),
    (lambda: X.masked_fill(tinynet.tensor([True, False, True]), tinynet.tensor([1.0])),
     TypeError, "masked_fill: value must be a number"),
    (lambda: X.masked_fill(tinynet.tensor([True, False, True]), "a"), TypeError,
     "masked_fill: value must be a number"),
    (lambda: X.masked_fill(tinynet.tensor(True), tinynet.tensor(1.0, requires_grad=True)),
     TypeError, "masked_fill: value must be a number"),
    (lambda: tinynet.zeros(2, 2, 2).mm(X), ValueError,
     r"mm: self and mat2 must be 2-D matrices, got shapes \(2, 2, 2\) and \(2, 3\)"),
    (lambda: X.mm(tinynet.zeros(3)), ValueError, "mm: self and mat2 must be 2-D matrices"),
    (lambda: tinynet.zeros(2, 2, 2).t(), ValueError, "t: expects a tensor with at most 2 dims"),
    (lambda: X.div(2, rounding_mode="floor"), ValueError, "div: rounding_mode='floor' is not"),
    (lambda: X.view_as(5), TypeError, "view_as: other must be a Tensor, got int"),
    (lambda: X.expand_as(np.zeros((2, 3))), TypeError, "expand_as: other must be a Tensor"),
    (lambda: X.reshape_as([1]), TypeError, "reshape_as: other must be a Tensor"),
    (lambda: X.type_as("float64"), TypeError, "type_as: other must be a Tensor"),
    (lambda: X.view_as(tinynet.zeros(4)), ValueError, "reshape: cannot reshape"),
    (lambda: X.expand_as(tinynet.zeros(3, 3)), ValueError, "expand: cannot expand"),
    (lambda: tinynet.add(np.ones(2), X), TypeError, "add: expected a Tensor"),
    (lambda: tinynet.sin([1.0]), TypeError, "sin: expected a Tensor"),
    (lambda: tinynet.gather(np.ones(2), 0, X), TypeError, "gather: expected a Tensor"),
])
def test_bad_arguments_raise_clear_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("method", ["var", "std"])
@pytest.mark.parametrize("unbiased", [False, True])
def test_var_std_with_a_bool_alone_is_unbiased_as_torch(torch, method, unbiased):
    a = _rand((3, 4), 7)
    ours = getattr(tinynet.tensor(a), method)(unbiased)
    theirs = getattr(torch.tensor(a), method)(unbiased)
    np.testing.assert_allclose(ours.array, theirs.numpy(), rtol=1e-12)


def test_var_with_a_bool_and_more_arguments_is_refused():
    with pytest.raises(TypeError, match="bool first argument is unbiased"):
        tinynet.tensor([1.0, 2.0, 4.0]).var(False, True)
