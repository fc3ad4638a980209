"""One CNN: train, compare-dropout, graph, the demos and the bench build tinynet/models.py's net.

A network is compared by its state_dict: parameter names and shapes (the dropout
layers have no parameters, so the nets with and without dropout compare equal).
"""
from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path

import pytest

from tinynet.cli import main
from tinynet.models import CNN_DEFAULTS, build_cnn, describe_cnn, reference_cnn
from tinynet.training import load_checkpoint

ROOT = Path(__file__).resolve().parent.parent
TINY = ["--train-size", "30", "--batch-size", "30", "--epochs", "1", "--quiet", "--no-download"]


def shapes(state) -> dict[str, tuple]:
    return {k: tuple(v.shape) for k, v in state.items()}


REFERENCE = shapes(reference_cnn().state_dict())


@pytest.fixture(autouse=True)
def offline(no_network_no_data):
    pass


def test_the_reference_cnn_is_the_courses():
    assert REFERENCE == {"conv1.weight": (8, 1, 3, 3), "conv1.bias": (8,),
                         "conv2.weight": (16, 8, 3, 3), "conv2.bias": (16,),
                         "fc1.weight": (128, 784), "fc1.bias": (128,),
                         "fc2.weight": (10, 128), "fc2.bias": (10,)}
    assert describe_cnn(CNN_DEFAULTS) == "conv 1->8->16, fc 784->128->10, dropout 0.5"
    net = reference_cnn(dropout=0.3, conv_dropout=0.1)
    assert [type(m).__name__ for m in net].count("Dropout") == 3
    assert [m.p for m in net if type(m).__name__ == "Dropout"] == [0.1, 0.1, 0.3]


def test_train_trains_the_reference_cnn(tmp_path):
    assert main(["train", *TINY, "--out", str(tmp_path / "t")]) == 0
    ckpt = load_checkpoint(str(tmp_path / "t" / "model.npz"))
    assert shapes(ckpt["model"]) == REFERENCE


def test_compare_dropout_trains_the_reference_cnn_twice(tmp_path):
    assert main(["compare-dropout", *TINY, "--out", str(tmp_path / "c")]) == 0
    doc = json.loads((tmp_path / "c" / "dropout_comparison.json").read_text())
    for run in ("no_dropout", "dropout"):
        assert shapes(build_cnn(doc[run]["config"]["model"]).state_dict()) == REFERENCE


def test_graph_draws_the_reference_cnn():
    from tinynet.cli.graph import training_step_graph
    _, names = training_step_graph(batch_size=2)
    names.pop("input")
    assert shapes(names) == REFERENCE


@pytest.mark.parametrize("demo", ["train_mnist_cnn.py", "dropout_overfitting.py"])
def test_the_demos_train_the_reference_cnn(demo, monkeypatch, capsys):
    monkeypatch.setenv("TINYNET_DEMO_QUICK", "1")
    monkeypatch.setattr(sys, "argv", [demo])
    g = runpy.run_path(str(ROOT / "demos" / demo), run_name="__main__")
    assert shapes(g["model"].state_dict()) == REFERENCE


def test_the_bench_times_the_reference_cnn():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import train_step
    finally:
        sys.path.remove(str(ROOT / "bench"))
    assert shapes(train_step.tinynet_model(8, 16).state_dict()) == REFERENCE
    torch = pytest.importorskip("torch")
    assert shapes(train_step.torch_model(8, 16).state_dict()) == REFERENCE
    assert isinstance(train_step.torch_model(8, 16), torch.nn.Module)
