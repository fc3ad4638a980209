"""Files and folders, carefully: only regular files are opened, an output folder has one
writer at a time, our own leftovers are cleaned up, and OS errors read as one line.

* :func:`open_regular` refuses a FIFO, a device or a socket *before* opening it (opening
  a FIFO for reading blocks until someone writes to it: a hang, not an error), and checks
  again on the open file, in case the path was swapped in between.
* :func:`lock_folder` takes an exclusive ``flock`` on ``FOLDER/.tinynet.lock`` for as
  long as a command writes into FOLDER; a second process gets :class:`FolderInUseError`
  at once, naming the first one's PID.
* :func:`remove_stale_parts` deletes the temporary ``.NAME.XXXXXXXX.part`` files that
  :func:`tinynet._atomic.atomic_open` leaves behind when a process is killed mid-write.
* :func:`os_error_text` turns an ``OSError`` into one line ("File name too long: PATH").
"""
from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator, Optional, Union

try:
    import fcntl
except ImportError:  # Windows: no flock, so no lock (one writer is then the user's care)
    fcntl = None  # type: ignore[assignment]

__all__ = ["NotRegularFileError", "FolderInUseError", "special_kind", "check_regular",
           "open_regular", "lock_folder", "LOCK_NAME", "remove_stale_parts", "os_error_text"]

LOCK_NAME = ".tinynet.lock"


class NotRegularFileError(OSError):
    """The path is a FIFO, a device or a socket where a regular file was expected."""


class FolderInUseError(OSError):
    """Another process holds the folder's lock (its PID is in the message)."""


_KINDS = [(stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISDIR, "a directory")]


def special_kind(mode: int) -> Optional[str]:
    """What a ``st_mode`` is when it is not a regular file ("a FIFO (named pipe)", ...)."""
    if stat.S_ISREG(mode):
        return None
    return next((what for test, what in _KINDS if test(mode)), "not a regular file")


def check_regular(path: Union[str, os.PathLike]) -> None:
    """Raise unless ``path`` is a regular file (following symlinks), without opening it.

    FileNotFoundError (and other OSErrors of ``stat``) pass through; a directory raises
    IsADirectoryError, anything else :class:`NotRegularFileError`.
    """
    _refuse(path, os.stat(path).st_mode)


def _refuse(path: Union[str, os.PathLike], mode: int) -> None:
    kind = special_kind(mode)
    if kind == "a directory":
        raise IsADirectoryError(errno.EISDIR, "is a directory, not a file", str(path))
    if kind is not None:
        raise NotRegularFileError(f"'{path}' is {kind}, not a regular file")


def open_regular(path: Union[str, os.PathLike]) -> BinaryIO:
    """``open(path, "rb")`` for a regular file only; never blocks on a FIFO.

    The mode is checked with ``stat`` first and again with ``fstat`` on the descriptor,
    which is opened with ``O_NONBLOCK`` (the path may have changed in between).
    """
    check_regular(path)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        _refuse(path, os.fstat(fd).st_mode)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


# --------------------------------------------------------------------------
# One writer per folder
# --------------------------------------------------------------------------
def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
    except OSError:
        text = ""
    return f"PID {text}" if text.isdigit() else "PID unknown"


@contextlib.contextmanager
def lock_folder(folder: Union[str, os.PathLike]) -> Iterator[Path]:
    """Hold an exclusive lock on ``folder`` (which must exist) for the ``with`` block.

    The lock is ``flock`` on ``folder/.tinynet.lock``, which holds the owner's PID and is
    removed on release; the kernel drops the lock when its process dies, however it dies,
    so a stale lock file never blocks anyone.  Raises :class:`FolderInUseError` at once if
    another process holds it.  Where the file system cannot lock, nothing is locked.
    """
    path = Path(folder) / LOCK_NAME
    if fcntl is None:
        yield path
        return
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) \
        | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    while True:
        fd = os.open(path, flags, 0o644)
        try:
            _refuse(path, os.fstat(fd).st_mode)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            who = _holder(fd)
            os.close(fd)
            raise FolderInUseError(f"{folder} is in use by another tinynet process ({who})") \
                from None
        except OSError as e:
            if e.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
                os.close(fd)
                raise
            break  # a file system without locks (some network mounts): carry on unlocked
        # The previous holder removes the file as it releases it: if that happened between
        # our open and our flock, we hold a lock on a deleted file.  Try again.
        try:
            now = os.stat(path)
            same = (now.st_ino, now.st_dev) == (os.fstat(fd).st_ino, os.fstat(fd).st_dev)
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        with contextlib.suppress(OSError):  # the PID is for the message only
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)  # while still holding the lock (see the retry above)
        os.close(fd)


def remove_stale_parts(folder: Union[str, os.PathLike], names: Iterable[str]) -> list[Path]:
    """Delete ``folder/.NAME.XXXXXXXX.part`` for each NAME in ``names``: temporary files of
    :func:`tinynet._atomic.atomic_open` left by a process killed while writing NAME.

    Call it only while holding the folder's lock (no live writer owns such a file).
    Returns the paths removed.  Other files are never touched.
    """
    pattern = re.compile(r"\.(%s)\.[a-z0-9_]{8}\.part" % "|".join(map(re.escape, names)))
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


# --------------------------------------------------------------------------
# One line for an OSError
# --------------------------------------------------------------------------
_HINTS = {
    errno.ENAMETOOLONG: "a file or folder name may have at most 255 bytes",
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exhausted",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
}


def os_error_text(e: OSError) -> str:
    """``e`` as one line: what went wrong and the path, e.g.
    ``File name too long (a file or folder name may have at most 255 bytes): /tmp/xxx...``."""
    if e.strerror:
        hint = _HINTS.get(e.errno or 0)
        text = e.strerror if hint is None or hint.lower() == e.strerror.lower() \
            else f"{e.strerror} ({hint})"
        if e.filename is not None:
            text += f": {os.fsdecode(e.filename)}"
    else:
        text = str(e) or type(e).__name__
    return " ".join(text.split())
