"""Reading the arrays of an ``.npz`` (zip) archive without trusting what it says about sizes.

``np.load`` believes an ``.npy`` header: a 3 kB zip member whose header declares a
4 GiB array makes it allocate and fill 4 GiB before noticing the data is not there.
:class:`BoundedNpz` checks every member before reading it:

* the header's size (shape x itemsize) plus the header must equal the member's
  uncompressed size in the zip directory;
* a stored member's compressed size must equal its size; a deflated member cannot
  expand by more than deflate's maximum ratio (about 1032:1);
* all members together must fit in ``max_bytes`` (a larger archive needs a larger bound).

The data is then read in chunks into an array of exactly the declared size, so memory
follows the data really present, whatever the file claims.
"""
from __future__ import annotations

import math
import zipfile
from typing import IO

import numpy as np

__all__ = ["BoundedNpz", "NpzError", "PickledArrayError", "DEFAULT_MAX_BYTES", "DEFLATE_MAX_RATIO"]

DEFAULT_MAX_BYTES = 2 * 1024 ** 3  # 2 GiB of arrays; more needs an explicit max_bytes=
DEFLATE_MAX_RATIO = 1032           # deflate's best case: 258 bytes from about 2 bits
_HEADER_MAX = 10_000               # numpy's own limit on an .npy header's length
_CHUNK = 1 << 20


class NpzError(ValueError):
    """The archive or one of its members is corrupt, oversized or not an array."""


class PickledArrayError(NpzError):
    """A member holds an object array: reading it would mean unpickling (running code)."""


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1024 ** 3), ("MiB", 1024 ** 2), ("kiB", 1024)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n} bytes"


class BoundedNpz:
    """The ``.npy`` members of an open zip file, read with the checks above.

    ``names`` are the members' names without ``.npy``, as ``np.load(...).files``; a
    member whose name does not end in ``.npy`` is listed in ``others``.
    """

    def __init__(self, f: IO[bytes], max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.zip = zipfile.ZipFile(f)
        infos = self.zip.infolist()
        self.members = {i.filename[:-4]: i for i in infos if i.filename.endswith(".npy")}
        self.others = {i.filename for i in infos if not i.filename.endswith(".npy")}
        total = sum(i.file_size for i in infos)
        if total > max_bytes:
            raise NpzError(f"its members hold {_size(total)} ({total:,} bytes), more than "
                           f"max_bytes={max_bytes:,}; pass a larger max_bytes= to read it")
        for info in infos:
            self._check_sizes(info)

    @property
    def files(self) -> list[str]:
        return list(self.members)

    def close(self) -> None:
        self.zip.close()

    def __enter__(self) -> "BoundedNpz":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def _check_sizes(info: zipfile.ZipInfo) -> None:
        name, size, packed = info.filename, info.file_size, info.compress_size
        if info.compress_type == zipfile.ZIP_STORED:
            if packed != size:
                raise NpzError(f"member '{name}' is stored uncompressed but the zip directory "
                               f"gives it {packed:,} bytes stored and {size:,} bytes of data")
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            if size > packed * DEFLATE_MAX_RATIO + 1024:
                raise NpzError(f"member '{name}' claims {_size(size)} from {_size(packed)} "
                               f"of deflated data, more than deflate can expand to")
        else:  # bzip2/lzma can expand without a useful bound; numpy never writes them
            raise NpzError(f"member '{name}' uses zip compression method "
                           f"{info.compress_type}; only stored and deflated members are read")

    def read(self, name: str) -> np.ndarray:
        """The array in member ``name + '.npy'``; NpzError if it is not a sound array."""
        info = self.members[name]
        with self.zip.open(info) as member:
            try:
                version = np.lib.format.read_magic(member)
            except ValueError:
                raise NpzError(f"member '{info.filename}' is not an .npy array") from None
            read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                           (2, 0): np.lib.format.read_array_header_2_0}.get(version)
            if read_header is None:
                raise NpzError(f"member '{info.filename}' has .npy format version "
                               f"{version}, which is not read")
            try:
                shape, fortran, dtype = read_header(member, max_header_size=_HEADER_MAX)
            except ValueError as e:
                raise NpzError(f"member '{info.filename}' has a bad .npy header "
                               f"({' '.join(str(e).split())[:120]})") from None
            if dtype.hasobject:
                raise PickledArrayError(f"member '{info.filename}' holds a pickled object array")
            count = math.prod(shape)
            declared = count * dtype.itemsize + member.tell()
            if declared != info.file_size:
                raise NpzError(f"member '{info.filename}' declares a {dtype} array of shape "
                               f"{shape} ({declared:,} bytes with its header), but the zip "
                               f"directory gives it {info.file_size:,} bytes")
            arr = np.empty(count, dtype=dtype)
            view = memoryview(arr.view(np.uint8).reshape(-1))
            done = 0
            while done < len(view):
                n = member.readinto(view[done:done + _CHUNK])
                if not n:
                    raise NpzError(f"member '{info.filename}' is truncated: {done:,} of "
                                   f"{len(view):,} data bytes")
                done += n
            if member.read(1):  # also lets zipfile check the CRC at the end
                raise NpzError(f"member '{info.filename}' has bytes after its array")
        return arr.reshape(shape, order="F" if fortran else "C")
