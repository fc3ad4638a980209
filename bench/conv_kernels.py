"""Time tinynet's conv2d (forward + backward) and max_pool2d against PyTorch on CPU.

Shapes are those of the reference CNN at batch 64.  Run:  python bench/conv_kernels.py [--reps 30]
Each figure is the median over --reps calls (after warm-up); tinynet and torch calls are
interleaved so that both see the same load on the machine.  Wall-clock ms are what a user
waits; on a busy machine also compare --cpu (process CPU time per call, all threads summed),
and for a like-for-like single-core comparison run with OPENBLAS_NUM_THREADS=1 --threads 1.
Both libraries run in this one process, so torch too gets the malloc settings tinynet makes
on import (see tinynet/_malloc.py): this compares kernels, not out-of-the-box installs.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import tinynet
from tinynet.nn.functional.conv import conv2d
from tinynet.nn.functional.pooling import max_pool2d

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # still time tinynet alone
    torch = None

CONVS = [  # (name, input shape, weight shape, padding)
    ("conv1 1->8   28x28", (64, 1, 28, 28), (8, 1, 3, 3), 1),
    ("conv2 8->16  14x14", (64, 8, 14, 14), (16, 8, 3, 3), 1),
    ("wide1 1->32  28x28", (64, 1, 28, 28), (32, 1, 3, 3), 1),
    ("wide2 32->64 14x14", (64, 32, 14, 14), (64, 32, 3, 3), 1),
]
POOLS = [  # (name, input shape, kernel)
    ("pool 8x28x28  k2", (64, 8, 28, 28), 2),
    ("pool 16x14x14 k2", (64, 16, 14, 14), 2),
    ("pool 32x28x28 k2", (64, 32, 28, 28), 2),
    ("pool 64x14x14 k2", (64, 64, 14, 14), 2),
]


def _time_interleaved(fns: list, reps: int, clock=time.perf_counter) -> list[float]:
    """Median ms per call of each fn, calling them in turn so they share the machine's load."""
    for f in fns:
        f(), f()
    times = [[] for _ in fns]
    for _ in range(reps):
        for f, t in zip(fns, times):
            t0 = clock()
            f()
            t.append(clock() - t0)
    return [1e3 * float(np.median(t)) for t in times]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--cpu", action="store_true", help="time CPU use instead of wall clock")
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    args = ap.parse_args()
    clock = time.process_time if args.cpu else time.perf_counter
    rng = np.random.default_rng(0)
    if torch is not None:
        if args.threads:
            torch.set_num_threads(args.threads)
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; "
              f"numpy {np.__version__}")
    print(f"{'op':34s} {'tinynet ms':>10s} {'torch ms':>9s} {'ratio':>6s}"
          + ("   (CPU time)" if args.cpu else "   (wall clock)"))

    def report(name: str, fns: list) -> None:
        ms = _time_interleaved(fns, args.reps, clock)
        if len(ms) == 2:
            print(f"{name:34s} {ms[0]:10.3f} {ms[1]:9.3f} {ms[0] / ms[1]:6.2f}")
        else:
            print(f"{name:34s} {ms[0]:10.3f}")

    for name, xs, ws, pad in CONVS:
        x = rng.standard_normal(xs, dtype=np.float32)
        w = rng.standard_normal(ws, dtype=np.float32) * 0.1
        b = rng.standard_normal(ws[0], dtype=np.float32)
        g = rng.standard_normal((xs[0], ws[0], xs[2], xs[3]), dtype=np.float32)
        X = tinynet.tensor(x, requires_grad=True)
        W = tinynet.tensor(w, requires_grad=True)
        B = tinynet.tensor(b, requires_grad=True)

        def tn_fwd():
            with tinynet.no_grad():
                conv2d(X, W, B, padding=pad)

        def tn_fb():
            conv2d(X, W, B, padding=pad).backward(g)

        fwd, fb = [tn_fwd], [tn_fb]
        if torch is not None:
            xt = torch.tensor(x, requires_grad=True)
            wt = torch.tensor(w, requires_grad=True)
            bt = torch.tensor(b, requires_grad=True)
            gt = torch.tensor(g)

            def t_fwd():
                with torch.no_grad():
                    TF.conv2d(xt, wt, bt, padding=pad)

            def t_fb():
                TF.conv2d(xt, wt, bt, padding=pad).backward(gt)
            fwd.append(t_fwd)
            fb.append(t_fb)
        report(name + " fwd", fwd)
        report(name + " fwd+bwd", fb)

    for name, xs, k in POOLS:
        x = rng.standard_normal(xs, dtype=np.float32)
        g = rng.standard_normal((xs[0], xs[1], xs[2] // k, xs[3] // k), dtype=np.float32)
        X = tinynet.tensor(x, requires_grad=True)

        def tn_fb():
            max_pool2d(X, k).backward(g)
        fb = [tn_fb]
        if torch is not None:
            xt = torch.tensor(x, requires_grad=True)
            gt = torch.tensor(g)

            def t_fb():
                TF.max_pool2d(xt, k).backward(gt)
            fb.append(t_fb)
        report(name + " fwd+bwd", fb)


if __name__ == "__main__":
    main()
