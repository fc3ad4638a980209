"""Class losses at PyTorch parity: weight, ignore_index, (N, C, d1, ...) and unbatched
inputs, class-probability targets, and label smoothing combined with all of them.

Values and gradients are compared with torch in float64 (skipped without torch); the
gradchecks at the end check the hand-written backwards without torch.
"""
import numpy as np
import pytest

import tinynet
import tinynet.nn as nn
import tinynet.nn.functional as F

C = 4
SHAPES = {"2d": (6, C), "4d": (2, C, 3, 2), "unbatched": (C,)}
WEIGHT = np.array([0.5, 2.0, 1.5, 3.0])


def _target_shape(shape):
    return shape[:1] + shape[2:] if len(shape) > 1 else ()


def _case(shape, soft, ignore, seed=0):
    """Logits, a target (int indices or probabilities) and the ignore_index to pass."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 2.0
    if soft:
        p = rng.random(shape)
        # probabilities along the class dim; torch does not require them to sum to 1
        t = p / p.sum(axis=1 if len(shape) > 1 else 0, keepdims=True)
        # a negative ignore_index is allowed with probabilities and has no effect (torch)
        return x, t, -1 if ignore else -100
    t = rng.integers(0, C, _target_shape(shape))
    if ignore:
        # the default -100 for (N, C, d1, d2), an ignore_index inside [0, C) otherwise
        ii = -100 if len(shape) == 4 else 2
        if t.ndim == 0:
            t = np.array(ii)                     # the one unbatched target is ignored
        else:
            t.reshape(-1)[::3] = ii              # some targets are ignored
        return x, t, ii
    return x, t, -100


def _compare(torch, fn, tfn, x, t, kwargs, weight, reduction):
    """Value and gradients (input, and a probability target) of tinynet's fn vs torch's."""
    soft = t.dtype.kind == "f"
    xt = tinynet.tensor(x, requires_grad=True)
    tt = tinynet.tensor(t, requires_grad=soft)
    out = fn(xt, tt, None if weight is None else tinynet.tensor(weight),
             reduction=reduction, **kwargs)
    xr = torch.tensor(x, requires_grad=True)
    tr = torch.tensor(t, requires_grad=soft)
    ref = tfn(xr, tr, None if weight is None else torch.tensor(weight),
              reduction=reduction, **kwargs)
    assert out.shape == tuple(ref.shape)
    assert out.grad_fn.op == fn.__name__          # one tape entry, on the input (and p)
    assert out.grad_fn.inputs == ((xt, tt) if soft else (xt,))
    np.testing.assert_allclose(out.array, ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = np.random.default_rng(7).standard_normal(out.shape)
    (out * tinynet.tensor(g)).sum().backward()
    (ref * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(xt.grad, xr.grad.numpy(), rtol=1e-10, atol=1e-12)
    if soft:
        np.testing.assert_allclose(tt.grad, tr.grad.numpy(), rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------- vs torch
@pytest.fixture(scope="module")
def torch():
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)      # tiny tensors: one thread is several times faster here
    yield torch
    torch.set_num_threads(threads)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("s", [0.0, 0.1])
@pytest.mark.parametrize("ignore", [False, True], ids=["kept", "ignored"])
@pytest.mark.parametrize("weighted", [False, True], ids=["noweight", "weight"])
@pytest.mark.parametrize("soft", [False, True], ids=["index", "probs"])
@pytest.mark.parametrize("shape", list(SHAPES), ids=list(SHAPES))
def test_cross_entropy_vs_torch(torch, shape, soft, weighted, ignore, s, reduction):
    x, t, ii = _case(SHAPES[shape], soft, ignore)
    _compare(torch, F.cross_entropy, torch.nn.functional.cross_entropy, x, t,
             dict(ignore_index=ii, label_smoothing=s), WEIGHT if weighted else None, reduction)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("ignore", [False, True], ids=["kept", "ignored"])
@pytest.mark.parametrize("weighted", [False, True], ids=["noweight", "weight"])
@pytest.mark.parametrize("shape", list(SHAPES), ids=list(SHAPES))
def test_nll_loss_vs_torch(torch, shape, weighted, ignore, reduction):
    x, t, ii = _case(SHAPES[shape], False, ignore)
    _compare(torch, F.nll_loss, torch.nn.functional.nll_loss, x, t, dict(ignore_index=ii),
             WEIGHT if weighted else None, reduction)


@pytest.mark.parametrize("weighted", [False, True], ids=["noweight", "weight"])
@pytest.mark.parametrize("s", [0.0, 0.1])
def test_all_targets_ignored_vs_torch(torch, weighted, s):
    """'mean' of nothing is nan (0/0) and every gradient is exactly 0, as torch."""
    x = np.random.default_rng(0).standard_normal((3, C))
    t = np.full(3, -100)
    w = WEIGHT if weighted else None
    _compare(torch, F.cross_entropy, torch.nn.functional.cross_entropy, x, t,
             dict(label_smoothing=s), w, "mean")
    _compare(torch, F.nll_loss, torch.nn.functional.nll_loss, x, t, {}, w, "mean")
    xt = tinynet.tensor(x, requires_grad=True)
    out = F.cross_entropy(xt, tinynet.tensor(t), w, label_smoothing=s)
    out.backward()
    assert np.isnan(out.item()) and np.all(xt.grad.array == 0)


@pytest.mark.filterwarnings("ignore:invalid value")   # the test's own sum of inf * (+-g)
@pytest.mark.parametrize("s", [0.0, 0.1])
@pytest.mark.parametrize("weighted", [False, True], ids=["noweight", "weight"])
def test_masked_logits_vs_torch(torch, weighted, s):
    """-inf logits (masked classes) off the target, and on an ignored row: as torch
    (finite for s = 0; inf with smoothing, which averages over every class)."""
    x = np.random.default_rng(0).standard_normal((4, 3))
    x[0, 1] = x[2, :2] = x[3, 0] = -np.inf
    t = np.array([0, 2, 2, -100])
    for reduction in ("mean", "none"):
        _compare(torch, F.cross_entropy, torch.nn.functional.cross_entropy, x, t,
                 dict(label_smoothing=s), WEIGHT[:3] if weighted else None, reduction)


def test_modules_vs_torch(torch):
    x, t, ii = _case(SHAPES["4d"], False, True)
    for ours, theirs, kw in [(nn.CrossEntropyLoss, torch.nn.CrossEntropyLoss,
                              dict(ignore_index=ii, label_smoothing=0.1, reduction="sum")),
                             (nn.NLLLoss, torch.nn.NLLLoss, dict(ignore_index=ii))]:
        out = ours(tinynet.tensor(WEIGHT), **kw)(tinynet.tensor(x), tinynet.tensor(t))
        ref = theirs(torch.tensor(WEIGHT), **kw)(torch.tensor(x), torch.tensor(t))
        np.testing.assert_allclose(out.array, ref.numpy(), rtol=1e-10)


# ---------------------------------------------------------------- without torch
def test_weighted_smoothing_formula():
    """torch's rule, written out: loss_i = (1-s) w_t (-log p_t) + s/C sum_c w_c (-log p_c),
    'mean' = sum_i loss_i / sum of w_t over the kept targets (the smoothing term too)."""
    x, t, ii = _case((6, C), False, True)
    s = 0.1
    logp = x - np.log(np.exp(x).sum(1, keepdims=True))
    kept = t != ii
    tk = np.where(kept, t, 0)
    li = kept * ((1 - s) * WEIGHT[tk] * -logp[np.arange(6), tk]
                 + s / C * (WEIGHT * -logp).sum(1))
    out = F.cross_entropy(tinynet.tensor(x), tinynet.tensor(t), WEIGHT, ignore_index=ii,
                          label_smoothing=s)
    np.testing.assert_allclose(out.item(), li.sum() / (WEIGHT[tk] * kept).sum(), rtol=1e-12)


def test_probability_target_mean_divides_by_count():
    """Probabilities: 'mean' divides by the number of targets N*d1*..., not by weights."""
    x, p, _ = _case(SHAPES["4d"], True, False)
    logp = x - np.log(np.exp(x).sum(1, keepdims=True))
    w = WEIGHT[None, :, None, None]
    out = F.cross_entropy(tinynet.tensor(x), tinynet.tensor(p), WEIGHT)
    np.testing.assert_allclose(out.item(), -(w * p * logp).sum() / (2 * 3 * 2), rtol=1e-12)


def test_onehot_probabilities_equal_indices():
    x, t, _ = _case(SHAPES["4d"], False, False)
    onehot = np.moveaxis(np.eye(C)[t], -1, 1)
    for s in (0.0, 0.2):
        a = F.cross_entropy(tinynet.tensor(x), tinynet.tensor(t), WEIGHT, reduction="none",
                            label_smoothing=s)
        b = F.cross_entropy(tinynet.tensor(x), tinynet.tensor(onehot), WEIGHT,
                            reduction="none", label_smoothing=s)
        assert a.shape == b.shape == (2, 3, 2)
        np.testing.assert_allclose(a.array, b.array, rtol=1e-12)


def test_ignored_targets_count_nothing():
    """Ignored targets give 0 loss and 0 gradient; the rest is the loss of the kept rows."""
    x, t, ii = _case((6, C), False, True)
    kept = t != ii
    xt = tinynet.tensor(x, requires_grad=True)
    out = F.cross_entropy(xt, tinynet.tensor(t), ignore_index=ii, label_smoothing=0.1)
    out.backward()
    ref = F.cross_entropy(tinynet.tensor(x[kept]), tinynet.tensor(t[kept]), label_smoothing=0.1)
    np.testing.assert_allclose(out.item(), ref.item(), rtol=1e-12)
    assert np.all(xt.grad.array[~kept] == 0) and np.all(xt.grad.array[kept] != 0)
    none = F.nll_loss(tinynet.tensor(x), tinynet.tensor(t), ignore_index=ii, reduction="none")
    assert np.all(none.array[~kept] == 0)


def test_float32_stays_float32():
    """A float64 numpy weight or probability target does not promote a float32 loss."""
    x, p, _ = _case((5, C), True, False)
    x32 = tinynet.tensor(x.astype(np.float32), requires_grad=True)
    for target in (tinynet.tensor(np.array([0, 1, 2, 3, -100])), p):
        out = F.cross_entropy(x32, target, WEIGHT, label_smoothing=0.1)
        out.backward()
        assert out.dtype == np.float32 and x32.grad.dtype == np.float32
    out = F.nll_loss(x32, tinynet.tensor(np.array([0, 1, 2, 3, 1])), WEIGHT)
    assert out.dtype == np.float32


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_gradcheck_cross_entropy(reduction):
    x4, t4, ii = _case((2, C, 2, 2), False, True, seed=3)
    t4 = tinynet.tensor(t4)
    assert tinynet.gradcheck(lambda a: F.cross_entropy(
        a, t4, WEIGHT, ignore_index=ii, label_smoothing=0.1, reduction=reduction),
        [tinynet.tensor(x4, requires_grad=True)])
    x, p, _ = _case((3, C), True, False, seed=4)       # gradients to input and probabilities
    assert tinynet.gradcheck(lambda a, q: F.cross_entropy(
        a, q, WEIGHT, label_smoothing=0.2, reduction=reduction),
        [tinynet.tensor(x, requires_grad=True), tinynet.tensor(p, requires_grad=True)])
    xu = tinynet.tensor(np.random.default_rng(5).standard_normal(C), requires_grad=True)
    assert tinynet.gradcheck(lambda a: F.cross_entropy(a, tinynet.tensor(np.array(1)),
                                                       reduction=reduction), [xu])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_gradcheck_nll_loss(reduction):
    x, t, ii = _case((2, C, 3), False, True, seed=6)
    t = tinynet.tensor(t)
    assert tinynet.gradcheck(lambda a: F.nll_loss(a, t, WEIGHT, ignore_index=ii,
                                                  reduction=reduction),
                             [tinynet.tensor(x, requires_grad=True)])
    xu = tinynet.tensor(np.random.default_rng(5).standard_normal(C), requires_grad=True)
    assert tinynet.gradcheck(lambda a: F.nll_loss(a, tinynet.tensor(np.array(3)), WEIGHT,
                                                  reduction=reduction), [xu])


def test_retained_graph_backward_twice_general_path():
    x, p, _ = _case((4, C), True, False)
    xt = tinynet.tensor(x, requires_grad=True)
    loss = F.cross_entropy(xt, tinynet.tensor(p), WEIGHT, label_smoothing=0.1)
    loss.backward(retain_graph=True)
    first = xt.grad.array.copy()
    loss.backward()
    np.testing.assert_allclose(xt.grad, 2 * first, rtol=1e-14)


def test_caller_arrays_untouched():
    x, p, _ = _case((4, C), True, False)
    t = np.array([0, 5, 1, 5])
    saved = x.copy(), p.copy(), t.copy(), WEIGHT.copy()
    F.cross_entropy(tinynet.tensor(x), p, WEIGHT, label_smoothing=0.3)
    F.cross_entropy(tinynet.tensor(x), t, WEIGHT, ignore_index=5, label_smoothing=0.3)
    F.nll_loss(tinynet.tensor(x), t, WEIGHT, ignore_index=5)
    for a, b in zip(saved, (x, p, t, WEIGHT)):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- modules
def test_modules_weight_is_a_buffer():
    w = tinynet.tensor(WEIGHT.astype(np.float32))
    ce = nn.CrossEntropyLoss(w, ignore_index=3, label_smoothing=0.1)
    assert ce.weight is w and ce.ignore_index == 3 and repr(ce) == "CrossEntropyLoss()"
    assert list(ce.state_dict()) == ["weight"] and list(ce.parameters()) == []
    assert ce.double().weight.dtype == np.float64
    assert list(nn.CrossEntropyLoss().state_dict()) == [] and nn.NLLLoss().weight is None
    x, t, _ = _case((5, C), False, False)
    xt, tt = tinynet.tensor(x), tinynet.tensor(t)
    np.testing.assert_allclose(
        ce(xt, tt).array,
        F.cross_entropy(xt, tt, WEIGHT, ignore_index=3, label_smoothing=0.1).array, rtol=1e-12)
    nll = nn.NLLLoss(WEIGHT, reduction="none")              # a numpy weight: wrapped
    assert isinstance(nll.weight, tinynet.Tensor)
    np.testing.assert_allclose(nll(xt, tt).array,
                               F.nll_loss(xt, tt, WEIGHT, reduction="none").array)


def test_module_argument_errors():
    for cls in (nn.CrossEntropyLoss, nn.NLLLoss):
        with pytest.raises(TypeError, match="weight must be a Tensor or numpy array"):
            cls([1.0, 2.0])
        with pytest.raises(TypeError, match="weight must be floating point"):
            cls(np.array([1, 2]))
        with pytest.raises(ValueError, match=r"weight must have shape \(C,\)"):
            cls(np.ones((1, 3)))
        with pytest.raises(TypeError, match="ignore_index must be an int"):
            cls(ignore_index=1.0)
        with pytest.raises(TypeError):                   # everything after weight is keyword-only
            cls(None, None)


# ---------------------------------------------------------------- errors
def test_argument_errors():
    x = tinynet.tensor(np.zeros((4, 3)))
    t = tinynet.tensor(np.array([0, 1, 2, 0]))
    for fn in (F.cross_entropy, F.nll_loss):
        name = fn.__name__
        with pytest.raises(ValueError, match=rf"{name}: weight must have shape \(3,\).*\(4,\)"):
            fn(x, t, np.ones(4))
        with pytest.raises(ValueError, match=r"weight must have shape \(C,\).*\(1, 3\)"):
            fn(x, t, np.ones((1, 3)))
        with pytest.raises(TypeError, match=rf"{name}: weight must be floating point.*int64"):
            fn(x, t, np.array([1, 2, 3]))
        with pytest.raises(TypeError, match="weight must be a Tensor or numpy array"):
            fn(x, t, [1.0, 2.0, 3.0])
        with pytest.raises(ValueError, match="weight must not require grad"):
            fn(x, t, tinynet.tensor(np.ones(3), requires_grad=True))
        for bad in (1.5, True, "0", None):
            with pytest.raises(TypeError, match=rf"{name}: ignore_index must be an int"):
                fn(x, t, ignore_index=bad)
        with pytest.raises(TypeError, match="positional"):   # torch's slot 4 is size_average
            fn(x, t, None, -100)
        with pytest.raises(ValueError, match=r"target value 7 at index \(1, 0\).*ignore_index=-1"):
            fn(tinynet.tensor(np.zeros((2, 3, 2))), np.array([[0, 1], [7, -1]]),
               ignore_index=-1)
        with pytest.raises(ValueError, match=r"target value -100 at index 1.*ignore_index=0"):
            fn(x, np.array([0, -100, 1, 1]), ignore_index=0)
        with pytest.raises(ValueError, match=r"target value 3 is out of range"):
            fn(tinynet.tensor(np.zeros(3)), np.array(3))
        with pytest.raises(ValueError, match=r"target must have shape \(2, 2\)"):
            fn(tinynet.tensor(np.zeros((2, 3, 2))), np.array([0, 1]))
        with pytest.raises(ValueError, match=r"target must have shape \(\).*unbatched"):
            fn(tinynet.tensor(np.zeros(3)), np.array([1]))
        with pytest.raises(ValueError, match=r"input must have shape \(N, C\)"):
            fn(tinynet.tensor(np.zeros(())), np.array(0))
    # probabilities: only for cross_entropy, only of the input's shape, no ignore_index >= 0
    with pytest.raises(TypeError, match=r"cross_entropy: target must hold integer class "
                                        r"indices.*probabilities.*\(4, 3\).*\(4, 2\)"):
        F.cross_entropy(x, np.full((4, 2), 0.5))
    with pytest.raises(TypeError, match=r"nll_loss: target must hold integer.*no class-prob"):
        F.nll_loss(x, np.full((4, 3), 1 / 3))
    with pytest.raises(ValueError, match="ignore_index is not supported for class-probability"):
        F.cross_entropy(x, np.full((4, 3), 1 / 3), ignore_index=0)

