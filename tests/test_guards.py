"""Guard rails: dropout in no_grad, optimizer.step() without gradients, non-finite loss."""
import math
import warnings

import numpy as np
import pytest

import tinynet as tn
import tinynet.nn as nn
import tinynet.nn.functional as F
from tinynet import guards
from tinynet.guards import DropoutInNoGradWarning, NonFiniteLossError, check_finite


@pytest.fixture(autouse=True)
def fresh_sites():
    guards._warned_sites.clear()
    yield
    guards._warned_sites.clear()


def _model():
    tn.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4, 2))


def _evaluate(model, batches):
    with tn.no_grad():
        for x in batches:
            model(x)  # the call site the warning points at


def test_dropout_in_no_grad_warns_once_per_call_site():
    model = _model()
    batches = [tn.randn(3, 4) for _ in range(5)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # even so: once, not once per batch
        _evaluate(model, batches)
        _evaluate(model, batches)
    hits = [w for w in caught if issubclass(w.category, DropoutInNoGradWarning)]
    assert len(hits) == 1
    msg = str(hits[0].message)
    assert "Dropout is active inside no_grad()" in msg and "model.eval()" in msg
    assert hits[0].filename == __file__  # points at the user's code, not tinynet's
    assert issubclass(DropoutInNoGradWarning, UserWarning)

    with warnings.catch_warnings(record=True) as caught:  # a second call site warns too
        warnings.simplefilter("always")
        with tn.no_grad():
            model(batches[0])
    assert len([w for w in caught if issubclass(w.category, DropoutInNoGradWarning)]) == 1


def test_no_warning_when_used_correctly():
    model = _model()
    x = tn.randn(3, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DropoutInNoGradWarning)
        model(x)                       # training with grad: fine
        model.eval()
        with tn.no_grad():
            model(x)                   # evaluation: fine
        with tn.no_grad():
            F.dropout(x, 0.0)          # p = 0 does nothing
            F.dropout(x, 0.5, training=False)


def test_functional_dropout_in_no_grad_warns():
    with pytest.warns(DropoutInNoGradWarning, match="training=False"):
        with tn.no_grad():
            F.dropout(tn.randn(2, 3), 0.5)


def test_the_warning_can_be_silenced_for_mc_dropout():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=DropoutInNoGradWarning)
        with tn.no_grad():
            out = F.dropout(tn.ones(100), 0.5)
    assert 0 < int((out.array == 0).sum()) < 100


def test_optimizer_step_without_gradients_warns():
    optim = pytest.importorskip("tinynet.optim")
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    before = [p.array.copy() for p in model.parameters()]
    with pytest.warns(UserWarning, match="backward"):
        opt.step()
    assert all(np.array_equal(b, p.array) for b, p in zip(before, model.parameters()))


def test_check_finite_returns_the_value():
    assert check_finite(tn.tensor(0.25), 1, 1) == 0.25
    assert check_finite(np.float32(2.0), 1, 1) == 2.0
    assert check_finite(3, 1, 1) == 3.0


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_check_finite_stops_with_epoch_and_batch(bad):
    with pytest.raises(NonFiniteLossError) as e:
        check_finite(tn.tensor(bad), epoch=3, batch=17)
    msg = str(e.value)
    assert "epoch 3, batch 17" in msg and "learning rate" in msg
    assert str(bad) in msg
    assert isinstance(e.value, FloatingPointError)


def test_check_finite_rejects_a_non_scalar_loss():
    with pytest.raises(ValueError, match="one element"):
        check_finite(tn.ones(3), 1, 1)


def test_a_diverging_training_loop_stops_at_the_bad_batch():
    x = tn.tensor([[1.0, 2.0], [3.0, -1.0]])
    y = tn.tensor([[1.0], [0.0]])
    w = tn.zeros(2, 1, requires_grad=True)
    seen = []
    with np.errstate(all="ignore"), pytest.raises(NonFiniteLossError) as e:
        for batch in range(1, 500):
            loss = ((x @ w - y) ** 2).mean()
            seen.append(check_finite(loss, 2, batch))
            w.grad = None
            loss.backward()
            with tn.no_grad():
                w.sub_(w.grad * 10.0)  # lr far too large: the loss explodes
    assert f"epoch 2, batch {len(seen) + 1}:" in str(e.value)
    assert len(seen) > 3 and all(math.isfinite(v) for v in seen)
