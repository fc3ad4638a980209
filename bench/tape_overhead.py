"""How many microseconds does the tape add per op, over the bare numpy calls?

For each case the same arithmetic is timed twice: once through tinynet (forward with
recording, then forward + ``backward()``), once as the plain numpy calls that do the same
forward and backward work (including ``grad += ...`` into the leaves).  The difference is
what recording (``record``/``Node``/``_lift``) and replaying (``backward()``) cost.

Cases:
  tiny   -- mul of two (8,) float32 arrays: almost pure overhead.
  chain  -- 100 such muls in a row, then one backward: the per-op share of backward()'s
            fixed costs (collecting and sorting the tape) becomes small.
  matmul -- (4, 3) @ (3, 5): the Python cost of matmul's forward and backward rules; then
            (64, 784) @ (784, 128) float32, the first layer of an MNIST MLP, where the
            overhead is a small difference of two ~0.5 ms timings and so the noisiest.

Each timing runs the statement ``--number`` times per sample and keeps the min and median
of ``--repeat`` samples (time.perf_counter).  The min is the figure to compare; the
median shows how noisy the machine was.

BLAS runs single-threaded here (unless the OPENBLAS/OMP/MKL_NUM_THREADS variables are
already set): the matmul's own time then stays steady, so the difference is the overhead
and not thread-scheduling noise.

    python bench/tape_overhead.py [--repeat 20] [--number 2000]
"""
from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # must happen before numpy is imported

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from typing import Callable  # noqa: E402

import numpy as np  # noqa: E402

import tinynet  # noqa: E402

TARGET_US = 15.0


def timed(tn_fn: Callable[[], object], np_fn: Callable[[], object], number: int,
          repeat: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """(min, median) seconds per call of each function, over ``repeat`` samples of ``number``
    calls; the samples of the two alternate, so both see the same machine load."""
    tn_fn(), np_fn()  # warm up
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for fn, out in ((tn_fn, samples[0]), (np_fn, samples[1])):
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            out.append((time.perf_counter() - t0) / number)
    return ((min(samples[0]), statistics.median(samples[0])),
            (min(samples[1]), statistics.median(samples[1])))


def report(name: str, n_ops: int, times: tuple[tuple[float, float], tuple[float, float]]
           ) -> float:
    tn, np_ = times
    over = (tn[0] - np_[0]) / n_ops * 1e6
    print(f"  {name:<22} tinynet {tn[0] * 1e6:9.2f} us (median {tn[1] * 1e6:9.2f})   "
          f"numpy {np_[0] * 1e6:9.2f} us (median {np_[1] * 1e6:9.2f})   "
          f"overhead/op {over:7.2f} us")
    return over


def bench_tiny(number: int, repeat: int) -> list[float]:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(8, dtype=np.float32), rng.standard_normal(8, dtype=np.float32)
    ta, tb = tinynet.tensor(a, requires_grad=True), tinynet.tensor(b, requires_grad=True)
    g = np.ones(8, np.float32)
    ga, gb = np.zeros(8, np.float32), np.zeros(8, np.float32)

    def np_fwd_bwd():
        out = a * b
        ga.__iadd__(g * b)  # d(ab)/da = b
        gb.__iadd__(g * a)
        return out

    print("tiny: mul of two (8,) float32 tensors")
    fwd = report("forward (record)", 1, timed(lambda: ta * tb, lambda: a * b, number, repeat))
    both = report("forward + backward", 1,
                  timed(lambda: (ta * tb).backward(g), np_fwd_bwd, number, repeat))
    return [fwd, both]


def bench_chain(number: int, repeat: int, k: int = 100) -> list[float]:
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(8, dtype=np.float32), rng.uniform(0.9, 1.1, 8).astype(np.float32)
    ta, tb = tinynet.tensor(a, requires_grad=True), tinynet.tensor(b, requires_grad=True)
    g = np.ones(8, np.float32)
    ga, gb = np.zeros(8, np.float32), np.zeros(8, np.float32)

    def tn_fwd():
        y = ta
        for _ in range(k):
            y = y * tb
        return y

    def np_fwd():
        y, saved = a, []
        for _ in range(k):
            saved.append(y)  # the tape keeps every intermediate for backward
            y = y * b
        return y, saved

    def np_fwd_bwd():
        y, saved = np_fwd()
        gy = g
        for prev in reversed(saved):  # y_k = y_{k-1} * b
            gb.__iadd__(gy * prev)
            gy = gy * b
        ga.__iadd__(gy)

    n = max(1, number // k)
    print(f"chain: {k} muls of (8,) float32 in a row, one backward")
    fwd = report("forward (record)", k, timed(tn_fwd, np_fwd, n, repeat))
    both = report("forward + backward", k,
                  timed(lambda: tn_fwd().backward(g), np_fwd_bwd, n, repeat))
    return [fwd, both]


def bench_matmul(number: int, repeat: int, n: int = 64, d: int = 784, k: int = 128
                 ) -> list[float]:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((n, d), dtype=np.float32)
    w = rng.standard_normal((d, k), dtype=np.float32)
    tx, tw = tinynet.tensor(x, requires_grad=True), tinynet.tensor(w, requires_grad=True)
    g = np.ones((n, k), np.float32)
    gx, gw = np.zeros_like(x), np.zeros_like(w)

    def np_fwd_bwd():
        out = x @ w
        gx.__iadd__(g @ w.T)  # dX = G W^T
        gw.__iadd__(x.T @ g)  # dW = X^T G
        return out

    big = n * d * k > 100_000
    # big: short samples, many of them, so the min catches the machine's quiet moments
    calls, r = (max(1, number // 200), 4 * repeat) if big else (number, repeat)
    print(f"matmul: ({n}, {d}) @ ({d}, {k}) float32")
    fwd = report("forward (record)", 1, timed(lambda: tx @ tw, lambda: x @ w, calls, r))
    both = report("forward + backward", 1,
                  timed(lambda: (tx @ tw).backward(g), np_fwd_bwd, calls, r))
    return [fwd, both]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeat", type=int, default=20, help="samples per timing (min is kept)")
    p.add_argument("--number", type=int, default=2000, help="calls per sample (tiny case)")
    args = p.parse_args()
    print(f"numpy {np.__version__}, tinynet {tinynet.__version__}; min over {args.repeat} "
          f"samples; overhead = (tinynet - numpy) / ops")
    worst = max(bench_tiny(args.number, args.repeat) + bench_chain(args.number, args.repeat)
                + bench_matmul(args.number, args.repeat, 4, 3, 5)  # the op's own Python cost
                + bench_matmul(args.number, args.repeat))
    verdict = "OK" if worst < TARGET_US else "ABOVE TARGET"
    print(f"worst overhead per op: {worst:.2f} us (target < {TARGET_US:.0f} us): {verdict}")


if __name__ == "__main__":
    main()
