"""max_pool2d / avg_pool2d: values vs plain loops, tie-breaking, gradients, PyTorch, errors."""
import numpy as np
import pytest

import tinynet
from tinynet.nn.functional.pooling import avg_pool2d, max_pool2d


def _t(a, requires_grad=False, dtype=np.float64):
    return tinynet.tensor(np.asarray(a, dtype=dtype), requires_grad=requires_grad)


def _rand(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def pool_naive(x, kernel, stride, padding, kind):
    """Plain loops: max (padding -inf) or mean with the padded zeros counted."""
    (kh, kw), (ph, pw) = _pair(kernel), _pair(padding)
    sh, sw = _pair(kernel if stride is None else stride)
    N, C, H, W = x.shape
    fill = -np.inf if kind == "max" else 0.0
    X = np.full((N, C, H + 2 * ph, W + 2 * pw), fill)
    X[:, :, ph:ph + H, pw:pw + W] = x
    Ho, Wo = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
    out = np.zeros((N, C, Ho, Wo))
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    window = X[n, c, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    out[n, c, i, j] = window.max() if kind == "max" else window.sum() / (kh * kw)
    return out


POOL = {"max": max_pool2d, "avg": avg_pool2d}
CONFIGS = [  # (x shape, kernel, stride, padding)
    ((2, 3, 6, 6), 2, None, 0),
    ((1, 2, 7, 5), 3, 2, 1),          # batch 1, non-square input, overlapping windows
    ((2, 1, 8, 9), (2, 3), (1, 2), (1, 1)),
    ((1, 2, 5, 5), 3, 1, 0),
    ((2, 2, 9, 7), (3, 2), 3, (1, 0)),
    ((1, 1, 4, 4), 1, 1, 0),
]


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("xs,k,s,p", CONFIGS)
def test_matches_naive(kind, xs, k, s, p):
    x = _rand(xs, 0)
    out = POOL[kind](_t(x), k, s, p)
    np.testing.assert_allclose(out.array, pool_naive(x, k, s, p, kind), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("xs,k,s,p", CONFIGS)
def test_gradcheck(kind, xs, k, s, p):
    x = _t(_rand(xs, 1), True)   # random values: no ties within eps, so max is differentiable
    assert tinynet.gradcheck(lambda x: POOL[kind](x, k, s, p), [x])


def test_max_gradient_goes_to_the_first_max_on_ties():
    x = np.array([[1.0, 3.0, 3.0, 0.0],
                  [3.0, 2.0, 5.0, 5.0],
                  [4.0, 4.0, 7.0, 1.0],
                  [4.0, 4.0, 7.0, 7.0]])
    xt = _t(x[None, None], True)
    out = max_pool2d(xt, 2)
    np.testing.assert_array_equal(out.array[0, 0], [[3.0, 5.0], [4.0, 7.0]])
    out.backward(np.array([[[[10.0, 20.0], [30.0, 40.0]]]]))
    # scan order within a window: row by row, left to right; the first maximum wins
    np.testing.assert_array_equal(xt.grad.array[0, 0], [[0, 10, 0, 0],
                                                  [0, 0, 20, 0],
                                                  [30, 0, 40, 0],
                                                  [0, 0, 0, 0]])


def test_overlapping_windows_add_up():
    # stride 1, kernel 2: the centre 9 is the max of all four windows
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 9.0
    xt = _t(x, True)
    max_pool2d(xt, 2, 1).sum().backward()
    assert xt.grad.array[0, 0, 1, 1] == 4.0 and xt.grad.sum() == 4.0
    xt = _t(x, True)
    avg_pool2d(xt, 2, 1).sum().backward()
    np.testing.assert_allclose(xt.grad.array[0, 0], [[0.25, 0.5, 0.25], [0.5, 1.0, 0.5],
                                               [0.25, 0.5, 0.25]])


def test_padding_is_never_the_max_but_counts_in_the_mean():
    x = -np.ones((1, 1, 2, 2))
    np.testing.assert_array_equal(max_pool2d(_t(x), 2, 1, 1).array, -np.ones((1, 1, 3, 3)))
    np.testing.assert_allclose(avg_pool2d(_t(x), 2, 1, 1).array[0, 0],
                               [[-0.25, -0.5, -0.25], [-0.5, -1.0, -0.5], [-0.25, -0.5, -0.25]])


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_unbatched_float32_and_tape(kind):
    xt = _t(_rand((3, 6, 4), 2), True, np.float32)
    out = POOL[kind](xt, 2)
    assert out.shape == (3, 3, 2) and out.dtype == np.float32
    assert out.grad_fn.op == f"{kind}_pool2d" and out.grad_fn.inputs == (xt,)
    out.backward(np.ones(out.shape, np.float32))
    assert xt.grad.shape == (3, 6, 4) and xt.grad.dtype == np.float32
    np.testing.assert_allclose(out.array, pool_naive(xt.array[None], 2, None, 0, kind)[0],
                               rtol=1e-6)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("xs,k,s,p", CONFIGS + [((4, 8, 28, 28), 2, None, 0),
                                                 ((3, 4, 11, 10), 3, 2, 1)])
def test_matches_torch(kind, xs, k, s, p):
    torch = pytest.importorskip("torch")
    x = _rand(xs, 3)
    xt, xr = _t(x, True), torch.tensor(x, requires_grad=True)
    out = POOL[kind](xt, k, s, p)
    ref = getattr(torch.nn.functional, f"{kind}_pool2d")(xr, k, s, p)
    np.testing.assert_allclose(out.array, ref.detach().numpy(), rtol=1e-10, atol=1e-10)
    g = _rand(out.shape, 4)
    out.backward(g)
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(xt.grad, xr.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_max_ties_match_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(5).integers(0, 3, (2, 3, 7, 7)).astype(np.float64)  # many ties
    for k, s, p in [(2, None, 0), (3, 1, 1), (3, 2, 0)]:
        xt, xr = _t(x, True), torch.tensor(x, requires_grad=True)
        max_pool2d(xt, k, s, p).sum().backward()
        torch.nn.functional.max_pool2d(xr, k, s, p).sum().backward()
        np.testing.assert_array_equal(xt.grad, xr.grad.numpy())


def test_max_nan_and_minus_inf_route_the_gradient_as_torch():
    # torch takes a pixel when x > max or isnan(x), scanning only real pixels: the
    # last NaN of a window wins, and an all -inf window never sends its gradient to padding
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 3, 7, 7))
    x[rng.random(x.shape) < 0.15] = np.nan
    x[0, 0, :3, :3] = -np.inf
    x[1, 2, 2:5, 2:5] = -np.inf
    x[1, 1, :, :] = np.nan
    for k, s, p in [(2, None, 0), (3, 1, 1), (3, 2, 1), (2, 1, 1), (3, 3, 0)]:
        xt, xr = _t(x, True), torch.tensor(x, requires_grad=True)
        out = max_pool2d(xt, k, s, p)
        ref = torch.nn.functional.max_pool2d(xr, k, s, p)
        np.testing.assert_array_equal(out.array, ref.detach().numpy())
        g = rng.standard_normal(out.shape)
        out.backward(g)
        ref.backward(torch.tensor(g))
        np.testing.assert_allclose(xt.grad, xr.grad.numpy(), rtol=1e-12, atol=1e-12,
                                   err_msg=f"k={k} s={s} p={p}")  # overlaps: sums may round apart


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("x,args,exc,match", [
    (_rand((4, 4), 0), (2,), ValueError, "input must be"),
    (_rand((1, 1, 1, 4, 4), 0), (2,), ValueError, "input must be"),
    (_rand((1, 1, 4, 4), 0), (0,), ValueError, "kernel_size must be >= 1"),
    (_rand((1, 1, 4, 4), 0), (2, 0), ValueError, "stride must be >= 1"),
    (_rand((1, 1, 4, 4), 0), (2, 2, -1), ValueError, "padding must be >= 0"),
    (_rand((1, 1, 4, 4), 0), (2, 2, 2), ValueError, "at most half"),
    (_rand((1, 1, 4, 4), 0), ((3, 1), 1, (1, 1)), ValueError, "at most half"),
    (_rand((1, 1, 4, 4), 0), (5,), ValueError, r"no output.*4x4.*5x5"),
    (_rand((1, 1, 4, 4), 0), (2.0,), TypeError, "kernel_size must be an int"),
    (_rand((1, 1, 4, 4), 0), ((2, 2, 2),), TypeError, "pair of ints"),
])
def test_errors(kind, x, args, exc, match):
    with pytest.raises(exc, match=match):
        POOL[kind](_t(x), *args)


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_type_errors(kind):
    with pytest.raises(TypeError, match="must be a Tensor"):
        POOL[kind](np.zeros((1, 1, 4, 4)), 2)
    with pytest.raises(TypeError, match="floating-point"):
        POOL[kind](tinynet.tensor(np.zeros((1, 1, 4, 4), dtype=np.int64)), 2)
