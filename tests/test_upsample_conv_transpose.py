"""Upsample / F.interpolate (nearest, nearest-exact) and ConvTranspose2d /
F.conv_transpose2d: values and gradients against PyTorch in float64, against finite
differences, shapes, init, and PyTorch's argument errors."""

import numpy as np
import pytest

import tinynet
import tinynet.nn as nn
import tinynet.nn.functional as F
from tinynet import gradcheck


def _compare(torch, fn, tfn, arrays, seed=0):
    """fn(*tensors) vs tfn(*torch tensors): value and the gradient of every input."""
    ours = [tinynet.tensor(a, requires_grad=True) for a in arrays]
    refs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, ref = fn(*ours), tfn(*refs)
    assert out.shape == tuple(ref.shape)
    np.testing.assert_allclose(out.array, ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = np.random.default_rng(seed).standard_normal(out.shape)
    (out * tinynet.tensor(g)).sum().backward()
    (ref * torch.tensor(g)).sum().backward()
    for a, b in zip(ours, refs):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-10, atol=1e-12)
    return out


# -- interpolate / Upsample ----------------------------------------------------------------
INTERP = [((1, 2, 3, 4), dict(scale_factor=2)),
          ((2, 1, 3, 4), dict(scale_factor=(2, 3))),
          ((1, 2, 5, 7), dict(scale_factor=1.5)),
          ((1, 2, 5, 7), dict(scale_factor=0.5)),
          ((1, 2, 5, 7), dict(scale_factor=0.7)),
          ((1, 2, 5, 7), dict(scale_factor=1.7, recompute_scale_factor=True)),
          ((1, 1, 3, 4), dict(size=(7, 5))),
          ((1, 1, 6, 9), dict(size=4)),
          ((1, 1, 3, 4), dict(size=(3, 10))),
          ((2, 3, 5), dict(scale_factor=3)),
          ((1, 2, 2, 3, 4), dict(size=(3, 5, 2))),
          ((1, 2, 5, 7), dict(scale_factor=1.3, mode="nearest-exact")),
          ((1, 2, 6, 5), dict(size=(4, 9), mode="nearest-exact"))]


@pytest.mark.parametrize("shape, kw", INTERP, ids=[f"{s}-{k}" for s, k in INTERP])
def test_interpolate_matches_torch(torch, shape, kw):
    x = np.random.default_rng(0).standard_normal(shape)
    _compare(torch, lambda t: F.interpolate(t, **kw),
             lambda t: torch.nn.functional.interpolate(t, **kw), [x])


def test_upsample_copies_pixels_and_sums_their_gradients():
    x = tinynet.tensor(np.arange(4.0).reshape(1, 1, 2, 2), requires_grad=True)
    out = nn.Upsample(scale_factor=2)(x)
    np.testing.assert_array_equal(out.array[0, 0], [[0, 0, 1, 1], [0, 0, 1, 1],
                                                     [2, 2, 3, 3], [2, 2, 3, 3]])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, np.full((1, 1, 2, 2), 4.0))
    assert gradcheck(lambda t: F.interpolate(t, size=(3, 5)),
                     [tinynet.tensor(np.random.default_rng(1).standard_normal((1, 2, 2, 3)),
                                     requires_grad=True)])


def test_upsample_module_as_torch(torch):
    for kw in (dict(scale_factor=2), dict(size=(3, 4)), dict(scale_factor=(2, 1.5)),
               dict(size=5, mode="nearest-exact")):
        assert repr(nn.Upsample(**kw)) == repr(torch.nn.Upsample(**kw))
        x = np.random.default_rng(2).standard_normal((1, 2, 3, 4)).astype(np.float32)
        out = nn.Upsample(**kw)(tinynet.tensor(x))
        assert out.dtype == np.float32
        np.testing.assert_array_equal(out.array, torch.nn.Upsample(**kw)(torch.tensor(x)).numpy())


@pytest.mark.parametrize("kw, shape, error, match", [
    (dict(size=4, scale_factor=2), (1, 2, 3, 4), ValueError, "only one of size or scale"),
    (dict(), (1, 2, 3, 4), ValueError, "either size or scale_factor"),
    (dict(scale_factor=2, align_corners=True), (1, 2, 3, 4), ValueError, "align_corners"),
    (dict(size=(2, 2, 2)), (1, 2, 3, 4), ValueError, "same number of spatial dimensions"),
    (dict(scale_factor=(2, 2, 2)), (1, 2, 3, 4), ValueError, "same number of spatial"),
    (dict(scale_factor=2), (3, 4), (ValueError, NotImplementedError), "3D, 4D and 5D"),
    (dict(scale_factor=-1), (1, 2, 3, 4), (ValueError, RuntimeError), "greater than 0"),
    (dict(size=0), (1, 2, 3, 4), (ValueError, RuntimeError), "greater than 0"),
    (dict(scale_factor=0.1), (1, 2, 3, 4), (ValueError, RuntimeError), "greater than 0"),
    (dict(scale_factor=2, antialias=True), (1, 2, 3, 4), ValueError, "Anti-alias"),
    (dict(size=(4, 4), recompute_scale_factor=True), (1, 2, 3, 4), ValueError,
     "recompute_scale_factor is not meaningful"),
])
def test_interpolate_errors_as_torch(torch, kw, shape, error, match):
    with pytest.raises(error, match=match):
        torch.nn.functional.interpolate(torch.zeros(shape), **kw)
    with pytest.raises(ValueError, match=match):
        F.interpolate(tinynet.zeros(*shape), **kw)


def test_interpolate_refuses_other_modes_by_name():
    with pytest.raises(ValueError, match="mode='bilinear' is not supported"):
        F.interpolate(tinynet.zeros(1, 1, 2, 2), scale_factor=2, mode="bilinear")
    with pytest.raises(ValueError, match="unknown mode 'foo'"):
        nn.Upsample(scale_factor=2, mode="foo")(tinynet.zeros(1, 1, 2, 2))
    with pytest.raises(TypeError, match="size"):
        F.interpolate(tinynet.zeros(1, 1, 2, 2), size=2.0)


# -- conv_transpose2d / ConvTranspose2d ----------------------------------------------------
CT = [((2, 4, 3, 5), (4, 3, 3, 2), {}),
      ((2, 4, 3, 5), (4, 3, 3, 3), dict(stride=2)),
      ((1, 4, 4, 4), (4, 2, 4, 4), dict(stride=2, padding=1)),                 # DCGAN's
      ((2, 4, 3, 5), (4, 3, 3, 2), dict(stride=2, padding=1, output_padding=1)),
      ((1, 4, 3, 4), (4, 3, 3, 2), dict(stride=(3, 2), padding=(2, 0), dilation=(1, 2),
                                        output_padding=(1, 1))),
      ((2, 4, 3, 5), (4, 1, 2, 3), dict(groups=2, stride=2)),
      ((1, 4, 3, 3), (4, 3, 3, 3), dict(padding=2, dilation=2)),
      ((1, 2, 3, 3), (2, 2, 2, 2), dict(padding=1, output_padding=1, dilation=2)),
      ((4, 3, 5), (4, 2, 3, 3), dict(stride=2)),                              # unbatched
      ((1, 2, 3, 3), (2, 2, 1, 1), dict(padding=1, stride=3))]


@pytest.mark.parametrize("xs, ws, kw", CT, ids=[f"{x}-{w}-{k}" for x, w, k in CT])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
def test_conv_transpose2d_matches_torch(torch, xs, ws, kw, bias):
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(xs), rng.standard_normal(ws)]
    if bias:
        arrays.append(rng.standard_normal(ws[1] * kw.get("groups", 1)))
    _compare(torch, lambda *t: F.conv_transpose2d(*t[:2], t[2] if bias else None, **kw),
             lambda *t: torch.nn.functional.conv_transpose2d(*t[:2], t[2] if bias else None,
                                                             **kw), arrays)


def test_conv_transpose2d_is_the_adjoint_of_conv2d():
    # <conv2d(x, w), y> = <x, conv_transpose2d(y, w)>: the defining property
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 2))
    y = F.conv2d(tinynet.tensor(x), tinynet.tensor(w), stride=2, padding=1, dilation=(1, 2))
    v = rng.standard_normal(y.shape)
    back = F.conv_transpose2d(tinynet.tensor(v), tinynet.tensor(w), stride=2, padding=1,
                              dilation=(1, 2), output_padding=(0, 1))
    assert back.shape == x.shape
    assert np.sum(y.array * v) == pytest.approx(np.sum(x * back.array), rel=1e-12)


def test_conv_transpose2d_gradcheck():
    rng = np.random.default_rng(5)
    x, w, b = (tinynet.tensor(rng.standard_normal(s), requires_grad=True)
               for s in ((1, 2, 3, 3), (2, 2, 3, 2), (4,)))
    assert gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1,
                                                        output_padding=1, groups=2), [x, w, b])


def test_module_matches_torch_with_copied_weights(torch):
    kw = dict(stride=2, padding=1, output_padding=1, groups=2, dilation=(1, 2))
    ours, ref = nn.ConvTranspose2d(4, 6, (3, 2), **kw).double(), \
        torch.nn.ConvTranspose2d(4, 6, (3, 2), **kw).double()
    assert repr(ours) == repr(ref)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in ref.named_parameters()]
    ours.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    x = np.random.default_rng(6).standard_normal((2, 4, 3, 4))
    np.testing.assert_allclose(ours(tinynet.tensor(x)).array,
                               ref(torch.tensor(x)).detach().numpy(), rtol=1e-10, atol=1e-12)
    for size in ([7, 9], [8, 10], [1, 3, 8, 9]):
        m, r = nn.ConvTranspose2d(2, 3, 3, stride=2), torch.nn.ConvTranspose2d(2, 3, 3, stride=2)
        x = tinynet.zeros(1, 2, 3, 4)
        assert m(x, output_size=size).shape == tuple(r(torch.zeros(1, 2, 3, 4),
                                                        output_size=size).shape)
    for args in ((4, 2, (3, 2)), (4, 2, 3, 2, 1, 1, 2, False, 2)):
        assert repr(nn.ConvTranspose2d(*args)) == repr(torch.nn.ConvTranspose2d(*args))


def test_module_init_as_torch():
    tinynet.manual_seed(0)
    m = nn.ConvTranspose2d(3, 8, 3, groups=1)
    bound = 1 / np.sqrt(8 * 9)  # fan_in is the weight's dim 1 times the kernel (torch's rule)
    assert m.weight.shape == (3, 8, 3, 3) and m.weight.dtype == np.float32
    assert bound * 0.9 < np.abs(m.weight.array).max() <= bound
    assert np.abs(m.bias.array).max() <= bound


@pytest.mark.parametrize("call, match", [
    (lambda F, T: F.conv_transpose2d(T.zeros(1, 2, 3, 4), T.zeros(2, 3, 3, 3), stride=2,
                                     output_padding=2), "output padding must be smaller"),
    (lambda F, T: F.conv_transpose2d(T.zeros(1, 3, 3, 4), T.zeros(2, 3, 3, 3)),
     "2 channels, but got 3 channels"),
    (lambda F, T: F.conv_transpose2d(T.zeros(1, 2, 3, 4), T.zeros(2, 3, 3, 3),
                                     bias=T.zeros(2)), "bias to be 1-dimensional with 3"),
    (lambda F, T: F.conv_transpose2d(T.zeros(1, 2, 3, 4), T.zeros(2, 3, 3, 3), padding=-1),
     "negative padding|padding must be >= 0"),
    (lambda F, T: F.conv_transpose2d(T.zeros(1, 2, 3, 4), T.zeros(2, 3, 3, 3), padding=5),
     "Output size is too small"),
    (lambda F, T: F.conv_transpose2d(T.zeros(1, 1, 2, 3, 4), T.zeros(2, 3, 3, 3)),
     "Expected 3D \\(unbatched\\) or 4D \\(batched\\) input"),
])
def test_functional_errors_as_torch(torch, call, match):
    with pytest.raises(RuntimeError, match=match):
        call(torch.nn.functional, torch)
    with pytest.raises(ValueError, match=match):
        call(F, tinynet)


@pytest.mark.parametrize("call, match", [
    (lambda nn, T: nn.ConvTranspose2d(3, 4, 3, groups=2), "in_channels must be divisible"),
    (lambda nn, T: nn.ConvTranspose2d(4, 3, 3, groups=2), "out_channels must be divisible"),
    (lambda nn, T: nn.ConvTranspose2d(4, 3, 3, padding_mode="reflect"),
     'Only "zeros" padding mode'),
    (lambda nn, T: nn.ConvTranspose2d(2, 3, 3, stride=2)(T.zeros(1, 2, 3, 4),
                                                         output_size=[12, 10]),
     "requested an output size of \\[12, 10\\], but valid sizes range from \\[7, 9\\] to "
     "\\[8, 10\\]"),
])
def test_module_errors_as_torch(torch, call, match):
    with pytest.raises(ValueError, match=match):
        call(torch.nn, torch)
    with pytest.raises(ValueError, match=match):
        call(nn, tinynet)


def test_module_refuses_at_construction_what_torch_refuses_at_forward():
    with pytest.raises(ValueError, match="output padding must be smaller"):
        nn.ConvTranspose2d(2, 3, 3, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="padding must be an int or a pair"):
        nn.ConvTranspose2d(2, 3, 3, padding="same")
    with pytest.raises(ValueError, match="expected input of shape"):
        nn.ConvTranspose2d(2, 3, 3)(tinynet.zeros(1, 3, 4, 4))
