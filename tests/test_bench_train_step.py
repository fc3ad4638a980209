"""bench/train_step.py: a new batch every step, and torch's malloc settings given explicitly."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import tinynet
import tinynet._malloc as malloc

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("train_step_new_batches",
                                                  ROOT / "bench" / "train_step.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_tinynet_contender_trains_on_a_new_batch_every_step(bench, monkeypatch):
    seen = []

    class Spy(tinynet.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            seen.append(np.asarray(x).copy())
            return self.inner(x)
    real = bench.tinynet_model
    monkeypatch.setattr(bench, "tinynet_model", lambda c1, c2: Spy(real(c1, c2)))
    x, y = bench.make_pool()
    step = bench.tinynet_runner(8, 16, x, y)
    for _ in range(3):
        step()
    assert len(seen) == 3 and all(b.shape == (64, 1, 28, 28) for b in seen)
    assert not np.array_equal(seen[0], seen[1]) and not np.array_equal(seen[1], seen[2])


def test_the_torch_contender_trains_on_a_new_batch_every_step(bench):
    torch = pytest.importorskip("torch")
    seen = []
    real = bench.torch_model

    def spied(c1, c2):
        m = real(c1, c2)
        m.register_forward_pre_hook(lambda mod, inp: seen.append(inp[0].detach().clone()))
        return m
    bench.torch_model, saved = spied, real
    try:
        x, y = bench.make_pool()
        step = bench.torch_runner(8, 16, x, y, channels_last=True)
        for _ in range(3):
            step()
    finally:
        bench.torch_model = saved
    assert len(seen) == 3 and not torch.equal(seen[0], seen[1])


def test_torch_at_its_best_is_the_headline_and_gets_tinynets_malloc_settings(bench,
                                                                             monkeypatch):
    assert bench.TUNED_MALLOC == {"MALLOC_MMAP_THRESHOLD_": str(malloc.MMAP_THRESHOLD),
                                  "MALLOC_TRIM_THRESHOLD_": str(malloc.TRIM_THRESHOLD)}
    torch_names = [n for n, (lib, _, _) in bench.CONTENDERS.items() if lib == "torch"]
    assert torch_names[0] == "torch NCHW, tuned malloc"
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "1")  # the parent's own setting leaks nowhere
    for name in torch_names:
        env = bench.worker_env(name)
        if "tuned malloc" in name:
            assert {k: env[k] for k in bench.TUNED_MALLOC} == bench.TUNED_MALLOC
        else:
            assert "as installed" in name and not set(bench.TUNED_MALLOC) & set(env)
    assert "dynamic mmap threshold" in bench.AS_INSTALLED_NOTE
    assert len(bench.AS_INSTALLED_NOTE) < 96


def test_train_step_ab_refuses_a_folder_without_tinynet(tmp_path):
    import subprocess
    import sys
    from pathlib import Path
    script = Path(__file__).resolve().parent.parent / "bench" / "train_step_ab.py"
    r = subprocess.run([sys.executable, str(script), str(tmp_path), str(tmp_path)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "holds no tinynet/ folder" in r.stderr
    assert "Traceback" not in r.stderr
