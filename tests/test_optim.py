"""tinynet.optim: update rules vs PyTorch and by hand, state dicts, schedulers, errors."""
import math
import warnings

import numpy as np
import pytest

import tinynet
from tinynet.nn import Parameter
from tinynet.optim import SGD, Adam, AdamW, Optimizer
from tinynet.optim.lr_scheduler import CosineAnnealingLR, StepLR
from tinynet.serialization import load, save

SHAPES = [(3, 4), (5,), ()]  # includes a 0-d parameter


def _data(seed=0, steps=5):
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s) for s in SHAPES]
    grads = [[rng.standard_normal(s) for s in SHAPES] for _ in range(steps)]
    if steps > 2:
        grads[2][1] = None  # one parameter gets no gradient at step 3: it must be skipped
    return init, grads


def _run_tinynet(cls, kw, init, grads, dtype=np.float64):
    params = [Parameter(a.astype(dtype)) for a in init]
    opt = cls(params, **kw)
    for gs in grads:
        for p, g in zip(params, gs):
            p.grad = None if g is None else tinynet.tensor(g.astype(dtype))
        opt.step()
    return params, opt


OPT_CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, weight_decay=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.8, weight_decay=0.1, nesterov=True)),
    ("Adam", dict(lr=0.1)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.1, amsgrad=True)),
    ("Adam", dict(lr=0.1, amsgrad=True, weight_decay=0.02)),
    ("AdamW", dict(lr=0.1)),
    ("AdamW", dict(lr=0.1, weight_decay=0.3, amsgrad=True)),
]


@pytest.mark.parametrize("name,kw", OPT_CASES, ids=lambda v: str(v))
def test_matches_torch_five_steps(name, kw):
    torch = pytest.importorskip("torch")
    init, grads = _data()
    tparams = [torch.tensor(a, requires_grad=True) for a in init]
    topt = getattr(torch.optim, name)(tparams, **kw)
    for gs in grads:
        for p, g in zip(tparams, gs):
            p.grad = None if g is None else torch.tensor(g)
        topt.step()
    params, opt = _run_tinynet(getattr(tinynet.optim, name), kw, init, grads)
    for p, tp in zip(params, tparams):
        assert p.dtype == np.float64
        np.testing.assert_allclose(p.array, tp.detach().numpy(), rtol=0, atol=1e-12)
    # the optimizer state matches torch's too
    for p, tp in zip(params, tparams):
        for k, v in opt.state.get(p, {}).items():
            tv = topt.state[tp][k]
            tv = tv.item() if k == "step" else tv.numpy()
            np.testing.assert_allclose(v, tv, rtol=0, atol=1e-12)


def test_param_groups_match_torch():
    torch = pytest.importorskip("torch")
    init, grads = _data(1)
    tp = [torch.tensor(a, requires_grad=True) for a in init]
    topt = torch.optim.Adam([{"params": tp[:2]}, {"params": tp[2:], "lr": 0.5,
                                                  "weight_decay": 0.1}], lr=0.01)
    ps = [Parameter(a) for a in init]
    opt = Adam([{"params": ps[:2]}, {"params": ps[2:], "lr": 0.5, "weight_decay": 0.1}], lr=0.01)
    assert [g["lr"] for g in opt.param_groups] == [0.01, 0.5]
    assert opt.param_groups[0]["weight_decay"] == 0
    for gs in grads:
        for p, q, g in zip(tp, ps, gs):
            p.grad = None if g is None else torch.tensor(g)
            q.grad = None if g is None else tinynet.tensor(g.copy())
        topt.step()
        opt.step()
    for p, q in zip(tp, ps):
        np.testing.assert_allclose(q.array, p.detach().numpy(), rtol=0, atol=1e-12)


def _lrs_torch(torch, sched_name, kw, epochs):
    ps = [torch.zeros(2, requires_grad=True), torch.zeros(1, requires_grad=True)]
    opt = torch.optim.SGD([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.03}], lr=0.2)
    sched = getattr(torch.optim.lr_scheduler, sched_name)(opt, **kw)
    out = [sched.get_last_lr()]
    for _ in range(epochs):
        opt.step()
        sched.step()
        out.append(sched.get_last_lr())
    return out


def _lrs_tinynet(cls, kw, epochs):
    ps = [Parameter(np.zeros(2)), Parameter(np.zeros(1))]
    opt = SGD([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.03}], lr=0.2)
    sched = cls(opt, **kw)
    out = [sched.get_last_lr()]
    for _ in range(epochs):
        for p in ps:
            p.grad = tinynet.tensor(np.zeros_like(p.array))
        opt.step()
        sched.step()
        out.append(sched.get_last_lr())
        assert [g["lr"] for g in opt.param_groups] == out[-1]
    return out, sched


@pytest.mark.parametrize("cls,kw", [(StepLR, dict(step_size=3)),
                                    (StepLR, dict(step_size=2, gamma=0.5)),
                                    (CosineAnnealingLR, dict(T_max=7)),
                                    (CosineAnnealingLR, dict(T_max=5, eta_min=0.001))],
                         ids=lambda v: str(v))
def test_schedulers_match_torch(cls, kw):
    torch = pytest.importorskip("torch")
    epochs = 2 * kw.get("T_max", 6) + 3  # cosine: down, back up, and past the restart
    expect = _lrs_torch(torch, cls.__name__, kw, epochs)
    got, sched = _lrs_tinynet(cls, kw, epochs)
    np.testing.assert_allclose(np.array(got), np.array(expect), rtol=0, atol=1e-12)
    assert sched.last_epoch == epochs


def test_scheduler_values_without_torch():
    got, _ = _lrs_tinynet(StepLR, dict(step_size=2, gamma=0.5), 6)
    np.testing.assert_allclose([lr[0] for lr in got],
                               [0.2 * 0.5 ** (e // 2) for e in range(7)], rtol=1e-15)
    T, lo = 6, 0.01
    got, _ = _lrs_tinynet(CosineAnnealingLR, dict(T_max=T, eta_min=lo), 2 * T)
    closed = [lo + (0.2 - lo) * (1 + math.cos(math.pi * e / T)) / 2 for e in range(2 * T + 1)]
    np.testing.assert_allclose([lr[0] for lr in got], closed, rtol=0, atol=1e-12)


def test_scheduler_state_dict_resume(tmp_path):
    full, _ = _lrs_tinynet(CosineAnnealingLR, dict(T_max=5), 9)
    ps = [Parameter(np.zeros(2)), Parameter(np.zeros(1))]
    opt = SGD([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.03}], lr=0.2)
    sched = CosineAnnealingLR(opt, T_max=5)
    for p in ps:
        p.grad = tinynet.tensor(np.zeros_like(p.array))
    for _ in range(4):
        opt.step()
        sched.step()
    save({"opt": opt.state_dict(), "sched": sched.state_dict()}, tmp_path / "ck")
    ck = load(tmp_path / "ck")
    opt2 = SGD([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.03}], lr=0.2)
    opt2.load_state_dict(ck["opt"])
    sched2 = CosineAnnealingLR(opt2, T_max=5)  # fresh, then overwritten by the saved state
    sched2.load_state_dict(ck["sched"])
    assert sched2.last_epoch == 4 and sched2.get_last_lr() == full[4]
    rest = []
    for _ in range(5):
        opt2.step()
        sched2.step()
        rest.append(sched2.get_last_lr())
    assert rest == full[5:]


@pytest.mark.parametrize("cls,kw", [(SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
                                    (Adam, dict(lr=0.1, amsgrad=True, weight_decay=0.1)),
                                    (AdamW, dict(lr=0.1))], ids=lambda v: str(v))
def test_state_dict_save_load_resume_is_identical(tmp_path, cls, kw):
    init, grads = _data(2, steps=6)
    grads[2][1] = grads[1][1]  # every parameter has state by the checkpoint
    straight, _ = _run_tinynet(cls, kw, init, grads)

    params, opt = _run_tinynet(cls, kw, init, grads[:3])
    path = tmp_path / "run.ckpt"
    save({"params": [p.array for p in params], "optim": opt.state_dict()}, path)
    for p in params:  # scribble over everything: the checkpoint must not share memory
        p.array[...] = 123.0
    for st in opt.state.values():
        for v in st.values():
            if isinstance(v, np.ndarray):
                v[...] = -7.0

    ck = load(path)
    params2 = [Parameter(a) for a in ck["params"]]
    opt2 = cls(params2, lr=999.0)  # hyperparameters come from the checkpoint
    opt2.load_state_dict(ck["optim"])
    assert opt2.param_groups[0]["lr"] == kw["lr"]
    for gs in grads[3:]:
        for p, g in zip(params2, gs):
            p.grad = tinynet.tensor(g.copy())
        opt2.step()
    for a, b in zip(straight, params2):
        assert np.array_equal(a.array, b.array)


def test_state_dict_format_and_copies():
    p, q = Parameter(np.ones(3)), Parameter(np.ones(2))
    opt = Adam([{"params": [p]}, {"params": [q], "lr": 0.5}])
    p.grad = tinynet.tensor(np.array([1.0, -2.0, 3.0]))
    opt.step()
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert list(sd["state"]) == [0]  # q never had a gradient, so it has no state
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    assert sd["state"][0]["step"] == 1
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert sd["param_groups"][1]["lr"] == 0.5 and sd["param_groups"][0]["betas"] == (0.9, 0.999)
    saved = sd["state"][0]["exp_avg"].copy()
    opt.step()  # later steps do not change a state dict already taken
    assert np.array_equal(sd["state"][0]["exp_avg"], saved)
    opt.load_state_dict(sd)
    sd["state"][0]["exp_avg"][...] = 5.0  # nor does mutating it after loading
    assert np.array_equal(opt.state[p]["exp_avg"], saved)


def test_load_state_dict_accepts_string_keys():
    init, grads = _data(3, steps=2)
    params, opt = _run_tinynet(SGD, dict(lr=0.1, momentum=0.5), init, grads)
    sd = opt.state_dict()
    sd_str = {"state": {str(k): v for k, v in sd["state"].items()},
              "param_groups": [dict(g, params=[str(i) for i in g["params"]])
                               for g in sd["param_groups"]]}
    opt2 = SGD([Parameter(a) for a in init], lr=0.1, momentum=0.5)
    opt2.load_state_dict(sd_str)
    for p, p2 in zip(opt.param_groups[0]["params"], opt2.param_groups[0]["params"]):
        assert np.array_equal(opt.state[p]["momentum_buffer"], opt2.state[p2]["momentum_buffer"])


def test_load_state_dict_errors_change_nothing():
    init, grads = _data(4, steps=1)
    params, opt = _run_tinynet(Adam, dict(lr=0.1), init, grads)
    good = opt.state_dict()
    before = opt.state_dict()

    def bad(match, sd, target=opt):
        with pytest.raises(ValueError, match=match):
            target.load_state_dict(sd)

    bad("keys 'state' and 'param_groups'", {"state": {}})
    bad("keys 'state' and 'param_groups'", [1, 2])
    bad("2 parameter groups, this optimizer has 1",
        {"state": {}, "param_groups": good["param_groups"] * 2})
    g = dict(good["param_groups"][0], params=[0, 1])
    bad("has 2 parameters in the state dict but 3", {"state": {}, "param_groups": [g]})
    st = {k: dict(v) for k, v in good["state"].items()}
    st[0]["exp_avg"] = np.zeros((4, 3))
    bad(r"shape \(4, 3\), but its parameter has shape \(3, 4\)",
        {"state": st, "param_groups": good["param_groups"]})
    bad("entry for parameter 7", {"state": {7: good["state"][0]},
                                  "param_groups": good["param_groups"]})
    g = dict(good["param_groups"][0], lr=-1.0)
    bad("invalid lr", {"state": {}, "param_groups": [g]})
    # a state dict from SGD does not fit Adam, and vice versa
    sgd = SGD([Parameter(a) for a in init], lr=0.1, momentum=0.9)
    for p, gs in zip(sgd.param_groups[0]["params"], grads[0]):
        p.grad = tinynet.tensor(gs)
    sgd.step()
    bad("lacks hyperparameters", sgd.state_dict())
    bad("lacks hyperparameters", good, target=sgd)
    st = {k: dict(v) for k, v in good["state"].items()}
    del st[1]["exp_avg_sq"]
    bad(r"state\[1\] has keys \['exp_avg', 'step'\], Adam expects",
        {"state": st, "param_groups": good["param_groups"]})
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    for k in before["state"]:
        for n, v in before["state"][k].items():
            assert np.array_equal(after["state"][k][n], v)


# -- without torch: by hand ------------------------------------------------------------------
def test_sgd_momentum_by_hand():
    p = Parameter(np.array([1.0, -2.0]))
    opt = SGD([p], lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.1)
    p.grad = tinynet.tensor(np.array([0.5, 1.0]))
    opt.step()  # g = [0.5, 1] + 0.1*[1, -2] = [0.6, 0.8]; b = g; p -= 0.1 b
    np.testing.assert_allclose(p.array, [0.94, -2.08], rtol=1e-15)
    p.grad = tinynet.tensor(np.array([1.0, 0.0]))
    opt.step()  # g = [1, 0] + 0.1*[0.94, -2.08] = [1.094, -0.208]
    b = 0.9 * np.array([0.6, 0.8]) + 0.7 * np.array([1.094, -0.208])
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"], b, rtol=1e-15)
    np.testing.assert_allclose(p.array, np.array([0.94, -2.08]) - 0.1 * b, rtol=1e-15)


def test_sgd_nesterov_by_hand():
    p = Parameter(np.array([0.0]))
    opt = SGD([p], lr=1.0, momentum=0.5, nesterov=True)
    p.grad = tinynet.tensor(np.array([1.0]))
    opt.step()  # b = 1, step = g + 0.5 b = 1.5
    p.grad = tinynet.tensor(np.array([2.0]))
    opt.step()  # b = 0.5 + 2 = 2.5, step = 2 + 1.25 = 3.25
    np.testing.assert_allclose(p.array, [-4.75], rtol=1e-15)


def test_adam_first_step_is_lr_times_sign():
    g = np.array([[3.0, -0.2], [1e-3, -50.0]])
    p = Parameter(np.zeros((2, 2)))
    opt = Adam([p], lr=0.01)
    p.grad = tinynet.tensor(g)
    opt.step()  # m_hat = g, v_hat = g^2: the step is lr * g / (|g| + eps)
    np.testing.assert_allclose(p.array, -0.01 * np.sign(g), rtol=1e-5)
    assert opt.state[p]["step"] == 1


def test_adamw_decay_is_decoupled():
    p = Parameter(np.array([2.0, -4.0]))
    opt = AdamW([p], lr=0.1, weight_decay=0.5)
    p.grad = tinynet.tensor(np.zeros(2))  # no gradient signal: only the decay acts
    opt.step()
    np.testing.assert_allclose(p.array, [2.0 * 0.95, -4.0 * 0.95], rtol=1e-15)
    q = Parameter(np.array([2.0, -4.0]))
    opt = Adam([q], lr=0.1, weight_decay=0.5)
    q.grad = tinynet.tensor(np.zeros(2))  # Adam's L2 term goes through the moments: a sign step
    opt.step()
    np.testing.assert_allclose(q.array, [2.0 - 0.1, -4.0 + 0.1], rtol=1e-6)


@pytest.mark.parametrize("cls,kw", [(SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.1)),
                                    (Adam, dict(amsgrad=True, weight_decay=0.1)),
                                    (AdamW, {})], ids=lambda v: str(v))
def test_float32_stays_float32(cls, kw):
    p = Parameter(np.ones((2, 3), dtype=np.float32))
    opt = cls([p], **kw)
    for _ in range(2):
        p._grad = tinynet.tensor(np.full((2, 3), 0.5))  # a float64 grad (set past .grad's
        # check, which refuses it as PyTorch does) must not upcast the parameter
        opt.step()
    assert p.array.dtype == np.float32
    assert all(v.dtype == np.float32 for v in opt.state[p].values() if isinstance(v, np.ndarray))


def test_training_loop_with_the_tape_converges():
    target = np.array([1.0, -2.0, 3.0])
    w = Parameter(np.zeros(3))
    opt = Adam([w], lr=0.1)
    for _ in range(300):
        opt.zero_grad()
        d = w - tinynet.tensor(target, dtype="float64")
        loss = (d * d).sum()
        loss.backward()
        opt.step()
    np.testing.assert_allclose(w.array, target, atol=1e-3)


def test_step_bumps_version_so_stale_tape_is_caught():
    w = Parameter(np.array([1.0, 2.0]))
    opt = SGD([w], lr=0.1)
    y = (w * w).sum()  # records w's current value
    w.grad = tinynet.tensor(np.ones(2))
    v = w._version
    opt.step()
    assert w._version == v + 1
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_zero_grad_and_skipping_params_without_grad():
    p, q = Parameter(np.ones(2)), Parameter(np.ones(2))
    opt = SGD([p, q], lr=0.5, momentum=0.9)
    p.grad = tinynet.tensor(np.ones(2))
    opt.step()
    assert np.array_equal(q.array, np.ones(2)) and q not in opt.state
    g = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is g and np.array_equal(g, np.zeros(2)) and q.grad is None
    opt.zero_grad()
    assert p.grad is None


def test_step_with_closure_returns_loss():
    w = Parameter(np.array([3.0]))
    opt = SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with tinynet.no_grad():  # the closure still records (step turns grad mode on)
        loss = opt.step(closure)
    assert loss.item() == 9.0
    np.testing.assert_allclose(w.array, [3.0 - 0.25 * 6.0])


def test_warns_when_no_parameter_has_a_gradient():
    p = Parameter(np.ones(2))
    opt = Adam([p])
    with pytest.warns(UserWarning, match=r"call loss.backward\(\) before optimizer.step\(\)"):
        opt.step()
    assert np.array_equal(p.array, np.ones(2)) and not opt.state
    p.grad = tinynet.tensor(np.ones(2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()


def test_scheduler_warns_when_stepped_before_optimizer():
    opt = SGD([Parameter(np.ones(1))], lr=0.1)
    sched = StepLR(opt, step_size=1)
    with pytest.warns(UserWarning, match=r"before optimizer.step\(\)"):
        sched.step()


# -- validation ---------------------------------------------------------------------------
def _p():
    return Parameter(np.ones(2))


@pytest.mark.parametrize("make,exc,match", [
    (lambda: SGD([_p()], lr=-0.1), ValueError, "lr"),
    (lambda: SGD([_p()], lr=float("nan")), ValueError, "lr"),
    (lambda: SGD([_p()], lr="0.1"), TypeError, "lr must be a number"),
    (lambda: SGD([_p()], momentum=-0.5), ValueError, "momentum"),
    (lambda: SGD([_p()], weight_decay=-1), ValueError, "weight_decay"),
    (lambda: SGD([_p()], nesterov=True), ValueError, "nesterov=True requires momentum > 0"),
    (lambda: SGD([_p()], momentum=0.9, dampening=0.1, nesterov=True), ValueError,
     "dampening=0"),
    (lambda: Adam([_p()], lr=-1e-3), ValueError, "lr"),
    (lambda: Adam([_p()], betas=(1.0, 0.999)), ValueError, r"betas\[0\]"),
    (lambda: Adam([_p()], betas=(0.9, -0.1)), ValueError, r"betas\[1\]"),
    (lambda: Adam([_p()], betas=0.9), TypeError, "pair"),
    (lambda: Adam([_p()], eps=-1e-8), ValueError, "eps"),
    (lambda: AdamW([_p()], weight_decay=-0.01), ValueError, "weight_decay"),
    (lambda: Adam([_p()], amsgrad="yes"), TypeError, "amsgrad"),
    (lambda: SGD([]), ValueError, "empty parameter list"),
    (lambda: SGD(_p()), TypeError, "single Tensor"),
    (lambda: SGD({_p()}), TypeError, "set"),
    (lambda: SGD({"params": [_p()]}), TypeError, "dict"),
    (lambda: SGD(5), TypeError, "iterable"),
    (lambda: SGD([np.ones(2)]), TypeError, "can only optimize Tensors"),
    (lambda: SGD([_p() * 2]), ValueError, "non-leaf"),
    (lambda: SGD([_p(), 3]), TypeError, r"params\[1\] is a int"),
    (lambda: SGD([{"lr": 0.1}]), ValueError, "no 'params' key"),
    (lambda: SGD([{"params": [_p()], "lr": -2}]), ValueError, "lr"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_optimizer_validation(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_duplicate_parameters_rejected():
    p = _p()
    with pytest.raises(ValueError, match="same parameter twice"):
        SGD([p, p])
    with pytest.raises(ValueError, match="more than one parameter group"):
        SGD([{"params": [p]}, {"params": [p], "lr": 0.1}])
    opt = SGD([p])
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [p]})
    q = _p()
    opt.add_param_group({"params": q, "lr": 0.5})
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["params"] == [q]


def test_grad_shape_mismatch_is_a_clear_error():
    p = _p()
    opt = SGD([p])
    with pytest.raises(RuntimeError, match=r"grad has shape \(3,\) .* this tensor has "
                                           r"shape \(2,\)"):  # refused where it is made
        p.grad = tinynet.tensor(np.ones(3))
    p._grad = tinynet.tensor(np.ones(3))  # bypassing the check: step() still refuses it
    with pytest.raises(ValueError, match=r"shape \(2,\) has a grad of shape \(3,\)"):
        opt.step()


@pytest.mark.parametrize("make,exc,match", [
    (lambda o: StepLR("opt", 2), TypeError, "optimizer"),
    (lambda o: StepLR(o, 0), ValueError, "step_size must be > 0"),
    (lambda o: StepLR(o, 2.5), TypeError, "step_size must be an int"),
    (lambda o: StepLR(o, 2, gamma=-1), ValueError, "gamma"),
    (lambda o: CosineAnnealingLR(o, 0), ValueError, "T_max must be > 0"),
    (lambda o: CosineAnnealingLR(o, 10, last_epoch=3), ValueError, "initial_lr"),
    (lambda o: CosineAnnealingLR(o, 10).load_state_dict(StepLR(o, 2).state_dict()),
     ValueError, "different scheduler"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_scheduler_validation(make, exc, match):
    opt = SGD([_p()], lr=0.1)
    with pytest.raises(exc, match=match):
        make(opt)


def test_optimizer_is_the_base_class_and_repr():
    opt = Adam([_p()], lr=0.5)
    assert isinstance(opt, Optimizer)
    assert "Adam (" in repr(opt) and "lr: 0.5" in repr(opt)


def test_frozen_parameter_is_accepted_and_skipped():
    """As in PyTorch: a parameter with requires_grad=False may be passed; step() leaves it alone."""
    frozen = tinynet.tensor([1.0, 2.0])
    live = tinynet.tensor([1.0, 2.0], requires_grad=True)
    opt = SGD([frozen, live], lr=0.5)
    (live * live).sum().backward()
    opt.step()
    np.testing.assert_array_equal(frozen.array, [1.0, 2.0])
    np.testing.assert_allclose(live.array, [0.0, 0.0])


def test_named_parameters_are_accepted_as_in_torch():
    model = tinynet.nn.Linear(3, 2)
    opt = tinynet.optim.SGD(model.named_parameters(), lr=0.1)
    got, want = opt.param_groups[0]["params"], list(model.parameters())
    assert len(got) == len(want) and all(a is b for a, b in zip(got, want))
