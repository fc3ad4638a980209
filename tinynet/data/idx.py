"""The IDX file format used by MNIST and Fashion-MNIST, read and written with numpy.

An IDX file is a 4-byte magic number, one big-endian uint32 per dimension, then
the values in C order::

    magic = 0x00 0x00 <dtype code> <ndim>      e.g. 0x00000803: uint8, 3-d (images)
    dims  = ndim x uint32, big-endian            e.g. 10000, 28, 28
    data  = prod(dims) values of that dtype, big-endian

MNIST's ``*-idx3-ubyte`` files hold images (N, 28, 28) and ``*-idx1-ubyte``
files hold labels (N,), both uint8.  Files may be gzip-compressed (``.gz``);
gzip is recognised by its first bytes, whatever the file is called.
"""
from __future__ import annotations

import gzip
import math
import os
import zlib
from pathlib import Path
from typing import Optional, Union

import numpy as np

from .._atomic import atomic_open

__all__ = ["DatasetError", "DatasetNotFoundError", "read_idx", "write_idx"]

PathLike = Union[str, "os.PathLike[str]"]

# IDX dtype code -> big-endian numpy dtype (the format's full table).
_CODE_TO_DTYPE = {
    0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


class DatasetError(ValueError):
    """A data file is corrupt or unusable (the message names the file), or a download failed."""


class DatasetNotFoundError(DatasetError, FileNotFoundError):
    """A dataset's files are not on disk and could not be downloaded.

    Both a :class:`DatasetError` and a :class:`FileNotFoundError`, so either
    ``except`` clause catches it.  The message says in one line where to put the files;
    the attributes say it to a program (the command line words it in its flags):
    ``folder`` (where the files were looked for, and where a download would go),
    ``files`` (the missing ``.gz`` names), ``split`` ("training" or "test") and
    ``reason`` (why the download failed; None if downloading was off).
    """

    def __init__(self, message: str, *, folder: Union[str, Path, None] = None,
                 files: tuple = (), split: str = "", reason: Optional[str] = None) -> None:
        super().__init__(message)
        self.folder = folder
        self.files = list(files)
        self.split = split
        self.reason = reason


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped if the file is gzip (by content or by a ``.gz`` name)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"IDX file not found: {path}") from None
    except IsADirectoryError:
        raise DatasetError(f"{path}: is a directory, expected an IDX file") from None
    if raw[:2] == _GZIP_MAGIC:
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:  # BadGzipFile is an OSError; EOFError = truncated
            raise DatasetError(f"{path}: corrupt or truncated gzip data ({e})") from None
    if path.suffix == ".gz":
        raise DatasetError(f"{path}: named .gz but is not gzip data (bad gzip header)")
    return raw


def read_idx(path: PathLike) -> np.ndarray:
    """Read an IDX file (raw or gzip) into a native-endian numpy array of shape ``dims``.

    Raises:
        FileNotFoundError: the file does not exist.
        DatasetError: bad magic number, unknown dtype code, or a payload whose
            length is not exactly ``prod(dims) * itemsize`` (truncated or trailing bytes).
    """
    path = Path(path)
    buf = _read_bytes(path)
    if len(buf) < 4:
        raise DatasetError(f"{path}: file too short for an IDX header ({len(buf)} bytes)")
    zero, code, ndim = buf[0:2], buf[2], buf[3]
    if zero != b"\x00\x00" or code not in _CODE_TO_DTYPE or ndim == 0:
        raise DatasetError(f"{path}: bad IDX magic number 0x{buf[:4].hex()} "
                           f"(expected 0x000008NN, e.g. 0x00000803 for images, "
                           f"0x00000801 for labels)")
    header = 4 + 4 * ndim
    if len(buf) < header:
        raise DatasetError(f"{path}: truncated IDX header (need {header} bytes for "
                           f"{ndim} dimensions, file has {len(buf)})")
    dims = tuple(int(d) for d in np.frombuffer(buf, dtype=">u4", count=ndim, offset=4))
    dtype = _CODE_TO_DTYPE[code]
    expected = math.prod(dims) * dtype.itemsize  # Python ints: no int64 overflow
    got = len(buf) - header
    if got != expected:
        what = "truncated" if got < expected else "trailing bytes after the data"
        raise DatasetError(f"{path}: {what}: dims {dims} need {expected} data bytes, "
                           f"file has {got}")
    arr = np.frombuffer(buf, dtype=dtype, offset=header).reshape(dims)
    return arr.astype(dtype.newbyteorder("="))  # a writable, native-endian copy


def write_idx(path: PathLike, array: np.ndarray) -> None:
    """Write ``array`` as an IDX file, gzip-compressed if ``path`` ends with ``.gz``.

    The file is written to a temporary name in the same folder and renamed into
    place (``os.replace``), so a reader never sees half a file.
    """
    path = Path(path)
    arr = np.asarray(array)
    codes = {dt.newbyteorder("="): code for code, dt in _CODE_TO_DTYPE.items()}
    native = arr.dtype.newbyteorder("=")
    if native not in codes:
        raise TypeError(f"write_idx: array dtype {arr.dtype} has no IDX code; use one of "
                        f"uint8, int8, int16, int32, float32, float64")
    if not 1 <= arr.ndim <= 255:
        raise ValueError(f"write_idx: array must have 1 to 255 dimensions, got {arr.ndim}")
    if any(d >= 2 ** 32 for d in arr.shape):
        raise ValueError(f"write_idx: dimensions must be < 2**32, got {arr.shape}")
    payload = (bytes([0, 0, codes[native], arr.ndim])
               + np.asarray(arr.shape, dtype=">u4").tobytes()
               + np.ascontiguousarray(arr, dtype=_CODE_TO_DTYPE[codes[native]]).tobytes())
    if path.suffix == ".gz":
        payload = gzip.compress(payload, mtime=0)  # mtime=0: same array, same bytes
    atomic_write_bytes(path, payload)


def atomic_write_bytes(path: Path, payload: bytes) -> None:
    """Write ``payload`` to ``path`` via a temporary file and ``os.replace``."""
    with atomic_open(path, "wb") as f:
        f.write(payload)
