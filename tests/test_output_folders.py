"""Nothing lost: one run per output folder, earlier outputs kept, OS errors in one line,
special files refused, litter cleaned up, Ctrl-C at any moment, BLAS conditions recorded.

Runs are tiny (20-40 embedded digits, 1-2 epochs) and offline.  Where two processes or a
kill are the point, they are real processes.
"""
from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import tinynet
from tinynet import _atomic, _blas, serialization
from tinynet._files import LOCK_NAME, lock_folder
from tinynet.cli import main

ROOT = Path(__file__).resolve().parent.parent
TINY = ["--train-size", "20", "--batch-size", "20", "--quiet", "--no-download"]


@pytest.fixture(autouse=True)
def offline(no_network_no_data, monkeypatch):
    """No network, no data files: the embedded digits, of which 100 test images."""
    import tinynet.cli.compare_dropout as cmp_cmd
    import tinynet.cli.train as train_cmd
    import tinynet.training as training
    real = training.load_data

    def load_data(*args, **kwargs):
        data = real(*args, **kwargs)
        data.x_test, data.y_test = data.x_test[:100], data.y_test[:100]
        return data
    for module in (train_cmd, cmp_cmd):
        monkeypatch.setattr(module, "load_data", load_data)


def train(out, *extra):
    return main(["train", *TINY, "--out", str(out), *extra])


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("tinynet: error: "), lines[0]
    return lines[0]


def child_env(tmp_path: Path, **extra: str) -> dict:
    return dict(os.environ, PYTHONPATH=str(ROOT), TINYNET_DATA=str(tmp_path / "no-data"),
                **extra)


# --------------------------------------------------------------------------
# 1. A resume never replaces another run's model
# --------------------------------------------------------------------------
def test_a_resume_into_another_runs_folder_is_refused_unless_overwrite(tmp_path, capsys):
    a, b = tmp_path / "A", tmp_path / "B"
    assert train(a, "--epochs", "1") == 0
    assert train(b, "--epochs", "1", "--seed", "1") == 0
    before = (a / "model.npz").read_bytes()
    capsys.readouterr()
    assert main(["train", "--resume", str(b / "model.npz"), "--epochs", "2", "--out", str(a),
                 *TINY[-2:]]) == 2
    line = one_error_line(capsys)
    assert "another run" in line and "--overwrite" in line
    assert (a / "model.npz").read_bytes() == before
    assert main(["train", "--resume", str(b / "model.npz"), "--epochs", "2", "--out", str(a),
                 "--overwrite", *TINY[-2:]]) == 0
    assert tinynet.load(a / "model.npz")["config"]["seed"] == 1


def test_a_resume_may_replace_its_own_run_but_not_a_later_state_of_it(tmp_path, capsys):
    a, copy = tmp_path / "A", tmp_path / "copy"
    assert train(a, "--epochs", "1") == 0
    copy.mkdir()
    (copy / "model.npz").write_bytes((a / "model.npz").read_bytes())  # a backup, epoch 1
    # the same run, from a copy, into its own folder: its continuation may replace it
    assert main(["train", "--resume", str(copy / "model.npz"), "--epochs", "2", "--out",
                 str(a), *TINY[-2:]]) == 0
    assert tinynet.load(a / "model.npz")["epoch"] == 2
    capsys.readouterr()
    # but epoch 1 of it would replace epoch 2: refused
    before = (a / "model.npz").read_bytes()
    assert main(["train", "--resume", str(copy / "model.npz"), "--epochs", "3", "--out",
                 str(a), *TINY[-2:]]) == 2
    assert "further on" in one_error_line(capsys)
    assert (a / "model.npz").read_bytes() == before


# --------------------------------------------------------------------------
# 2. One process per output folder
# --------------------------------------------------------------------------
HOLD = """
import sys, time
from pathlib import Path
import tinynet.cli.train as train_cmd
real_fit = train_cmd.fit
def fit(*args, **kwargs):  # hold the folder until the test says go
    Path(sys.argv[1]).write_text("training")
    while not Path(sys.argv[2]).exists():
        time.sleep(0.02)
    return real_fit(*args, **kwargs)
train_cmd.fit = fit
from tinynet.cli import main
sys.exit(main(sys.argv[3:]))
"""


def test_two_train_processes_on_one_folder_the_second_stops_at_once(tmp_path, capsys):
    out, started, go = tmp_path / "run", tmp_path / "started", tmp_path / "go"
    first = subprocess.Popen([sys.executable, "-c", HOLD, str(started), str(go), "train",
                              *TINY, "--epochs", "1", "--out", str(out)],
                             env=child_env(tmp_path), cwd=tmp_path,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not started.exists() and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert started.exists(), first.communicate()
        t0 = time.monotonic()
        assert train(out, "--epochs", "1", "--seed", "1") == 2  # a second process: this one
        assert time.monotonic() - t0 < 5
        line = one_error_line(capsys)
        assert f"PID {first.pid}" in line and str(out) in line, line
        assert not (out / "model.npz").exists()  # the second one wrote nothing
        go.write_text("go")
        stdout, stderr = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, stderr
    assert "wrote" in stdout
    assert tinynet.load(out / "model.npz")["config"]["seed"] == 0  # the first run's model
    assert not (out / LOCK_NAME).exists()  # released and removed at the end


@pytest.mark.parametrize("command", ["compare-dropout", "graph"])
def test_compare_dropout_and_graph_take_the_same_lock(tmp_path, capsys, command):
    folder = tmp_path / "out"
    folder.mkdir()
    argv = (["compare-dropout", "--train-size", "20", "--epochs", "1", "--quiet",
             "--no-download", "--out", str(folder)] if command == "compare-dropout"
            else ["graph", "--out", str(folder / "g.dot"), "--batch-size", "1"])
    with lock_folder(folder):  # as another process would hold it (flock: per open file)
        assert main(argv) == 2
        assert f"PID {os.getpid()}" in one_error_line(capsys)
    assert sorted(os.listdir(folder)) == []  # nothing written, the lock file is ours
    if command == "graph":  # free again once released
        assert main(argv) == 0


def test_a_lock_file_left_by_a_dead_process_does_not_block(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / LOCK_NAME).write_text("999999\n")  # kill -9 leaves the file, never the lock
    assert train(out, "--epochs", "1") == 0
    assert not (out / LOCK_NAME).exists()


def test_a_run_that_fails_early_leaves_no_empty_folder(tmp_path, capsys):
    out = tmp_path / "new" / "run"
    assert train(out, "--epochs", "1", "--dataset", "fashion-mnist") == 2  # no such files
    one_error_line(capsys)
    assert not (tmp_path / "new").exists()


# --------------------------------------------------------------------------
# 3. compare-dropout and graph keep earlier outputs unless --overwrite
# --------------------------------------------------------------------------
def test_graph_and_compare_dropout_refuse_to_replace_their_earlier_outputs(tmp_path, capsys):
    assert main(["graph", "--out", "g.dot", "--batch-size", "1"]) == 0
    before = Path("g.dot").read_bytes()
    capsys.readouterr()
    assert main(["graph", "--out", "g.dot", "--batch-size", "2"]) == 2
    line = one_error_line(capsys)
    assert "g.dot" in line and "--overwrite" in line
    assert Path("g.dot").read_bytes() == before
    assert main(["graph", "--out", "g.dot", "--batch-size", "2", "--overwrite"]) == 0
    assert Path("g.dot").read_bytes() != before


# --------------------------------------------------------------------------
# 4. Special files are refused, never opened (a FIFO would block forever)
# --------------------------------------------------------------------------
FIFO_CASES = """
import os, sys
from tinynet.cli import main
from tinynet.data import DatasetError, read_idx
fifo = sys.argv[1]
codes = {
    "evaluate --checkpoint": main(["evaluate", "--checkpoint", fifo, "--no-download"]),
    "train --resume": main(["train", "--resume", fifo, "--quiet", "--no-download"]),
    "train --out": main(["train", "--out", "out", "--quiet", "--no-download"]),
    "graph --out": main(["graph", "--out", "g.dot", "--batch-size", "1"]),
    "compare-dropout --out": main(["compare-dropout", "--out", "cmp", "--quiet",
                                   "--no-download"]),
}
try:
    read_idx(fifo)
except DatasetError as e:
    codes["read_idx"] = 2 if "FIFO" in str(e) else 1
print(codes)
"""


def test_a_fifo_anywhere_is_one_line_and_no_hang(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for where in ("out/model.npz", "g.dot", "cmp/dropout_comparison.json"):
        (tmp_path / where).parent.mkdir(exist_ok=True)
        os.mkfifo(tmp_path / where)
    child = subprocess.run([sys.executable, "-c", FIFO_CASES, str(fifo)], cwd=tmp_path,
                           env=child_env(tmp_path), capture_output=True, text=True,
                           timeout=60)
    codes = eval(child.stdout.strip().splitlines()[-1])
    assert set(codes.values()) == {2} and len(codes) == 6, (codes, child.stderr)
    errors = child.stderr.splitlines()
    assert len(errors) == 5 and "Traceback" not in child.stderr, child.stderr
    assert all("FIFO" in e for e in errors), child.stderr


# --------------------------------------------------------------------------
# 5. OS errors are one line
# --------------------------------------------------------------------------
LONG = "x" * 300  # a path component over the 255-byte limit


@pytest.mark.parametrize("argv", [
    ["train", "--out", f"runs/{LONG}", "--epochs", "1"],
    ["train", "--out", f"{LONG}/run", "--epochs", "1"],
    ["train", "--resume", f"{LONG}/model.npz"],
    ["train", "--data-dir", f"{LONG}", "--epochs", "1"],
    ["train", "--data-dir", f"{LONG}/mnist", "--epochs", "1"],
    ["evaluate", "--checkpoint", f"{LONG}.npz"],
    ["evaluate", "--checkpoint", f"{LONG}/model.npz"],
    ["compare-dropout", "--out", f"{LONG}", "--epochs", "1"],
    ["graph", "--out", f"{LONG}.dot"],
    ["graph", "--out", f"{LONG}/g.dot"],
], ids=lambda a: " ".join(x if len(x) < 40 else "<300 bytes>" for x in a[:3]))
def test_a_path_component_over_255_bytes_is_one_line(argv, tmp_path, capsys):
    quiet = [] if argv[0] in ("graph", "evaluate") else ["--quiet"]
    offline = [] if argv[0] == "graph" else ["--no-download"]
    assert main(argv + quiet + offline) == 2
    assert "too long" in one_error_line(capsys)


def test_graph_into_proc_says_what_is_wrong(capsys):
    assert main(["graph", "--out", "/proc/x.dot", "--batch-size", "1"]) == 2
    line = one_error_line(capsys)
    assert "does not exist" not in line and "/proc" in line, line


def _no_space(after: int):
    """A stand-in for serialization's archive writer that fills the disk after ``after``
    good saves: it writes half a file, then ENOSPC."""
    real = serialization._write_npz
    calls = {"n": 0}

    def write(f, members):
        calls["n"] += 1
        if calls["n"] <= after:
            return real(f, members)
        f.write(b"PK\x03\x04 half an archive")
        raise OSError(errno.ENOSPC, "No space left on device")
    return write


def test_disk_full_during_a_save_keeps_the_previous_checkpoint_and_says_so(tmp_path, capsys,
                                                                         monkeypatch):
    out = tmp_path / "run"
    monkeypatch.setattr(serialization, "_write_npz", _no_space(after=1))
    assert train(out, "--epochs", "2") == 2
    line = one_error_line(capsys)
    assert "No space left on device" in line and "epoch 2" in line and "intact" in line, line
    assert tinynet.load(out / "model.npz")["epoch"] == 1
    assert json.loads((out / "metrics.json").read_text())["epochs"] == 1
    assert sorted(os.listdir(out)) == ["metrics.csv", "metrics.json", "model.npz"]


def test_disk_full_on_the_first_save_says_nothing_was_saved(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(serialization, "_write_npz", _no_space(after=0))
    assert train(tmp_path / "run", "--epochs", "1") == 2
    assert "nothing was saved" in one_error_line(capsys)


@pytest.mark.parametrize("err, text", [(errno.EROFS, "Read-only file system"),
                                       (errno.EACCES, "Permission denied")])
def test_a_read_only_or_forbidden_folder_is_one_line(tmp_path, capsys, monkeypatch, err, text):
    # root may write anywhere, so the refusal is the system's answer, simulated
    def refuse(*args, **kwargs):
        raise OSError(err, os.strerror(err), kwargs.get("dir") or args[0])
    monkeypatch.setattr(_atomic.tempfile, "mkstemp", refuse)
    assert train(tmp_path / "run", "--epochs", "1") == 2
    assert text in one_error_line(capsys)
    monkeypatch.setattr(os, "mkdir", refuse)
    assert train(tmp_path / "new" / "run", "--epochs", "1") == 2
    line = one_error_line(capsys)
    assert text in line and "cannot create" in line


# --------------------------------------------------------------------------
# 6. kill -9 during a save: the next run cleans up and resumes
# --------------------------------------------------------------------------
KILLED_MID_SAVE = """
import os, sys, time
from pathlib import Path
import tinynet.serialization as serialization
real = serialization._write_npz
calls = {"n": 0}
def write(f, members):
    calls["n"] += 1
    if calls["n"] == 2:  # the second epoch's checkpoint: half of it, then wait for the kill
        f.write(b"PK\\x03\\x04 half an archive")
        f.flush()
        Path(sys.argv[1]).write_text("saving")
        time.sleep(60)
    return real(f, members)
serialization._write_npz = write
from tinynet.cli import main
sys.exit(main(sys.argv[2:]))
"""


def test_kill_9_during_a_save_then_resume(tmp_path, capsys):
    out, saving = tmp_path / "run", tmp_path / "saving"
    child = subprocess.Popen([sys.executable, "-c", KILLED_MID_SAVE, str(saving), "train",
                              *TINY, "--epochs", "2", "--out", str(out)],
                             env=child_env(tmp_path), cwd=tmp_path,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not saving.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert saving.exists(), child.communicate()
    finally:
        child.kill()  # SIGKILL: no clean-up of any kind
        child.communicate()
    litter = [p for p in os.listdir(out) if p.endswith(".part")]
    assert len(litter) == 1 and litter[0].startswith(".model.npz."), os.listdir(out)
    assert tinynet.load(out / "model.npz")["epoch"] == 1  # the last complete save
    mine = out / ".notes.txt.abcd1234.part"  # not a name tinynet writes here: kept
    mine.write_text("mine")
    assert main(["train", "--resume", str(out / "model.npz"), "--epochs", "2",
                 *TINY[-2:]]) == 0
    assert sorted(os.listdir(out)) == [".notes.txt.abcd1234.part", "metrics.csv",
                                       "metrics.json", "model.npz"]
    assert tinynet.load(out / "model.npz")["epoch"] == 2


# --------------------------------------------------------------------------
# 7. Ctrl-C while the command starts
# --------------------------------------------------------------------------
# sitecustomize runs before anything else: it arranges a real SIGINT at a chosen import
CTRL_C_AT = """
import importlib.abc, os, signal, sys
TARGET = os.environ["CTRL_C_AT"]
class CtrlC(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == TARGET:
            os.kill(os.getpid(), signal.SIGINT)
        return None
sys.meta_path.insert(0, CtrlC())
"""
SCRIPT = "import sys\nfrom tinynet.cli import main\nsys.exit(main())\n"  # as pip writes it


@pytest.mark.parametrize("how", ["python -m tinynet", "tinynet script"])
# while `import tinynet` runs (before main), and inside main before the command runs
@pytest.mark.parametrize("at", ["tinynet.nn.module", "tinynet.cli.graph"])
def test_ctrl_c_during_startup_is_one_line_and_exit_130(tmp_path, how, at):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(CTRL_C_AT)
    script = tmp_path / "bin" / "tinynet"
    script.parent.mkdir()
    script.write_text(SCRIPT)
    env = child_env(tmp_path, CTRL_C_AT=at)
    env["PYTHONPATH"] = f"{tmp_path / 'site'}{os.pathsep}{ROOT}"
    cmd = ["-m", "tinynet"] if how.startswith("python") else [str(script)]
    child = subprocess.run([sys.executable, *cmd, "graph", "--out", "g.dot"], cwd=tmp_path,
                           env=env, capture_output=True, text=True, timeout=60)
    assert child.returncode == 130, child.stderr
    assert child.stderr == "tinynet: interrupted\n", child.stderr
    assert not (tmp_path / "g.dot").exists()


def test_ctrl_c_while_importing_tinynet_as_a_library_is_still_a_keyboardinterrupt(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(CTRL_C_AT)
    env = child_env(tmp_path, CTRL_C_AT="tinynet.nn.module")
    env["PYTHONPATH"] = f"{tmp_path / 'site'}{os.pathsep}{ROOT}"
    code = "try:\n    import tinynet\nexcept KeyboardInterrupt:\n    print('mine to handle')\n"
    child = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                           text=True, timeout=60)
    assert child.stdout == "mine to handle\n", child.stderr


# --------------------------------------------------------------------------
# 8. Reproducibility depends on BLAS threads: recorded, and a resume says so
# --------------------------------------------------------------------------
def test_the_checkpoint_records_blas_and_a_resume_under_other_threads_warns(tmp_path, capsys,
                                                                          monkeypatch):
    out = tmp_path / "run"
    assert train(out, "--epochs", "1") == 0
    saved = tinynet.load(out / "model.npz")["blas"]
    assert saved == _blas.blas_info() and isinstance(saved["library"], str)
    capsys.readouterr()
    other = dict(saved, threads=(saved["threads"] or 1) + 1)
    monkeypatch.setattr("tinynet.cli.train.blas_info", lambda: other)
    assert main(["train", "--resume", str(out / "model.npz"), "--epochs", "2",
                 *TINY[-2:]]) == 0
    err = capsys.readouterr().err.splitlines()
    warnings = [ln for ln in err if "warning" in ln]
    assert len(warnings) == 1 and "bit-identical" in warnings[0], err
    assert f"{other['threads']} threads" in warnings[0]


def test_blas_threads_are_read_from_the_library(tmp_path):
    if _blas.blas_info()["threads"] is None:
        pytest.skip("this BLAS does not say how many threads it uses")
    code = "from tinynet._blas import blas_info; print(blas_info()['threads'])"
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env=child_env(tmp_path, OPENBLAS_NUM_THREADS="1",
                                         OMP_NUM_THREADS="1", MKL_NUM_THREADS="1"),
                           timeout=60)
    assert child.stdout.strip() == "1", child.stderr


def test_resume_warning_names_both_conditions():
    saved = {"library": "scipy-openblas 0.3.31", "threads": 1}
    assert _blas.resume_warning(saved, dict(saved)) is None
    assert _blas.resume_warning(None, saved) is None  # a checkpoint from before: silent
    text = _blas.resume_warning(saved, dict(saved, threads=2))
    assert "1 thread," in text and "2 threads" in text and "OPENBLAS_NUM_THREADS=1" in text
    assert "\n" not in text
