"""The command line as a newcomer meets it, run as a user runs it: ``python -m tinynet ...``
in a fresh process, judged by its exit code, the first line of stderr and the absence of a
traceback.  Nothing touches the network (``--no-download`` or no data needed) and the
default data folder is an empty temporary one.
"""
from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest


def tinynet(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, TINYNET_DATA=str(cwd / "empty-data-root"), COLUMNS="100")
    done = subprocess.run([sys.executable, "-m", "tinynet", *args], cwd=cwd, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=300)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def first_line(text: str) -> str:
    return text.splitlines()[0] if text else ""


# ---------------------------------------------------------------- a mistyped flag
@pytest.mark.parametrize("argv, line, usage", [
    (["train", "--epocs", "3"],
     "tinynet train: error: unknown flag --epocs; did you mean --epochs?",
     "usage: tinynet train [-h]"),
    (["compare-dropout", "--epochs=3", "--dropuot=0.3"],
     "tinynet compare-dropout: error: unknown flag --dropuot; did you mean --dropout?",
     "usage: tinynet compare-dropout [-h]"),
    (["explain", "dropout", "--q", "0.3"],
     "tinynet explain dropout: error: unknown flag --q; did you mean --p?",
     "usage: tinynet explain dropout [-h] [--p P]"),
    (["gradcheck", "--onyl", "exp"],
     "tinynet gradcheck: error: unknown flag --onyl; did you mean --only?",
     "usage: tinynet gradcheck [-h] [--only TEXT]"),
    (["train", "--zzzzzz"], "tinynet train: error: unknown flag --zzzzzz",
     "usage: tinynet train [-h]"),
])
def test_an_unknown_flag_gives_a_suggestion_and_the_commands_usage(tmp_path, argv, line,
                                                                    usage):
    done = tinynet(tmp_path, *argv)
    assert done.returncode == 2
    assert first_line(done.stderr) == line
    assert done.stderr.splitlines()[1].startswith(usage)
    assert done.stdout == "" and not (tmp_path / "runs").exists()


# ---------------------------------------------------------------- --data-dir
def test_a_data_dir_you_name_without_the_files_stops_with_its_name(tmp_path):
    folder = tmp_path / "my-mnsit"  # a typo
    done = tinynet(tmp_path, "train", "--data-dir", str(folder), "--no-download",
                   "--epochs", "1", "--train-size", "20")
    assert done.returncode == 2
    line = first_line(done.stderr)
    assert line.startswith(f"tinynet: error: no mnist training files in --data-dir {folder}, "
                           f"and --no-download is set; put train-images-idx3-ubyte.gz and ")
    assert line.endswith("; the embedded digits stand in only without --data-dir")
    assert len(done.stderr.splitlines()) == 1
    # the message names the command line's flags, not the Python API's arguments
    assert "--data-dir" in line and "download=" not in line and "root=" not in line
    assert not (tmp_path / "runs").exists() and not folder.exists()


def test_the_default_data_folder_still_falls_back_to_the_embedded_digits(tmp_path):
    done = tinynet(tmp_path, "train", "--no-download", "--epochs", "1", "--train-size", "20",
                   "--batch-size", "20")
    assert done.returncode == 0, done.stderr
    notice = first_line(done.stderr)
    assert notice.startswith("tinynet: no MNIST files in ") and "embedded digits" in notice
    assert "download=False" not in notice and "downloading is off" in notice


# ---------------------------------------------------------------- --resume
def test_resuming_a_finished_run_says_so_in_words_that_fit(tmp_path):
    assert tinynet(tmp_path, "train", "--no-download", "--quiet", "--epochs", "1",
                   "--train-size", "20", "--batch-size", "20").returncode == 0
    ckpt = os.path.join("runs", "train", "model.npz")
    done = tinynet(tmp_path, "train", "--resume", ckpt, "--no-download")
    assert done.returncode == 2
    assert first_line(done.stderr) == (
        f"tinynet: error: the run in {ckpt} is finished: it has done all 1 epoch it was asked "
        f"for; to train on, give --epochs with a larger total, e.g. --epochs 11 for 10 more")
    done = tinynet(tmp_path, "train", "--resume", ckpt, "--epochs", "1", "--no-download")
    assert done.returncode == 2
    assert first_line(done.stderr) == (
        f"tinynet: error: --epochs 1 is the total number of epochs, and the run in {ckpt} has "
        f"already done 1 epoch; ask for more than 1, e.g. --epochs 11 for 10 more")


# ---------------------------------------------------------------- gradcheck
def test_the_gradcheck_table_fits_100_columns(tmp_path):
    done = tinynet(tmp_path, "gradcheck")
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert max(len(ln) for ln in lines) <= 100
    # a wrapped cell continues on the next line, below its own column
    start = next(i for i, ln in enumerate(lines) if "conv2d 2x3 kernel" in ln)
    assert lines[start].endswith("PASS") and not lines[start + 1].endswith("PASS")
    assert "padding (1,0)" in lines[start + 1] and "padding=(1,0)" in lines[start + 1]


def test_the_second_order_table_fits_100_columns_too(capsys):
    from tinynet.cli import main
    assert main(["gradcheck", "--second-order", "--only", "layers"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "2nd order" in lines[0] and max(len(ln) for ln in lines) <= 100


# ---------------------------------------------------------------- explain dropout --p
@pytest.mark.parametrize("p", [0.3, 0.5, 0.8])
def test_explain_dropout_derives_its_sentences_from_p(tmp_path, p):
    done = tinynet(tmp_path, "explain", "dropout", "--p", str(p))
    assert done.returncode == 0
    out = done.stdout
    keep = 1 - p
    assert f"its keep = {keep:g} is this same dropout" in out
    assert f"1 - p = {keep:g}, 0 (dropped) with probability p = {p:g}" in out
    phi = 0.5 * (1 + math.erf(keep / math.sqrt(2)))
    assert f"Phi(keep) = Phi({keep:g}) = {100 * phi:.1f}%" in out
    assert "keep = 0.8 is tinynet's p = 0.2" not in out  # the old fixed sentence
    # p is always the drop probability: a sentence about the course's keep probability
    # does not use the letter p for it
    text = " ".join(out.split())
    for sentence in text.split(". "):
        if "keep =" in sentence or "Phi(" in sentence:
            assert " p " not in f" {sentence} " and "(p)" not in sentence, sentence
