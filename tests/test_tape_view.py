"""Tensor.tape(): the recorded entries of an output, as a list and as a printed table."""
import numpy as np
import pytest

import tinynet as tn
import tinynet
import tinynet.nn as nn
from tinynet.tape_view import TapeView, fmt_shape


def _rows(text):
    """Table rows (without header and footer) split into columns on 2+ spaces."""
    import re
    lines = text.splitlines()
    return [re.split(r"\s{2,}", ln.strip()) for ln in lines[1:-1]]


def test_entries_in_execution_order_and_list_behaviour():
    x = tn.randn(2, 3, requires_grad=True)
    w = tn.randn(3, 4, requires_grad=True)
    y = (x @ w).relu().sum()
    tape = y.tape()
    assert len(tape) == 3
    assert [n.op for n in tape] == ["matmul", "relu", "sum"]
    assert [tape[i].op for i in range(3)] == ["matmul", "relu", "sum"]
    assert tape[-1] is y.grad_fn
    seqs = [n.seq for n in tape]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    assert isinstance(tape, TapeView)


def test_only_entries_the_output_depends_on():
    x = tn.randn(3, requires_grad=True)
    unrelated = x.exp()  # recorded, but y does not use it
    y = (x * 2).sum()
    assert [n.op for n in y.tape()] == ["mul", "sum"]
    assert [n.op for n in unrelated.tape()] == ["exp"]


def test_table_inputs_shapes_dtype_and_leaf_names():
    x = tn.randn(2, 3, requires_grad=True)
    w = tn.randn(3, 4, requires_grad=True)
    c = tn.ones(2, 4)  # a constant leaf (no grad)
    y = ((x @ w) * c + 1.5).sum()
    text = str(y.tape())
    header = text.splitlines()[0].split()
    assert header == ["#", "op", "inputs", "output", "dtype", "|grad|"]
    rows = _rows(text)
    assert rows[0] == ["0", "matmul", "x0 (2, 3), x1 (3, 4)", "(2, 4)", "float32", "-"]
    assert rows[1] == ["1", "mul", "#0 (2, 4), c0 (2, 4)", "(2, 4)", "float32", "-"]
    assert rows[2] == ["2", "add", "#1 (2, 4), 1.5", "(2, 4)", "float32", "-"]
    assert rows[3] == ["3", "sum", "#2 (2, 4)", "()", "float32", "-"]
    assert "no backward yet" in text.splitlines()[-1]


def test_gradient_norms_after_backward():
    x = tn.tensor(np.arange(6, dtype=np.float32).reshape(2, 3), requires_grad=True)
    h = x * 3.0
    y = (h * h).sum()
    y.backward()
    tape = y.tape()
    # dL/dh = 2h = 6x; dL/d(h*h) = ones(2, 3); dL/dy = 1
    want = [np.linalg.norm(6 * np.arange(6.0)), np.sqrt(6.0), 1.0]
    for node, w in zip(tape, want):
        assert TapeView.grad_norm(node) == pytest.approx(w, rel=1e-6)
    rows = _rows(str(tape))
    assert [r[-1] for r in rows] == [f"{w:.4g}" for w in want]
    assert "last backward" in str(tape).splitlines()[-1]


def test_dtype_column_follows_the_data():
    x = tn.tensor(np.ones((2, 2)), requires_grad=True)  # float64
    y = (x * x).sum()
    assert all(r[4] == "float64" for r in _rows(str(y.tape())))


def test_parameter_names_from_a_module():
    tn.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    x = tn.randn(5, 4)
    loss = model(x).sum()
    text = str(loss.tape(names=model))
    assert "0.weight (3, 4)" in text and "0.bias (3,)" in text
    assert "2.weight (2, 3)" in text and "2.bias (2,)" in text
    assert "c0 (5, 4)" in text  # the unnamed input

    named = str(loss.tape(names=dict(model.named_parameters(), input=x)))
    assert "input (5, 4)" in named and "0.weight (3, 4)" in named
    by_id = str(loss.tape(names={id(x): "images"}))
    assert "images (5, 4)" in by_id


def test_bad_names_argument():
    y = (tn.randn(2, requires_grad=True) * 2).sum()
    with pytest.raises(TypeError, match="names"):
        y.tape(names=["w"])
    with pytest.raises(TypeError, match="names"):
        y.tape(names={"w": 3})


def test_reused_tensor_appears_once_and_shared_entry_by_number():
    x = tn.randn(3, requires_grad=True)
    a = x.exp()
    y = (a * a + a).sum()
    rows = _rows(str(y.tape()))
    assert rows[0][:3] == ["0", "exp", "x0 (3,)"]
    assert rows[1][2] == "#0 (3,), #0 (3,)"
    assert rows[2][2] == "#1 (3,), #0 (3,)"


def test_grad_column_shows_the_last_backward():
    x = tn.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward(tn.tensor(3.0))
    assert TapeView.grad_norm(y.tape()[0]) == pytest.approx(3 * np.sqrt(2))
    # still readable after the buffers were released
    assert y.tape()[0].backward is None
    assert "float32" in str(y.tape())


def test_leaf_output_gives_an_empty_tape():
    x = tn.randn(2, requires_grad=True)
    tape = x.tape()
    assert len(tape) == 0 and list(tape) == []
    assert "empty tape" in str(tape)
    with pytest.raises(TypeError, match="Tensor"):
        TapeView(np.ones(2))


def test_repr_is_the_table_and_fmt_shape():
    y = (tn.randn(2, requires_grad=True) + 1).sum()
    assert repr(y.tape()) == str(y.tape())
    assert fmt_shape(()) == "()" and fmt_shape((10,)) == "(10,)"
    assert fmt_shape((64, 1, 28, 28)) == "(64, 1, 28, 28)"


def test_backward_errors_number_entries_as_the_tape_does():
    x = tinynet.tensor([1.0, 2.0], requires_grad=True)
    tinynet.tensor([5.0], requires_grad=True) * 3  # global tickets no longer match rows
    y = (x * 2).exp().sum()
    rows = {node.op: i for i, node in enumerate(y.tape())}
    y.backward()
    with pytest.raises(RuntimeError, match=rf"entry #{rows['sum']} 'sum' \(numbered as in "
                                           r"\.tape\(\)\)"):
        y.backward()
    h = x * 2
    out = h.exp().sum()
    with tinynet.no_grad():
        h.add_(1)
    with pytest.raises(RuntimeError, match=rf"entry #{rows['exp']} 'exp'"):  # h's reader
        out.backward()


def test_tape_shows_only_gradients_of_the_backward_through_its_output():
    x = tinynet.tensor([1.0, -2.0, 3.0], requires_grad=True)
    h = x * 2                                   # shared by both losses
    l1 = (h * h).sum()
    l2 = h.exp().sum()
    l1.backward(retain_graph=True)
    # l2 never had a backward: its shared row must not show dL1/dh
    assert [r[5] for r in l2.tape().rows()] == ["-"] * len(l2.tape())
    assert "no backward yet" in str(l2.tape())
    shown = [r[5] for r in l1.tape().rows()]
    assert "-" not in shown
    l2.backward()
    # now h's row holds dL2/dh: l1's view hides it, l2's shows it
    h_row_l1 = l1.tape().row(h._node)
    assert l1.tape().rows()[h_row_l1][5] == "-"
    assert l1.tape().rows()[-1][5] != "-"       # l1's own entries still hold dL1
    np.testing.assert_allclose(l2.tape().shown_grad(h._node),
                               np.linalg.norm(np.exp([2.0, -4.0, 6.0])), rtol=1e-6)


def test_tape_of_an_intermediate_shows_the_loss_gradients_through_it():
    x = tinynet.tensor([1.0, 2.0], requires_grad=True)
    hidden = (x * 3).exp()
    loss = (hidden * 2).sum()
    loss.backward()
    view = hidden.tape()
    assert all(cell != "-" for cell in (r[5] for r in view.rows()))
    np.testing.assert_allclose(view.shown_grad(hidden._node), np.linalg.norm([2.0, 2.0]))


def test_values_and_signed_gradients_of_the_backward_the_view_shows():
    import xml.etree.ElementTree as ET
    x = tn.tensor([1.0, -2.0], requires_grad=True)
    h = x * -3.0
    y = h.sum()
    other = (h * h).sum()
    view = y.tape(names={"x": x, "h": h})
    assert view.grad(view[0]) is None  # no backward yet
    y.backward(retain_graph=True)
    assert np.array_equal(view.value(view[0]), [-3.0, 6.0])
    assert np.array_equal(view.grad(view[0]), [1.0, 1.0])
    assert np.array_equal(view.leaf_grad(x), [-3.0, -3.0])  # signed, not a norm
    assert view.entry_name(view[0]) == "h" and view.entry_name(view[1]) is None
    cells = [[td.text for td in tr] for tr in ET.fromstring(view._repr_html_()).iter("tr")]
    assert cells[1][1:2] + cells[1][-2:] == ["mul (h)", "[-3, 6]", "[1, 1]"]
    assert ["x", "(2,)", "float32", "yes", "[1, -2]", "[-3, -3]"] in cells
    other.backward()  # h's entry now holds other's gradient, not y's
    assert view.grad(view[0]) is None and view.grad(view[1]) is not None
    cells = [[td.text for td in tr] for tr in ET.fromstring(view._repr_html_()).iter("tr")]
    assert cells[1][-1] == "-" and cells[1][5] == "-"
