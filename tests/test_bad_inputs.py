"""User errors in the command line, the data files and the Python API.

Each is met with one clear line (or exception), never a traceback, a silent wrong
result or a lost file.
Nothing touches the network: downloads fail at once, the data root is a temporary folder
and the system data folders are switched off unless a test fills them itself.
"""
from __future__ import annotations

import shlex
import struct
import warnings
from pathlib import Path

import numpy as np
import pytest

import tinynet
import tinynet.nn as nn
import tinynet.training as training
from tinynet import optim, viz
from tinynet.cli import main
from tinynet.data import (DataLoader, DatasetError, TensorDataset,
                          load_embedded_mnist, read_idx, write_idx)
from tinynet.data import datasets as ds_mod
from tinynet.training import TrainingError

QUIET = ["--quiet", "--no-download"]


@pytest.fixture(autouse=True)
def offline(no_network_no_data):
    pass


def write_split(folder: Path, train: bool, n: int) -> None:
    """n embedded digits as the standard IDX files of one split (gzip)."""
    folder.mkdir(parents=True, exist_ok=True)
    ds = load_embedded_mnist(train)
    prefix = "train" if train else "t10k"
    write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", ds.data[:n])
    write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", ds.targets[:n].astype(np.uint8))


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# --------------------------------------------------------------------------
# Data files
# --------------------------------------------------------------------------
def test_idx_header_whose_size_overflows_int64_is_a_dataset_error(tmp_path):
    # dims 2**31 x 2**31 x 28: numpy's int64 product wraps to 0, so an empty payload "fit"
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(struct.pack(">BBBB", 0, 0, 8, 3) + struct.pack(">III", 2**31, 2**31, 28))
    with pytest.raises(DatasetError, match="truncated"):
        read_idx(path)


@pytest.mark.parametrize("empty_split", ["train", "test"])
def test_a_split_with_no_images_is_a_one_line_error(empty_split, tmp_path, capsys):
    data = tmp_path / "data"
    write_split(data, True, 0 if empty_split == "train" else 100)
    write_split(data, False, 0 if empty_split == "test" else 50)
    code = main(["train", "--epochs", "1", "--data-dir", str(data), "--out",
                 str(tmp_path / "run"), *QUIET])
    assert code == 2  # was ZeroDivisionError
    assert "holds no images" in one_error_line(capsys)
    assert not (tmp_path / "run").exists()


def test_evaluate_on_an_empty_test_split_is_a_one_line_error(good_run, tmp_path, capsys):
    data = tmp_path / "data"
    write_split(data, False, 0)
    assert main(["evaluate", "--checkpoint", str(good_run), "--data-dir", str(data),
                 "--no-download"]) == 2
    assert "holds no images" in one_error_line(capsys)


def test_train_and_test_split_never_come_from_different_folders(tmp_path, monkeypatch):
    # --data-dir holds only the training files; the system folder has both splits: the
    # test split used to come silently from the system folder
    mine, system = tmp_path / "mine", tmp_path / "system"
    write_split(mine, True, 200)
    write_split(system, True, 100)
    write_split(system, False, 100)
    monkeypatch.setitem(ds_mod.SYSTEM_DIRS, "fashion-mnist", [str(system)])
    with pytest.raises(TrainingError, match="one folder"):
        training.load_data("fashion-mnist", str(mine), download=False)
    data = training.load_data("fashion-mnist", str(system), download=False)  # still fine
    assert len(data.y_train) == 100 and len(data.y_test) == 100


def test_missing_files_message_names_the_command_line_flag(tmp_path, capsys):
    assert main(["train", "--dataset", "fashion-mnist", "--data-dir", str(tmp_path),
                 *QUIET]) == 2
    assert "--data-dir" in one_error_line(capsys)  # was only "pass root="


# --------------------------------------------------------------------------
# Checkpoints and the command line
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def good_run(tmp_path_factory):
    """One epoch on 20 embedded digits (an empty default data folder and no download:
    offline; a --data-dir without the files would be an error)."""
    tmp = tmp_path_factory.mktemp("good")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TINYNET_DATA", str(tmp / "empty"))
        assert main(["train", "--epochs", "1", "--train-size", "20", "--batch-size", "20",
                     "--out", str(tmp / "run"), *QUIET]) == 0
    return tmp / "run" / "model.npz"


@pytest.mark.parametrize("part, key, value, expected", [
    ("config", "seed", -5, "bad seed -5"),            # was ValueError from manual_seed
    ("config", "batch_size", 0, "bad batch_size 0"),  # was ValueError from DataLoader
    ("config", "epochs", "x", "bad epochs 'x'"),      # was TypeError comparing str and int
    ("optimizer", "lr_decay", "x", "bad lr_decay"),   # was ValueError formatting a line
    ("history", "epoch", None, "lacks the entry 'epoch'"),  # was just: ... together: 'epoch'
])
def test_resume_from_a_tampered_checkpoint_is_a_one_line_error(part, key, value, expected,
                                                               good_run, tmp_path, capsys):
    ckpt = tinynet.load(good_run)
    if part == "config":
        ckpt["config"][key] = value
    elif part == "optimizer":
        ckpt["config"]["optimizer"][key] = value
    else:
        del ckpt["history"][key]
    bad = tmp_path / "bad" / "model.npz"
    bad.parent.mkdir()
    tinynet.save(ckpt, bad)
    before = bad.read_bytes()
    more = [] if key == "epochs" else ["--epochs", "2"]  # without it: the saved total
    assert main(["train", "--resume", str(bad), *more, *QUIET]) == 2
    assert expected in one_error_line(capsys)
    assert bad.read_bytes() == before


def test_ctrl_c_hint_is_a_command_that_works(tmp_path, monkeypatch, capsys):
    data = tmp_path / "my data"  # a space: the hint must quote it
    write_split(data, True, 100)
    write_split(data, False, 50)
    real, calls = training.train_one_epoch, []

    def interrupted_in_epoch_2(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(training, "train_one_epoch", interrupted_in_epoch_2)
    assert main(["train", "--epochs", "2", "--batch-size", "50", "--data-dir", str(data),
                 "--out", str(tmp_path / "run"), *QUIET]) == 130
    err = capsys.readouterr().err
    hint = shlex.split(err.split("continue with: ")[1].strip())
    assert hint[0] == "tinynet" and "--data-dir" in hint  # the checkpoint does not know it
    monkeypatch.setattr(training, "train_one_epoch", real)
    assert main(hint[1:] + QUIET) == 0
    assert tinynet.load(tmp_path / "run" / "model.npz")["epoch"] == 2


def test_empty_out_is_refused_instead_of_writing_into_the_current_folder(tmp_path, capsys):
    assert main(["train", "--epochs", "1", "--train-size", "20", "--out", "", *QUIET]) == 2
    assert "--out" in one_error_line(capsys)
    assert not (tmp_path / "model.npz").exists()


def test_a_diverging_run_prints_no_numpy_warnings(tmp_path, capsys):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code = main(["train", "--epochs", "1", "--train-size", "200", "--batch-size", "50",
                     "--optimizer", "sgd", "--lr", "1e12", "--out", str(tmp_path / "r"),
                     *QUIET])
    assert code == 2
    assert "nan" in one_error_line(capsys)
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]


def test_explain_conv2d_refuses_sizes_that_need_gigabytes(monkeypatch, capsys):
    import tinynet.cli.explain as explain_cmd

    def must_not_run(*args, **kwargs):  # 16x16, kernel 1x1, padding 16 needed 10 GiB
        raise AssertionError("explain_conv2d ran")
    monkeypatch.setattr(explain_cmd, "explain_conv2d", must_not_run)
    assert main(["explain", "conv2d", "--input", "16x16", "--kernel", "1x1",
                 "--padding", "16"]) == 2
    assert "MiB" in one_error_line(capsys)


@pytest.fixture
def no_svg(monkeypatch):
    monkeypatch.setattr(viz.shutil, "which", lambda name: None)


def test_graph_never_overwrites_a_file_it_did_not_write(tmp_path, capsys, no_svg):
    (tmp_path / "notes.dot").write_text("digraph mine { a -> b }\n")
    (tmp_path / "pic.svg").write_text("<svg>my drawing</svg>\n")
    (tmp_path / "folder.dot").mkdir()
    for out in ("notes.dot", "pic.dot", "folder.dot"):
        assert main(["graph", "--out", out, "--batch-size", "1"]) == 2
        one_error_line(capsys)
    assert (tmp_path / "notes.dot").read_text() == "digraph mine { a -> b }\n"
    assert (tmp_path / "pic.svg").read_text() == "<svg>my drawing</svg>\n"
    assert not (tmp_path / "pic.dot").exists()
    # its own file it replaces when asked (the rule of every command's outputs)
    assert main(["graph", "--out", "g.dot", "--batch-size", "1"]) == 0
    assert main(["graph", "--out", "g.dot", "--batch-size", "1"]) == 2
    assert "--overwrite" in one_error_line(capsys)
    assert main(["graph", "--out", "g.dot", "--batch-size", "1", "--overwrite"]) == 0


# --------------------------------------------------------------------------
# Python API
# --------------------------------------------------------------------------
def test_numpy_scalars_are_numbers_for_layer_and_loss_settings():
    bn = nn.BatchNorm2d(3, eps=np.float32(1e-3), momentum=np.float32(0.1))
    assert bn.eps == pytest.approx(1e-3) and bn.momentum == pytest.approx(0.1)
    assert nn.CrossEntropyLoss(label_smoothing=np.float32(0.1)).label_smoothing \
        == pytest.approx(0.1)
    assert nn.init.calculate_gain("leaky_relu", np.float32(0.2)) == pytest.approx(
        nn.init.calculate_gain("leaky_relu", 0.2))
    for bad in (True, "0.1", 0, float("nan")):  # still refused (regression guard)
        with pytest.raises(ValueError, match="eps"):
            nn.BatchNorm2d(3, eps=bad)


@pytest.mark.parametrize("kwargs", [{"shuffle": "no"}, {"shuffle": 0.5},
                                    {"drop_last": "no"}, {"drop_last": 1}])
def test_dataloader_flags_must_be_bools(kwargs):
    ds = TensorDataset(np.zeros((5, 2)))
    name = next(iter(kwargs))
    with pytest.raises(TypeError, match=name):
        DataLoader(ds, batch_size=2, **kwargs)


def test_dataloader_shuffle_none_is_pytorchs_default():
    assert DataLoader(TensorDataset(np.zeros((5, 2))), batch_size=2, shuffle=None).shuffle \
        is False


@pytest.mark.parametrize("key, value", [("step", "x"), ("exp_avg", np.ones(3, complex)),
                                        ("exp_avg_sq", None)])
def test_optimizer_state_with_non_numbers_is_refused_when_loaded(key, value):
    p = nn.Parameter(np.ones(3, np.float32))
    opt = optim.Adam([p])
    p.grad = tinynet.tensor(np.ones(3, np.float32))
    opt.step()
    sd = opt.state_dict()
    sd["state"][0][key] = value
    fresh = optim.Adam([nn.Parameter(np.ones(3, np.float32))])
    with pytest.raises(ValueError, match=key):  # used to fail only later, inside step()
        fresh.load_state_dict(sd)
    assert fresh.state == {}


def test_writing_into_a_missing_folder_names_the_file_not_a_temporary_one(tmp_path):
    target = tmp_path / "no-such-folder" / "train-images-idx3-ubyte"
    with pytest.raises(FileNotFoundError) as e:
        write_idx(target, np.zeros((1, 28, 28), np.uint8))
    assert e.value.filename == str(target) and ".part" not in str(e.value)


def test_pytorch_spellings_that_are_accepted():
    from tinynet.data import DataLoader, TensorDataset
    ds = TensorDataset(np.zeros((4, 2), np.float32), np.arange(4))
    assert len(DataLoader(ds, batch_size=2, num_workers=0)) == 2
    assert len(DataLoader(ds, batch_size=2, num_workers=2, pin_memory=True)) == 2  # in-process
    with pytest.raises(ValueError, match="num_workers must be an int >= 0"):
        DataLoader(ds, batch_size=2, num_workers=-1)
    p = tinynet.nn.Parameter(np.zeros(3, np.float32))
    tinynet.optim.Adam([p], betas=np.array([0.8, 0.9]))          # torch accepts an array
    with pytest.raises(TypeError, match="cannot store 'object'"):
        tinynet.save({"x": object()}, "/nonexistent/never-written.npz")


def test_a_torch_tensor_passed_by_mistake_is_named_as_torchs():
    # "expected a Tensor, got Tensor" said nothing; a PyTorch user mixing the two libraries
    # must see which Tensor it was
    torch = pytest.importorskip("torch")
    t = torch.ones(2, 3)
    model = tinynet.nn.Linear(3, 4)
    for call in (lambda: model(t), lambda: tinynet.nn.functional.relu(t),
                 lambda: tinynet.tensor([1.0]) + t):
        with pytest.raises(TypeError, match=r"torch\.Tensor"):
            call()
