"""Write a file so that readers see either the old file or the complete new one, never half.

Everything tinynet writes for a user -- checkpoints, metrics, plots, downloads, IDX files --
goes through :func:`atomic_open`: the data goes to a temporary file in the same folder,
which is flushed to disk and then renamed over the target in one step (``os.replace``).
If anything fails on the way, the temporary file is removed and the target is untouched.
As with a plain ``open(path, "wb")``, a symlink is written through (its target gets the
new contents and the link stays) and an existing file keeps its permissions; a file the
user may not write, a directory or a loop of links is refused before anything is written.
"""
from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path
from typing import IO, Iterator, Union

__all__ = ["atomic_open"]


@contextlib.contextmanager
def atomic_open(path: Union[str, os.PathLike], mode: str = "wb") -> Iterator[IO]:
    """``with atomic_open(path, "wb") as f: f.write(...)`` -- ``path`` appears only on success.

    ``mode`` is ``"wb"`` or ``"w"`` (text, UTF-8, no newline translation).  A new file
    gets the permissions of any new file (0o666 minus the umask), a replaced one keeps its own.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_open: mode must be 'wb' or 'w', got {mode!r}")
    path = asked = Path(path)
    if path.is_symlink():  # replace the link's target, not the link
        path = Path(os.path.realpath(path))
        if path.is_symlink():  # realpath stops inside a loop of links
            raise OSError(errno.ELOOP, "too many levels of symbolic links", str(asked))
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a directory, not a file name", str(asked))
    if path.exists() and not os.access(path, os.W_OK):  # as open(): a read-only file stays
        raise PermissionError(errno.EACCES, "the file is read-only", str(asked))
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    except FileNotFoundError:  # name the file asked for, not the temporary one
        raise FileNotFoundError(errno.ENOENT, f"directory '{path.parent}' does not exist",
                                str(path)) from None
    try:
        try:
            file_mode = os.stat(path).st_mode & 0o7777
        except OSError:  # a new file: mkstemp makes 0o600, give it a normal file's mode
            umask = os.umask(0)
            os.umask(umask)
            file_mode = 0o666 & ~umask
        os.chmod(tmp, file_mode)
        kwargs = {"encoding": "utf-8", "newline": ""} if mode == "w" else {}
        with os.fdopen(fd, mode, **kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    with contextlib.suppress(OSError, AttributeError):  # make the rename itself durable
        dfd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
