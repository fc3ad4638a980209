"""Batches of tensors from a dataset: ``TensorDataset`` and ``DataLoader``.

Fast path: a dataset with ``to_arrays()`` (``MNIST``, ``FashionMNIST``,
``TensorDataset``) is turned into whole numpy arrays once, when the loader is
made; each batch is then one fancy-index per array -- no per-sample Python loop
and no uint8-to-float conversion per batch.  Any other dataset (``len`` and
``__getitem__`` returning a tuple) is gathered sample by sample.
"""
from __future__ import annotations

from typing import Any, Iterator, Sequence

import numpy as np

from .. import random as _random
from ..tensor import Tensor
from .._names import type_name

__all__ = ["Dataset", "TensorDataset", "DataLoader"]


class Dataset:
    """Base class of map-style datasets, as PyTorch's: subclass it and define ``__len__``
    and ``__getitem__`` (returning a tuple of arrays, Tensors or numbers)."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


class TensorDataset(Dataset):
    """Arrays (or Tensors) sharing their first dimension; item i is ``(a[i] for a in arrays)``.

    ``TensorDataset(images, labels)`` with float32 images (N, 1, 28, 28) and
    int64 labels (N,) is what ``MNIST(...).to_arrays()`` gives.
    """

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("TensorDataset: needs at least one array")
        self.arrays = tuple(a.array if isinstance(a, Tensor) else np.asarray(a) for a in arrays)
        for i, a in enumerate(self.arrays):
            if a.ndim == 0:
                raise ValueError(f"TensorDataset: array {i} is a scalar; need a first dimension")
        n = len(self.arrays[0])
        for i, a in enumerate(self.arrays):
            if len(a) != n:
                raise ValueError(f"TensorDataset: all arrays need the same first dimension; "
                                 f"array 0 has {n}, array {i} has {len(a)}")

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, i: int) -> tuple[np.ndarray, ...]:
        return tuple(a[i] for a in self.arrays)

    def to_arrays(self) -> tuple[np.ndarray, ...]:
        """The arrays themselves (not copies)."""
        return self.arrays


class DataLoader:
    """Iterate over ``dataset`` in batches of Tensors.

    ``for images, labels in DataLoader(MNIST(), batch_size=64, shuffle=True)``
    gives images float32 (B, 1, 28, 28), normalised as ``(pixel/255 - mean) / std``
    with the dataset's mean and std, and labels int64 (B,).  A ``TensorDataset``
    yields its own arrays' dtypes.

    Args:
        batch_size: samples per batch (a positive int).
        shuffle: visit samples in a new random order at each ``iter()``, drawn from
            tinynet's generator, so ``tinynet.manual_seed`` makes the order reproducible.
        drop_last: skip the last batch if it is smaller than ``batch_size``.
        num_workers: only 0 (batches are made in the calling process), accepted so that
            PyTorch code that spells it out runs unchanged.
    """

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool = False,
                 drop_last: bool = False, *, num_workers: int = 0) -> None:
        if num_workers != 0:
            raise ValueError(f"DataLoader: num_workers={num_workers!r} is not supported; tinynet "
                             f"makes batches in the calling process (num_workers=0)")
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(f"DataLoader: batch_size must be a positive int, "
                            f"got {type_name(batch_size)}")
        if batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size}")
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(f"DataLoader: dataset must have __len__ and __getitem__, "
                            f"got {type_name(dataset)}")
        shuffle = False if shuffle is None else shuffle  # PyTorch's default is None
        for name, flag in (("shuffle", shuffle), ("drop_last", drop_last)):
            if not isinstance(flag, (bool, np.bool_)):  # 'no' or 0.5 would silently be True
                raise TypeError(f"DataLoader: {name} must be True or False, got {flag!r}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        to_arrays = getattr(dataset, "to_arrays", None)
        self._arrays = tuple(to_arrays()) if callable(to_arrays) else None

    def __len__(self) -> int:
        """Number of batches per pass: ceil(N / B), or floor(N / B) with drop_last."""
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        n = len(self.dataset)
        # Drawn here, not in __init__: every pass over the data gets a fresh order.
        order = _random.generator().permutation(n) if self.shuffle else np.arange(n)
        for k in range(len(self)):
            idx = order[k * self.batch_size:(k + 1) * self.batch_size]
            yield tuple(Tensor(a) for a in self._gather(idx))

    def _gather(self, idx: np.ndarray) -> Sequence[np.ndarray]:
        if self._arrays is not None:
            return [a[idx] for a in self._arrays]
        items = [self.dataset[int(i)] for i in idx]  # slow path: any indexable dataset
        if not isinstance(items[0], tuple):
            items = [(it,) for it in items]
        return [np.stack([f.array if isinstance(f, Tensor) else np.asarray(f) for f in field])
                for field in zip(*items)]

    def __repr__(self) -> str:
        return (f"DataLoader(n={len(self.dataset)}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, batches={len(self)})")
