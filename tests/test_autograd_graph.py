"""grad_fn.next_functions and grad_fn.name() (PyTorch's graph walk), the errors of higher-order
backward passes, and the issue's acceptance command."""
import subprocess
import sys

import numpy as np
import pytest

import tinynet as tn
from tinynet._tape_checks import FirstOrderOnlyError
from tinynet.autograd import AccumulateGrad
from tinynet.ops._arrays import numpy_rule
from tinynet.tensor import record


def _walk(fn, leaf_names):
    """The graph below ``fn`` as nested tuples: (name, children) or 'leaf:<name>' or None."""
    if fn is None:
        return None
    if type(fn).__name__ == "AccumulateGrad":
        return "leaf:" + leaf_names[id(fn.variable)]
    return (fn.name(), tuple((_walk(f, leaf_names), i) for f, i in fn.next_functions))


def _graph(lib, a, b, c, k):
    return ((a * b + c).exp() * k - a) / (b * c)


def test_next_functions_has_torch_structure():
    torch = pytest.importorskip("torch")
    vals = [np.array([0.5, -1.0]), np.array([2.0, 0.3]), np.array([1.5, 0.7]),
            np.array([3.0, 4.0])]
    ours = [tn.tensor(v, requires_grad=i < 3) for i, v in enumerate(vals)]
    theirs = [torch.tensor(v, requires_grad=i < 3) for i, v in enumerate(vals)]
    names = lambda ts: {id(t): n for t, n in zip(ts, "abck")}  # noqa: E731
    walk_ours = _walk(_graph(tn, *ours).grad_fn, names(ours))
    walk_theirs = _walk(_graph(torch, *theirs).grad_fn, names(theirs))
    assert walk_ours == walk_theirs
    assert walk_ours[0] == "DivBackward0"  # and the walk really went down to the leaves
    assert "leaf:a" in str(walk_ours) and "(None, 0)" in str(walk_ours)


def test_leaves_appear_as_one_accumulate_grad_each():
    x = tn.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    (f0, i0), (f1, i1) = y.grad_fn.next_functions
    assert isinstance(f0, AccumulateGrad) and f0 is f1 and f0.variable is x
    assert (i0, i1) == (0, 0) and f0.next_functions == ()
    assert f0.name().endswith("AccumulateGrad")
    const = x.detach()
    assert (x * const).grad_fn.next_functions[1] == (None, 0)
    z = y.exp()
    assert z.grad_fn.next_functions == ((y.grad_fn, 0),)
    assert z.grad_fn.name() == "ExpBackward0" and y.grad_fn.name() == "MulBackward0"


def test_the_graph_of_a_recorded_backward_can_be_walked():
    x = tn.tensor(3.0, dtype=tn.float64, requires_grad=True)
    (x ** 3).backward(create_graph=True)
    assert x.grad.grad_fn is not None
    seen, stack = set(), [x.grad.grad_fn]
    while stack:
        fn = stack.pop()
        seen.add(fn.name())
        stack.extend(f for f, _ in fn.next_functions if f is not None)
    assert "PowBackward0" in seen and any(n.endswith("AccumulateGrad") for n in seen)


# -- errors of higher-order passes -------------------------------------------------------------
def _numpy_square(x):
    @numpy_rule
    def backward(g):  # d/dx x^2 = 2x
        return (g * 2 * x.array,)
    return record("numpy_square", x.array ** 2, (x,), backward)


def test_create_graph_through_a_numpy_rule_names_the_entry_and_what_to_do():
    x = tn.tensor([1.0, 2.0], dtype=tn.float64, requires_grad=True)
    y = _numpy_square(x * 3).exp()
    with pytest.raises(FirstOrderOnlyError) as e:
        y.backward(tn.ones(2, dtype=tn.float64), create_graph=True)
    msg = str(e.value)
    assert "entry #1 'numpy_square' (numbered as in .tape())" in msg
    assert "@numpy_rule" in msg and "Without create_graph it works" in msg
    assert "tinynet.autograd.Function" in msg
    assert isinstance(e.value, RuntimeError)  # what PyTorch code catches
    x.grad = None
    _numpy_square(x * 3).exp().backward(tn.ones(2, dtype=tn.float64))  # first order: fine
    np.testing.assert_allclose(x.grad.array, 18 * x.array * np.exp(9 * x.array ** 2))


def test_grad_with_an_unused_input_raises_pytorchs_error_unless_allow_unused():
    x = tn.tensor([1.0, 2.0], requires_grad=True)
    unused = tn.tensor([5.0], requires_grad=True)
    y = (x * x).exp()
    with pytest.raises(RuntimeError, match=r"One of the differentiated Tensors \(inputs\[1\]\) "
                                           r"appears to not have been used in the graph. Set "
                                           r"allow_unused=True"):
        tn.autograd.grad(y, [x, unused], tn.ones(2), retain_graph=True)
    gx, gu = tn.autograd.grad(y, [x, unused], tn.ones(2), retain_graph=True,
                              allow_unused=True)
    assert gu is None and gx.shape == (2,)
    gx, gu = tn.autograd.grad(y, [x, unused], tn.ones(2), materialize_grads=True)
    assert gu.array.tolist() == [0.0]


def test_grad_with_an_unused_input_matches_torchs_message():
    torch = pytest.importorskip("torch")
    x, u = torch.ones(2, requires_grad=True), torch.ones(1, requires_grad=True)
    with pytest.raises(RuntimeError) as theirs:
        torch.autograd.grad((x * x).sum(), [x, u])
    xo, uo = tn.ones(2, requires_grad=True), tn.ones(1, requires_grad=True)
    with pytest.raises(RuntimeError) as ours:
        tn.autograd.grad((xo * xo).sum(), [xo, uo])
    tail = "appears to not have been used in the graph. Set allow_unused=True if this is " \
           "the desired behavior."
    assert tail in str(theirs.value) and tail in str(ours.value)


def test_the_issue_acceptance_command():
    code = ("import tinynet as tn; x = tn.tensor(3., dtype=tn.float64, requires_grad=True); "
            "y = x ** 3; (g,) = tn.autograd.grad(y, x, create_graph=True); "
            "(h,) = tn.autograd.grad(g, x); print(g.item(), h.item())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out == "27.0 18.0\n"


def test_backward_create_graph_makes_a_grad_that_differentiates_again():
    x = tn.tensor([1.0, 2.0], dtype=tn.float64, requires_grad=True)
    ((x ** 3) @ x).backward(create_graph=True)  # sum x^4: grad 4x^3
    g = x.grad
    assert g.requires_grad and g.array.tolist() == [4.0, 32.0]
    x.grad = None
    (g @ tn.ones(2, dtype=tn.float64)).backward()  # d/dx sum(4 x^3) = 12 x^2
    assert x.grad.array.tolist() == [12.0, 48.0]


def test_the_higher_order_demo_runs(monkeypatch, capsys):
    import runpy
    from pathlib import Path
    monkeypatch.setenv("TINYNET_DEMO_QUICK", "1")
    runpy.run_path(str(Path(__file__).resolve().parent.parent / "demos" / "higher_order.py"),
                   run_name="__main__")
    out = capsys.readouterr().out
    assert "dy/dx = 27.0, d2y/dx2 = 18.0" in out
    assert "Newton:" in out and "SignSTE  100.0% of the signs recovered" in out
    diff = float(out.split("largest difference from the closed form ")[1].split()[0])
    assert diff < 1e-12
