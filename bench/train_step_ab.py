"""Before/after: the reference CNN's training step on two checkouts of tinynet, A/B.

    git worktree add /tmp/before <commit>
    python bench/train_step_ab.py /tmp/before .          # images/s, alternating runs

Each run is its own process with ``PYTHONPATH`` set to one tree, so each imports its own
tinynet; the runs alternate (A B A B ...) so that machine noise hits both alike.  The
network is built from ``tinynet.nn`` layers that every version has (conv 1->8->16, fc
784->128->10, dropout 0.5), batch 64, SGD with momentum, a new batch array each step.
Prints, per tree, the best and the median of the runs' images/s, and the ratio.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

WORKER = r'''
import sys, time
import numpy as np
import tinynet as tn
import tinynet.nn as nn
import tinynet.nn.functional as F
tn.manual_seed(0)
model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Flatten(), nn.Linear(16 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.5),
                      nn.Linear(128, 10))
opt = tn.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
rng = np.random.default_rng(0)
pool = rng.standard_normal((640, 1, 28, 28)).astype(np.float32)
labels = rng.integers(0, 10, 640)
def step(i):
    j = (i * 64) % 576
    x, y = tn.tensor(pool[j:j + 64].copy()), tn.tensor(labels[j:j + 64])
    loss = F.cross_entropy(model(x), y)
    opt.zero_grad(); loss.backward(); opt.step()
for i in range(10):
    step(i)
best = 0.0
for r in range(int(sys.argv[1])):
    t = time.perf_counter()
    for i in range(30):
        step(i)
    best = max(best, 64 * 30 / (time.perf_counter() - t))
print(f"{best:.1f}")
'''


def run(tree: str, rounds: int) -> float:
    env = dict(os.environ, PYTHONPATH=os.path.abspath(tree))
    out = subprocess.run([sys.executable, "-c", WORKER, str(rounds)], env=env,
                         capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        sys.exit(f"train_step_ab: the run on {tree} failed: "
                 f"{(out.stderr.strip().splitlines() or ['?'])[-1]}")
    return float(out.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", help="a checkout of tinynet (its folder holding tinynet/)")
    parser.add_argument("after", help="another checkout")
    parser.add_argument("--pairs", type=int, default=3, help="A/B pairs of runs (default 3)")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds of 30 steps a run")
    args = parser.parse_args()
    for tree in (args.before, args.after):
        if not os.path.isdir(os.path.join(tree, "tinynet")):
            sys.exit(f"train_step_ab: {tree} holds no tinynet/ folder")
    results: dict[str, list[float]] = {args.before: [], args.after: []}
    for _ in range(args.pairs):
        for tree in (args.before, args.after):
            results[tree].append(run(tree, args.rounds))
            time.sleep(0.3)  # let OpenBLAS's idle threads stop spinning
    for name, tree in (("before", args.before), ("after", args.after)):
        r = results[tree]
        print(f"{name:6s} {tree}: best {max(r):,.0f} images/s, median {statistics.median(r):,.0f}"
              f"  (runs: {', '.join(f'{v:,.0f}' for v in r)})")
    a, b = results[args.before], results[args.after]
    print(f"after / before: best {max(b) / max(a):.3f}, median "
          f"{statistics.median(b) / statistics.median(a):.3f}")


if __name__ == "__main__":
    main()
