"""var/std argument conflicts, layer dtype=/device= messages, atomic_open on
symlink loops, directories and read-only files, and bench/train_step.py's worker pipe."""
import errno
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinynet
import tinynet.nn as nn
from tinynet._atomic import atomic_open

ROOT = Path(__file__).resolve().parent.parent


# --- var / std ---------------------------------------------------------------------

@pytest.mark.parametrize("fn", ["var", "std"])
@pytest.mark.parametrize("args, kwargs", [
    ((True,), {"correction": 0}),        # torch: invalid combination
    ((False,), {"dim": 1}),
    ((False,), {"keepdim": True}),
    ((1,), {"unbiased": True, "correction": 0}),
    ((), {"unbiased": False, "correction": 1}),
])
def test_var_std_conflicting_arguments_are_refused_as_torch(fn, args, kwargs):
    x = tinynet.tensor(np.arange(6.0).reshape(2, 3))
    with pytest.raises(TypeError):
        getattr(x, fn)(*args, **kwargs)


@pytest.mark.parametrize("fn", ["var", "std"])
def test_var_std_correction_none_is_the_default(fn):
    x0 = np.random.default_rng(0).standard_normal((3, 4))
    x = tinynet.tensor(x0)
    np.testing.assert_allclose(getattr(x, fn)(1, correction=None).array,
                               getattr(x, fn)(1).array)
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(getattr(x, fn)(correction=None).array,
                               getattr(torch.tensor(x0), fn)(correction=None).numpy())


# --- device= / dtype= messages ---------------------------------------------------

@pytest.mark.parametrize("dtype", ["foo", 3])
def test_layer_unknown_dtype_is_a_dtype_error_not_a_device_one(dtype):
    with pytest.raises(ValueError, match=r"^Linear: dtype must be float32 or float64"):
        nn.Linear(2, 3, dtype=dtype)


def test_layer_torch_dtypes_without_numpy_equivalent_say_what_is_allowed():
    torch = pytest.importorskip("torch")
    for dtype in (torch.bfloat16, torch.float8_e4m3fn):
        with pytest.raises(ValueError, match=r"^BatchNorm2d: dtype must be float32 or float64"):
            nn.BatchNorm2d(3, dtype=dtype)


def test_torch_tensor_given_as_dtype_names_the_caller():
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match=r"^Linear: dtype must be"):
        nn.Linear(2, 3, dtype=torch.zeros(2, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"^to: "):
        tinynet.ones(2).to(torch.zeros(2))


def test_layer_non_cpu_device_message_says_device():
    with pytest.raises(ValueError, match=r"^Conv2d: device must be 'cpu'.*CPU only"):
        nn.Conv2d(1, 2, 3, device="cuda")


# --- atomic_open -----------------------------------------------------------------

def _no_temp_files(*dirs):
    return not [f for d in dirs for f in os.listdir(d) if f.endswith(".part")]


def test_atomic_open_symlink_loop_is_refused_and_the_link_kept(tmp_path):
    a, b = tmp_path / "a.pt", tmp_path / "b.pt"
    a.symlink_to("b.pt")
    b.symlink_to("a.pt")
    with pytest.raises(OSError) as err:
        tinynet.save({"w": np.ones(2)}, a)
    assert err.value.errno == errno.ELOOP
    assert a.is_symlink() and os.readlink(a) == "b.pt"
    assert _no_temp_files(tmp_path)


def test_atomic_open_directory_or_link_to_one_is_refused_naming_it(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "link").symlink_to("d")
    for name in ("d", "link"):
        with pytest.raises(IsADirectoryError, match=f"'{tmp_path / name}'"):
            with atomic_open(tmp_path / name, "w") as f:
                f.write("x")
    assert (tmp_path / "link").is_symlink() and (tmp_path / "d").is_dir()
    assert _no_temp_files(tmp_path, tmp_path / "d")


def test_atomic_open_does_not_replace_a_read_only_file(tmp_path, monkeypatch):
    target = tmp_path / "kept.pt"
    target.write_bytes(b"precious")
    target.chmod(0o444)
    link = tmp_path / "link.pt"
    link.symlink_to("kept.pt")
    if os.geteuid() == 0:  # root may write anything; pretend to be an ordinary user
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda p, mode, **kw: False
                            if mode == os.W_OK and Path(p) == target else real_access(p, mode))
    for path in (target, link):
        with pytest.raises(PermissionError, match="read-only"):
            tinynet.save({"w": np.ones(2)}, path)
    assert target.read_bytes() == b"precious" and link.is_symlink()
    assert _no_temp_files(tmp_path)


# --- bench/train_step.py ---------------------------------------------------------

def _bench():
    spec = importlib.util.spec_from_file_location("train_step_under_test",
                                                  ROOT / "bench" / "train_step.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _fake_worker(bench, code):
    w = object.__new__(bench.Worker)
    w.name = "fake"
    w.proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    return w


def test_bench_worker_that_died_between_rounds_gives_one_clear_message():
    bench = _bench()
    w = _fake_worker(bench, "pass")  # exits at once, as a worker killed after a round
    w.proc.wait()
    with pytest.raises(SystemExit, match="worker 'fake' failed"):
        w.run()
    w.close()  # no BrokenPipeError
    assert w.proc.returncode is not None


def test_bench_worker_printing_junk_gives_a_clear_message_and_is_reaped():
    bench = _bench()
    w = _fake_worker(bench, "import sys; sys.stdin.readline(); print('hello', flush=True); "
                            "sys.stdin.readline()")
    with pytest.raises(SystemExit, match="printed 'hello'"):
        w.run()
    assert w.proc.returncode is not None  # killed and waited for: no zombie
    w.close()


def test_bench_limit_threads_keeps_stdout_for_the_parent(monkeypatch, capsys):
    bench = _bench()
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # not installed
    monkeypatch.setitem(sys.modules, "torch", None)
    bench.limit_threads(1)
    assert capsys.readouterr().out == ""  # a worker's stdout carries only 'ready' and rates
