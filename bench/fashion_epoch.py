"""Seconds for one training epoch of the reference CNN over Fashion-MNIST's 60,000 images.

    apt-get install dataset-fashion-mnist      # the standard IDX files, offline
    python bench/fashion_epoch.py [--data-dir DIR] [--epochs 1]

Batch 64, float32, SGD with momentum 0.9, data shuffled by tinynet's generator.  Prints the
time of the training pass alone (data already in memory as float32) and the test accuracy
after it, so the figure can be compared with the issue's 15 s budget.
"""
from __future__ import annotations

import argparse
import time


import tinynet
import tinynet.nn.functional as F
from tinynet.data import DataLoader, FashionMNIST
from tinynet.models import reference_cnn


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--epochs", type=int, default=1)
    args = ap.parse_args()

    t0 = time.perf_counter()
    train = FashionMNIST(args.data_dir, train=True, download=False)
    test = FashionMNIST(args.data_dir, train=False, download=False)
    print(f"loaded {len(train):,} training / {len(test):,} test images from {train.source} "
          f"in {time.perf_counter() - t0:.1f} s")

    tinynet.manual_seed(0)
    model = reference_cnn()
    opt = tinynet.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loader = DataLoader(train, batch_size=64, shuffle=True)
    xt, yt = test.to_arrays(normalize=True)
    for epoch in range(1, args.epochs + 1):
        model.train()
        t0 = time.perf_counter()
        for images, labels in loader:
            loss = F.cross_entropy(model(images), labels)
            opt.zero_grad()
            loss.backward()
            opt.step()
        seconds = time.perf_counter() - t0
        model.eval()
        with tinynet.no_grad():
            correct = sum(int((model(tinynet.tensor(xt[i:i + 1000])).array.argmax(1)
                               == yt[i:i + 1000]).sum()) for i in range(0, len(yt), 1000))
        print(f"epoch {epoch}: {seconds:.1f} s for {len(train):,} images "
              f"({len(train) / seconds:,.0f} images/s); test accuracy {correct / len(yt):.2%}")


if __name__ == "__main__":
    main()
