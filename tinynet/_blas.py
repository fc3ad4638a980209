"""Which BLAS numpy uses and with how many threads: the condition of bit-for-bit repeatability.

A matrix product split over 2 threads adds its partial sums in another order than on 1
thread, so the last bits of the results differ, and over a training run they grow into
different weights.  The same seed therefore gives the same run only with the same BLAS
library and thread count; a checkpoint records both (:func:`blas_info`) so that a resume
under different conditions can say so.

The library comes from ``numpy.show_config``; the thread count is asked of the library
itself, found among the shared objects this process has loaded (as threadpoolctl does,
without depending on it).  Where that is not possible (not Linux, an unknown BLAS) the
count is None: unknown, and then never reported as a difference.
"""
from __future__ import annotations

import ctypes
import os
from typing import Any, Optional

__all__ = ["blas_info", "describe_blas", "resume_warning"]

# shared-object name fragment -> functions that return its current thread count
_THREAD_QUERIES = {
    "openblas": ["scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads",
                 "openblas_get_num_threads64_", "openblas_get_num_threads"],
    "mkl_rt": ["MKL_Get_Max_Threads"],
    "blis": ["bli_thread_get_num_threads"],
}


def _library_name() -> str:
    import numpy as np
    try:
        deps = np.show_config(mode="dicts")["Build Dependencies"]  # numpy >= 1.26
        blas = deps["blas"]
        return f"{blas.get('name', 'unknown')} {blas.get('version', '')}".strip()
    except Exception:  # older numpy prints its config instead: fall back to the file name
        return ""


def _loaded_blas() -> Optional[tuple[str, str]]:
    """(path, kind) of the first BLAS shared object mapped into this process."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split(None, 5)[-1].strip() for line in f if ".so" in line}
    except OSError:
        return None
    for kind in _THREAD_QUERIES:
        for path in sorted(paths):
            if kind in os.path.basename(path).lower():
                return path, kind
    return None


def _threads(path: str, kind: str) -> Optional[int]:
    try:
        lib = ctypes.CDLL(path)
    except OSError:
        return None
    for name in _THREAD_QUERIES[kind]:
        fn = getattr(lib, name, None)
        if fn is not None:
            fn.restype, fn.argtypes = ctypes.c_int, []
            n = int(fn())
            return n if n > 0 else None
    return None


def blas_info() -> dict[str, Any]:
    """``{"library": "scipy-openblas 0.3.31", "threads": 2}``; threads None if unknown."""
    name = _library_name()  # imports numpy, which loads the BLAS: now it can be found
    found = _loaded_blas()
    name = name or (os.path.basename(found[0]) if found else "unknown")
    return {"library": name, "threads": _threads(*found) if found else None}


def describe_blas(info: Any) -> str:
    """``scipy-openblas 0.3.31 with 2 threads`` (for messages)."""
    if not isinstance(info, dict):
        return "an unknown BLAS"
    threads = info.get("threads")
    n = f"{threads} thread{'s' * (threads != 1)}" if isinstance(threads, int) else \
        "an unknown number of threads"
    return f"{str(info.get('library', 'an unknown BLAS'))[:80]} with {n}"


def resume_warning(saved: Any, now: dict[str, Any]) -> Optional[str]:
    """The one-line warning for a resume under other BLAS conditions than the checkpoint
    was written under, or None when they match (or the checkpoint does not say)."""
    if not isinstance(saved, dict):
        return None
    t_saved, t_now = saved.get("threads"), now.get("threads")
    same_threads = not (isinstance(t_saved, int) and isinstance(t_now, int)) \
        or t_saved == t_now
    if same_threads and saved.get("library") == now.get("library"):
        return None
    hint = ""
    if not same_threads and "openblas" in str(now.get("library", "")).lower() \
            and saved.get("library") == now.get("library"):
        hint = f" (OPENBLAS_NUM_THREADS={t_saved} matches it)"
    return (f"it was trained with {describe_blas(saved)}, this process has "
            f"{describe_blas(now)}: the continuation will not be bit-identical to an "
            f"uninterrupted run{hint}")
