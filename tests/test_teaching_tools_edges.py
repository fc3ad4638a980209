"""Teaching tools (issue 5) at their edges: tape, to_dot, graph, explain, gradcheck, guard rails.

Regression tests for problems an independent re-check found, plus guards for what it checked by hand.
"""
import re
import shutil
import subprocess

import numpy as np
import pytest

import tinynet as tn
import tinynet.training as training
from tinynet import viz
from tinynet.cli import main
from tinynet.gradcheck import numerical_gradient
from tinynet.gradcheck_suite import ATOL, Case, check_case
from tinynet.tensor import record


# ---------------------------------------------------------------- the tape table
def _row_inputs(text):
    return [re.split(r"\s{2,}", ln.strip())[2] for ln in text.splitlines()[1:-1]]


def test_automatic_leaf_names_never_repeat_a_name_you_gave():
    a, b = tn.randn(2, requires_grad=True), tn.randn(2, requires_grad=True)
    c, d = tn.randn(2), tn.randn(2)
    y = (a * b * c * d).sum()
    assert _row_inputs(str(y.tape({"x0": b, "c0": d})))[:3] == \
        ["x1 (2,), x0 (2,)", "#0 (2,), c1 (2,)", "#1 (2,), c0 (2,)"]


def test_a_newline_in_a_name_does_not_break_the_table():
    x = tn.randn(2, requires_grad=True)
    y = (x * 2).sum()
    text = str(y.tape({"two\nlines\t": x}))
    assert len(text.splitlines()) == 1 + len(y.tape()) + 1  # header, one line per entry, footer
    assert _row_inputs(text)[0] == "two\\nlines\\t (2,), 2"


def test_footer_is_singular_for_one_entry_and_one_leaf():
    x = tn.randn(3, requires_grad=True)
    assert str(x.exp().tape()).splitlines()[-1] == "1 entry, 1 leaf; no backward yet"


def test_gradient_norms_are_the_true_ones_on_a_shared_broadcast_view_graph():
    """Guard: every |grad| cell is the norm of the true dL/dout, worked out by hand."""
    rng = np.random.default_rng(0)
    a = tn.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    b = tn.tensor(rng.standard_normal(4), requires_grad=True)
    e = (a + b).exp()                 # broadcast; e is then used three times
    v = e[1:, ::2]                    # a view
    s = (v * v).sum()
    out = ((e * e).sum(0) * s).sum()  # L = s * P with P = sum(e^2)
    out.backward()
    E = np.exp(a.array + b.array)
    V = E[1:, ::2]
    S, P = np.sum(V * V), np.sum(E * E)
    dE = 2 * E * S
    dE[1:, ::2] += 2 * V * P
    true = [dE * E, dE, 2 * V * P, np.full(V.shape, P), P,          # add exp getitem mul sum
            np.full(E.shape, S), np.full(4, S), np.ones(4), 1.0]    # mul sum(0) mul sum
    tape = out.tape({"a": a, "b": b})
    assert [n.op for n in tape] == ["add", "exp", "getitem", "mul", "sum", "mul", "sum",
                                    "mul", "sum"]
    cells = [float(ln.split()[-1]) for ln in str(tape).splitlines()[1:-1]]
    for cell, g in zip(cells, true):
        assert cell == pytest.approx(np.linalg.norm(g), rel=1e-3)
    np.testing.assert_allclose(a.grad, dE * E, rtol=1e-10)
    np.testing.assert_allclose(b.grad, (dE * E).sum(0), rtol=1e-10)


# ---------------------------------------------------------------- to_dot
def test_to_dot_of_a_leaf_draws_the_leaf():
    x = tn.randn(3, requires_grad=True)
    x.backward(np.ones(3))
    dot = viz.to_dot(x, {"w": x})
    assert 'leaf0 [label="w\\n(3,) float32\\lvalue [' in dot and '\\lgrad [1, 1, 1]\\l"' in dot
    dot = viz.to_dot(x, {"w": x}, show_data=False)
    assert 'leaf0 [label="w\\n(3,) float32\\l|grad| 1.732\\l"' in dot
    assert "empty tape" in str(x.tape())  # the table still says it has no entries


def test_dot_with_awkward_names_renders():
    """Guard: quotes, backslashes, angle brackets, braces and newlines in names."""
    names = ['a "q"', "back\\slash\\", "<b> & {c}", "new\nline"]
    xs = [tn.randn(2, requires_grad=True) for _ in names]
    y = (xs[0] * xs[1] + xs[2] * xs[3]).sum()
    y.backward()
    dot = viz.to_dot(y, dict(zip(names, xs)), title='t "1"\\')
    labels = re.findall(r'^\s*\w+ \[label="((?:[^"\\]|\\.)*)"', dot, re.M)
    assert len(labels) == len(names) + len(y.tape())
    declared = set(re.findall(r"^\s*(\w+) \[", dot, re.M))
    for a, b in re.findall(r"^\s*(\w+) -> (\w+);", dot, re.M):
        assert a in declared and b in declared
    if shutil.which("dot"):
        done = subprocess.run(["dot", "-Tsvg"], input=dot.encode(), capture_output=True)
        assert done.returncode == 0, done.stderr


def test_graph_command_shows_what_dot_said_and_keeps_the_svg(tmp_path, monkeypatch, capsys):
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\necho 'Error: syntax trouble' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    svg = tmp_path / "g.svg"
    svg.write_text("<svg><!-- reference CNN training step --></svg>")  # one of ours
    monkeypatch.setattr(viz.shutil, "which", lambda name: str(fake))
    assert main(["graph", "--out", "g.dot", "--overwrite"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Error: syntax trouble" in err
    assert svg.read_text() == "<svg><!-- reference CNN training step --></svg>"


# ---------------------------------------------------------------- explain, gradcheck
def test_explain_dropout_table_columns_line_up(capsys):
    assert main(["explain", "dropout"]) == 0
    lines = capsys.readouterr().out.splitlines()
    head = next(ln for ln in lines if "vanilla (course quiz)" in ln)
    col = head.index("inverted")
    for start in ("train forward", "train backward", "eval forward"):
        row = next(ln for ln in lines if ln.startswith(start))
        assert row[col - 2:col] == "  " and row[col] != " ", row


def test_gradcheck_prints_the_relative_error_formula_it_uses(monkeypatch, capsys):
    x = tn.tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True)

    def bad_tanh(t):  # a backward 5 times too large
        out = np.tanh(t.array)

        def backward(g):
            return (5 * g * (1 - out ** 2),)
        return record("tanh", out, (t,), backward)

    case = Case("elementwise", "bad tanh", "(2,3)", lambda: bad_tanh(x), [x])
    res = check_case(case)
    w = np.random.default_rng(0).standard_normal((2, 3))  # check_case's weights (seed 0)
    numeric = numerical_gradient(lambda: float(np.sum(bad_tanh(x).array * w)),
                                 x.array.reshape(-1), 1e-6)
    analytic = x.grad.array.reshape(-1)
    err = np.max(np.abs(analytic - numeric))
    assert res.rel_error == pytest.approx(
        err / max(np.max(np.abs(numeric)), np.max(np.abs(analytic)), ATOL), rel=1e-6)

    import tinynet.cli.gradcheck_cmd as cmd
    monkeypatch.setattr(cmd, "run_suite", lambda only: [res])
    assert main(["gradcheck"]) == 1
    out = capsys.readouterr().out
    assert f"{res.rel_error:.1e}" in out
    assert "max(max |numeric|, max |backward|, 1e-05)" in " ".join(out.split())


# ---------------------------------------------------------------- guard rail: NaN in train
@pytest.fixture
def tiny_data(no_network_no_data, monkeypatch):
    import tinynet.cli.train as train_cmd
    real = training.load_data

    def load_data(*args, **kwargs):
        data = real(*args, **kwargs)
        data.x_test, data.y_test = data.x_test[:100], data.y_test[:100]
        return data
    monkeypatch.setattr(train_cmd, "load_data", load_data)


def test_train_stops_when_an_epochs_last_step_diverges(tiny_data, tmp_path, capsys):
    """Every batch's loss is finite, but the last step (lr 1e30) breaks the model: the
    test loss is NaN.  Training must stop naming the epoch, and keep the saved model."""
    out = tmp_path / "run"
    base = ["train", "--train-size", "64", "--batch-size", "64", "--epochs", "1",
            "--optimizer", "sgd", "--quiet", "--no-download", "--out", str(out)]
    assert main(base + ["--lr", "0.01"]) == 0
    saved = (out / "model.npz").read_bytes()
    capsys.readouterr()
    assert main(base + ["--lr", "1e30", "--overwrite"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "epoch 1" in err and "batch 1" in err and "--lr" in err
    assert (out / "model.npz").read_bytes() == saved
