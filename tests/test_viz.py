"""tinynet.viz.to_dot and the ``tinynet graph`` command."""
import re
import shutil

import pytest

import tinynet as tn
import tinynet.nn as nn
from tinynet import viz
from tinynet.cli import main


def _nodes_and_edges(dot):
    nodes = dict(re.findall(r'^\s*(\w+) \[label="((?:[^"\\]|\\.)*)"', dot, re.M))
    edges = re.findall(r"^\s*(\w+) -> (\w+);", dot, re.M)
    return nodes, edges


def test_dot_structure_matches_the_tape():
    x = tn.randn(2, 3, requires_grad=True)
    w = tn.randn(3, 4, requires_grad=True)
    y = ((x @ w).relu() * 2).sum()
    dot = viz.to_dot(y, names={"w": w})
    assert dot.startswith('digraph "tape" {') and dot.rstrip().endswith("}")
    nodes, edges = _nodes_and_edges(dot)
    ops = {k: v for k, v in nodes.items() if k.startswith("op")}
    assert [ops[f"op{i}"].split("\\n")[0] for i in range(4)] == \
        ["#0 matmul", "#1 relu", "#2 mul", "#3 sum"]
    assert ops["op0"].split("\\n")[1] == "(2, 4) float32"
    assert ops["op3"].split("\\n")[1] == "() float32"
    leaves = {v.split("\\n")[0] for k, v in nodes.items() if k.startswith("leaf")}
    assert leaves == {"x0", "w", "2"}
    # one edge per input of every entry, each into the entry that used it
    assert len(edges) == sum(len(n.inputs) for n in y.tape())
    assert ("op0", "op1") in edges and ("op1", "op2") in edges and ("op2", "op3") in edges
    assert "|grad|" not in dot  # no backward yet


def test_dot_shows_gradient_norms_after_backward():
    x = tn.tensor([3.0, 4.0], requires_grad=True)
    y = (x * 1.0).sum()
    y.backward()
    nodes, _ = _nodes_and_edges(viz.to_dot(y))
    assert nodes["op0"].endswith("|grad| 1.414")       # dL/d(x*1) = (1, 1)
    assert nodes["op1"].endswith("|grad| 1")
    assert nodes["leaf0"] == "x0\\n(2,)\\n|grad| 1.414"  # the leaf's own .grad


def test_dot_escapes_quotes_in_names_and_module_names():
    tn.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 2))
    loss = model(tn.randn(1, 2)).sum()
    dot = viz.to_dot(loss, names=model)
    assert '"0.weight\\n(2, 2)"' in dot
    x = tn.randn(2, requires_grad=True)
    dot2 = viz.to_dot((x * 2).sum(), names={'my "x"': x}, title='a "title"')
    assert 'my \\"x\\"' in dot2 and 'digraph "a \\"title\\""' in dot2
    assert loss.tape().to_dot() == viz.to_dot(loss)


def test_render_svg_without_dot(monkeypatch, tmp_path):
    monkeypatch.setattr(viz.shutil, "which", lambda name: None)
    assert viz.render_svg("digraph { a -> b; }", str(tmp_path / "g.svg")) is False
    assert not (tmp_path / "g.svg").exists()


def test_graph_command_writes_dot(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(viz.shutil, "which", lambda name: None)
    out = tmp_path / "step.dot"
    assert main(["graph", "--out", str(out), "--batch-size", "2", "--tape"]) == 0
    dot = out.read_text()
    nodes, edges = _nodes_and_edges(dot)
    labels = "\n".join(nodes.values())
    for op in ("conv2d", "max_pool2d", "linear", "dropout", "cross_entropy"):
        assert op in labels
    assert "input\\n(2, 1, 28, 28)" in labels and "conv1.weight\\n(8, 1, 3, 3)" in labels
    assert "fc1.weight\\n(128, 784)" in labels and "fc2.bias\\n(10,)" in labels
    assert "|grad|" in labels and edges
    printed = capsys.readouterr().out
    assert "cross_entropy" in printed and f"wrote {out}" in printed
    assert "no .svg" in printed and not (tmp_path / "step.svg").exists()


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz `dot` not installed")
def test_graph_command_writes_svg_when_dot_is_installed(tmp_path):
    out = tmp_path / "g.dot"
    assert main(["graph", "--out", str(out), "--batch-size", "1"]) == 0
    assert (tmp_path / "g.svg").read_text().lstrip().startswith("<?xml")


@pytest.mark.parametrize("argv, msg", [
    (["--out", "g.svg"], "must name a .dot file"),
    (["--out", "/no/such/dir/g.dot"], "does not exist"),
    (["--batch-size", "0"], "--batch-size"),
])
def test_graph_command_user_errors(argv, msg, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["graph"] + argv) == 2
    err = capsys.readouterr().err
    assert msg in err and len(err.strip().splitlines()) == 1
