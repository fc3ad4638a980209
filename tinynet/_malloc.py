"""Keep glibc from returning large blocks to the OS after every training step.

A training step allocates and frees the same large arrays (activations, im2col
buffers, gradients) again and again.  By default glibc serves blocks over 128 kB
(adaptively up to 32 MB) with mmap and gives them back with munmap when freed, so the
next step page-faults every page again: on this project's reference CNN that was
~2,400 page faults and a third of the step's time.  Raising the mmap and trim
thresholds keeps those blocks in the heap for reuse.  Peak memory is unchanged (the
same blocks are live at the peak); memory is just not handed back between steps.

Set ``TINYNET_NO_MALLOPT=1`` to leave the allocator alone.  Elsewhere than glibc
(macOS, Windows, musl) this does nothing.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024    # glibc's maximum on 64-bit
TRIM_THRESHOLD = 256 * 1024 * 1024


def tune_malloc() -> bool:
    """Raise glibc's mmap/trim thresholds; True if applied."""
    if os.environ.get("TINYNET_NO_MALLOPT") or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
