"""Training throughput of the reference CNN: tinynet against PyTorch's CPU eager mode.

    python bench/train_step.py                 # reference (8/16 channels) and wide (32/64)
    python bench/train_step.py --rounds 5 --steps 20
    python bench/train_step.py --threads 1     # like-for-like single-core comparison

Batch 64, float32, random data, cross-entropy, SGD with momentum 0.9.  Where torch is
installed, the same network is trained in PyTorch in NCHW and in channels_last, the
three alternating round by round so that machine noise hits all of them alike.  Prints
images per second (median over rounds) and the ratios, then the peak resident memory of
a tinynet-only training process (measured in a fresh subprocess without torch loaded).

On a busy machine (load average above the core count) multi-threaded BLAS and OpenMP
can be several times slower than one thread, for both libraries: check ``uptime``, and
compare with ``--threads 1``, which limits numpy's BLAS (via threadpoolctl) and torch
to the same number of threads.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

import numpy as np

BATCH = 64


def tinynet_model(c1: int, c2: int):
    import tinynet.nn as nn
    return nn.Sequential(
        nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(c2 * 49, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))


def torch_model(c1: int, c2: int):
    import torch.nn as nn
    return nn.Sequential(
        nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(c2 * 49, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))


def tinynet_runner(c1: int, c2: int, x: np.ndarray, y: np.ndarray):
    import tinynet
    import tinynet.nn.functional as F
    tinynet.manual_seed(0)
    model = tinynet_model(c1, c2).train()
    opt = tinynet.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    xt, yt = tinynet.tensor(x), tinynet.tensor(y)

    def step() -> None:
        opt.zero_grad()
        loss = F.cross_entropy(model(xt), yt)
        loss.backward()
        opt.step()
    return step


def torch_runner(c1: int, c2: int, x: np.ndarray, y: np.ndarray, channels_last: bool):
    import torch
    import torch.nn.functional as F
    torch.manual_seed(0)
    model = torch_model(c1, c2).train()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        xt = xt.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step() -> None:
        opt.zero_grad()
        loss = F.cross_entropy(model(xt), yt)
        loss.backward()
        opt.step()
    return step


def images_per_second(step, steps: int) -> float:
    step()  # warm up: first-touch page faults, BLAS init
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * BATCH / (time.perf_counter() - t0)


def limit_threads(n: int) -> None:
    """Run numpy's BLAS and torch with ``n`` threads each (in this process)."""
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(n, user_api="blas")
    except ImportError:
        print(f"threadpoolctl not installed: numpy's BLAS threads are not limited "
              f"(set OPENBLAS_NUM_THREADS={n} in the environment instead)")
    try:
        import torch
        torch.set_num_threads(n)
    except ImportError:
        pass


def blas_threads() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "?"
    return ",".join(str(i["num_threads"]) for i in threadpool_info()
                    if i["user_api"] == "blas" and "numpy" in i["filepath"]) or "?"


def peak_rss_mb(c1: int, c2: int, steps: int, threads: int | None = None) -> float:
    """Peak resident memory of a fresh process that trains tinynet for ``steps`` steps."""
    code = (
        "import numpy as np, sys; sys.path.insert(0, %r)\n"
        "import train_step as b\n"
        "rng = np.random.default_rng(0)\n"
        "x = rng.standard_normal((64, 1, 28, 28), dtype=np.float32)\n"
        "y = rng.integers(0, 10, 64)\n"
        "s = b.tinynet_runner(%d, %d, x, y)\n"
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
    args = ap.parse_args()
    if args.threads is not None:
        if args.threads < 1:
            ap.error("--threads must be >= 1")
        limit_threads(args.threads)

    try:
        import torch
        have_torch = True
    except ImportError:
        have_torch = False
        print("torch not installed: timing tinynet alone")

    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, BATCH)
    variants = {"reference": (8, 16), "wide": (32, 64)}
    chosen = variants if args.variant == "both" else {args.variant: variants[args.variant]}
    print(f"numpy {np.__version__} (BLAS threads {blas_threads()})"
          + (f", torch {torch.__version__} "
          f"({torch.get_num_threads()} threads)" if have_torch else ""))
    for name, (c1, c2) in chosen.items():
        runners = {"tinynet": tinynet_runner(c1, c2, x, y)}
        if have_torch:
            runners["torch NCHW"] = torch_runner(c1, c2, x, y, channels_last=False)
            runners["torch channels_last"] = torch_runner(c1, c2, x, y, channels_last=True)
        rates: dict[str, list[float]] = {k: [] for k in runners}
        for _ in range(args.rounds):
            for k, step in runners.items():
                rates[k].append(images_per_second(step, args.steps))
        med = {k: statistics.median(v) for k, v in rates.items()}
        print(f"\n{name} CNN ({c1}/{c2} channels), batch {BATCH}, float32, "
              f"median of {args.rounds} rounds x {args.steps} steps:")
        for k, v in med.items():
            spread = f"{min(rates[k]):,.0f}..{max(rates[k]):,.0f}"
            print(f"  {k:<20} {v:>8,.0f} images/s   (range {spread})")
        if have_torch:
            print(f"  ratio tinynet / torch NCHW          {med['tinynet'] / med['torch NCHW']:.2f}x")
            print(f"  ratio tinynet / torch channels_last {med['tinynet'] / med['torch channels_last']:.2f}x")
        print(f"  peak RSS of a tinynet training process: {peak_rss_mb(c1, c2, 30, args.threads):.0f} MB")


if __name__ == "__main__":
    main()
