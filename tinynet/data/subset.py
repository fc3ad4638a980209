"""PyTorch's ``Subset`` and ``random_split``: views of a dataset through a list of indices.

A Subset of a dataset with ``to_arrays()`` (MNIST, a TensorDataset...) has one too, so a
DataLoader over ``Subset(mnist, range(500))`` still batches by slicing whole arrays.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from .. import random as _random
from ..tensor import Tensor
from .._names import type_name
from .loader import Dataset

__all__ = ["Subset", "random_split"]


class Subset(Dataset):
    """The items ``dataset[indices[0]], dataset[indices[1]], ...``."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        if not hasattr(dataset, "__getitem__") or not hasattr(dataset, "__len__"):
            raise TypeError(f"Subset: dataset must have __len__ and __getitem__, got "
                            f"{type_name(dataset)}")
        idx = np.asarray(indices.array if isinstance(indices, Tensor) else list(indices))
        if idx.size and idx.dtype.kind not in "iu":
            raise TypeError(f"Subset: indices must be ints, got {idx.dtype}")
        n = len(dataset)
        if idx.size and (idx.min() < -n or idx.max() >= n):
            raise IndexError(f"Subset: index {idx.max() if idx.max() >= n else idx.min()} is "
                             f"out of range for a dataset of {n} items")
        self.dataset = dataset
        self.indices = [int(i) for i in idx.reshape(-1)]

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, list):  # as PyTorch: the dataset gets the list of its own indices
            return self.dataset[[self.indices[j] for j in i]]
        return self.dataset[self.indices[i]]

    @property
    def to_arrays(self) -> Any:
        """The parent's arrays at these indices (only if the parent has ``to_arrays``)."""
        parent = getattr(self.dataset, "to_arrays", None)
        if not callable(parent):
            raise AttributeError(f"{type_name(self.dataset)} has no to_arrays")
        return lambda: tuple(a[self.indices] for a in parent())


def random_split(dataset: Any, lengths: Sequence[Any], generator: Any = None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random Subsets of the given lengths: counts that
    add up to ``len(dataset)``, or fractions that add up to 1 (what is left over after
    rounding down goes one by one to the first splits, as PyTorch)."""
    n = len(dataset)
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: lengths must not be empty")
    if all(isinstance(v, (float, np.floating)) for v in lengths) and math.isclose(
            sum(lengths), 1) and sum(lengths) <= 1:
        for i, frac in enumerate(lengths):
            if not 0 <= frac <= 1:
                raise ValueError(f"random_split: fraction at index {i} is not between 0 and 1")
        counts = [int(math.floor(n * frac)) for frac in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    for v in lengths:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
            raise ValueError(f"random_split: lengths must be counts (ints >= 0) or fractions "
                             f"adding up to 1, got {v!r}")
    if sum(lengths) != n:
        raise ValueError(f"random_split: the lengths add up to {sum(lengths)}, not to the "
                         f"dataset's length {n}")
    order = _random.generator_or_global(generator, "random_split").permutation(n).tolist()
    ends = np.cumsum(lengths).tolist()
    return [Subset(dataset, order[e - k:e]) for k, e in zip(lengths, ends)]
