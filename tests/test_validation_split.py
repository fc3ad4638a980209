"""compare-dropout chooses its "best epoch" on held-out training images, never on the test set."""
from __future__ import annotations

import json

import numpy as np
import pytest

import tinynet.cli.compare_dropout as cmp_cmd
from tinynet.cli import main
from tinynet.random import manual_seed
from tinynet.training import TrainingError, load_data


@pytest.fixture(autouse=True)
def offline(no_network_no_data):
    pass


def _rows(x: np.ndarray) -> set[bytes]:
    return {img.tobytes() for img in x}


def test_the_validation_split_is_held_out_balanced_and_leaves_the_training_subset_alone():
    manual_seed(0)
    plain = load_data("mnist", download=False, train_size=200, verbose=False)
    manual_seed(0)
    data = load_data("mnist", download=False, train_size=200, val_size=100, verbose=False)
    np.testing.assert_array_equal(plain.x_train, data.x_train)  # same 200 training images
    assert data.x_val.shape == (100, 1, 28, 28) and np.bincount(data.y_val).tolist() == [10] * 10
    assert not _rows(data.x_val) & _rows(data.x_train)
    assert not _rows(data.x_val) & _rows(data.x_test)
    assert "100 held out for validation" in data.describe()
    with pytest.raises(TrainingError, match="--train-size 3900 and --val-size 200"):
        load_data("mnist", download=False, train_size=3900, val_size=200, verbose=False)


def test_compare_dropout_picks_the_best_epoch_on_validation_not_on_test(tmp_path, monkeypatch,
                                                                       capsys):
    monkeypatch.setattr(cmp_cmd, "plot", lambda results, path: False)
    out = tmp_path / "cmp"
    assert main(["compare-dropout", "--train-size", "60", "--val-size", "50", "--epochs", "4",
                 "--batch-size", "20", "--quiet", "--no-download", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "best test accuracy" not in text
    assert "best epoch (validation acc.)" in text
    assert "(best epoch: chosen on 50 validation images held out from the training set" in text
    doc = json.loads((out / "dropout_comparison.json").read_text())
    assert doc["settings"]["val_size"] == 50
    for name in ("no_dropout", "dropout"):
        r, h = doc[name], doc[name]["history"]
        assert len(h["val_acc"]) == 4
        best = int(np.argmax(h["val_acc"]))  # the first of equals, as np.argmax
        assert r["best_epoch"] == h["epoch"][best]
        assert r["best_val_acc"] == h["val_acc"][best]
        assert r["test_acc_at_best"] == h["test_acc"][best]
        assert "best_test_acc" not in r
