"""The demos are for reading: each shows its training loop rather than calling a helper."""
from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

import tinynet.optim
import tinynet.training

ROOT = Path(__file__).resolve().parent.parent


def test_dropout_overfitting_writes_its_loop_out(no_network_no_data, monkeypatch, capsys):
    def no_fit(*args, **kwargs):
        raise AssertionError("the demo calls fit() instead of showing its loop")
    monkeypatch.setattr(tinynet.training, "fit", no_fit)
    monkeypatch.setattr(tinynet.training, "train_one_epoch", no_fit)
    steps = []
    real_step = tinynet.optim.Adam.step

    def counted_step(self, *args, **kwargs):
        steps.append(1)
        return real_step(self, *args, **kwargs)
    monkeypatch.setattr(tinynet.optim.Adam, "step", counted_step)
    monkeypatch.setenv("TINYNET_DEMO_QUICK", "1")
    monkeypatch.setattr(sys, "argv", ["dropout_overfitting.py"])
    g = runpy.run_path(str(ROOT / "demos" / "dropout_overfitting.py"), run_name="__main__")
    # two runs (without and with dropout) x EPOCHS epochs x one step per batch of 64
    batches = -(-len(g["data"].y_train) // 64)
    assert len(steps) == 2 * g["EPOCHS"] * batches
    assert "train-test gap" in capsys.readouterr().out
    source = (ROOT / "demos" / "dropout_overfitting.py").read_text()
    for line in ("loss.backward()", "optimizer.step()", "optimizer.zero_grad()",
                 "model.train()", "model.eval()"):
        assert line in source


def test_xor_demo_learns_xor_with_binary_cross_entropy(capsys):
    g = runpy.run_path(str(ROOT / "demos" / "xor.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert isinstance(g["loss_fn"], tinynet.nn.BCEWithLogitsLoss)
    assert g["loss"].item() < 0.05 and "step 300" in out and "mean" in out
