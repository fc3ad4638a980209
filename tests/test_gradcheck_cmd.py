"""``tinynet gradcheck`` and its catalogue (tinynet/gradcheck_suite.py)."""
import time

import numpy as np
import pytest

import tinynet as tn
from tinynet import gradcheck_suite as suite
from tinynet.cli import main
from tinynet.tensor import record


def test_every_case_passes_and_the_table_is_printed(capsys):
    state = tn.get_rng_state()
    t0 = time.perf_counter()
    assert main(["gradcheck"]) == 0
    assert time.perf_counter() - t0 < 30
    assert tn.get_rng_state() == state  # dropout cases reseed; the stream is restored
    out = capsys.readouterr().out
    rows = [ln for ln in out.splitlines() if ln.endswith(("PASS", "FAIL"))]
    names = {c.name for c in suite.cases()}
    assert len(rows) == len(names) and all(r.endswith("PASS") for r in rows)
    for group in ("tensor", "elementwise", "reduce", "shape", "conv2d", "pooling", "dropout",
                  "batch_norm", "linear", "loss", "layers"):
        assert any(r.startswith(group + " ") for r in rows), group
    for r in rows:  # the error column is a small number
        assert float(r.split()[-2]) < 1e-4, r
    assert f"{len(rows)}/{len(rows)} passed" in out


def test_only_filters_cases(capsys):
    assert main(["gradcheck", "--only", "pool"]) == 0
    rows = [ln for ln in capsys.readouterr().out.splitlines() if ln.endswith("PASS")]
    assert rows and all("pool" in r for r in rows)
    assert main(["gradcheck", "--only", "no-such-op"]) == 2
    assert "no case matches" in capsys.readouterr().err


def _half_exp(x):
    out = np.exp(x.array)

    def backward(g):  # deliberately wrong: d e^x / dx = e^x, not e^x / 2
        return (g * out / 2,)
    return record("half_exp", out, (x,), backward)


def test_a_wrong_backward_fails_with_exit_1(monkeypatch, capsys):
    x = tn.tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True)
    bad = suite.Case("custom", "half_exp", "(2,3)", lambda: _half_exp(x), [x])
    res = suite.check_case(bad)
    assert not res.passed and res.rel_error == pytest.approx(0.5, rel=1e-6)
    assert "leaf 0 (2,3)" in res.detail and "finite differences" in res.detail

    monkeypatch.setattr(suite, "cases", lambda: iter([bad]))
    assert main(["gradcheck"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "0/1 passed" in out and "FAIL half_exp: leaf 0" in out


def test_check_case_agrees_with_tinynet_gradcheck():
    """The suite's verdicts match tinynet.gradcheck on the same functions."""
    x = tn.tensor(np.linspace(0.5, 2, 6).reshape(2, 3), requires_grad=True)
    good = suite.check_case(suite.Case("t", "log", "(2,3)", lambda: tn.log(x), [x]))
    assert good.passed and good.rel_error < 1e-6
    assert tn.gradcheck(lambda t: tn.log(t), [x])
    with pytest.raises(AssertionError):
        tn.gradcheck(lambda t: _half_exp(t), [x])


# -- --second-order -------------------------------------------------------------------------
def _exp_with_constant_rule(x):
    out = np.exp(x.array)

    def backward(g):  # right at first order, but e^x enters as a constant: d2 comes out 0
        return (g * tn.Tensor._wrap(out),)
    return record("exp_const", out, (x,), backward)


def _exp_numpy_rule(x):
    from tinynet.ops._arrays import numpy_rule
    out = np.exp(x.array)
    return record("exp_numpy", out, (x,), numpy_rule(lambda g: (g * out,)))


def test_second_order_column_passes_for_tensor_op_rules(capsys):
    assert main(["gradcheck", "--second-order", "--only", "tensor"]) == 0
    out = capsys.readouterr().out
    assert "2nd order" in out.splitlines()[0]
    rows = [ln for ln in out.splitlines() if ln.startswith("tensor ")]
    assert rows and all(r.split()[-1] == "PASS" for r in rows)
    assert all(r.split()[-3] == "PASS" for r in rows)  # the first-order column too
    assert f"second order: {len(rows)} passed, 0 failed, 0 through a numpy rule" in out


def test_second_order_over_the_whole_catalogue():
    failed = set()
    for r in suite.run_suite(second_order=True):
        assert r.passed, r.case.name
        assert r.second.status in ("PASS", "FAIL", suite.NUMPY_RULE)
        if r.second.status == "FAIL":
            failed.add(r.case.name)
        # "numpy rule" only where the case's tape really holds a first-order-only rule
        assert (r.second.status == suite.NUMPY_RULE) == bool(r.second.numpy_ops), r.case.name
    assert failed == set()  # (cross_entropy with probability targets once failed here)


def test_a_wrong_second_derivative_fails_and_a_numpy_rule_is_not_a_failure(monkeypatch,
                                                                             capsys):
    x = tn.tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True)
    wrong = suite.Case("custom", "exp_const", "(2,3)", lambda: _exp_with_constant_rule(x), [x])
    first = suite.check_case(wrong)
    second = suite.check_case_second_order(wrong)
    assert first.passed and second.status == "FAIL"
    assert second.rel_error == pytest.approx(1.0, rel=1e-6)  # the whole e^x term is missing
    np_case = suite.Case("custom", "exp_numpy", "(2,3)", lambda: _exp_numpy_rule(x), [x])
    res = suite.check_case_second_order(np_case)
    assert res.status == suite.NUMPY_RULE and res.numpy_ops == ("exp_numpy",)
    assert "'exp_numpy'" in res.detail

    monkeypatch.setattr(suite, "cases", lambda: iter([np_case]))
    assert main(["gradcheck", "--second-order"]) == 0
    out = capsys.readouterr().out
    assert "numpy rule" in out and "1 through a numpy rule" in out and ": exp_numpy" in out
    monkeypatch.setattr(suite, "cases", lambda: iter([wrong, np_case]))
    assert main(["gradcheck", "--second-order"]) == 1
    out = capsys.readouterr().out
    assert "2/2 passed" in out  # first order is right
    assert "FAIL (2nd order) exp_const: leaf 0 (2,3)" in out
