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
from .._files import NotRegularFileError, open_regular, special_kind

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


DEFAULT_MAX_BYTES = 2 * 1024 ** 3  # an IDX payload larger than 2 GiB needs max_bytes=
_GZIP_MAX_RATIO = 1032              # deflate's best case: 258 bytes from about 2 bits
_CHUNK = 1 << 20


def _open(path: Path):
    """The file, opened for reading; only a regular file (a FIFO would block)."""
    try:
        return open_regular(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"IDX file not found: {path}") from None
    except IsADirectoryError:
        raise DatasetError(f"{path}: is a directory, expected an IDX file") from None
    except NotRegularFileError:
        raise DatasetError(f"{path}: is {_kind(path)}, expected an IDX file (a regular "
                           f"file)") from None


def _kind(path: Path) -> str:
    try:
        return special_kind(os.stat(path).st_mode) or "not a regular file"
    except OSError:
        return "not a regular file"


def _read_exact(stream, n: int) -> bytes:
    """Up to ``n`` bytes (fewer only at the end of the data)."""
    parts, left = [], n
    while left:
        chunk = stream.read(min(left, _CHUNK))
        if not chunk:
            break
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def read_idx(path: PathLike, max_bytes: int = DEFAULT_MAX_BYTES) -> np.ndarray:
    """Read an IDX file (raw or gzip) into a native-endian numpy array of shape ``dims``.

    The header is read first and the size it declares is checked before any data is:
    against the file's size (raw), against what a gzip file of this size can expand to,
    and against ``max_bytes``.  A gzip file is decompressed as a stream, never past the
    declared size plus one byte, so memory follows the data really present.

    Raises:
        FileNotFoundError: the file does not exist.
        DatasetError: bad magic number, unknown dtype code, a payload whose length is
            not exactly ``prod(dims) * itemsize`` (truncated or trailing bytes), a size
            over ``max_bytes``, corrupt gzip data, or not a regular file.
    """
    path = Path(path)
    with _open(path) as raw:
        size = os.fstat(raw.fileno()).st_size
        is_gzip = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        if not is_gzip and path.suffix == ".gz":
            raise DatasetError(f"{path}: named .gz but is not gzip data (bad gzip header)")
        try:
            if is_gzip:
                with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
                    return _read_payload(path, stream, None, size, max_bytes)
            return _read_payload(path, raw, size, size, max_bytes)
        except (OSError, EOFError, zlib.error) as e:  # BadGzipFile is an OSError
            if not is_gzip:
                raise
            raise DatasetError(f"{path}: corrupt or truncated gzip data ({e})") from None


def _read_payload(path: Path, stream, raw_size, file_size: int, max_bytes: int) -> np.ndarray:
    """Header, checks, then the data; ``raw_size`` is None for a gzip stream."""
    head = _read_exact(stream, 4)
    if len(head) < 4:
        raise DatasetError(f"{path}: file too short for an IDX header ({len(head)} bytes)")
    zero, code, ndim = head[0:2], head[2], head[3]
    if zero != b"\x00\x00" or code not in _CODE_TO_DTYPE or ndim == 0:
        raise DatasetError(f"{path}: bad IDX magic number 0x{head.hex()} "
                           f"(expected 0x000008NN, e.g. 0x00000803 for images, "
                           f"0x00000801 for labels)")
    header = 4 + 4 * ndim
    rest = _read_exact(stream, header - 4)
    if len(rest) < header - 4:
        raise DatasetError(f"{path}: truncated IDX header (need {header} bytes for "
                           f"{ndim} dimensions, file has {4 + len(rest)})")
    dims = tuple(int(d) for d in np.frombuffer(rest, dtype=">u4"))
    dtype = _CODE_TO_DTYPE[code]
    expected = math.prod(dims) * dtype.itemsize  # Python ints: no int64 overflow
    if raw_size is not None and raw_size - header != expected:
        got = raw_size - header
        what = "truncated" if got < expected else "trailing bytes after the data"
        raise DatasetError(f"{path}: {what}: dims {dims} need {expected} data bytes, "
                           f"file has {got}")
    if raw_size is None and expected + header > file_size * _GZIP_MAX_RATIO + 1024:
        raise DatasetError(f"{path}: truncated or forged: dims {dims} need {expected} data "
                           f"bytes, more than a {file_size}-byte gzip file can hold")
    if expected > max_bytes:
        raise DatasetError(f"{path}: dims {dims} need {expected:,} data bytes, more than "
                           f"max_bytes={max_bytes:,}")
    arr = np.empty(math.prod(dims), dtype=dtype)
    view = memoryview(arr.view(np.uint8).reshape(-1))
    got = 0
    while got < expected:
        n = stream.readinto(view[got:got + _CHUNK])
        if not n:
            raise DatasetError(f"{path}: truncated: dims {dims} need {expected} data bytes, "
                               f"file has {got}")
        got += n
    if stream.read(1):  # for gzip, reading to the end also checks the CRC
        raise DatasetError(f"{path}: trailing bytes after the data: dims {dims} need "
                           f"{expected} data bytes")
    return arr.reshape(dims).astype(dtype.newbyteorder("="), copy=False)


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
