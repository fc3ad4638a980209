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

__all__ = ["Dataset", "TensorDataset", "DataLoader", "default_collate"]


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


def default_collate(batch: Sequence[Any]) -> Any:
    """Stack a list of samples into a batch, as PyTorch's ``default_collate``: samples that
    are tuples (or lists, or dicts) are stacked field by field; arrays, Tensors and numbers
    become one Tensor with a new first dimension (Python floats give float64, as PyTorch)."""
    first = batch[0]
    if isinstance(first, (tuple, list)):
        if any(len(s) != len(first) for s in batch):
            raise ValueError("default_collate: every sample in a batch needs the same number "
                             "of fields")
        fields = [default_collate(list(f)) for f in zip(*batch)]
        return tuple(fields) if isinstance(first, tuple) else fields
    if isinstance(first, dict):
        return {k: default_collate([s[k] for s in batch]) for k in first}
    arrays = [s.array if isinstance(s, Tensor) else np.asarray(s) for s in batch]
    for a in arrays:
        if a.dtype.kind not in "biuf":
            raise TypeError(f"default_collate: cannot batch samples of {a.dtype} (from "
                            f"{type_name(first)}); pass a collate_fn")
    try:
        stacked = np.stack(arrays)
    except ValueError:
        shapes = sorted({a.shape for a in arrays})
        raise ValueError(f"default_collate: samples of different shapes {shapes[:3]} cannot "
                         f"be stacked into one batch; pass a collate_fn (e.g. to pad "
                         f"them)") from None
    return Tensor(stacked, dtype=stacked.dtype)  # as the samples: int32 stays int32


class DataLoader:
    """Iterate over ``dataset`` in batches of Tensors.

    ``for images, labels in DataLoader(MNIST(), batch_size=64, shuffle=True)``
    gives images float32 (B, 1, 28, 28), normalised as ``(pixel/255 - mean) / std``
    with the dataset's mean and std, and labels int64 (B,).  A ``TensorDataset``
    yields its own arrays' dtypes.

    Args:
        batch_size: samples per batch (a positive int).
        shuffle: visit samples in a new random order at each ``iter()``, drawn from
            tinynet's generator, so ``tinynet.manual_seed`` makes the order reproducible
            (or from ``generator=``, a :class:`tinynet.Generator`).
        drop_last: skip the last batch if it is smaller than ``batch_size``.
        collate_fn: ``collate_fn(list_of_samples)`` makes each batch, as in PyTorch (its
            result is yielded as it is).  By default samples are stacked into Tensors
            field by field (tuples, lists and dicts of arrays, Tensors or numbers).
        num_workers, pin_memory, persistent_workers, prefetch_factor, timeout,
            worker_init_fn: accepted, with PyTorch's checks, so that PyTorch code runs
            unchanged -- but tinynet always makes the batches in the calling process
            (its datasets are in memory, and there is no GPU to pin memory for), so
            ``worker_init_fn`` is never called.
    """

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool = False,
                 drop_last: bool = False, *, num_workers: int = 0, collate_fn: Any = None,
                 pin_memory: bool = False, timeout: float = 0, worker_init_fn: Any = None,
                 prefetch_factor: Any = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", generator: Any = None) -> None:
        if isinstance(num_workers, bool) or not isinstance(num_workers, (int, np.integer)) \
                or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be an int >= 0, got {num_workers!r}")
        if num_workers == 0 and (persistent_workers or prefetch_factor is not None):
            what = "persistent_workers" if persistent_workers else "prefetch_factor"
            raise ValueError(f"DataLoader: {what} needs num_workers > 0 (as in PyTorch)")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got {type_name(collate_fn)}")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 0:
            raise ValueError(f"DataLoader: timeout must be a number >= 0, got {timeout!r}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(f"DataLoader: batch_size must be a positive int, "
                            f"got {type_name(batch_size)}")
        if batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size}")
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(f"DataLoader: dataset must have __len__ and __getitem__, "
                            f"got {type_name(dataset)}")
        shuffle = False if shuffle is None else shuffle  # PyTorch's default is None
        for name, flag in (("shuffle", shuffle), ("drop_last", drop_last),
                           ("pin_memory", pin_memory)):
            if not isinstance(flag, (bool, np.bool_)):  # 'no' or 0.5 would silently be True
                raise TypeError(f"DataLoader: {name} must be True or False, got {flag!r}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.num_workers = int(num_workers)
        self.pin_memory = bool(pin_memory)
        self.collate_fn = collate_fn
        _random.generator_or_global(generator, "DataLoader")  # checks its type now
        self.generator = generator
        to_arrays = None if collate_fn is not None else getattr(dataset, "to_arrays", None)
        self._arrays = tuple(to_arrays()) if callable(to_arrays) else None

    def __len__(self) -> int:
        """Number of batches per pass: ceil(N / B), or floor(N / B) with drop_last."""
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        n = len(self.dataset)
        # Drawn here, not in __init__: every pass over the data gets a fresh order.
        rng = _random.generator_or_global(self.generator, "DataLoader")
        order = rng.permutation(n) if self.shuffle else np.arange(n)
        for k in range(len(self)):
            idx = order[k * self.batch_size:(k + 1) * self.batch_size]
            if self._arrays is not None:  # fast path: one fancy-index per array
                yield tuple(Tensor(a[idx]) for a in self._arrays)
                continue
            samples = [self.dataset[int(i)] for i in idx]  # any indexable dataset
            yield (default_collate if self.collate_fn is None else self.collate_fn)(samples)

    def __repr__(self) -> str:
        return (f"DataLoader(n={len(self.dataset)}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, batches={len(self)})")
