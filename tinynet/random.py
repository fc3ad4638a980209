"""tinynet's one random source.

Everything random in tinynet -- ``rand``/``randn``, parameter initialisation,
dropout masks, data shuffling -- draws from the single generator below, so
``tinynet.manual_seed(s)`` makes a whole run reproducible bit for bit.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from tinynet._names import type_name

_generator = np.random.Generator(np.random.PCG64(0))


def manual_seed(seed: int) -> None:
    """Reset tinynet's generator: the same seed gives the same stream of numbers."""
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed: seed must be an int, got {type_name(seed)}")
    if seed < 0:
        raise ValueError(f"manual_seed: seed must be >= 0, got {seed}")
    _generator = np.random.Generator(np.random.PCG64(int(seed)))


def generator() -> np.random.Generator:
    """The generator every random draw in tinynet uses."""
    return _generator


def get_rng_state() -> dict[str, Any]:
    """A JSON-friendly snapshot of the generator (saved in checkpoints for exact resume)."""
    return _generator.bit_generator.state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore a snapshot taken by :func:`get_rng_state`."""
    if not isinstance(state, dict) or state.get("bit_generator") != "PCG64":
        raise ValueError("set_rng_state: expected a state dict from tinynet.get_rng_state()")
    bg = np.random.PCG64()
    bg.state = state
    global _generator
    _generator = np.random.Generator(bg)
