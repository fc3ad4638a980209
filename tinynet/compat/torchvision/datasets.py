"""torchvision's ``datasets.MNIST`` and ``datasets.FashionMNIST``, served by tinynet's loaders.

``MNIST(root, train=True, transform=None, target_transform=None, download=False)``
looks for the IDX files where torchvision keeps them (``root/MNIST/raw``), then in
``root/MNIST`` and ``root``, then where tinynet keeps them (``$TINYNET_DATA/mnist`` or
``~/.cache/tinynet/mnist``); with ``download=True`` it downloads them into
``root/MNIST/raw``.  Failing all that, MNIST falls back to the 5,000 digits shipped with
tinynet (4,000 train / 1,000 test), with a one-line notice, so an offline run still trains.
Fashion-MNIST has no such fallback (``root/FashionMNIST/raw`` and
``/usr/share/datasets/fashion-mnist`` are searched too).

Item ``i`` is ``(transform(image), target_transform(label))``; the image is a uint8 numpy
array (28, 28) where torchvision gives a PIL image (``ToTensor`` takes either).
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from ...data import datasets as _tinynet_datasets
from ...data.idx import DatasetNotFoundError
from ...tensor import Tensor
from ..._names import type_name
from .transforms import batch_transform

__all__ = ["MNIST", "FashionMNIST"]


class MNIST:
    """torchvision's MNIST: 60,000 training / 10,000 test digits (or the embedded 4,000 /
    1,000 offline).  ``data`` is a uint8 Tensor (N, 28, 28), ``targets`` int64 (N,)."""

    _tinynet_name = "mnist"            # tinynet.data's name for it
    _tinynet_class = _tinynet_datasets.MNIST
    _folder = "MNIST"                  # torchvision's folder under root

    def __init__(self, root: Any, train: bool = True, transform: Optional[Callable] = None,
                 target_transform: Optional[Callable] = None, download: bool = False) -> None:
        if isinstance(root, bytes) or not isinstance(root, (str, os.PathLike)):
            raise TypeError(f"{type(self).__name__}: root must be a folder path, got "
                            f"{type_name(root)}")
        for name, fn in (("transform", transform), ("target_transform", target_transform)):
            if fn is not None and not callable(fn):
                raise TypeError(f"{type(self).__name__}: {name} must be callable, got "
                                f"{type_name(fn)}")
        self.root = os.path.expanduser(root)
        self.train = bool(train)
        self.transform = transform
        self.target_transform = target_transform
        base = self._load(Path(self.root), bool(download))
        self.data = Tensor(base.data, dtype=np.uint8)
        self.targets = Tensor(base.targets)
        self.classes = list(base.classes)
        self.source = base.source

    def _load(self, root: Path, download: bool) -> Any:
        raw = root / self._folder / "raw"
        for folder in (raw, root / self._folder, root, None):  # None: tinynet's own places
            try:
                return self._tinynet_class(root=folder, train=self.train, download=False)
            except DatasetNotFoundError:
                pass
        # download into torchvision's folder if asked; offline, MNIST becomes the embedded digits
        try:
            return _tinynet_datasets.load_dataset(self._tinynet_name, train=self.train,
                                                  root=raw, download=download)
        except DatasetNotFoundError as e:  # Fashion-MNIST: say where, in torchvision's terms
            split = "training" if self.train else "test"
            why = "the download failed" if download else "download=False"
            files = " and ".join(f"{stem}.gz" for stem in _tinynet_datasets._split_files(
                self.train))
            raise DatasetNotFoundError(
                f"{type(self).__name__}: no {split} files in {raw} ({why}; also looked in "
                f"{root / self._folder}, {root} and "
                f"{_tinynet_datasets.default_root(self._tinynet_name)}); put {files} in "
                f"{raw}" + ("" if download else ", or pass download=True")) from e

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.classes)}

    def __len__(self) -> int:
        return len(self.targets.array)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        img, target = self.data.array[index], int(self.targets.array[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    @property
    def to_arrays(self) -> Callable[[], tuple[np.ndarray, np.ndarray]]:
        """All items at once, for DataLoader's fast path -- only when the transform is
        ``ToTensor`` (+ ``Normalize``) and there is no target transform; otherwise
        missing, and the DataLoader transforms image by image."""
        apply = batch_transform(self.transform) if self.transform is not None else None
        if apply is None or self.target_transform is not None:
            raise AttributeError("to_arrays: this dataset's transforms run image by image")
        return lambda: (apply(self.data.array), self.targets.array)

    # torchvision's old names (renamed to data / targets)
    @property
    def train_data(self) -> Tensor:
        warnings.warn("train_data has been renamed data", UserWarning, stacklevel=2)
        return self.data

    @property
    def test_data(self) -> Tensor:
        warnings.warn("test_data has been renamed data", UserWarning, stacklevel=2)
        return self.data

    @property
    def train_labels(self) -> Tensor:
        warnings.warn("train_labels has been renamed targets", UserWarning, stacklevel=2)
        return self.targets

    @property
    def test_labels(self) -> Tensor:
        warnings.warn("test_labels has been renamed targets", UserWarning, stacklevel=2)
        return self.targets

    def __repr__(self) -> str:
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}",
                 f"    Root location: {self.root}", f"    Split: {'Train' if self.train else 'Test'}",
                 f"    Source: {self.source}"]
        if self.transform is not None:
            lines.append("    Transform: " + repr(self.transform).replace("\n", "\n    "))
        if self.target_transform is not None:
            lines.append(f"    Target transform: {self.target_transform!r}")
        return "\n".join(lines)


class FashionMNIST(MNIST):
    """torchvision's FashionMNIST: Zalando's clothing images, 60,000 / 10,000."""

    _tinynet_name = "fashion-mnist"
    _tinynet_class = _tinynet_datasets.FashionMNIST
    _folder = "FashionMNIST"
