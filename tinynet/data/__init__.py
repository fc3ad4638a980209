"""Datasets and batching: MNIST / Fashion-MNIST from IDX files, embedded digits, a DataLoader.

    from tinynet.data import load_dataset, DataLoader
    train = load_dataset("mnist", train=True)      # files, download, or 5,000 embedded digits
    for images, labels in DataLoader(train, batch_size=64, shuffle=True):
        ...                                        # float32 (64, 1, 28, 28), int64 (64,)
"""
from .idx import DatasetError, DatasetNotFoundError, read_idx, write_idx
from .download import ChecksumError, DownloadError
from .datasets import (ImageDataset, MNIST, FashionMNIST, load_embedded_mnist, load_dataset,
                       default_root)
from .loader import DataLoader, Dataset, TensorDataset, default_collate
from .subset import Subset, random_split

__all__ = ["read_idx", "write_idx", "MNIST", "FashionMNIST", "ImageDataset",
           "load_embedded_mnist", "load_dataset", "default_root", "DataLoader", "Dataset",
           "TensorDataset", "default_collate", "Subset", "random_split", "DatasetError", "DatasetNotFoundError", "DownloadError",
           "ChecksumError"]
