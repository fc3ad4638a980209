"""BatchNorm: functional values and gradients, running statistics, modules, torch parity."""
import numpy as np
import pytest

import tinynet
import tinynet.nn as nn
import tinynet.nn.functional as F


def _t(a, requires_grad=False):
    return tinynet.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def _rand(shape, seed, scale=1.0, shift=0.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale + shift


def _ref(x, mean, var, w, b, eps=1e-5):
    """Naive numpy batch norm over channel axis 1."""
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * w.reshape(shape) \
        + b.reshape(shape)


# ---------------------------------------------------------------- functional
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (3, 2, 4, 5)])
def test_training_values_and_running_stats(shape):
    x = _rand(shape, 0, 2.0, 1.0)
    c = shape[1]
    w, b = _rand(c, 1), _rand(c, 2)
    rm0, rv0 = _rand(c, 3), np.abs(_rand(c, 4)) + 0.5
    rm, rv = _t(rm0), _t(rv0)
    out = F.batch_norm(_t(x), rm, rv, _t(w), _t(b), training=True, momentum=0.2)
    axes = (0,) + tuple(range(2, len(shape)))
    mean, var = x.mean(axes), x.var(axes)           # biased variance for normalising
    np.testing.assert_allclose(out.array, _ref(x, mean, var, w, b), rtol=1e-12, atol=1e-12)
    m = x.size // c
    np.testing.assert_allclose(rm.array, 0.8 * rm0 + 0.2 * mean, rtol=1e-13)
    np.testing.assert_allclose(rv.array, 0.8 * rv0 + 0.2 * var * m / (m - 1), rtol=1e-13)


def test_eval_uses_running_stats():
    x = _rand((5, 4, 2, 3), 0)
    rm0, rv0 = _rand(4, 1), np.abs(_rand(4, 2)) + 0.1
    w, b = _rand(4, 3), _rand(4, 4)
    rm, rv = _t(rm0), _t(rv0)
    out = F.batch_norm(_t(x), rm, rv, _t(w), _t(b), training=False, eps=1e-3)
    np.testing.assert_allclose(out.array, _ref(x, rm0, rv0, w, b, 1e-3), rtol=1e-12)
    np.testing.assert_array_equal(rm.array, rm0)     # not updated in evaluation
    np.testing.assert_array_equal(rv.array, rv0)
    # without weight and bias: gamma = 1, beta = 0
    out = F.batch_norm(_t(x), rm, rv)
    np.testing.assert_allclose(out.array, _ref(x, rm0, rv0, np.ones(4), np.zeros(4)), rtol=1e-12)


def test_one_tape_entry_and_float32():
    x = tinynet.randn(8, 3, requires_grad=True)
    w, b = nn.Parameter(np.ones(3, np.float32)), nn.Parameter(np.zeros(3, np.float32))
    out = F.batch_norm(x, None, None, w, b, training=True)
    assert out.dtype == np.float32
    assert out.grad_fn.op == "batch_norm" and out.grad_fn.inputs == (x, w, b)
    out.sum().backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(5, 3), (3, 2, 2, 3)])
def test_gradcheck(training, shape):
    c = shape[1]
    x = _t(_rand(shape, 0, 2.0, 0.5), requires_grad=True)
    w = _t(_rand(c, 1), requires_grad=True)
    b = _t(_rand(c, 2), requires_grad=True)
    # gradcheck re-runs fn, so the running stats drift in training mode: harmless,
    # the output only depends on them in evaluation mode (where they are not updated)
    rm, rv = _t(_rand(c, 3)), _t(np.abs(_rand(c, 4)) + 0.5)
    assert tinynet.gradcheck(
        lambda a, g, be: F.batch_norm(a, rm, rv, g, be, training=training), [x, w, b])
    # no affine parameters, no running stats
    if training:
        assert tinynet.gradcheck(lambda a: F.batch_norm(a, None, None, training=True), [x])


def test_functional_errors():
    x = _t(_rand((4, 3), 0))
    rm, rv = _t(np.zeros(3)), _t(np.ones(3))
    with pytest.raises(TypeError, match="input must be a Tensor"):
        F.batch_norm(np.zeros((4, 3)), rm, rv)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        F.batch_norm(_t(np.zeros(3)), rm, rv)
    with pytest.raises(ValueError, match=r"running_mean must have shape \(3,\)"):
        F.batch_norm(x, _t(np.zeros(4)), rv)
    with pytest.raises(ValueError, match=r"weight must have shape \(3,\)"):
        F.batch_norm(x, rm, rv, weight=_t(np.ones((1, 3))))
    with pytest.raises(ValueError, match="must be given when training=False"):
        F.batch_norm(x, None, None, training=False)
    with pytest.raises(ValueError, match="both running_mean and running_var"):
        F.batch_norm(x, rm, None, training=True)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(_t(np.zeros((1, 3))), rm, rv, training=True)
    with pytest.raises(TypeError, match="momentum must be a number"):
        F.batch_norm(x, rm, rv, training=True, momentum=None)
    with pytest.raises(ValueError, match="eps"):
        F.batch_norm(x, rm, rv, eps=0)
    with pytest.raises(TypeError, match="floating point"):
        F.batch_norm(tinynet.tensor(np.zeros((4, 3), np.int64)), rm, rv)


# ---------------------------------------------------------------- modules
def test_module_state_and_repr():
    bn = nn.BatchNorm2d(4)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                     "num_batches_tracked"]
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    np.testing.assert_array_equal(bn.weight.array, 1)
    np.testing.assert_array_equal(bn.bias.array, 0)
    assert bn.num_batches_tracked.dtype == np.int64 and bn.num_batches_tracked.item() == 0
    assert repr(bn) == ("BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, "
                        "track_running_stats=True)")
    plain = nn.BatchNorm1d(3, affine=False, track_running_stats=False)
    assert plain.state_dict() == {} and list(plain.parameters()) == []
    assert plain.weight is None and plain.running_mean is None
    nb = nn.BatchNorm1d(3, bias=False)
    assert list(nb.state_dict()) == ["weight", "running_mean", "running_var",
                                     "num_batches_tracked"]
    bn.running_mean.array[:] = 5
    bn.num_batches_tracked.array[...] = 3
    bn.weight.array[:] = 2
    bn.reset_parameters()
    np.testing.assert_array_equal(bn.running_mean.array, 0)
    np.testing.assert_array_equal(bn.weight.array, 1)
    assert bn.num_batches_tracked.item() == 0


def test_module_training_then_eval():
    bn = nn.BatchNorm1d(3, momentum=None).double()   # cumulative average of batch stats
    xs = [_rand((10, 3), s, 2.0, s) for s in range(3)]
    for x in xs:
        bn(_t(x))
    assert bn.num_batches_tracked.item() == 3
    np.testing.assert_allclose(bn.running_mean.array, np.mean([x.mean(0) for x in xs], 0),
                               rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.array,
                               np.mean([x.var(0, ddof=1) for x in xs], 0), rtol=1e-12)
    bn.eval()
    x = _rand((2, 3), 9)
    np.testing.assert_allclose(bn(_t(x)).array, _ref(x, bn.running_mean.array,
                                                     bn.running_var.array, np.ones(3),
                                                     np.zeros(3)), rtol=1e-12)
    assert bn.num_batches_tracked.item() == 3        # evaluation does not count
    bn(_t(_rand((1, 3), 1)))                         # a single example is fine in eval


def test_module_errors():
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D"):
        nn.BatchNorm1d(3)(_t(np.zeros((2, 3, 4, 5))))
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D"):
        nn.BatchNorm2d(3)(_t(np.zeros((2, 3, 4))))
    with pytest.raises(ValueError, match="expected 3 channels"):
        nn.BatchNorm2d(3)(_t(np.zeros((2, 4, 2, 2))))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3).double()(_t(np.zeros((1, 3))))
    with pytest.raises(TypeError, match="input must be a Tensor"):
        nn.BatchNorm1d(3)(np.zeros((2, 3)))
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="num_features"):
            nn.BatchNorm1d(bad)
    with pytest.raises(ValueError, match="eps"):
        nn.BatchNorm1d(3, eps=0)
    with pytest.raises(ValueError, match="momentum"):
        nn.BatchNorm1d(3, momentum=1.5)


# ---------------------------------------------------------------- vs torch
@pytest.mark.parametrize("kind,shape,momentum,track", [
    ("1d", (8, 5), 0.1, True),
    ("1d", (6, 5, 7), 0.3, True),
    ("2d", (4, 5, 3, 6), 0.1, True),
    ("2d", (4, 5, 3, 3), None, True),
    ("2d", (4, 5, 2, 3), 0.1, False),
])
def test_vs_torch(kind, shape, momentum, track):
    torch = pytest.importorskip("torch")
    ours = {"1d": nn.BatchNorm1d, "2d": nn.BatchNorm2d}[kind](
        5, momentum=momentum, track_running_stats=track).double()
    ref = {"1d": torch.nn.BatchNorm1d, "2d": torch.nn.BatchNorm2d}[kind](
        5, momentum=momentum, track_running_stats=track).double()
    w, b = _rand(5, 100), _rand(5, 101)
    ours.weight.array[:], ours.bias.array[:] = w, b
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(w))
        ref.bias.copy_(torch.tensor(b))

    def step(seed, train):
        ours.train(train)
        ref.train(train)
        x = _rand(shape, seed, 3.0, seed - 1.0)
        g = _rand(shape, seed + 50)
        xt, xr = _t(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ours.zero_grad()
        ref.zero_grad()
        out, rout = ours(xt), ref(xr)
        np.testing.assert_allclose(out.array, rout.detach().numpy(), rtol=1e-10, atol=1e-12)
        out.backward(g)
        rout.backward(torch.tensor(g))
        np.testing.assert_allclose(xt.grad, xr.grad.numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(ours.weight.grad, ref.weight.grad.numpy(), rtol=1e-10,
                                   atol=1e-12)
        np.testing.assert_allclose(ours.bias.grad, ref.bias.grad.numpy(), rtol=1e-10,
                                   atol=1e-12)

    for seed in range(1, 4):
        step(seed, True)
    if track:
        np.testing.assert_allclose(ours.running_mean.array, ref.running_mean.numpy(),
                                   rtol=1e-12)
        np.testing.assert_allclose(ours.running_var.array, ref.running_var.numpy(), rtol=1e-12)
        assert ours.num_batches_tracked.item() == ref.num_batches_tracked.item() == 3
    step(7, False)                                   # evaluation mode
    # the state dicts line up key for key and load into each other
    theirs = {k: v.numpy() for k, v in ref.state_dict().items()}
    assert list(ours.state_dict()) == list(theirs)
    fresh = {"1d": nn.BatchNorm1d, "2d": nn.BatchNorm2d}[kind](
        5, momentum=momentum, track_running_stats=track).double()
    fresh.load_state_dict(theirs)
    for k, v in fresh.state_dict().items():
        np.testing.assert_array_equal(v, theirs[k])


def test_small_network_with_batchnorm_and_dropout_trains():
    """End to end: Linear-BatchNorm-ReLU-Dropout-Linear + CrossEntropyLoss learns 3 blobs."""
    tinynet.manual_seed(0)
    rng = np.random.default_rng(0)
    centers = np.array([[0.0, 3.0], [3.0, -2.0], [-3.0, -2.0]])
    y = rng.integers(0, 3, 300)
    x = (centers[y] + rng.standard_normal((300, 2))).astype(np.float32)
    model = nn.Sequential(nn.Linear(2, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.2),
                          nn.Linear(16, 3))
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
    xt, yt = tinynet.tensor(x), tinynet.tensor(y)
    losses = []
    for _ in range(60):
        model.zero_grad()
        loss = loss_fn(model(xt), yt)
        loss.backward()
        losses.append(loss.item())
        with tinynet.no_grad():
            for p in model.parameters():
                p.array -= 0.2 * p.grad.array
                p._bump_version()
    assert losses[-1] < 0.5 * losses[0]
    model.eval()
    with tinynet.no_grad():
        acc = np.mean(model(xt).array.argmax(1) == y)
    assert acc > 0.95


@pytest.mark.parametrize("module", [nn.BatchNorm1d(3), nn.BatchNorm1d(3, affine=False)])
def test_input_dtype_must_match_the_layers_as_in_torch(module):
    x = _t(np.random.default_rng(0).standard_normal((4, 3)))  # float64, layer float32
    with pytest.raises(TypeError, match="has dtype float32 but the input float64"):
        module(x)
    with pytest.raises(TypeError, match="weight has dtype float64 but the input float32"):
        F.batch_norm(x.float(), None, None, weight=tinynet.ones(3, dtype="float64"), training=True)
    assert module.double()(x).dtype == np.float64


def test_input_dtype_mismatch_is_an_error_in_torch_too():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="mixed dtype"):
        torch.nn.BatchNorm1d(3)(torch.zeros(4, 3, dtype=torch.float64))
