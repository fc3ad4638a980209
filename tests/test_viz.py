"""tinynet.viz: the drawn tape (DOT, tinynet's own SVG, the HTML page, rich display) and the
``tinynet graph`` command."""
import gc
import html.parser
import os
import re
import shutil
import subprocess
import sys
import weakref
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import tinynet as tn
import tinynet.nn as nn
from tinynet import viz
from tinynet.cli import main

SVG = "{http://www.w3.org/2000/svg}"


def _nodes_and_edges(dot):
    nodes = dict(re.findall(r'^\s*(\w+) \[label="((?:[^"\\]|\\.)*)"', dot, re.M))
    edges = re.findall(r"^\s*(\w+) -> (\w+);", dot, re.M)
    return nodes, edges


def _lines(label):
    """A DOT label's lines (``\\n`` after the title, ``\\l`` after each other line)."""
    return [ln for ln in re.split(r"\\[nl]", label) if ln]


def neuron():
    """Micrograd's neuron: o = tanh(x1*w1 + x2*w2 + b), and its backward."""
    x1, x2 = tn.tensor(2.0, requires_grad=True), tn.tensor(0.0, requires_grad=True)
    w1, w2 = tn.tensor(-3.0, requires_grad=True), tn.tensor(1.0, requires_grad=True)
    b = tn.tensor(6.8813735870195432, requires_grad=True)
    n = x1 * w1 + x2 * w2 + b
    o = n.tanh()
    o.backward()
    return o, dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, n=n, o=o)


@pytest.fixture
def no_dot(monkeypatch, tmp_path):
    """A PATH on which there is no Graphviz: only an empty folder."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


# ---------------------------------------------------------------- DOT source
def test_dot_structure_matches_the_tape():
    x = tn.randn(2, 3, requires_grad=True)
    w = tn.randn(3, 4, requires_grad=True)
    y = ((x @ w).relu() * 2).sum()
    dot = viz.to_dot(y, names={"w": w})
    assert dot.startswith('digraph "tape" {') and dot.rstrip().endswith("}")
    nodes, edges = _nodes_and_edges(dot)
    ops = {k: _lines(v) for k, v in nodes.items() if k.startswith("op")}
    assert [ops[f"op{i}"][0] for i in range(4)] == ["#0 matmul", "#1 relu", "#2 mul", "#3 sum"]
    assert ops["op0"][1] == "(2, 4) float32"
    assert ops["op3"][1] == "() float32"
    leaves = {_lines(v)[0] for k, v in nodes.items() if k.startswith("leaf")}
    assert leaves == {"x0", "w", "2"}
    # one edge per input of every entry, each into the entry that used it
    assert len(edges) == sum(len(n.inputs) for n in y.tape())
    assert ("op0", "op1") in edges and ("op1", "op2") in edges and ("op2", "op3") in edges
    assert "grad" not in "".join(nodes.values())  # no backward yet: values, no gradients
    assert ops["op3"][2] == f"value {y.item():.4g}"


def test_neuron_shows_micrograds_values_and_signed_gradients():
    o, names = neuron()
    graph = viz.draw(o, names=names)
    labels = {n.id: [text for text, _ in n.lines] for n in graph.nodes}
    by_title = {lines[0]: lines[1:] for lines in labels.values()}
    # micrograd's figure: data and grad of every node
    want = {"x1": ("2", "-1.5"), "w1": ("-3", "1"), "x2": ("0", "0.5"), "w2": ("1", "0"),
            "b": ("6.881", "0.5"), "#0 mul": ("-6", "0.5"), "#1 mul": ("0", "0.5"),
            "#2 add": ("-6", "0.5"), "#3 add (n)": ("0.8814", "0.5"),
            "#4 tanh (o)": ("0.7071", "1")}
    for title, (value, grad) in want.items():
        assert f"value {value}" in by_title[title] and f"grad {grad}" in by_title[title], title
    dot_labels = "\n".join(_nodes_and_edges(str(graph))[0].values())
    assert "x1\\n() float32\\lvalue 2\\lgrad -1.5\\l" in dot_labels
    svg = graph.svg(engine="tinynet")
    texts = [t.text for t in ET.fromstring(svg).iter(SVG + "text")]
    assert "grad -1.5" in texts and "value 0.7071" in texts and "grad 0.5" in texts


def test_large_tensors_show_their_range_and_gradient_norm():
    x = tn.tensor(np.arange(20.0).reshape(4, 5), requires_grad=True)
    y = (x * 2.0).sum()
    y.backward()
    lines = {n.id: [t for t, _ in n.lines] for n in viz.draw(y).nodes}
    assert lines["leaf0"][2] == "min 0  mean 9.5  max 19"
    assert lines["leaf0"][3] == f"|grad| {np.sqrt(20 * 4):.4g}"
    assert lines["op0"][2] == "min 0  mean 19  max 38"
    # the setting: up to max_elements, every value (a per-call override too)
    viz.options.max_elements = 20
    try:
        lines = {n.id: [t for t, _ in n.lines] for n in viz.draw(y).nodes}
        assert lines["leaf0"][2:] == [
            "value [[0, 1, 2, 3, 4],", "       [5, 6, 7, 8, 9],", "       [10, 11, 12, 13, 14],",
            "       [15, 16, 17, 18, 19]]", "grad [[2, 2, 2, 2, 2],", "      [2, 2, 2, 2, 2],",
            "      [2, 2, 2, 2, 2],", "      [2, 2, 2, 2, 2]]"]
    finally:
        viz.options.max_elements = 16
    small = {n.id: [t for t, _ in n.lines] for n in viz.draw(y, max_elements=2).nodes}
    assert small["op1"][2] == "value 380"  # a scalar is one element


def test_show_data_false_gives_shapes_and_gradient_norms():
    x = tn.tensor([3.0, 4.0], requires_grad=True)
    y = (x * 1.0).sum()
    y.backward()
    nodes, _ = _nodes_and_edges(viz.to_dot(y, show_data=False))
    assert _lines(nodes["op0"])[-1] == "|grad| 1.414"  # dL/d(x*1) = (1, 1)
    assert _lines(nodes["op1"])[-1] == "|grad| 1"
    assert _lines(nodes["leaf0"]) == ["x0", "(2,) float32", "|grad| 1.414"]  # its .grad


def test_dot_escapes_quotes_in_names_and_module_names():
    tn.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 2))
    loss = model(tn.randn(1, 2)).sum()
    dot = viz.to_dot(loss, names=model)
    assert '"0.weight\\n(2, 2) float32\\lvalue [[' in dot
    x = tn.randn(2, requires_grad=True)
    dot2 = viz.to_dot((x * 2).sum(), names={'my "x"': x}, title='a "title"')
    assert 'my \\"x\\"' in dot2 and 'digraph "a \\"title\\""' in dot2
    assert loss.tape().to_dot() == viz.to_dot(loss)


def test_awkward_names_keep_svg_page_and_table_well_formed(no_dot):
    names = ['a "q"', "back\\slash", "<b> & {c}", "new\nline\x07"]
    xs = [tn.randn(2, requires_grad=True) for _ in names]
    y = (xs[0] * xs[1] + xs[2] * xs[3]).sum()
    y.backward()
    graph = viz.draw(y, dict(zip(names, xs)))
    _, nodes, _ = _svg_counts(graph.svg())
    titles = [g.find(SVG + "text").text for g in nodes]
    assert "<b> & {c}" in titles and "new\\nline\\x07" in titles  # escaped, one line
    ET.fromstring(graph.html().replace("<!DOCTYPE html>", "", 1))
    ET.fromstring(y.tape(dict(zip(names, xs)))._repr_html_())


def test_graph_is_its_dot_source_and_says_what_it_is():
    o, names = neuron()
    graph = viz.draw(o, names=names)
    assert isinstance(graph, str) and str(graph) == graph.source
    assert type(str(graph)) is str and str(graph).startswith('digraph "tape"')
    assert repr(graph).startswith("<tinynet Graph 'tape': 5 entries, 5 leaves, 9 edges")
    import copy
    import pickle
    for other in (copy.copy(graph), pickle.loads(pickle.dumps(graph))):
        assert other == graph and other.nodes == graph.nodes and other.edges == graph.edges


# ---------------------------------------------------------------- SVG
def _svg_counts(svg):
    root = ET.fromstring(svg)  # well-formed XML
    assert root.tag == SVG + "svg"
    groups = list(root.iter(SVG + "g"))
    nodes = [g for g in groups if g.get("class", "").split()[:1] == ["node"]]
    edges = [g for g in groups if g.get("class") == "edge"]
    return root, nodes, edges


@pytest.mark.parametrize("build", ["neuron", "cnn"])
def test_own_svg_has_a_node_per_entry_and_leaf_and_an_edge_per_link(build, no_dot):
    if build == "neuron":
        out, names = neuron()
    else:
        from tinynet.cli.graph import training_step_graph
        out, names = training_step_graph(batch_size=2)
    view = out.tape(names)
    graph = viz.draw(out, names)
    svg = graph.svg()
    assert "laid out by tinynet" in svg  # no dot on PATH: tinynet's layout
    root, nodes, edges = _svg_counts(svg)
    assert len(nodes) == len(view) + len(view.leaves)
    assert len(edges) == sum(len(n.inputs) for n in view)
    ids = {g.get("id") for g in nodes}
    assert ids == {f"op{i}" for i in range(len(view))} | \
        {f"leaf{k}" for k in range(len(view.leaves))}
    # each edge: a path and an arrowhead, between nodes that exist, in the tape's direction
    for g in edges:
        assert g.find(SVG + "path") is not None and g.find(SVG + "polygon") is not None
        assert g.get("data-from") in ids and g.get("data-to") in ids
    # leaves and ops look different; the output stands out; hover text on every node
    fills = {g.get("class").split()[1]: g.find(SVG + "rect").get("fill") for g in nodes
             if g.find(SVG + "rect") is not None}
    assert len({fills["op"], fills["leaf"], fills["output"]}) == 3
    assert all(g.find(SVG + "title").text for g in nodes)


def test_own_layout_keeps_boxes_apart_and_edges_downward():
    from tinynet.cli.graph import training_step_graph
    from tinynet.viz.svg import _size
    loss, names = training_step_graph(batch_size=2)
    graph = viz.draw(loss, names)
    sizes = {n.id: _size(n) for n in graph.nodes}
    lay = viz.layered_layout([n.id for n in graph.nodes], sizes, graph.edges)
    boxes = {v: (lay.x[v] - w / 2, lay.y[v] - h / 2, lay.x[v] + w / 2, lay.y[v] + h / 2)
             for v, (w, h) in sizes.items()}
    items = list(boxes.items())
    for i, (a, (l1, t1, r1, b1)) in enumerate(items):
        assert l1 >= 0 and t1 >= 0 and r1 <= lay.width and b1 <= lay.height
        for b, (l2, t2, r2, b2) in items[i + 1:]:
            assert r1 <= l2 or r2 <= l1 or b1 <= t2 or b2 <= t1, (a, b)  # no overlap
    for (a, b), pts in zip(graph.edges, lay.paths):
        assert lay.layer[a] < lay.layer[b]
        assert pts[0][1] == pytest.approx(boxes[a][3]) and pts[-1][1] == pytest.approx(boxes[b][1])
        assert all(p[1] <= q[1] for p, q in zip(pts, pts[1:]))
    # the ops form one straight-ish column: no entry strays far from the one before
    ops = [f"op{i}" for i in range(len(loss.tape()))]
    assert max(abs(lay.x[a] - lay.x[b]) for a, b in zip(ops, ops[1:])) < 60
    # leaves sit just above the op that uses them, not all at the top
    assert lay.layer["leaf7"] == lay.layer["op10"] - 1  # fc2.bias


def test_layout_sweeps_remove_avoidable_crossings():
    # a (left) feeds d (right) and b (right) feeds c (left): the first order crosses
    edges = [("a", "d"), ("b", "c"), ("a", "e"), ("b", "e")]
    sizes = {v: (20, 10) for v in "abcde"}
    lay = viz.layered_layout(list("abcde"), sizes, edges)
    segs = [(lay.x[a], lay.x[b]) for a, b in edges]
    crossing = sum((p[0] - q[0]) * (p[1] - q[1]) < 0 for i, p in enumerate(segs)
                   for q in segs[i + 1:])
    assert crossing == 0


def test_dot_is_used_when_installed_and_its_failure_is_reported(tmp_path, monkeypatch):
    o, names = neuron()
    graph = viz.draw(o, names)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "dot"
    fake.write_text("#!/bin/sh\ncat > /dev/null\n"
                    "printf '<?xml version=\"1.0\"?>\\n<svg xmlns=\"http://www.w3.org/2000/svg\">"
                    "<g class=\"node\" id=\"op0\"/></svg>\\n'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    svg = graph.svg()
    assert "drawn by Graphviz dot" in svg and '<g class="node" id="op0"/>' in svg
    assert "<?xml" not in svg  # cut, so that it can sit inside a page
    assert "laid out by tinynet" in graph.svg(engine="tinynet")
    fake.write_text("#!/bin/sh\necho 'Error: syntax trouble' >&2\nexit 1\n")
    with pytest.raises(RuntimeError, match="syntax trouble"):
        graph.svg()
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    with pytest.raises(RuntimeError, match="not on PATH"):
        graph.svg(engine="dot")
    with pytest.raises(ValueError, match="engine"):
        graph.svg(engine="neato")


def test_render_svg_without_dot(monkeypatch, tmp_path):
    monkeypatch.setattr(viz.shutil, "which", lambda name: None)
    assert viz.render_svg("digraph { a -> b; }", str(tmp_path / "g.svg")) is False
    assert not (tmp_path / "g.svg").exists()


# ---------------------------------------------------------------- files and the page
class _Collect(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)


def test_save_writes_svg_dot_and_a_self_contained_page(tmp_path, no_dot):
    o, names = neuron()
    graph = viz.draw(o, names, title="neuron")
    view = o.tape(names)
    assert graph.save(str(tmp_path / "g.dot")) == str(tmp_path / "g.dot")
    assert (tmp_path / "g.dot").read_text() == str(graph)
    graph.save(str(tmp_path / "g.svg"))
    _, nodes, edges = _svg_counts((tmp_path / "g.svg").read_text())
    assert (len(nodes), len(edges)) == (10, 9)
    graph.save(str(tmp_path / "g.html"))
    page = (tmp_path / "g.html").read_text()
    root = ET.fromstring(page.replace("<!DOCTYPE html>", "", 1))  # well-formed XML ...
    parser = _Collect()
    parser.feed(page)  # ... and HTML
    assert root.find("head/title").text == "tinynet: neuron"
    # no network resource: nothing loaded from elsewhere, no external script or style
    assert not any(k in ("src", "href") for k, _ in parser.attrs) and "link" not in parser.tags
    assert "url(" not in page and "@import" not in page
    # the picture, the table (a row per entry, a row per leaf) and every node's details
    _, nodes, edges = _svg_counts(ET.tostring(root.find(".//" + SVG + "svg")).decode())
    assert (len(nodes), len(edges)) == (len(view) + len(view.leaves), 9)
    rows = [tr.get("data-node") for tr in root.iter("tr") if tr.get("data-node")]
    assert rows == [f"op{i}" for i in range(5)] + [f"leaf{k}" for k in range(5)]
    details = {d.get("id"): "\n\n".join(p.text for p in d.iter("pre")) for d in root.iter("div")
               if d.get("id", "").startswith("detail-")}
    assert set(details) == {f"detail-{n.id}" for n in graph.nodes}
    assert details["detail-leaf0"] == graph.nodes[0].details and "-1.5" in details["detail-leaf0"]
    assert "0.707107" in details["detail-op4"]
    with pytest.raises(ValueError, match=r"\.svg, \.dot or \.html"):
        graph.save(str(tmp_path / "g.png"))


def test_hover_text_holds_every_value_up_to_the_setting():
    x = tn.tensor(np.linspace(-1, 1, 300), requires_grad=True)
    y = (x * 3.0).sum()
    y.backward()
    node = {n.id: n for n in viz.draw(y).nodes}["op0"]
    assert [t for t, _ in node.lines][2].startswith("min -3  mean")  # the label: a summary
    value = node.details.split("grad dL/dout")[0]
    shown = value[value.index("["):].replace("[", "").replace("]", "").split(",")
    np.testing.assert_allclose(np.array(shown, float), 3 * np.linspace(-1, 1, 300),
                               atol=1e-6)  # the hover: all 300 values
    assert "..." not in node.details
    viz.options.hover_elements = 100
    try:
        node = {n.id: n for n in viz.draw(y).nodes}["op0"]
        assert "..." in node.details and "(300 values; first and last 3" in node.details
    finally:
        viz.options.hover_elements = 1000


# ---------------------------------------------------------------- rich display
def test_rich_display_without_ipython(no_dot):
    o, names = neuron()
    graph = viz.draw(o, names)
    bundle = graph._repr_mimebundle_()
    assert set(bundle) == {"text/html", "image/svg+xml", "text/plain"}
    ET.fromstring(bundle["image/svg+xml"])
    ET.fromstring(bundle["text/html"])
    assert bundle["text/plain"] == repr(graph)
    assert set(graph._repr_mimebundle_(include=["image/svg+xml"])) == {"image/svg+xml"}
    assert "text/html" not in graph._repr_mimebundle_(exclude=["text/html"])
    assert graph._repr_svg_() == bundle["image/svg+xml"]
    table = ET.fromstring(o.tape(names)._repr_html_())
    cells = [[td.text for td in tr] for tr in table.iter("tr")]
    assert cells[0] == ["#", "op", "inputs", "output", "dtype", "|grad|", "value", "grad"]
    assert cells[1] == ["0", "mul", "x1 (), w1 ()", "()", "float32", "0.5", "-6", "0.5"]
    assert ["x1", "()", "float32", "yes", "2", "-1.5"] in cells
    assert not hasattr(tn.Tensor, "_repr_html_")  # a Tensor shows as its text repr
    # nothing above imports IPython (it is installed with the notebook test's packages)
    code = ("import sys, tinynet as tn\n"
            "x = tn.tensor([1.0, -2.0], requires_grad=True); y = (x * x).sum(); y.backward()\n"
            "g = tn.viz.draw(y); g._repr_mimebundle_(); y.tape()._repr_html_()\n"
            "print('IPython' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=os.environ.copy(), timeout=120)
    assert done.stdout.strip() == "False", done.stderr


def test_import_tinynet_gives_viz_and_tape():
    code = "import tinynet; print(tinynet.viz.draw.__name__, hasattr(tinynet.Tensor, 'tape'))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.stdout.split() == ["draw", "True"], done.stderr


# ---------------------------------------------------------------- memory
def test_a_drawing_keeps_no_buffer_alive():
    x = tn.randn(512, 512, requires_grad=True)  # 1 MB per tensor
    big = (x * 2.0).exp()                      # a large intermediate
    loss = big.sum()
    loss.backward()
    view = loss.tape()
    node = view[1]
    assert np.shares_memory(view.value(node), big.array)  # values are read, not copied
    graph = viz.draw(loss)
    graph.svg(engine="tinynet"), graph.html(engine="tinynet"), loss.tape()._repr_html_()
    refs = [weakref.ref(big), weakref.ref(loss)]
    del big, loss, view, node
    gc.collect()
    assert all(r() is None for r in refs)  # the tape and its output are gone, the graph stays
    assert "exp" in graph.svg(engine="tinynet")


def test_the_weak_reference_to_an_output_reads_as_freed():
    x = tn.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    view = (y.sum()).tape()
    node = view[0]
    assert np.array_equal(view.value(node), [2.0, 4.0])
    del y
    gc.collect()  # y lives on as the input of the sum's entry
    assert np.array_equal(view.value(node), [2.0, 4.0])


# ---------------------------------------------------------------- the command
def test_graph_command_writes_dot_and_svg_without_graphviz(no_dot, tmp_path, capsys):
    out = tmp_path / "step.dot"
    assert main(["graph", "--out", str(out), "--batch-size", "2", "--tape"]) == 0
    dot = out.read_text()
    nodes, edges = _nodes_and_edges(dot)
    labels = "\n".join(nodes.values())
    for op in ("conv2d", "max_pool2d", "linear", "dropout", "cross_entropy"):
        assert op in labels
    assert "input\\n(2, 1, 28, 28) float32" in labels
    assert "conv1.weight\\n(8, 1, 3, 3) float32" in labels
    assert "fc1.weight\\n(128, 784) float32" in labels and "fc2.bias\\n(10,) float32" in labels
    assert "|grad|" in labels and "grad [" in labels and edges
    printed = capsys.readouterr().out
    assert "cross_entropy" in printed and f"wrote {out}" in printed
    svg = (tmp_path / "step.svg").read_text()
    assert "tinynet's layout" in printed and "laid out by tinynet" in svg
    _, svg_nodes, svg_edges = _svg_counts(svg)
    assert (len(svg_nodes), len(svg_edges)) == (len(nodes), len(edges))


def test_graph_command_html_page(no_dot, tmp_path, capsys, monkeypatch):
    out = tmp_path / "g.html"
    assert main(["graph", "--html", "--out", str(out), "--batch-size", "2"]) == 0
    page = out.read_text()
    root = ET.fromstring(page.replace("<!DOCTYPE html>", "", 1))
    assert root.find("body/h1").text == "reference CNN training step"
    rows = [tr.get("data-node") for tr in root.iter("tr") if tr.get("data-node")]
    assert len(rows) == 12 + 9  # the demo CNN's entries and leaves
    assert "cross_entropy" in page and "fc2.bias" in page
    assert not (tmp_path / "g.dot").exists() and not (tmp_path / "g.svg").exists()
    assert f"wrote {out}" in capsys.readouterr().out
    (tmp_path / "default").mkdir()
    monkeypatch.chdir(tmp_path / "default")
    assert main(["graph", "--html", "--batch-size", "1"]) == 0
    assert (tmp_path / "default" / "graph.html").exists()


def _train_tiny(tmp_path):
    out = tmp_path / "run"
    assert main(["train", "--train-size", "50", "--batch-size", "25", "--epochs", "1",
                 "--quiet", "--no-download", "--out", str(out)]) == 0
    return out / "model.npz"


def test_graph_command_draws_a_trained_checkpoint(no_network_no_data, no_dot, tmp_path,
                                                  capsys):
    ckpt = _train_tiny(tmp_path)
    capsys.readouterr()
    out = tmp_path / "trained.html"
    assert main(["graph", "--html", "--checkpoint", str(ckpt), "--out", str(out),
                 "--batch-size", "3"]) == 0
    printed = capsys.readouterr().out
    assert "conv 1->8->16" in printed and "trained 1 epoch;" in printed
    assert "3 mnist test images (embedded digits)" in printed
    page = out.read_text()
    assert "CNN training step: model.npz" in page
    # the trained weights are drawn: conv1.bias's values in the page are the checkpoint's
    bias = tn.load(str(ckpt))["model"]["conv1.bias"]
    assert f"value [{float(bias[0]):.4g}, {float(bias[1]):.4g}," in page
    assert "conv2.weight" in page and "(3, 1, 28, 28)" in page


def test_graph_checkpoint_without_its_test_images_draws_a_random_batch(
        no_network_no_data, no_dot, tmp_path, capsys):
    ckpt = _train_tiny(tmp_path)
    state = tn.load(str(ckpt))
    state["config"]["dataset"] = "fashion-mnist"  # whose files are not on this machine
    tn.save(state, str(tmp_path / "fashion.npz"))
    capsys.readouterr()
    assert main(["graph", "--checkpoint", str(tmp_path / "fashion.npz"),
                 "--out", str(tmp_path / "f.dot")]) == 0
    printed = capsys.readouterr().out
    assert "a random batch of 4 (no fashion-mnist test images found" in printed
    assert (tmp_path / "f.svg").exists()


@pytest.mark.parametrize("argv, msg", [
    (["--out", "g.svg"], "must name a .dot file"),
    (["--html", "--out", "g.dot"], "must name an .html file"),
    (["--out", "/no/such/dir/g.dot"], "does not exist"),
    (["--batch-size", "0"], "--batch-size"),
    (["--checkpoint", "missing.npz"], "checkpoint not found"),
])
def test_graph_command_user_errors(argv, msg, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["graph"] + argv) == 2
    err = capsys.readouterr().err
    assert msg in err and len(err.strip().splitlines()) == 1


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz `dot` not installed")
def test_graph_command_writes_svg_with_dot_when_installed(tmp_path):
    out = tmp_path / "g.dot"
    assert main(["graph", "--out", str(out), "--batch-size", "1"]) == 0
    svg = (tmp_path / "g.svg").read_text()
    assert "drawn by Graphviz dot" in svg
    _, nodes, edges = _svg_counts(svg)
    assert (len(nodes), len(edges)) == (12 + 9, 20)  # the demo CNN's entries + leaves, links


def test_previews_of_zeros_carry_no_sign():
    from tinynet.preview import full_text, grad_lines
    g = np.array([-0.0, 2.0, -1.5], dtype=np.float32)
    assert grad_lines(g) == ["[0, 2, -1.5]"]
    assert full_text(g) == "[ 0. ,  2. , -1.5]"
