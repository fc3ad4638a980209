"""RMSprop, Adagrad and Adadelta: step for step against PyTorch with every option, state
dicts that resume exactly, and PyTorch's argument errors."""
import numpy as np
import pytest

import tinynet
from tinynet.nn import Parameter
from tinynet.optim import Adadelta, Adagrad, RMSprop

SHAPES = [(3, 4), (5,), ()]  # includes a 0-d parameter
STEPS = 6


def _data(seed=0, steps=STEPS):
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s) for s in SHAPES]
    grads = [[rng.standard_normal(s) for s in SHAPES] for _ in range(steps)]
    grads[2][1] = None  # one parameter gets no gradient at step 3: it must be skipped
    return init, grads


def _run(opt, params, grads):
    for gs in grads:
        for p, g in zip(params, gs):
            if g is not None and isinstance(p, tinynet.Tensor):
                g = tinynet.tensor(g)
            p.grad = g
        opt.step()


CASES = [
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.05, alpha=0.9, eps=1e-6)),
    ("RMSprop", dict(lr=0.05, momentum=0.8)),
    ("RMSprop", dict(lr=0.05, centered=True)),
    ("RMSprop", dict(lr=0.03, alpha=0.7, eps=1e-3, weight_decay=0.1, momentum=0.5,
                     centered=True)),
    ("RMSprop", dict(lr=0.01, alpha=0.3, centered=True)),   # lerp weight > 0.5
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05)),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.3, eps=1e-4)),
    ("Adagrad", dict(lr=0.2, lr_decay=0.1, weight_decay=0.05, initial_accumulator_value=0.1,
                     eps=1e-6)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4)),
    ("Adadelta", dict(lr=2.0, rho=0.95, eps=1e-3, weight_decay=0.2)),
]


@pytest.mark.parametrize("name, kw", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_matches_torch_step_for_step(name, kw):
    torch = pytest.importorskip("torch")
    init, grads = _data()
    tparams = [torch.tensor(a, requires_grad=True) for a in init]
    topt = getattr(torch.optim, name)(tparams, **kw)
    params = [Parameter(a) for a in init]
    opt = getattr(tinynet.optim, name)(params, **kw)
    for step in range(STEPS):
        _run(topt, tparams, [[None if g is None else torch.tensor(g) for g in grads[step]]])
        _run(opt, params, [grads[step]])
        for p, tp in zip(params, tparams):   # the parameters after every step
            np.testing.assert_allclose(p.array, tp.detach().numpy(), rtol=1e-13, atol=1e-13)
    for p, tp in zip(params, tparams):       # and every state entry at the end
        assert set(opt.state[p]) == set(topt.state[tp])
        for k, v in opt.state[p].items():
            tv = topt.state[tp][k]
            tv = tv.item() if k == "step" else tv.numpy()
            np.testing.assert_allclose(v, tv, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("name, kw", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_state_dict_resumes_exactly(name, kw):
    init, grads = _data(1)
    cls = getattr(tinynet.optim, name)
    straight = [Parameter(a) for a in init]
    _run(cls(straight, **kw), straight, grads)

    params = [Parameter(a) for a in init]
    opt = cls(params, **kw)
    _run(opt, params, grads[:3])
    saved = opt.state_dict()
    at_save = [p.array.copy() for p in params]
    _run(opt, params, grads[3:4])           # later steps must not change the saved dict
    for p, a in zip(params, at_save):       # back to where the state dict was taken
        p.array[...] = a
    resumed = cls(params, lr=123.0)         # hyperparameters come from the state dict
    resumed.load_state_dict(saved)
    assert resumed.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    _run(resumed, params, grads[3:])
    for p, q in zip(params, straight):
        np.testing.assert_array_equal(p.array, q.array)


def test_adagrad_state_exists_from_construction_as_torch():
    torch = pytest.importorskip("torch")
    p = Parameter(np.zeros(3))
    sd = Adagrad([p], initial_accumulator_value=0.5).state_dict()
    tsd = torch.optim.Adagrad([torch.zeros(3, requires_grad=True)],
                              initial_accumulator_value=0.5).state_dict()
    assert list(sd["state"]) == list(tsd["state"]) == [0]
    assert set(sd["state"][0]) == set(tsd["state"][0]) == {"step", "sum"}
    np.testing.assert_array_equal(sd["state"][0]["sum"], [0.5] * 3)
    assert sorted(sd["param_groups"][0]) == sorted(
        k for k in tsd["param_groups"][0] if k not in ("foreach", "maximize",
                                                       "differentiable", "fused"))


def test_state_keys_follow_the_options():
    def keys(opt_cls, **kw):
        p = Parameter(np.ones(2))
        opt = opt_cls([p], **kw)
        p.grad = tinynet.tensor(np.ones(2))
        opt.step()
        return set(opt.state[p])
    assert keys(RMSprop) == {"step", "square_avg"}
    assert keys(RMSprop, momentum=0.9, centered=True) == {"step", "square_avg",
                                                          "momentum_buffer", "grad_avg"}
    assert keys(Adadelta) == {"step", "square_avg", "acc_delta"}
    # a state dict whose state does not fit its settings is refused
    p = Parameter(np.ones(2))
    opt = RMSprop([p], momentum=0.9)
    p.grad = tinynet.tensor(np.ones(2))
    opt.step()
    sd = opt.state_dict()
    del sd["state"][0]["momentum_buffer"]
    with pytest.raises(ValueError, match="momentum_buffer"):
        RMSprop([Parameter(np.ones(2))]).load_state_dict(sd)


def test_first_steps_by_hand():
    g = np.array([0.5, -2.0])
    p = Parameter(np.zeros(2))
    opt = Adadelta([p], rho=0.9, eps=1e-6)
    p.grad = tinynet.tensor(g)
    opt.step()   # delta = sqrt(0 + eps) / sqrt(0.1 g^2 + eps) * g
    np.testing.assert_allclose(p.array, -np.sqrt(1e-6) / np.sqrt(0.1 * g * g + 1e-6) * g,
                               rtol=1e-14)
    p = Parameter(np.zeros(2))
    opt = RMSprop([p], lr=0.1, alpha=0.9, eps=0)
    p.grad = tinynet.tensor(g)
    opt.step()   # p = -lr g / sqrt(0.1 g^2) = -lr sign(g) / sqrt(0.1)
    np.testing.assert_allclose(p.array, -0.1 * np.sign(g) / np.sqrt(0.1), rtol=1e-14)
    p = Parameter(np.zeros(2))
    opt = Adagrad([p], lr=1.0, lr_decay=1.0, eps=0)
    for _ in range(2):
        p.grad = tinynet.tensor(g)
        opt.step()   # step 1: -sign(g); step 2: lr / 2 * g / sqrt(2 g^2)
    np.testing.assert_allclose(p.array, -np.sign(g) * (1 + 0.5 / np.sqrt(2)), rtol=1e-14)


def test_float32_parameters_stay_float32():
    for cls in (RMSprop, Adagrad, Adadelta):
        p = Parameter(np.ones(3, dtype=np.float32))
        opt = cls([p], weight_decay=0.1)
        p.grad = tinynet.ones(3)
        opt.step()
        assert p.dtype == np.float32
        assert all(v.dtype == np.float32 for v in opt.state[p].values()
                   if isinstance(v, np.ndarray))


def test_a_training_step_changes_the_model():
    tinynet.manual_seed(0)
    model = tinynet.nn.Linear(3, 2)
    x, y = tinynet.randn(5, 3), tinynet.tensor([0, 1, 1, 0, 1])
    for cls in (RMSprop, Adagrad, Adadelta):
        opt = cls(model.parameters())
        before = model.weight.array.copy()
        opt.zero_grad()
        tinynet.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        assert not np.array_equal(model.weight.array, before)


@pytest.mark.parametrize("name, kw", [
    ("RMSprop", dict(lr=-0.1)), ("RMSprop", dict(eps=-1.0)), ("RMSprop", dict(momentum=-0.5)),
    ("RMSprop", dict(weight_decay=-1)), ("RMSprop", dict(alpha=-0.1)),
    ("Adagrad", dict(lr=-0.1)), ("Adagrad", dict(lr_decay=-1)),
    ("Adagrad", dict(weight_decay=-1)), ("Adagrad", dict(initial_accumulator_value=-1)),
    ("Adagrad", dict(eps=-1)),
    ("Adadelta", dict(lr=-1)), ("Adadelta", dict(rho=1.5)), ("Adadelta", dict(rho=-0.1)),
    ("Adadelta", dict(eps=-1)), ("Adadelta", dict(weight_decay=-1)),
])
def test_argument_errors_as_torch(name, kw):
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError):
        getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)], **kw)
    (arg,) = kw
    with pytest.raises(ValueError, match=f"invalid {arg}="):
        getattr(tinynet.optim, name)([Parameter(np.zeros(1))], **kw)


def test_boundary_values_accepted_as_torch():
    RMSprop([Parameter(np.zeros(1))], alpha=1.5, momentum=0, eps=0)   # torch: alpha >= 0 only
    Adadelta([Parameter(np.zeros(1))], rho=1.0)
    Adadelta([Parameter(np.zeros(1))], rho=0.0)
    with pytest.raises(TypeError, match="centered must be True or False"):
        RMSprop([Parameter(np.zeros(1))], centered="yes")
