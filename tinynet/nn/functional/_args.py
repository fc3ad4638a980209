"""Argument checks shared by the conv and pooling ops and their modules."""
from __future__ import annotations

from typing import Any

import numpy as np


def pair(value: Any, name: str, minimum: int, op: str) -> tuple[int, int]:
    """An int or a pair of ints, each >= ``minimum``, as a pair (PyTorch's ``_pair``).

    Raises TypeError/ValueError naming ``op`` and the argument ``name``.
    """
    vals = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(vals) != 2 or any(isinstance(e, bool) or not isinstance(e, (int, np.integer))
                             for e in vals):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if any(e < minimum for e in vals):
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return int(vals[0]), int(vals[1])
