"""The autodiff core at graph level, checked against PyTorch.

Grad modes as decorators, views and in-place changes, backward()'s arguments, broken
backward rules, gradients blocked by relu/clip/maximum/minimum, retained gradients'
dtype, and random graphs (fan-out, views, detach, no_grad branches, two backwards)
compared with torch in float64 (1e-10) and float32.
"""
import weakref

import numpy as np
import pytest

import tinynet as tn
import tinynet.nn as nn
from tinynet.tensor import record

torch = pytest.importorskip("torch")

TOL = dict(rtol=1e-10, atol=1e-10)


@pytest.fixture(autouse=True)
def _grad_mode_on_after_each_test():
    yield
    tn.set_grad_enabled(True)  # a failing grad-mode test must not leave recording off


def _pair(a, requires_grad=True):
    a = np.asarray(a, dtype=np.float64)
    return (tn.tensor(a, requires_grad=requires_grad),
            torch.tensor(a, requires_grad=requires_grad))


# ================================================================ grad modes
def test_set_grad_enabled_as_a_decorator_switches_only_inside_the_calls():
    x = tn.tensor([1.0], requires_grad=True)

    @tn.set_grad_enabled(False)
    def off(t):
        return t * 2, tn.is_grad_enabled()

    assert tn.is_grad_enabled()  # decorating is not a call (was: recording switched off here)
    y, mode = off(x)
    assert not y.requires_grad and mode is False  # (was: recorded inside the function)
    assert tn.is_grad_enabled()

    @tn.set_grad_enabled(True)
    def on(t):
        return t * 2

    with tn.no_grad():
        assert on(x).requires_grad
        assert not tn.is_grad_enabled()  # the caller's mode comes back, not the decorator's


def test_a_set_grad_enabled_object_can_be_entered_twice():
    ctx = tn.set_grad_enabled(False)
    with ctx:
        assert not tn.is_grad_enabled()
    assert tn.is_grad_enabled()
    with ctx:
        assert not tn.is_grad_enabled()  # was: True, the second `with` did nothing
    assert tn.is_grad_enabled()


def test_no_grad_and_enable_grad_are_decorators_without_parentheses_too():
    x = tn.tensor([1.0], requires_grad=True)

    @tn.no_grad
    def frozen(t):
        return t * 2

    @tn.enable_grad
    def recorded(t):
        return t * 2

    assert not frozen(x).requires_grad
    with tn.no_grad():
        assert recorded(x).requires_grad
    assert tn.is_grad_enabled()
    with pytest.raises(TypeError, match="takes no arguments"):
        tn.no_grad(True)


# ================================================================ views and in-place
def test_an_int_index_is_a_view_so_inplace_changes_reach_the_base():
    c, ch = tn.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0])
    c[0].add_(1)
    ch[0].add_(1)
    np.testing.assert_array_equal(c.array, ch.numpy())  # was [1, 2]: the change was lost
    m = tn.tensor([[1.0, 2.0]])
    m[0, 1].fill_(7.0)
    np.testing.assert_array_equal(m.array, [[1.0, 7.0]])
    # and the shared version counter still guards a saved base
    x = tn.tensor([1.0, 2.0], requires_grad=True)
    k = tn.tensor([3.0, 4.0])
    y = (x * k).sum()
    k[1].mul_(2)
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_inplace_on_an_expanded_view_fails_clearly():
    v = tn.tensor([1.0, 2.0]).expand(3, 2)
    with pytest.raises(RuntimeError, match="add_: .*read-only.*expand"):  # was numpy's
        v.add_(1)                                       # "output array is read-only"
    with pytest.raises(RuntimeError, match="__setitem__: .*read-only"):
        v[0] = 5.0


# ================================================================ backward's arguments
def test_backward_takes_pytorchs_gradient_keyword_and_positional_arguments():
    x, xh = _pair([1.0, 2.0])
    (x * 3).backward(gradient=np.array([1.0, 10.0]))  # was: TypeError, unexpected keyword
    (xh * 3).backward(gradient=torch.tensor([1.0, 10.0], dtype=torch.float64))
    np.testing.assert_allclose(x.grad, xh.grad.numpy(), **TOL)
    (x * 3).backward(np.ones(2), None, False)           # gradient, retain_graph, create_graph
    (x * 3).backward(gradient=np.ones(2))
    np.testing.assert_allclose(x.grad, [9.0, 36.0])
    x.grad = None
    (x * x).backward(np.ones(2), create_graph=True)   # the backward is recorded: 2x
    assert x.grad.requires_grad and x.grad.grad_fn is not None
    np.testing.assert_allclose(x.grad.array, [2.0, 4.0])
    with pytest.raises(TypeError, match="unexpected keyword"):  # PyTorch has no grad=
        (x * 3).backward(grad=np.ones(2))


@pytest.mark.parametrize("bad", [[None, None], np.array([1 + 1j, 2]), "ab"],
                         ids=["None", "complex", "str"])
def test_backward_rejects_a_gradient_that_is_not_real_numbers(bad):
    x = tn.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(TypeError, match="gradient must hold real numbers"):
        (x * 2).backward(bad)  # was: nan gradients, a dropped imaginary part, numpy's error
    assert x.grad is None


def test_an_integer_tensor_made_to_require_grad_by_assignment_gets_no_truncated_gradient():
    k = tn.tensor([1, 2])
    k.requires_grad = True  # bypasses requires_grad_()'s check (torch refuses this line)
    with pytest.raises(RuntimeError, match="dtype int64.*floating-point"):
        (k * 2.5).sum().backward()  # was: k.grad == [2, 2], int64 (2.5 truncated)
    assert k.grad is None


# ================================================================ broken backward rules
def test_a_wrong_gradient_shape_for_a_non_leaf_is_an_error_not_a_silent_broadcast():
    def weighted_sum(t):  # out = sum(t * [1, 2, 3]); this rule forgets the weights' shape
        return record("wsum", np.asarray((t.array * [1.0, 2.0, 3.0]).sum()), (t,),
                      lambda g: (g * np.array([1.0]),))
    x = tn.tensor(np.ones(3), requires_grad=True)
    h = x * tn.tensor(np.array([1.0, 10.0, 100.0]))
    with pytest.raises(RuntimeError, match=r"shape \(1,\) reached a tensor of shape \(3,\) "
                                           r"from entry #\d+ 'wsum'"):
        weighted_sum(h).backward()  # was: x.grad = [1, 10, 100], silently (not [1, 20, 300])


def test_a_backward_rule_returning_too_few_gradients_is_an_error():
    a = tn.tensor(np.ones(2), requires_grad=True)
    b = tn.tensor(np.ones(2), requires_grad=True)
    out = record("add2", a.array + b.array, (a, b), lambda g: (g,))  # forgot b's gradient
    with pytest.raises(RuntimeError, match=r"'add2' \(numbered as in \.tape\(\)\) "
                                           r"must return a tuple with one gradient"):
        out.sum().backward()  # was: b.grad stayed None, silently


# ================================================================ blocked gradients
def test_relu_clip_maximum_minimum_give_zero_not_nan_where_they_block_an_inf_gradient():
    a = np.array([-1.0, -0.25, 0.5, 4.0])
    cases = [
        lambda L, t: (t.relu() if L is tn else t.relu()).sqrt(),  # d sqrt at 0 is inf
        lambda L, t: t.clip(0.1, 1.0).log() * 0 + t.clip(0.0, 1.0).sqrt() if L is tn
        else t.clamp(0.1, 1.0).log() * 0 + t.clamp(0.0, 1.0).sqrt(),
        lambda L, t: L.maximum(t, L.zeros(4, dtype=L.float64)).sqrt(),
        lambda L, t: (-L.minimum(-t, L.zeros(4, dtype=L.float64))).sqrt(),
    ]
    for f in cases:
        x, xh = _pair(a)
        y, yh = f(tn, x), f(torch, xh)
        np.testing.assert_allclose(y.array, yh.detach().numpy(), **TOL)  # a finite forward
        y.sum().backward()
        yh.sum().backward()
        assert not np.isnan(x.grad.array).any()  # was: nan wherever the op blocked an inf
        np.testing.assert_allclose(x.grad, xh.grad.numpy(), **TOL)


def test_maximum_and_minimum_with_nan_pass_the_gradient_to_both_sides_as_torch():
    # regression guard for the where() rewrite of _tie_grads (main fixed NaN in 572e094)
    for name in ("maximum", "minimum"):
        x, xh = _pair([np.nan, 1.0, 2.0])
        y, yh = _pair([1.0, np.nan, 2.0])
        getattr(tn, name)(x, y).backward(np.array([1.0, 2.0, 4.0]))
        getattr(torch, name)(xh, yh).backward(torch.tensor([1.0, 2.0, 4.0], dtype=torch.float64))
        np.testing.assert_array_equal(x.grad, xh.grad.numpy())  # [1, 2, 2]
        np.testing.assert_array_equal(y.grad, yh.grad.numpy())


# ================================================================ dtypes, reductions
def test_a_retained_gradient_has_the_tensors_dtype():
    a = tn.tensor(np.ones(3, np.float32), requires_grad=True)
    h = a * 2
    h.retain_grad()
    (h * tn.tensor(np.ones(3), requires_grad=True)).sum().backward()  # a float64 consumer
    assert h.grad.dtype == np.float32 and a.grad.dtype == np.float32  # was: float64 for h


def test_reducing_over_dim_empty_tuple_reduces_every_dim_as_torch():
    x, xh = _pair(np.arange(6.0).reshape(2, 3))
    for name in ("sum", "mean", "amax"):
        y, yh = getattr(x, name)(dim=()), getattr(xh, name)(dim=())
        assert y.shape == tuple(yh.shape) == ()  # was (2, 3): nothing reduced
        np.testing.assert_allclose(y.array, yh.detach().numpy(), **TOL)
    assert x.sum(dim=(), keepdim=True).shape == (1, 1)
    x.mean(dim=()).backward()
    np.testing.assert_allclose(x.grad, np.full((2, 3), 1 / 6))


def test_iterating_a_0d_tensor_raises_instead_of_yielding_nothing():
    with pytest.raises(TypeError, match="0-d"):
        list(tn.tensor(2.0))  # was: []
    x = tn.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    sum(row * (i + 1) for i, row in enumerate(x)).sum().backward()  # rows still iterate
    np.testing.assert_array_equal(x.grad, [[1.0, 1.0], [2.0, 2.0]])


# ================================================================ memory
def test_the_training_loop_frees_a_steps_graph_before_the_next_forward():
    from tinynet import optim, training
    from tinynet.data import DataLoader, TensorDataset

    class Probe(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 3)
            self.prev = None
            self.alive = []

        def forward(self, x):
            self.alive.append(self.prev is not None and self.prev() is not None)
            out = self.fc(x)
            self.prev = weakref.ref(out.grad_fn)
            return out

    tn.manual_seed(0)
    model = Probe()
    data = TensorDataset(tn.randn(12, 4), tn.tensor(np.arange(12) % 3))
    training.train_one_epoch(model, DataLoader(data, batch_size=4), optim.SGD(
        model.parameters(), lr=0.1), progress=False)
    # was [False, True, True]: the previous step's activations and node.grad arrays
    # (25 MB on the reference CNN) stayed alive during the next forward pass
    assert model.alive == [False, False, False]


# ================================================================ random graphs vs torch
def _random_graph(seed, dtype):
    """A seeded random graph of ~20 ops over a few leaves, built in both libraries."""
    rng = np.random.default_rng(seed)
    shapes = [(3,), (2, 3), (4, 1), (1, 3), (2, 1, 3), ()]
    pool, leaves = [], []
    for _ in range(3):
        a = rng.standard_normal(shapes[rng.integers(len(shapes))]).astype(dtype)
        rg = bool(rng.random() < 0.8)
        pair = (tn.tensor(a, requires_grad=rg), torch.tensor(a, requires_grad=rg))
        pool.append(pair)
        leaves.append(pair)

    def pick():  # mostly recent results (deep chains), sometimes any (fan-out, diamonds)
        if rng.random() < 0.7:
            return pool[max(len(pool) - 1 - int(rng.exponential(2)), 0)]
        return pool[rng.integers(len(pool))]

    unary = [
        lambda L, t: (t * t + 1).sqrt(), lambda L, t: t.tanh().exp(),
        lambda L, t: (abs(t) + 0.3).log(), lambda L, t: t.sigmoid(), lambda L, t: t.relu(),
        lambda L, t: t.clip(-0.5, 0.7) if L is tn else t.clamp(-0.5, 0.7),
        lambda L, t: t.reshape(-1), lambda L, t: t.unsqueeze(0), lambda L, t: t.squeeze(),
        lambda L, t: 2.5 - t * 0.5, lambda L, t: t.mean(),
        lambda L, t: t.sum(dim=-1) if t.ndim else t,
        lambda L, t: t.softmax(dim=-1) if t.ndim else t,
        lambda L, t: t.log_softmax(dim=0) if t.ndim else t,
        lambda L, t: t.logsumexp(dim=-1) if t.ndim else t,
        lambda L, t: t.amax(dim=-1) if t.ndim else t,
        lambda L, t: t.transpose(0, -1) if t.ndim > 1 else t,
        lambda L, t: t[1:] if t.ndim and t.shape[0] > 1 else t,
        lambda L, t: t[[0, 0, -1]] if t.ndim else t,
        lambda L, t: L.cat([t, t * 2], dim=0) if t.ndim else t,
        lambda L, t: t.expand(2, *t.shape),
        lambda L, t: t.detach() * t,
    ]
    binary = [
        lambda L, a, b: a + b, lambda L, a, b: a - b, lambda L, a, b: a * b,
        lambda L, a, b: a / (b * b + 1), lambda L, a, b: (a * a + 0.5) ** b.tanh(),
        lambda L, a, b: L.maximum(a, b), lambda L, a, b: L.minimum(a, b),
    ]
    for _ in range(20):
        (a, ah), (b, bh) = pick(), pick()
        if rng.random() < 0.6:
            f = unary[rng.integers(len(unary))]
            r, rh = f(tn, a), f(torch, ah)
        else:
            f = binary[rng.integers(len(binary))]
            try:
                np.broadcast_shapes(a.shape, b.shape)
            except ValueError:
                continue
            if rng.random() < 0.15:  # a branch recorded in neither library
                with tn.no_grad():
                    a = a * 3
                with torch.no_grad():
                    ah = ah * 3
            r, rh = f(tn, a, b), f(torch, ah, bh)
        if rh is ah:  # torch returned its input itself (e.g. squeeze of nothing)
            continue
        pool.append((r, rh))
    return pool, leaves, rng


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_random_graphs_match_torch(dtype):
    """Regression guard: 30 random graphs per dtype, values, leaf and retained gradients."""
    tol = TOL if dtype == np.float64 else dict(rtol=2e-4, atol=2e-4)
    for seed in range(30):
        pool, leaves, rng = _random_graph(seed, dtype)
        kept = [p for p in pool[3::4] if p[0].requires_grad]
        for t, th in kept:
            t.retain_grad()
            th.retain_grad()
        loss = loss_h = 0
        for t, th in pool[-3:] + [pool[rng.integers(len(pool))]]:
            np.testing.assert_allclose(t.array, th.detach().numpy(), **tol)
            if t.requires_grad:
                w = rng.standard_normal(t.shape).astype(dtype)
                loss = loss + (t * tn.tensor(w)).sum()
                loss_h = loss_h + (th * torch.tensor(w)).sum()
        if isinstance(loss, int):
            continue
        twice = bool(rng.random() < 0.3)  # retain_graph: a second backward accumulates
        loss.backward(retain_graph=twice)
        loss_h.backward(retain_graph=twice)
        if twice:
            loss.backward()
            loss_h.backward()
        for t, th in leaves + kept:
            if th.grad is None:
                assert t.grad is None, seed
            else:
                assert t.grad.dtype == t.dtype, seed
                np.testing.assert_allclose(t.grad, th.grad.numpy(), **tol, err_msg=f"seed {seed}")
