"""The command line's training commands: train, compare-dropout, evaluate, and the demos.

Runs are tiny (a few hundred images, 1-2 epochs).  Nothing touches the network:
downloads are replaced by a failure, the data root is an empty temporary folder
and the system data folders are switched off, so MNIST comes from the digits
shipped with tinynet and Fashion-MNIST is missing.
"""
from __future__ import annotations

import csv
import json
import os
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinynet
import tinynet.training as training
from tinynet.cli import main

ROOT = Path(__file__).resolve().parent.parent
TINY = ["--train-size", "50", "--batch-size", "25", "--quiet", "--no-download"]


TEST_IMAGES = 200  # the test split is cut to this many images to keep the tests fast


@pytest.fixture(autouse=True)
def offline(no_network_no_data, monkeypatch):
    """No network, no data files: only the embedded digits (and fewer test images)."""

    real_load_data, real_load_test = training.load_data, training.load_test_split

    def load_data(*args, **kwargs):
        data = real_load_data(*args, **kwargs)
        data.x_test, data.y_test = data.x_test[:TEST_IMAGES], data.y_test[:TEST_IMAGES]
        return data

    def load_test_split(*args, **kwargs):
        x, y, where = real_load_test(*args, **kwargs)
        return x[:TEST_IMAGES], y[:TEST_IMAGES], where

    import tinynet.cli.compare_dropout as cmp_cmd
    import tinynet.cli.evaluate as eval_cmd
    import tinynet.cli.train as train_cmd
    for module in (training, train_cmd, cmp_cmd):
        monkeypatch.setattr(module, "load_data", load_data)
    monkeypatch.setattr(eval_cmd, "load_test_split", load_test_split)


def train(out, *extra):
    return main(["train", *TINY, "--out", str(out), *extra])


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_same_checkpoint(a: dict, b: dict) -> None:
    """Weights, optimizer state and RNG state equal bit for bit; metrics equal but the times."""
    assert a["epoch"] == b["epoch"]
    assert a["model"].keys() == b["model"].keys()
    for k in a["model"]:
        np.testing.assert_array_equal(a["model"][k], b["model"][k], err_msg=k)
    sa, sb = a["optimizer"]["state"], b["optimizer"]["state"]
    assert sa.keys() == sb.keys()
    for i in sa:
        assert sa[i]["step"] == sb[i]["step"]
        np.testing.assert_array_equal(sa[i]["exp_avg"], sb[i]["exp_avg"])
        np.testing.assert_array_equal(sa[i]["exp_avg_sq"], sb[i]["exp_avg_sq"])
    assert a["rng_state"] == b["rng_state"]
    for k in a["history"]:
        if k != "seconds":
            assert a["history"][k] == b["history"][k], k


# --------------------------------------------------------------------------
# Building blocks of tinynet.training
# --------------------------------------------------------------------------
def test_stratified_subset_is_balanced_and_follows_the_seed():
    labels = np.repeat(np.arange(10), [50, 60, 70, 80, 90, 100, 40, 45, 55, 65])
    tinynet.manual_seed(0)
    a = training.stratified_subset(labels, 95)
    tinynet.manual_seed(0)
    b = training.stratified_subset(labels, 95)
    tinynet.manual_seed(1)
    c = training.stratified_subset(labels, 95)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert len(set(a.tolist())) == 95
    counts = np.bincount(labels[a], minlength=10)
    assert counts.min() == 9 and counts.max() == 10  # 95 = 9 per class + 5 classes with 10


def test_random_shift_moves_each_image_by_whole_pixels():
    x = np.zeros((200, 1, 5, 5), dtype=np.float32)
    x[:, 0, 2, 2] = 1.0  # one bright pixel in the centre
    tinynet.manual_seed(0)
    y = training.random_shift(x, 1)
    assert y.shape == x.shape and y.dtype == x.dtype
    assert (y.sum(axis=(1, 2, 3)) == 1).all()  # the pixel moved, nothing else appeared
    rows, cols = np.nonzero(y[:, 0])[1:]
    offsets = set(zip((rows - 2).tolist(), (cols - 2).tolist()))
    assert offsets == {(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)}  # all 9 shifts
    assert training.random_shift(x, 0) is x


def test_the_lr_of_an_epoch_does_not_depend_on_the_planned_total():
    spec = {"name": "adam", "lr": 0.01, "lr_decay": 0.5}
    assert [training.epoch_lr(spec, e) for e in (1, 2, 3)] == [0.01, 0.005, 0.0025]
    assert training.epoch_lr({"name": "sgd", "lr": 0.1}, 7) == 0.1


# --------------------------------------------------------------------------
# python -m tinynet
# --------------------------------------------------------------------------
def test_python_m_tinynet_help_lists_the_commands():
    r = subprocess.run([sys.executable, "-m", "tinynet", "--help"], capture_output=True,
                       text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 0, r.stderr
    for command in ("train", "compare-dropout", "evaluate"):
        assert command in r.stdout


# --------------------------------------------------------------------------
# train and evaluate
# --------------------------------------------------------------------------
def test_train_writes_metrics_and_a_checkpoint_that_evaluate_reads(tmp_path, capsys):
    out = tmp_path / "run"
    assert train(out, "--epochs", "2") == 0
    stdout = capsys.readouterr().out
    assert "epoch 1/2" in stdout and "epoch 2/2" in stdout and "test loss" in stdout

    rows = list(csv.reader((out / "metrics.csv").open()))
    assert rows[0] == ["epoch", "train_loss", "train_acc", "test_loss", "test_acc", "lr",
                       "seconds"]
    assert [r[0] for r in rows[1:]] == ["1", "2"]

    doc = json.loads((out / "metrics.json").read_text())
    assert doc["format"] == "tinynet-metrics" and doc["epochs"] == 2
    assert all(len(v) == 2 for v in doc["history"].values())
    assert 0.0 <= doc["final"]["test_acc"] <= 1.0
    assert doc["config"]["dataset"] == "mnist" and doc["config"]["train_size"] == 50
    assert doc["config"]["data_source"] == "embedded"

    ckpt = tinynet.load(out / "model.npz")
    assert ckpt["kind"] == "tinynet-train" and ckpt["epoch"] == 2
    assert ckpt["config"]["model"]["dropout"] == 0.5
    assert ckpt["config"]["optimizer"]["name"] == "adam"
    assert ckpt["history"]["test_acc"] == doc["history"]["test_acc"]

    # evaluate needs no architecture flags and reproduces the last test numbers
    assert main(["evaluate", "--checkpoint", str(out / "model.npz"), "--no-download"]) == 0
    text = capsys.readouterr().out
    assert f"accuracy {100 * ckpt['history']['test_acc'][-1]:.2f}%" in text
    assert f"test loss {ckpt['history']['test_loss'][-1]:.4f}" in text
    assert f"{TEST_IMAGES} mnist test images" in text


def test_train_options_reach_the_checkpoint(tmp_path):
    out = tmp_path / "run"
    assert train(out, "--epochs", "1", "--optimizer", "sgd", "--lr", "0.02",
                 "--dropout", "0.3", "--seed", "7") == 0
    cfg = tinynet.load(out / "model.npz")["config"]
    assert cfg["optimizer"]["name"] == "sgd" and cfg["optimizer"]["lr"] == 0.02
    assert cfg["model"]["dropout"] == 0.3 and cfg["seed"] == 7 and cfg["batch_size"] == 25


def test_same_seed_same_run_different_seed_different_run(tmp_path):
    for name, seed in (("a", "3"), ("b", "3"), ("c", "4")):
        assert train(tmp_path / name, "--epochs", "1", "--seed", seed) == 0
    a, b, c = (tinynet.load(tmp_path / n / "model.npz") for n in "abc")
    assert_same_checkpoint(a, b)
    assert not np.array_equal(a["model"]["fc1.weight"], c["model"]["fc1.weight"])


def test_resume_continues_bit_for_bit(tmp_path):
    straight, split = tmp_path / "straight", tmp_path / "split"
    assert train(straight, "--epochs", "2") == 0
    assert train(split, "--epochs", "1") == 0
    # --epochs is the total; the settings come from the checkpoint, --out from its folder
    assert main(["train", "--resume", str(split / "model.npz"), "--epochs", "2", "--quiet",
                 "--no-download"]) == 0
    a, b = tinynet.load(straight / "model.npz"), tinynet.load(split / "model.npz")
    assert_same_checkpoint(a, b)
    assert len(list(csv.reader((split / "metrics.csv").open()))) == 3  # header + 2 epochs
    # metrics.json too: epochs stay integers through the checkpoint (not 1.0, 2)
    ja, jb = (json.loads((d / "metrics.json").read_text()) for d in (straight, split))
    assert ja["history"]["epoch"] == [1, 2] and jb["history"]["epoch"] == [1, 2]
    assert all(type(e) is int for e in ja["history"]["epoch"] + jb["history"]["epoch"])


def test_ctrl_c_mid_epoch_keeps_the_last_complete_epoch(tmp_path, monkeypatch, capsys):
    straight, cut = tmp_path / "straight", tmp_path / "cut"
    assert train(straight, "--epochs", "2") == 0

    real = training.train_one_epoch
    calls = []

    def interrupted_in_epoch_2(model, loader, optimizer, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # half an epoch: batches drawn, weights and RNG moved on
            for i, (images, labels) in enumerate(loader):
                loss = tinynet.nn.functional.cross_entropy(model(images), labels)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                if i == 1:
                    raise KeyboardInterrupt
        return real(model, loader, optimizer, *args, **kwargs)

    monkeypatch.setattr(training, "train_one_epoch", interrupted_in_epoch_2)
    assert train(cut, "--epochs", "2") == 130
    err = capsys.readouterr().err
    assert "interrupted" in err and "--resume" in err
    assert tinynet.load(cut / "model.npz")["epoch"] == 1
    monkeypatch.setattr(training, "train_one_epoch", real)

    assert main(["train", "--resume", str(cut / "model.npz"), "--quiet", "--no-download"]) == 0
    assert_same_checkpoint(tinynet.load(straight / "model.npz"),
                           tinynet.load(cut / "model.npz"))


def test_ctrl_c_while_saving_still_leaves_the_finished_epoch(tmp_path, monkeypatch):
    real = training.save_checkpoint
    calls = []

    def interrupted_once(path, ckpt):
        calls.append(1)
        if len(calls) == 1:
            raise KeyboardInterrupt
        real(path, ckpt)

    import tinynet.cli.train as train_cmd
    monkeypatch.setattr(train_cmd, "save_checkpoint", interrupted_once)
    assert train(tmp_path / "run", "--epochs", "3") == 130
    assert tinynet.load(tmp_path / "run" / "model.npz")["epoch"] == 1


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")
def test_a_real_ctrl_c_exits_130_with_a_loadable_checkpoint(tmp_path):
    import signal
    import time
    out = tmp_path / "run"
    env = dict(os.environ, TINYNET_DATA=str(tmp_path / "empty-data-root"))
    # --no-download: the child process has none of this file's monkeypatches
    child = subprocess.Popen([sys.executable, "-m", "tinynet", "train", *TINY, "--epochs",
                              "1000", "--out", str(out)], cwd=tmp_path, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (out / "model.npz").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (out / "model.npz").exists(), "no checkpoint within 60 s"
        child.send_signal(signal.SIGINT)
        stdout, stderr = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    ckpt = tinynet.load(out / "model.npz")
    assert 1 <= ckpt["epoch"] < 1000
    assert len(json.loads((out / "metrics.json").read_text())["history"]["epoch"]) >= 1


def test_train_never_replaces_an_earlier_run_unless_asked(tmp_path, capsys):
    out = tmp_path / "run"
    assert train(out, "--epochs", "1") == 0
    before = (out / "model.npz").read_bytes()
    capsys.readouterr()
    assert train(out, "--epochs", "1", "--seed", "1") == 2      # refused: the run is kept
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--resume" in err and "--overwrite" in err
    assert (out / "model.npz").read_bytes() == before
    assert train(out, "--epochs", "1", "--seed", "1", "--overwrite") == 0
    assert tinynet.load(out / "model.npz")["config"]["seed"] == 1


# --------------------------------------------------------------------------
# compare-dropout
# --------------------------------------------------------------------------
def compare(out, *extra):
    return main(["compare-dropout", "--train-size", "100", "--epochs", "2", "--batch-size",
                 "25", "--quiet", "--no-download", "--out", str(out), *extra])


def check_comparison_files(out: Path) -> dict:
    rows = list(csv.reader((out / "dropout_comparison.csv").open()))
    assert rows[0] == ["run", "dropout", "conv_dropout", "epoch", "train_loss", "train_acc",
                       "test_loss", "test_acc", "lr", "seconds", "val_loss", "val_acc"]
    assert [(r[0], r[3]) for r in rows[1:]] == [("no_dropout", "1"), ("no_dropout", "2"),
                                                ("dropout", "1"), ("dropout", "2")]
    doc = json.loads((out / "dropout_comparison.json").read_text())
    for name in ("no_dropout", "dropout"):
        run = doc[name]
        for key in ("train_acc", "test_acc", "train_loss", "test_loss"):
            assert isinstance(run[key], float)
            assert run[key] == run["history"][key][-1]
            assert len(run["history"][key]) == 2
        assert 0 <= run["train_acc"] <= 1 and 0 <= run["test_acc"] <= 1
        assert run["gap"] == pytest.approx(run["train_acc"] - run["test_acc"])
    assert doc["no_dropout"]["dropout"] == 0.0 and doc["dropout"]["dropout"] == 0.5
    return doc


def test_compare_dropout_writes_table_csv_json_and_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "cmp"
    assert compare(out) == 0
    text = capsys.readouterr().out
    for row in ("final test accuracy", "best epoch (validation acc.)",
                "test accuracy at best epoch", "train-test gap", "final test loss"):
        assert row in text
    doc = check_comparison_files(out)
    png = (out / "dropout_comparison.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    # the two runs start from the same weights: same data, same seed, only dropout differs
    assert doc["no_dropout"]["config"]["seed"] == doc["dropout"]["config"]["seed"]
    # a second run over the same folder replaces what the first one wrote only when asked
    before = snapshot(out)
    assert compare(out, "--seed", "1", "--epochs", "1") == 2
    assert "--overwrite" in capsys.readouterr().err
    assert snapshot(out) == before
    assert compare(out, "--seed", "1", "--epochs", "1", "--overwrite") == 0
    assert snapshot(out) != before


def test_compare_dropout_without_matplotlib_still_writes_csv_and_json(tmp_path, monkeypatch,
                                                                      capsys):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    out = tmp_path / "cmp"
    assert compare(out) == 0
    text = capsys.readouterr().out
    # PyPI's "tinynet" is another project: the hint must not send users there
    assert "pip install matplotlib" in text and "tinynet[plot]" not in text
    check_comparison_files(out)
    assert not (out / "dropout_comparison.png").exists()


def test_compare_dropout_without_matplotlib_removes_the_earlier_runs_plot(tmp_path,
                                                                          monkeypatch):
    out = tmp_path / "cmp"
    out.mkdir()
    earlier = out / "dropout_comparison.png"  # as an earlier run with matplotlib left it
    earlier.write_bytes(b"\x89PNG\r\n\x1a\n" + b"tinynet compare-dropout, an earlier run")
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert compare(out, "--overwrite") == 0
    check_comparison_files(out)
    assert not earlier.exists()  # no plot of another run beside this run's numbers


def test_the_two_compared_runs_start_from_the_same_weights(monkeypatch, tmp_path):
    seen = []
    real = training.new_run

    def spy(config):
        run = real(config)
        seen.append(run.model.state_dict())
        return run

    import tinynet.cli.compare_dropout as cmp_cmd
    monkeypatch.setattr(cmp_cmd, "new_run", spy)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert compare(tmp_path / "cmp", "--epochs", "1") == 0
    assert len(seen) == 2
    for k in seen[0]:
        np.testing.assert_array_equal(seen[0][k], seen[1][k])


# --------------------------------------------------------------------------
# User errors: one line, exit code 2, nothing written or overwritten
# --------------------------------------------------------------------------
def _corrupt(p: Path) -> None:
    p.write_bytes(b"PK\x03\x04 this is not really a zip archive")


def _foreign_npz(p: Path) -> None:
    with open(p, "wb") as f:
        np.savez(f, weights=np.ones(3))


ERROR_CASES = {
    "dropout too large": (["train", "--dropout", "1.5"], None),
    "zero epochs": (["train", "--epochs", "0"], None),
    "negative batch size": (["train", "--batch-size", "-1"], None),
    "zero learning rate": (["train", "--lr", "0"], None),
    "non-numeric lr": (["train", "--lr", "fast"], None),
    "negative seed": (["train", "--seed", "-1"], None),
    "zero train size": (["train", "--train-size", "0"], None),
    "unknown dataset": (["train", "--dataset", "cifar10"], None),
    "unknown optimizer": (["train", "--optimizer", "rmsprop"], None),
    "compare: dropout 1": (["compare-dropout", "--dropout", "1"], None),
    "compare: zero epochs": (["compare-dropout", "--epochs", "0"], None),
    "compare: no dropout at all": (["compare-dropout", "--dropout", "0", "--conv-dropout", "0"],
                                   None),
    "fashion-mnist files missing": (["train", "--dataset", "fashion-mnist", "--data-dir",
                                     "{tmp}/empty", "--no-download", "--quiet"],
                                    lambda t: (t / "empty").mkdir()),
    "evaluate fashion-mnist missing": (["evaluate", "--checkpoint", "{tmp}/good/model.npz",
                                        "--dataset", "fashion-mnist", "--no-download"], "good"),
    "train size beyond the data": (["train", "--train-size", "4001", "--quiet",
                                    "--no-download"], None),
    "checkpoint missing": (["evaluate", "--checkpoint", "{tmp}/nothing.npz"], None),
    "checkpoint is a folder": (["evaluate", "--checkpoint", "{tmp}"], None),
    "checkpoint corrupt": (["evaluate", "--checkpoint", "{tmp}/bad.npz"],
                           lambda t: _corrupt(t / "bad.npz")),
    "checkpoint truncated": (["evaluate", "--checkpoint", "{tmp}/cut.npz"], "truncated"),
    "checkpoint from numpy": (["evaluate", "--checkpoint", "{tmp}/np.npz"],
                              lambda t: _foreign_npz(t / "np.npz")),
    "checkpoint not a train one": (["evaluate", "--checkpoint", "{tmp}/other.npz"],
                                   lambda t: tinynet.save({"a": 1}, t / "other.npz")),
    "resume corrupt": (["train", "--resume", "{tmp}/bad.npz"],
                       lambda t: _corrupt(t / "bad.npz")),
    "resume with another lr": (["train", "--resume", "{tmp}/good/model.npz", "--epochs", "3",
                                "--lr", "0.5"], "good"),
    "resume already done": (["train", "--resume", "{tmp}/good/model.npz", "--epochs", "1"],
                            "good"),
    "out is a file": (["train", "--out", "{tmp}/file.txt"],
                      lambda t: (t / "file.txt").write_text("mine\n")),
    "out holds a foreign metrics.csv": (["train", "--out", "{tmp}/mine"], "foreign"),
    "out holds a foreign checkpoint": (["train", "--out", "{tmp}/mine2"], "foreign-ckpt"),
    "compare: out is a file": (["compare-dropout", "--out", "{tmp}/file.txt"],
                               lambda t: (t / "file.txt").write_text("mine\n")),
    "compare: foreign png": (["compare-dropout", "--out", "{tmp}/pics"], "foreign-png"),
}


def _setup(kind, tmp: Path) -> None:
    if kind is None:
        return
    if callable(kind):
        kind(tmp)
    elif kind in ("good", "truncated"):
        assert main(["train", *TINY, "--train-size", "50", "--epochs", "1", "--out",
                     str(tmp / "good")]) == 0
        if kind == "truncated":
            data = (tmp / "good" / "model.npz").read_bytes()
            (tmp / "cut.npz").write_bytes(data[:len(data) // 2])
    elif kind == "foreign":
        (tmp / "mine").mkdir()
        (tmp / "mine" / "metrics.csv").write_text("my,own,numbers\n1,2,3\n")
    elif kind == "foreign-ckpt":
        (tmp / "mine2").mkdir()
        _foreign_npz(tmp / "mine2" / "model.npz")
    elif kind == "foreign-png":
        (tmp / "pics").mkdir()
        (tmp / "pics" / "dropout_comparison.png").write_bytes(b"\x89PNG\r\n\x1a\nholiday")


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_user_errors_exit_2_with_one_line_and_change_nothing(case, tmp_path, capsys):
    argv, setup = ERROR_CASES[case]
    _setup(setup, tmp_path)
    capsys.readouterr()
    before = snapshot(tmp_path)
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    with pytest.raises(SystemExit) as exc:  # argparse errors exit; run() errors return
        raise SystemExit(main(argv))
    assert exc.value.code == 2
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "error" in lines[0], err
    assert "Traceback" not in err
    assert snapshot(tmp_path) == before
    assert not (tmp_path / "runs").exists()


# --------------------------------------------------------------------------
# Demos (quick variants)
# --------------------------------------------------------------------------
@pytest.mark.parametrize("demo", ["conv_by_hand.py", "train_mnist_cnn.py",
                                  "dropout_overfitting.py"])
def test_demo_runs(demo, monkeypatch, capsys):
    monkeypatch.setenv("TINYNET_DEMO_QUICK", "1")
    monkeypatch.setattr(sys, "argv", [demo])
    runpy.run_path(str(ROOT / "demos" / demo), run_name="__main__")
    out = capsys.readouterr().out
    expected = {"conv_by_hand.py": "O22 = X22W11 + X23W12 + X32W21 + X33W22",
                "train_mnist_cnn.py": "epoch 1: train loss",
                "dropout_overfitting.py": "train-test gap"}[demo]
    assert expected in out


def test_a_loss_that_becomes_nan_stops_train_naming_epoch_and_batch(tmp_path, monkeypatch, capsys):
    """Guard rail: a diverging run stops at once with the epoch and batch, exit 2, and the
    checkpoint of the last finished epoch is what stays on disk."""
    real_forward = tinynet.nn.Linear.forward
    calls = {"n": 0}
    batches_per_epoch = -(-200 // 50)

    def poisoned(self, x):
        out = real_forward(self, x)
        if self.out_features == 10 and tinynet.is_grad_enabled():
            calls["n"] += 1
            if calls["n"] == batches_per_epoch + 3:  # epoch 2, batch 3
                return out * float("nan")
        return out

    monkeypatch.setattr(tinynet.nn.Linear, "forward", poisoned)
    out = tmp_path / "run"
    code = main(["train", "--epochs", "3", "--train-size", "200", "--batch-size", "50",
                 "--quiet", "--no-download", "--out", str(out)])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "epoch 2, batch 3" in err[0] and "nan" in err[0]
    assert tinynet.load(out / "model.npz")["epoch"] == 1
