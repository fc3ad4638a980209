"""Layers: gradients vs finite differences, outputs and gradients vs PyTorch, default init."""
import math

import numpy as np
import pytest

import tinynet
import tinynet.nn as nn
import tinynet.nn.functional as F
from tinynet.nn import init


def rand64(*shape, seed=0):
    return tinynet.tensor(np.random.default_rng(seed).standard_normal(shape),
                          requires_grad=True)


def _swap_parameters(module, names, tensors):
    """Point each named parameter slot at the given tensor (a test-only functional_call)."""
    for name, t in zip(names, tensors):
        *path, leaf = name.split(".")
        owner = module
        for part in path:
            owner = owner._modules[part]
        owner._parameters[leaf] = t


def gradcheck_module(module, x):
    """Finite-difference check of d out / d input and d out / d every parameter, in float64."""
    module.double()
    names = [n for n, _ in module.named_parameters()]
    params = [p for _, p in module.named_parameters()]

    def fn(x, *ps):
        _swap_parameters(module, names, ps)
        try:
            return module(x)
        finally:
            _swap_parameters(module, names, params)
    return tinynet.gradcheck(fn, [x, *params])


# ---------------------------------------------------------------- F.linear
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 5), (5,)])
@pytest.mark.parametrize("bias", [True, False])
def test_functional_linear_gradcheck(shape, bias):
    x, w = rand64(*shape, seed=1), rand64(3, 5, seed=2)
    b = rand64(3, seed=3) if bias else None
    inputs = [x, w] + ([b] if bias else [])
    assert tinynet.gradcheck(lambda *t: F.linear(*t), inputs)


def test_functional_linear_is_one_tape_entry_with_the_right_values():
    x, w, b = rand64(2, 3, 5, seed=1), rand64(4, 5, seed=2), rand64(4, seed=3)
    y = F.linear(x, w, b)
    assert y.grad_fn.op == "linear" and y.grad_fn.inputs == (x, w, b)
    assert y.grad_fn.inputs[0]._node is None            # nothing recorded before it
    np.testing.assert_allclose(y.array, x.array @ w.array.T + b.array, rtol=1e-12)
    g = np.random.default_rng(4).standard_normal(y.shape)
    y.backward(g)
    np.testing.assert_allclose(x.grad, g @ w.array, rtol=1e-12)
    np.testing.assert_allclose(w.grad, np.einsum("bno,bni->oi", g, x.array), rtol=1e-12)
    np.testing.assert_allclose(b.grad, g.sum(axis=(0, 1)), rtol=1e-12)
    # an input that needs no gradient gets none
    x2 = tinynet.tensor(x.array)
    F.linear(x2, w, b).sum().backward()
    assert x2.grad is None


def test_functional_linear_errors():
    x, w = tinynet.randn(2, 5), tinynet.randn(3, 5)
    with pytest.raises(ValueError, match="last dimension 5, got shape"):
        F.linear(tinynet.randn(2, 4), w)
    with pytest.raises(ValueError, match=r"bias must have shape \(3,\)"):
        F.linear(x, w, tinynet.randn(4))
    with pytest.raises(ValueError, match="weight must be 2-D"):
        F.linear(x, tinynet.randn(5))
    with pytest.raises(TypeError, match="input dtype float64 and weight dtype float32"):
        F.linear(tinynet.tensor(np.ones((2, 5))), w)
    with pytest.raises(TypeError, match="floating-point"):
        F.linear(tinynet.tensor(np.ones((2, 5), np.int64)), w)
    with pytest.raises(TypeError, match="input must be a Tensor"):
        F.linear(np.ones((2, 5), np.float32), w)


# ---------------------------------------------------------------- gradchecks of modules
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 5)])
def test_linear_module_gradcheck(shape):
    assert gradcheck_module(nn.Linear(5, 3), rand64(*shape))
    assert gradcheck_module(nn.Linear(5, 2, bias=False), rand64(*shape))


def test_conv2d_module_gradcheck():
    tinynet.manual_seed(0)
    assert gradcheck_module(nn.Conv2d(2, 3, 3, padding=1), rand64(2, 2, 5, 5))
    assert gradcheck_module(nn.Conv2d(4, 2, (2, 3), stride=(2, 1), padding=(1, 0), groups=2,
                                      bias=False), rand64(1, 4, 5, 6))
    assert gradcheck_module(nn.Conv2d(1, 2, 2, padding="same"), rand64(1, 1, 4, 5))


@pytest.mark.parametrize("module", [
    nn.MaxPool2d(2), nn.MaxPool2d(3, stride=2, padding=1), nn.AvgPool2d(2),
    nn.AvgPool2d((2, 3), stride=1, padding=1), nn.Flatten(), nn.Flatten(0, 2), nn.ReLU(),
    nn.Tanh(), nn.Sigmoid(), nn.Softmax(dim=1), nn.LogSoftmax(dim=-1), nn.Identity(),
], ids=repr)
def test_parameterless_module_gradcheck(module):
    assert tinynet.gradcheck(module, [rand64(2, 3, 4, 6, seed=5)])


def test_small_cnn_gradcheck():
    tinynet.manual_seed(3)
    net = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(2 * 3 * 3, 4), nn.Tanh(), nn.Linear(4, 3))
    assert gradcheck_module(net, rand64(2, 1, 6, 6))


# ---------------------------------------------------------------- against PyTorch
def _pair_with_torch(torch, t_module, ours):
    """Copy torch's (float64) weights into ours through state_dicts, and back."""
    t_module.double()
    ours.double()
    ours.load_state_dict({k: v.numpy() for k, v in t_module.state_dict().items()})
    back = {k: torch.from_numpy(v) for k, v in ours.state_dict().items()}
    t_module.load_state_dict(back)
    for k, v in t_module.state_dict().items():
        assert np.array_equal(v.numpy(), back[k].numpy())


def _compare_with_torch(torch, t_module, ours, shape, seed=0, tol=1e-10):
    _pair_with_torch(torch, t_module, ours)
    rng = np.random.default_rng(seed)
    x_np = rng.standard_normal(shape)
    x = tinynet.tensor(x_np, requires_grad=True)
    xt = torch.tensor(x_np, requires_grad=True)
    y, yt = ours(x), t_module(xt)
    assert y.shape == tuple(yt.shape)
    np.testing.assert_allclose(y.array, yt.detach().numpy(), rtol=tol, atol=tol)
    g = rng.standard_normal(y.shape)
    y.backward(g)
    yt.backward(torch.from_numpy(g))
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=tol, atol=tol)
    t_params = dict(t_module.named_parameters())
    assert [n for n, _ in ours.named_parameters()] == list(t_params)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, t_params[name].grad.numpy(), rtol=tol, atol=tol,
                                   err_msg=name)


def _layer_pairs(tnn):
    return [
        ((tnn.Linear(5, 3), nn.Linear(5, 3)), (4, 5)),
        ((tnn.Linear(5, 3), nn.Linear(5, 3)), (2, 3, 5)),
        ((tnn.Linear(5, 3, bias=False), nn.Linear(5, 3, bias=False)), (5,)),
        ((tnn.Conv2d(3, 4, 3), nn.Conv2d(3, 4, 3)), (2, 3, 7, 8)),
        ((tnn.Conv2d(2, 4, (2, 3), stride=(2, 1), padding=(1, 0)),
          nn.Conv2d(2, 4, (2, 3), stride=(2, 1), padding=(1, 0))), (2, 2, 7, 8)),
        ((tnn.Conv2d(4, 6, 3, padding="same", dilation=2, groups=2, bias=False),
          nn.Conv2d(4, 6, 3, padding="same", dilation=2, groups=2, bias=False)), (2, 4, 7, 8)),
        ((tnn.Conv2d(2, 2, 2, padding="same"), nn.Conv2d(2, 2, 2, padding="same")), (1, 2, 5, 6)),
        ((tnn.Conv2d(3, 6, 3, padding="valid", groups=3), nn.Conv2d(3, 6, 3, padding="valid",
                                                                    groups=3)), (3, 7, 8)),
        ((tnn.MaxPool2d(2), nn.MaxPool2d(2)), (2, 3, 7, 8)),
        ((tnn.MaxPool2d(3, 2, 1), nn.MaxPool2d(3, 2, 1)), (2, 3, 7, 8)),
        ((tnn.AvgPool2d(2), nn.AvgPool2d(2)), (2, 3, 7, 8)),
        ((tnn.AvgPool2d((2, 3), stride=1, padding=1), nn.AvgPool2d((2, 3), stride=1,
                                                                   padding=1)), (2, 3, 5, 6)),
        ((tnn.Flatten(), nn.Flatten()), (2, 3, 4, 5)),
        ((tnn.Flatten(0, 2), nn.Flatten(0, 2)), (2, 3, 4, 5)),
        ((tnn.ReLU(), nn.ReLU()), (3, 4)),
        ((tnn.Tanh(), nn.Tanh()), (3, 4)),
        ((tnn.Sigmoid(), nn.Sigmoid()), (3, 4)),
        ((tnn.Softmax(dim=1), nn.Softmax(dim=1)), (3, 4, 2)),
        ((tnn.LogSoftmax(dim=-1), nn.LogSoftmax(dim=-1)), (3, 4)),
        ((tnn.Identity(), nn.Identity()), (3, 4)),
    ]


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # torch notes its own copy
def test_layers_match_pytorch():
    torch = pytest.importorskip("torch")
    for i, ((t_module, ours), shape) in enumerate(_layer_pairs(torch.nn)):
        assert repr(ours) == repr(t_module)
        _compare_with_torch(torch, t_module, ours, shape, seed=i)


def reference_cnn(m):
    return m.Sequential(
        m.Conv2d(1, 8, 3, padding=1), m.ReLU(), m.MaxPool2d(2),
        m.Conv2d(8, 16, 3, padding=1), m.ReLU(), m.MaxPool2d(2),
        m.Flatten(), m.Linear(784, 128), m.ReLU(), m.Linear(128, 10))


def test_reference_cnn_matches_pytorch():
    torch = pytest.importorskip("torch")
    t_net, net = reference_cnn(torch.nn), reference_cnn(nn)
    assert repr(net) == repr(t_net)
    assert list(net.state_dict()) == list(t_net.state_dict())
    _compare_with_torch(torch, t_net, net, (4, 1, 28, 28), seed=7)
    # a cross-entropy training signal through both, as in a real step
    x = np.random.default_rng(8).standard_normal((4, 1, 28, 28))
    net.zero_grad()
    t_net.zero_grad()
    net(tinynet.tensor(x)).log_softmax(dim=1).sum().backward()
    t_net(torch.from_numpy(x)).log_softmax(dim=1).sum().backward()
    for (n, p), (_, tp) in zip(net.named_parameters(), t_net.named_parameters()):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=n)


def test_float32_reference_cnn_stays_float32_and_close_to_pytorch():
    torch = pytest.importorskip("torch")
    t_net, net = reference_cnn(torch.nn), reference_cnn(nn)
    net.load_state_dict({k: v.numpy() for k, v in t_net.state_dict().items()})
    x = np.random.default_rng(9).standard_normal((2, 1, 28, 28)).astype(np.float32)
    y = net(tinynet.tensor(x))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.array, t_net(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- default initialisation
def _check_uniform(values, bound):
    values = np.asarray(values, dtype=np.float64).ravel()
    assert np.abs(values).max() <= bound
    assert np.abs(values).max() > 0.98 * bound           # the whole range is used
    assert abs(values.mean()) < 4 * bound / math.sqrt(3 * values.size)
    assert values.std() == pytest.approx(bound / math.sqrt(3), rel=0.03)


def test_linear_default_init():
    tinynet.manual_seed(0)
    lin = nn.Linear(1000, 300)
    assert lin.weight.shape == (300, 1000) and lin.bias.shape == (300,)
    assert lin.weight.dtype == lin.bias.dtype == np.float32
    assert lin.weight.requires_grad and isinstance(lin.weight, nn.Parameter)
    _check_uniform(lin.weight.array, 1 / math.sqrt(1000))
    assert np.abs(lin.bias.array).max() <= 1 / math.sqrt(1000)


def test_conv2d_default_init():
    tinynet.manual_seed(0)
    conv = nn.Conv2d(6, 64, 5, groups=2)
    assert conv.weight.shape == (64, 3, 5, 5) and conv.bias.shape == (64,)
    _check_uniform(conv.weight.array, 1 / math.sqrt(3 * 25))   # fan_in = C/groups * kH * kW
    assert np.abs(conv.bias.array).max() <= 1 / math.sqrt(75)


def test_default_init_matches_pytorch_statistics():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    for ours, theirs in [(nn.Linear(500, 400), torch.nn.Linear(500, 400)),
                         (nn.Conv2d(8, 64, 3), torch.nn.Conv2d(8, 64, 3))]:
        fan_in = ours.weight.size // ours.weight.shape[0]
        for p, tp in ((ours.weight, theirs.weight), (ours.bias, theirs.bias)):
            assert p.shape == tuple(tp.shape)
            # both are U(-1/sqrt(fan_in), 1/sqrt(fan_in)): same range, same spread
            t_vals = tp.detach().numpy()
            assert np.abs(p.array).max() <= 1 / math.sqrt(fan_in)
            assert np.abs(t_vals).max() <= 1 / math.sqrt(fan_in)
            assert p.array.std() == pytest.approx(t_vals.std(), rel=0.25 if p.ndim == 1 else 0.03)


def test_init_is_reproducible_with_manual_seed():
    tinynet.manual_seed(42)
    a = reference_cnn(nn)
    tinynet.manual_seed(42)
    b = reference_cnn(nn)
    c = reference_cnn(nn)
    for k, v in a.state_dict().items():
        assert np.array_equal(v, b.state_dict()[k])
        assert not np.array_equal(v, c.state_dict()[k])


def test_init_functions():
    tinynet.manual_seed(0)
    w = nn.Parameter(np.empty((200, 300), np.float32))
    version = w._version
    assert init.xavier_uniform_(w) is w                  # in place, on a Parameter
    assert w._version == version + 1 and w.dtype == np.float32
    _check_uniform(w.array, math.sqrt(6 / 500))
    init.xavier_uniform_(w, gain=init.calculate_gain("tanh"))
    _check_uniform(w.array, 5 / 3 * math.sqrt(6 / 500))
    init.kaiming_uniform_(w, a=math.sqrt(5))
    _check_uniform(w.array, 1 / math.sqrt(300))
    init.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu")
    _check_uniform(w.array, math.sqrt(2) * math.sqrt(3 / 200))
    k = nn.Parameter(np.empty((64, 16, 3, 3), np.float32))
    init.kaiming_normal_(k, nonlinearity="relu")
    assert k.array.std() == pytest.approx(math.sqrt(2 / 144), rel=0.03)
    init.xavier_normal_(k)
    assert k.array.std() == pytest.approx(math.sqrt(2 / (144 + 576)), rel=0.03)
    init.normal_(w, mean=2.0, std=0.5)
    assert w.array.mean() == pytest.approx(2.0, abs=0.01)
    assert w.array.std() == pytest.approx(0.5, rel=0.02)
    init.uniform_(w, -3, -1)
    assert -3 <= w.array.min() and w.array.max() <= -1
    init.zeros_(w)
    assert not w.array.any()
    init.ones_(w)
    assert (w.array == 1).all()
    init.constant_(w, 0.25)
    assert (w.array == 0.25).all()
    b = nn.Parameter(np.empty(3, np.float32))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.kaiming_uniform_(b)
    with pytest.raises(ValueError, match="fan_in"):
        init.kaiming_uniform_(w, mode="fan")
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(TypeError, match="expected a Tensor"):
        init.zeros_(np.zeros(3))


def test_calculate_gain_matches_pytorch():
    torch = pytest.importorskip("torch")
    for args in [("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",),
                 ("leaky_relu",), ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5)), ("selu",)]:
        assert init.calculate_gain(*args) == pytest.approx(torch.nn.init.calculate_gain(*args))


# ---------------------------------------------------------------- input validation
def test_linear_errors():
    lin = nn.Linear(784, 128)
    with pytest.raises(ValueError) as err:
        lin(tinynet.randn(64, 100))
    assert str(err.value) == ("Linear(784, 128): expected input with last dimension 784, "
                              "got shape (64, 100)")
    with pytest.raises(TypeError, match=r"Linear\(784, 128\): expected a Tensor input, "
                                        r"got ndarray"):
        lin(np.zeros((2, 784), np.float32))
    with pytest.raises(TypeError, match="in_features must be an int"):
        nn.Linear(2.5, 3)
    with pytest.raises(ValueError, match="out_features must be >= 0"):
        nn.Linear(2, -1)


def test_conv2d_errors():
    with pytest.raises(ValueError, match=r"in_channels must be divisible by groups \(got in_channels=3, groups=2\)"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match=r"out_channels must be divisible by groups \(got out_channels=6, groups=4\)"):
        nn.Conv2d(4, 6, 3, groups=4)
    with pytest.raises(ValueError, match="not supported for strided"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="'same' or 'valid'"):
        nn.Conv2d(1, 1, 3, padding="full")
    with pytest.raises(ValueError, match="kernel_size must be >= 1"):
        nn.Conv2d(1, 1, 0)
    with pytest.raises(TypeError, match="kernel_size must be an int or a pair"):
        nn.Conv2d(1, 1, (3, 3, 3))
    with pytest.raises(ValueError, match="groups must be a positive int"):
        nn.Conv2d(1, 1, 3, groups=0)
    conv = nn.Conv2d(1, 8, 3, padding=1)
    with pytest.raises(ValueError, match=r"Conv2d\(1, 8, kernel_size=\(3, 3\), stride=\(1, 1\), "
                                         r"padding=\(1, 1\)\): expected input of shape "
                                         r"\(N, 1, H, W\)"):
        conv(tinynet.randn(4, 3, 28, 28))
    with pytest.raises(ValueError, match="expected input of shape"):
        conv(tinynet.randn(28, 28))
    assert conv(tinynet.randn(1, 5, 5)).shape == (8, 5, 5)   # unbatched, as PyTorch


def test_other_layer_errors():
    with pytest.raises(ValueError, match="at most half"):
        nn.MaxPool2d(2, padding=2)
    with pytest.raises(ValueError, match="stride must be >= 1"):
        nn.AvgPool2d(2, stride=0)
    with pytest.raises(ValueError, match=r"Flatten\(start_dim=1, end_dim=-1\): dim 1 is out "
                                         r"of range"):
        nn.Flatten()(tinynet.randn(3))
    with pytest.raises(ValueError, match=r"Softmax\(dim=None\): say which dim"):
        nn.Softmax()(tinynet.randn(2, 3))
    with pytest.raises(TypeError, match="ReLU: expected a Tensor input"):
        nn.ReLU()([1.0, -1.0])
    with pytest.raises(TypeError, match="relu: input must be a Tensor"):
        F.relu(np.ones(3))


def test_activation_modules_compute_their_functions():
    x = tinynet.tensor(np.linspace(-3, 3, 12).reshape(3, 4))
    d = x.array
    np.testing.assert_allclose(nn.ReLU()(x).array, np.maximum(d, 0))
    np.testing.assert_allclose(nn.Tanh()(x).array, np.tanh(d))
    np.testing.assert_allclose(nn.Sigmoid()(x).array, 1 / (1 + np.exp(-d)))
    e = np.exp(d - d.max(axis=0))
    np.testing.assert_allclose(nn.Softmax(dim=0)(x).array, e / e.sum(axis=0))
    np.testing.assert_allclose(nn.LogSoftmax(dim=0)(x).array, np.log(e / e.sum(axis=0)))
    assert nn.Flatten()(tinynet.randn(2, 3, 4, 5)).shape == (2, 60)
    assert nn.Flatten(2)(tinynet.randn(2, 3, 4, 5)).shape == (2, 3, 20)
