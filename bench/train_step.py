"""Training throughput of the reference CNN: tinynet against PyTorch's CPU eager mode.

    python bench/train_step.py                 # reference (8/16 channels) and wide (32/64)
    python bench/train_step.py --rounds 5 --steps 20
    python bench/train_step.py --threads 1     # like-for-like single-core comparison

Batch 64, float32, random data, cross-entropy, SGD with momentum 0.9.  Every step trains
on a NEW batch array, gathered from a pool of 2,048 images as a shuffling data loader
makes it (so the allocator sees what it sees in a real training loop).  Where torch is
installed, the same network (tinynet/models.py's, layer for layer) is trained in PyTorch
in NCHW and in channels_last.  Prints images per second (median over rounds) and the
ratios, then the peak resident memory of a tinynet training process.

Each contender trains in its own worker process, as a user would run it, and the workers
take turns round by round (each round starting with the next one, and a pause after each
turn so that no library's idle threads still spin) so that machine noise hits all of them
alike.

Separate processes matter because of glibc's malloc.  By default glibc serves large
blocks with mmap and hands them back to the OS when freed, and its *dynamic* mmap
threshold moves with the sizes freed so far: depending on incidental allocation
patterns, a torch process lands either in a fast regime (its big blocks are reused from
the heap) or in a slow one (they are mmapped and page-faulted in again every step) --
the same code can run 3x slower in one process than in another.  Fixed thresholds
(``MALLOC_MMAP_THRESHOLD_`` and ``MALLOC_TRIM_THRESHOLD_`` in the environment, or
``mallopt``, which tinynet calls on import: ``tinynet/_malloc.py``) put it in the fast
regime every time.  So the headline is torch with those two variables set in its worker,
torch at its best; torch as installed is reported beside it, in whichever regime it fell.

On a busy machine (load average above the core count) multi-threaded BLAS and OpenMP
can be several times slower than one thread, for both libraries: check ``uptime``, and
compare with ``--threads 1``, which limits numpy's BLAS (via threadpoolctl) and torch
to the same number of threads.
"""
from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import os
import statistics
import subprocess
import sys
import time

import numpy as np

BATCH = 64


def tinynet_model(c1: int, c2: int):
    """tinynet's reference CNN (tinynet/models.py), with c1/c2 conv channels."""
    from tinynet.models import build_cnn, cnn_config
    return build_cnn(cnn_config(channels=[c1, c2]))


def torch_model(c1: int, c2: int):
    """The same network in PyTorch, layer for layer and name for name."""
    from collections import OrderedDict

    import torch.nn as nn
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(1, c1, 3, padding=1)), ("relu1", nn.ReLU()),
        ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(c1, c2, 3, padding=1)), ("relu2", nn.ReLU()),
        ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()), ("fc1", nn.Linear(c2 * 49, 128)), ("relu_fc", nn.ReLU()),
        ("drop_fc", nn.Dropout(0.5)), ("fc2", nn.Linear(128, 10))]))


POOL = 2048  # images the batches are gathered from (a multiple of BATCH)


def make_pool() -> tuple[np.ndarray, np.ndarray]:
    """Random images float32 (POOL, 1, 28, 28) and labels int64 (POOL,), the same each run."""
    rng = np.random.default_rng(0)
    return (rng.standard_normal((POOL, 1, 28, 28), dtype=np.float32),
            rng.integers(0, 10, POOL))


def batch_indices():
    """Indices of each step's batch, as a shuffling loader draws them: a fixed permutation
    of the pool, BATCH at a time, round and round."""
    order = np.random.default_rng(1).permutation(POOL)
    k = 0
    while True:
        yield order[k:k + BATCH]
        k = (k + BATCH) % POOL


def tinynet_runner(c1: int, c2: int, x: np.ndarray, y: np.ndarray):
    import tinynet
    import tinynet.nn.functional as F
    tinynet.manual_seed(0)
    model = tinynet_model(c1, c2).train()
    opt = tinynet.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    indices = batch_indices()

    def step() -> None:
        idx = next(indices)
        xb, yb = tinynet.Tensor(x[idx]), tinynet.Tensor(y[idx])  # as tinynet's DataLoader
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
    return step


def torch_runner(c1: int, c2: int, x: np.ndarray, y: np.ndarray, channels_last: bool):
    import torch
    import torch.nn.functional as F
    torch.manual_seed(0)
    model = torch_model(c1, c2).train()
    xs, ys = torch.from_numpy(x), torch.from_numpy(y)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    indices = batch_indices()

    def step() -> None:
        idx = torch.from_numpy(next(indices))
        xb, yb = xs[idx], ys[idx]  # a new tensor from torch's allocator, as a loader's
        if channels_last:
            xb = xb.contiguous(memory_format=torch.channels_last)
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
    return step


def images_per_second(step, steps: int) -> float:
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * BATCH / (time.perf_counter() - t0)


IDLE_BETWEEN_ROUNDS = 0.3  # seconds

# the glibc malloc thresholds tinynet sets in its own process on import
# (tinynet/_malloc.py), given to a torch worker through its environment
TUNED_MALLOC = {"MALLOC_MMAP_THRESHOLD_": "33554432", "MALLOC_TRIM_THRESHOLD_": "268435456"}

# name -> (library, channels_last, TUNED_MALLOC in the worker's environment); the first
# torch contender is the headline comparison
CONTENDERS = {
    "tinynet": ("tinynet", False, False),
    "torch NCHW, tuned malloc": ("torch", False, True),
    "torch channels_last, tuned malloc": ("torch", True, True),
    "torch NCHW, as installed": ("torch", False, False),
    "torch channels_last, as installed": ("torch", True, False),
}
AS_INSTALLED_NOTE = ("as installed, glibc's dynamic mmap threshold flips torch between a fast "
                     "and a slow regime")


def worker_env(name: str) -> dict[str, str]:
    """The environment of ``name``'s worker: tuned malloc or none, never inherited."""
    env = {k: v for k, v in os.environ.items() if k not in TUNED_MALLOC}
    if CONTENDERS[name][2]:
        env.update(TUNED_MALLOC)
    return env


def worker(name: str, c1: int, c2: int, steps: int, threads: int | None) -> None:
    """Build one contender, then time ``steps`` steps per line 'run' read from stdin."""
    library, channels_last, _ = CONTENDERS[name]
    if threads is not None:
        limit_threads(threads)
    x, y = make_pool()
    step = (tinynet_runner(c1, c2, x, y) if library == "tinynet"
            else torch_runner(c1, c2, x, y, channels_last))
    for _ in range(3):
        step()  # warm up: first-touch page faults, BLAS and OpenMP thread start
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() != "run":
            break
        print(images_per_second(step, steps), flush=True)


class Worker:
    """A contender's process; ``run()`` times one round in it."""

    def __init__(self, name: str, c1: int, c2: int, steps: int, threads: int | None):
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", name,
               "--channels", str(c1), str(c2), "--steps", str(steps)]
        if threads is not None:
            cmd += ["--threads", str(threads)]
        self.name = name
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, env=worker_env(name))
        self._expect("ready")

    def _fail(self, line: str = "") -> None:
        self.proc.kill()
        code = self.proc.wait()  # reap it: no zombie
        said = f", printed {line.strip()!r}" if line.strip() else ""
        raise SystemExit(f"worker {self.name!r} failed (exit status {code}{said}; "
                         f"see its error above)")

    def _expect(self, what: str) -> str:
        line = self.proc.stdout.readline()
        if not line or (what and line.strip() != what):
            self._fail(line)
        return line

    def run(self) -> float:
        try:
            self.proc.stdin.write("run\n")
            self.proc.stdin.flush()
        except BrokenPipeError:  # the worker has died since the last round
            self._fail()
        line = self._expect("")
        try:
            return float(line)
        except ValueError:
            self._fail(line)

    def close(self) -> None:
        try:
            self.proc.stdin.close()
        except BrokenPipeError:  # already dead
            pass
        self.proc.wait()


def limit_threads(n: int) -> None:
    """Run numpy's BLAS and torch with ``n`` threads each (in this process)."""
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(n, user_api="blas")
    except ImportError:  # main() says so, once: a worker's stdout is its channel to main()
        pass
    try:
        import torch
        torch.set_num_threads(n)
    except ImportError:
        pass


def peak_rss_mb(c1: int, c2: int, steps: int, threads: int | None = None) -> float:
    """Peak resident memory of a fresh process that trains tinynet for ``steps`` steps."""
    code = (
        "import numpy as np, sys; sys.path.insert(0, %r)\n"
        "import train_step as b\n"
        "s = b.tinynet_runner(%d, %d, *b.make_pool())\n"
        "for _ in range(%d): s()\n"
        # VmHWM, not ru_maxrss: the latter is inherited from the (torch-loaded) parent at fork
        "print([int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')][0] / 1024)\n"
    ) % (sys.path[0], c1, c2, steps)
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads)) if threads else None
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env)
    return float(out.stdout.strip())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=20, help="training steps per round")
    ap.add_argument("--variant", choices=["reference", "wide", "both"], default="both")
    ap.add_argument("--threads", type=int, default=None,
                    help="threads for numpy's BLAS and for torch (default: each library's own)")
    ap.add_argument("--worker", choices=list(CONTENDERS), help=argparse.SUPPRESS)
    ap.add_argument("--channels", type=int, nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.threads is not None and args.threads < 1:
        ap.error("--threads must be >= 1")
    if args.rounds < 1 or args.steps < 1:
        ap.error("--rounds and --steps must be >= 1")
    if args.worker:
        worker(args.worker, *args.channels, args.steps, args.threads)
        return

    have_torch = importlib.util.find_spec("torch") is not None
    names = [n for n, (lib, _, _) in CONTENDERS.items() if have_torch or lib == "tinynet"]
    print(f"numpy {np.__version__}"
          + (f", torch {importlib.metadata.version('torch')}" if have_torch
             else "; torch not installed: timing tinynet alone")
          + (f"; {args.threads} thread(s) each" if args.threads else ""))
    if args.threads and importlib.util.find_spec("threadpoolctl") is None:
        print(f"threadpoolctl not installed: numpy's BLAS threads are not limited "
              f"(set OPENBLAS_NUM_THREADS={args.threads} in the environment instead)")
    variants = {"reference": (8, 16), "wide": (32, 64)}
    chosen = variants if args.variant == "both" else {args.variant: variants[args.variant]}
    for variant, (c1, c2) in chosen.items():
        workers: list[Worker] = []
        rates: dict[str, list[float]] = {n: [] for n in names}
        try:
            for n in names:  # inside the try: a worker failing to start closes the others
                workers.append(Worker(n, c1, c2, args.steps, args.threads))
            for r in range(args.rounds):
                for w in workers[r % len(workers):] + workers[:r % len(workers)]:
                    rates[w.name].append(w.run())
                    # OpenBLAS's threads spin ~0.1 s after numpy's last product: let them
                    # stop, or they take a core from the next contender's round
                    time.sleep(IDLE_BETWEEN_ROUNDS)
        finally:
            for w in workers:
                w.close()
        med = {k: statistics.median(v) for k, v in rates.items()}
        print(f"\n{variant} CNN ({c1}/{c2} channels), batch {BATCH}, float32, a new batch "
              f"each step, median of {args.rounds} rounds x {args.steps} steps, one process "
              f"each:")
        for k, v in med.items():
            spread = f"{min(rates[k]):,.0f}..{max(rates[k]):,.0f}"
            print(f"  {k:<34} {v:>8,.0f} images/s   (range {spread})")
        for k in names[1:]:
            print(f"  ratio tinynet / {k:<33} {med['tinynet'] / med[k]:.2f}x")
        if len(names) > 1:
            print(f"  ({AS_INSTALLED_NOTE})")
        print(f"  peak RSS of a tinynet training process: {peak_rss_mb(c1, c2, 30, args.threads):.0f} MB")


if __name__ == "__main__":
    main()
