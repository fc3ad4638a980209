"""PyTorch parity at the edges: result dtypes, edge-case gradients, 0-d and empty inputs,
and clear errors for bad arguments.

Expected values are PyTorch 2.x's, written out so the tests need no torch.
"""
import numpy as np
import pytest

import tinynet


def _leaf(a, dtype=np.float64):
    return tinynet.tensor(np.asarray(a, dtype=dtype), requires_grad=True)


# ---------------------------------------------------------------- type promotion
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "pow", "maximum", "minimum"])
def test_float32_op_int64_or_0d_float64_tensor_stays_float32(op):
    f = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
         "div": lambda a, b: a / b, "pow": lambda a, b: a ** b,
         "maximum": tinynet.maximum, "minimum": tinynet.minimum}[op]
    x = tinynet.tensor(np.full((2, 3), 1.5, np.float32), requires_grad=True)
    ints = tinynet.tensor(np.array([1, 2, 3]))          # int64
    zero_d = tinynet.tensor(np.array(2.0))                # 0-d float64
    for other in (ints, zero_d):
        # PyTorch: a float beats an int whatever the sizes; a 0-d tensor does not widen
        assert f(x, other).dtype == np.float32
        assert f(other, x).dtype == np.float32
    f(x, zero_d).sum().backward()
    assert x.grad.dtype == np.float32


def test_int64_tensor_op_0d_float32_tensor_is_float32():
    assert (tinynet.tensor([1, 2]) + tinynet.tensor(np.float32(2))).dtype == np.float32
    assert (tinynet.tensor([1, 2]) * tinynet.tensor(np.float32(2))).dtype == np.float32


def test_promotion_cases_that_do_widen_are_unchanged():  # a regression guard
    f32 = tinynet.tensor(np.ones(3, np.float32))
    assert (f32 + tinynet.tensor(np.ones(3))).dtype == np.float64          # both dimensioned
    assert (tinynet.tensor([1, 2]) + tinynet.tensor(np.array(2.0))).dtype == np.float64
    assert (tinynet.tensor([1, 2]) + 0.5).dtype == np.float64              # accepted difference
    assert (tinynet.tensor([1, 2]) / tinynet.tensor([2, 2])).dtype == np.float64
    assert (tinynet.tensor([True]) + 1).dtype == np.int64


# ---------------------------------------------------------------- pow gradients
def test_pow_gradient_at_zero_exponent_is_zero():
    x = _leaf([0.0, 1.0, 2.0])
    (x ** 0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0])   # was nan at x = 0


@pytest.mark.filterwarnings("ignore:divide by zero")
def test_pow_exponent_gradient_edge_cases_follow_torch():
    a = tinynet.tensor(np.array([0.0, 0.0, 0.0, -2.0, 2.0]))
    b = _leaf([0.0, 2.0, -1.0, 2.0, 3.0])
    (a ** b).sum().backward()
    # torch: 0 where a == 0 and b >= 0; a^b ln a elsewhere (-inf at 0^-1, nan for a < 0)
    np.testing.assert_array_equal(b.grad.array[:3], [0.0, 0.0, -np.inf])
    assert np.isnan(b.grad.array[3])
    np.testing.assert_allclose(b.grad.array[4], 8 * np.log(2.0))


# ---------------------------------------------------------------- var
def test_var_positional_args_are_dim_unbiased_keepdim_as_torch():
    x = np.random.default_rng(0).standard_normal((3, 4))
    biased = tinynet.tensor(x).var(1, False)
    np.testing.assert_allclose(biased.array, np.var(x, axis=1), rtol=1e-12)   # was unbiased
    kept = tinynet.tensor(x).var(1, True, True)
    assert kept.shape == (3, 1)
    np.testing.assert_allclose(kept.array[:, 0], np.var(x, axis=1, ddof=1), rtol=1e-12)
    assert tinynet.tensor(x).var(1, keepdim=True).shape == (3, 1)


# ---------------------------------------------------------------- clip
def test_clip_int_tensor_with_float_bounds_gives_floats():
    out = tinynet.tensor([-1, 1, 0, 3]).clip(0.5, 2.5)
    assert out.dtype.kind == "f"
    np.testing.assert_array_equal(out.array, [0.5, 1.0, 0.5, 2.5])    # was [0, 1, 0, 2]
    assert tinynet.tensor([-1, 5]).clip(0, 2).dtype == np.int64


def test_clip_accepts_tensor_bounds_and_rejects_bad_ones_clearly():
    x = _leaf([[-2.0, 0.5, 3.0], [1.0, -1.0, 0.0]])
    lo = tinynet.tensor(np.array([0.0, 0.0, 1.0]))
    y = x.clip(lo, 2.0)
    np.testing.assert_array_equal(y.array, [[0.0, 0.5, 2.0], [1.0, 0.0, 1.0]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 1, 0], [1, 0, 0]])
    with pytest.raises(TypeError, match="clip: min .*requires grad"):
        x.clip(_leaf([0.0, 0.0, 0.0]))
    with pytest.raises(TypeError, match="clip: max must be a number"):
        x.clip(0.0, "1")
    with pytest.raises(ValueError, match="clip: min of shape \\(4,\\)"):
        x.clip(np.zeros(4))


# ---------------------------------------------------------------- 0-d and empty inputs
def test_squeeze_0d_and_tuple_dims():
    assert tinynet.tensor(2.0).squeeze(0).shape == ()          # was IndexError
    assert tinynet.tensor(2.0).squeeze(-1).shape == ()
    x = tinynet.zeros(1, 3, 1)
    assert x.squeeze((0, 2)).shape == (3,)                     # was "out of range"
    assert x.squeeze((0, 1)).shape == (3, 1)
    with pytest.raises(ValueError, match="squeeze: dim 3"):
        x.squeeze((0, 3))


def test_softmax_family_on_0d_tensor():
    for dim in (0, -1):
        x = _leaf(1.7)
        s, ls, lse = tinynet.softmax(x, dim=dim), tinynet.log_softmax(x, dim=dim), \
            tinynet.logsumexp(x, dim=dim)
        assert s.shape == ls.shape == lse.shape == ()
        assert (s.item(), ls.item(), lse.item()) == (1.0, 0.0, 1.7)
        (s + ls + 2 * lse).backward()
        assert x.grad == 2.0                                    # d softmax = d log_softmax = 0
    with pytest.raises(ValueError, match="out of range"):
        tinynet.softmax(tinynet.tensor(1.0), dim=1)


@pytest.mark.filterwarnings("ignore:divide by zero")
def test_softmax_family_over_an_empty_dim():
    x = _leaf(np.zeros((0, 3)))
    assert tinynet.softmax(x, dim=0).shape == (0, 3)
    assert tinynet.log_softmax(x, dim=0).shape == (0, 3)
    lse = tinynet.logsumexp(x, dim=0)
    np.testing.assert_array_equal(lse.array, [-np.inf] * 3)     # log of an empty sum, as torch
    lse.sum().backward()
    assert x.grad.shape == (0, 3)


def test_max_min_over_nonempty_dims_of_an_empty_tensor():
    x = _leaf(np.zeros((0, 3)))
    assert x.amax(dim=1).shape == (0,)                         # torch.amax: empty result
    assert x.amin(dim=-1, keepdim=True).shape == (0, 1)
    assert x.max(dim=1).values.shape == (0,)
    x.amax(dim=1).sum().backward()
    assert x.grad.shape == (0, 3)
    with pytest.raises(ValueError, match="empty"):
        x.amax(dim=0)                                          # torch raises here too
    with pytest.raises(ValueError, match="empty"):
        x.max(dim=0)
    with pytest.raises(ValueError, match="empty"):
        x.max()


# ---------------------------------------------------------------- clear errors
@pytest.mark.parametrize("call", [
    lambda a: tinynet.exp(a), lambda a: tinynet.sum(a), lambda a: tinynet.reshape(a, 3, 1),
    lambda a: tinynet.maximum(a, tinynet.ones(3)), lambda a: tinynet.softmax(a, dim=0),
    lambda a: tinynet.clip(a, 0, 1), lambda a: tinynet.pad(a, (1, 1))])
def test_top_level_functions_reject_arrays_clearly(call):
    with pytest.raises(TypeError, match="expected a Tensor, got ndarray"):
        call(np.ones(3))


def test_linear_none_input_or_weight():
    w = tinynet.ones(4, 3)
    with pytest.raises(TypeError, match="linear: input must be a Tensor, got NoneType"):
        tinynet.nn.functional.linear(None, w)
    with pytest.raises(TypeError, match="linear: weight must be a Tensor, got NoneType"):
        tinynet.nn.functional.linear(tinynet.ones(2, 3), None)


def test_matmul_batch_mismatch_message():
    with pytest.raises(ValueError, match="matmul: the batch dimensions of shapes"):
        tinynet.ones(2, 2, 3) @ tinynet.ones(3, 3, 4)


# ---------------------------------------------------------------- NaN gradients, joined dtypes
def test_abs_gradient_at_nan_is_zero():
    x = _leaf([np.nan, -1.0, 0.0, 2.0])
    x.abs().sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, -1.0, 0.0, 1.0])   # torch: sgn(NaN) = 0


@pytest.mark.parametrize("fn", [tinynet.maximum, tinynet.minimum])
def test_maximum_minimum_send_the_whole_gradient_to_both_sides_of_a_nan(fn):
    a = _leaf([np.nan, 1.0, 2.0, np.nan, 3.0])
    b = _leaf([0.0, np.nan, 2.0, np.nan, 1.0])
    fn(a, b).sum().backward()
    # torch: a tie halves it; a NaN on either side gives both sides all of it
    side = [1.0, 1.0, 0.5, 1.0]
    np.testing.assert_array_equal(a.grad, side + ([1.0] if fn is tinynet.maximum else [0.0]))
    np.testing.assert_array_equal(b.grad, side + ([0.0] if fn is tinynet.maximum else [1.0]))


@pytest.mark.parametrize("join", [tinynet.cat, tinynet.stack])
def test_cat_stack_keep_float32_beside_integers(join):
    f32 = tinynet.tensor(np.ones(2, np.float32), requires_grad=True)
    ints = tinynet.tensor(np.array([1, 2]))
    out = join([f32, ints])
    assert out.dtype == np.float32                       # torch.cat: float32, not float64
    assert join([f32, tinynet.tensor(np.ones(2))]).dtype == np.float64
    out.sum().backward()
    assert f32.grad.dtype == np.float32


def test_tensor_to_float_double_cpu_as_pytorch():
    x = tinynet.tensor(np.array([1.5, -2.0], np.float32), requires_grad=True)
    assert x.to("cpu") is x and x.cpu() is x and x.to(dtype=np.float32) is x
    y = x.to("cpu", np.float64)
    assert y.dtype == np.float64 and x.double().dtype == np.float64
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, [3.0, -4.0])
    assert x.to(tinynet.tensor(np.zeros(1))).dtype == np.float64   # x.to(other)
    assert tinynet.tensor([1, 2]).float().dtype == np.float32
    c = x.to("cpu", copy=True)
    assert c is not x and np.shares_memory(c.array, x.array) is False
    with pytest.raises(ValueError, match="CPU only"):
        x.to("cuda")
    with pytest.raises(TypeError, match="unexpected keyword"):
        x.to(memory_format="channels_last")


@pytest.mark.parametrize("name,f", [("exp", np.exp), ("log", np.log), ("sqrt", np.sqrt),
                                    ("tanh", np.tanh), ("sigmoid", lambda v: 1 / (1 + np.exp(-v)))])
def test_float_math_of_int_tensors_is_float32_as_torch(name, f):
    # PyTorch: torch.exp(int tensor) is float32; numpy would give float64, and sigmoid used
    # to cast its result back to int
    ints = np.array([1, 2, 5])
    out = getattr(tinynet, name)(tinynet.tensor(ints))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.array, f(ints.astype(np.float64)), rtol=1e-6)
