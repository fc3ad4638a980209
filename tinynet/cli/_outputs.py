"""The rule for every command's outputs: an output folder belongs to one run at a time, and
what an earlier run wrote there is never replaced without ``--overwrite``.

``train``, ``compare-dropout`` and ``graph`` each write a few files into one folder.
:func:`claim_output_folder` creates that folder if needed, takes its lock for the
command's whole life (a second tinynet process on the same folder stops at once, naming
the first one's PID), and removes what a killed writer left behind: temporary
``.NAME.XXXXXXXX.part`` files of the command's own file names, nothing else.
:func:`refuse_to_replace` is the one message for outputs that are already there.
"""
from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path
from typing import Iterable, Iterator, Optional, Sequence, Union

from .._files import (FolderInUseError, lock_folder, os_error_text, remove_stale_parts,
                      special_kind)
from . import CLIError

__all__ = ["claim_output_folder", "refuse_to_replace", "existing", "file_kind"]


def _make_folders(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; return those created, deepest last."""
    missing = []
    p = folder
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    created = []
    for p in reversed(missing):
        try:
            p.mkdir()
        except FileExistsError:  # made meanwhile by someone else: not ours to remove
            continue
        created.append(p)
    return created


@contextlib.contextmanager
def claim_output_folder(folder: Path, names: Iterable[str], flag: str = "--out",
                        create: bool = True) -> Iterator[Path]:
    """Hold ``folder`` for the ``with`` block: create it (unless ``create=False``), lock it,
    delete stale temporary files of ``names``.  On the way out the lock is released and
    any folder this call created is removed again if it is still empty (a run that
    failed before writing anything leaves nothing behind).

    Raises CLIError (one line) if another process holds the folder or it cannot be written.
    """
    folder = Path(folder)
    created: list[Path] = []
    lock = contextlib.ExitStack()
    try:
        try:
            if create:
                created = _make_folders(folder)
        except OSError as e:
            raise CLIError(f"{flag} {folder}: cannot create it ({os_error_text(e)})") from None
        try:
            lock.enter_context(lock_folder(folder))
        except FolderInUseError as e:
            raise CLIError(f"{flag} {e}; wait for it to finish or choose another "
                           f"{flag}") from None
        except OSError as e:
            raise CLIError(f"{flag} {folder}: cannot write there "
                           f"({_why_not(e, folder)})") from None
        with lock:
            remove_stale_parts(folder, names)
            yield folder
    finally:
        for p in reversed(created):
            with contextlib.suppress(OSError):
                p.rmdir()  # only if empty


def _why_not(e: OSError, folder: Path) -> str:
    # /proc answers ENOENT for a new file in a folder that exists: say what that means
    if e.errno == errno.ENOENT and folder.is_dir():
        return "the file system there does not allow new files"
    return e.strerror or str(e)


def file_kind(path: Union[str, os.PathLike], flag: str = "--out") -> Optional[str]:
    """None for a regular file or no file; else what is there ("a FIFO (named pipe)",
    "a directory", ...).  A name the OS refuses (over 255 bytes, ...) is a CLIError."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as e:
        raise CLIError(f"{flag} {path}: {os_error_text(e).split(': ')[0]}") from None
    return special_kind(mode)


def existing(paths: Iterable[Path]) -> list[Path]:
    """Those of ``paths`` that exist (a dangling symlink counts: it is in the way too)."""
    return [p for p in paths if os.path.lexists(p)]


def refuse_to_replace(found: Sequence[Path], what: str, flag: str = "--out") -> CLIError:
    """The error for outputs of an earlier run that are in the way (``--overwrite`` not given)."""
    names = ", ".join(str(p) for p in found)
    return CLIError(f"{names} already hold{'s' * (len(found) == 1)} {what}; replace "
                    f"{'it' if len(found) == 1 else 'them'} with --overwrite, or choose "
                    f"another {flag}")
