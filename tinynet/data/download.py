"""Download the standard MNIST / Fashion-MNIST IDX files, checked against their MD5s.

Each file is streamed to a temporary file next to its destination, its MD5 is
compared with the published one, and only then is it renamed into place: a
partial or wrong download never looks like a good file.

Offline, a download gives up quickly: every connection attempt (name lookup
included) shares one time budget, ``DEFAULT_TIMEOUT`` seconds for the whole
call, and the first file that no mirror can serve ends the attempt.  The
budget covers getting a connection and each wait for data, not the length of
a transfer that is making progress.
"""
from __future__ import annotations

import hashlib
import http.client
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterable, Optional
from urllib.parse import urlsplit

from .._atomic import atomic_open
from .idx import DatasetError

__all__ = ["MIRRORS", "MD5", "DEFAULT_TIMEOUT", "DownloadError", "ChecksumError",
           "download_file", "download_files"]

# Tried in order; each URL is a folder holding the four standard .gz files.
MIRRORS: dict[str, list[str]] = {
    "mnist": [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ],
    "fashion-mnist": [
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ],
}

# The published MD5s of the .gz files (the same ones torchvision checks).
MD5: dict[str, dict[str, str]] = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    },
}

DEFAULT_TIMEOUT = 5.0  # seconds, shared by all connection attempts of one download call
_CHUNK = 1 << 16


class DownloadError(DatasetError):
    """No mirror could deliver a file (no network, server down, timeout).

    ``reason`` is the short cause (e.g. "Connection refused"), without the URLs.
    """

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message


class ChecksumError(DatasetError):
    """A downloaded file's MD5 differs from the published one; the file was discarded."""


def _resolve(host: str, port: int, timeout: float) -> None:
    """Look ``host`` up within ``timeout`` seconds (socket timeouts do not cover DNS)."""
    result: list = []

    def lookup() -> None:
        try:
            result.append(socket.getaddrinfo(host, port))
        except OSError as e:
            result.append(e)

    worker = threading.Thread(target=lookup, daemon=True)  # daemon: a hung lookup can't block exit
    worker.start()
    worker.join(timeout)
    if not result:
        raise urllib.error.URLError(f"name lookup for {host} timed out")
    if isinstance(result[0], OSError):
        raise urllib.error.URLError(result[0])


def download_file(url: str, dest: Path, md5: Optional[str], timeout: float = DEFAULT_TIMEOUT,
                  progress: bool = True) -> None:
    """Fetch ``url`` into ``dest`` atomically, refusing it if its MD5 is not ``md5``.

    Raises:
        DownloadError: the server could not be reached or stopped answering.
        ChecksumError: the bytes arrived but their MD5 is wrong (nothing is kept).
    """
    parts = urlsplit(url)
    try:
        if parts.hostname:
            _resolve(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80),
                     timeout)
        response = urllib.request.urlopen(url, timeout=timeout)
    except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as e:
        reason = str(getattr(e, "reason", e))
        raise DownloadError(f"{url}: {reason}", reason) from None

    from tqdm import tqdm  # imported here: only downloads need it

    digest = hashlib.md5()
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)  # only now: an offline try leaves no folder
    except OSError as e:
        response.close()
        raise DownloadError(f"cannot create {dest.parent}: {e}", f"cannot create folder: {e}")
    with response, atomic_open(dest, "wb") as out:  # a failed check leaves no file
        total = int(response.headers.get("Content-Length") or 0) or None
        with tqdm(total=total, unit="B", unit_scale=True, desc=dest.name,
                  disable=None if progress else True, leave=False) as bar:
            while True:
                try:
                    chunk = response.read(_CHUNK)
                except (OSError, ValueError, http.client.HTTPException) as e:  # timeout, reset
                    raise DownloadError(f"{url}: transfer failed ({e})",
                                        f"transfer failed ({e})") from None
                if not chunk:
                    break
                out.write(chunk)
                digest.update(chunk)
                bar.update(len(chunk))
        if md5 is not None and digest.hexdigest() != md5:
            raise ChecksumError(f"{url}: MD5 {digest.hexdigest()} does not match the "
                                f"published {md5}; the download was discarded")


def download_files(name: str, filenames: Iterable[str], root: Path,
                   timeout: Optional[float] = None, progress: bool = True) -> None:
    """Download each of ``filenames`` (``.gz`` names) of dataset ``name`` into ``root``.

    Mirrors are tried in order for each file.  All connection attempts share one
    budget of ``timeout`` seconds (default :data:`DEFAULT_TIMEOUT`), so an offline
    machine gets its answer within that time.  A checksum mismatch is not retried
    on another mirror: it is raised at once.
    """
    budget = DEFAULT_TIMEOUT if timeout is None else timeout
    deadline = time.monotonic() + budget
    for filename in filenames:
        errors: list[DownloadError] = []
        for base in MIRRORS[name]:
            left = deadline - time.monotonic()
            if left <= 0:
                errors.append(DownloadError(f"gave up after {budget:g} s"))
                break
            try:
                download_file(base + filename, root / filename, MD5[name].get(filename),
                              timeout=left, progress=progress)
                break
            except DownloadError as e:
                errors.append(e)
        if not (root / filename).exists():
            reasons = list(dict.fromkeys(e.reason for e in errors))  # unique, in order
            raise DownloadError("; ".join(str(e) for e in errors) or f"no mirror for {name}",
                                "; ".join(reasons) or f"no mirror for {name}")
        # The network works: the next file gets a fresh budget.
        deadline = time.monotonic() + budget
