"""tinynet's one random source.

Everything random in tinynet -- ``rand``/``randn``, parameter initialisation,
dropout masks, data shuffling -- draws from the single generator below, so
``tinynet.manual_seed(s)`` makes a whole run reproducible bit for bit.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from tinynet._names import type_name
from tinynet.compat.device import check_device

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


class Generator:
    """A random stream of its own, as PyTorch's ``torch.Generator``: passed as
    ``generator=`` to ``rand``/``randn``/``randint``/``randperm``/``normal``,
    ``random_split`` and ``DataLoader``, it draws instead of the global generator, so
    ``random_split(ds, [0.8, 0.2], generator=Generator().manual_seed(42))`` gives the same
    split whatever else the program draws.  (Its numbers are not PyTorch's.)
    """

    def __init__(self, device: Any = "cpu") -> None:
        check_device("Generator", device)
        self.manual_seed(67280421310721)  # PyTorch's default seed of a new Generator

    def manual_seed(self, seed: int) -> "Generator":
        """Restart the stream from ``seed``; returns the generator itself."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"Generator.manual_seed: seed must be an int, got {type_name(seed)}")
        if seed < 0:
            raise ValueError(f"Generator.manual_seed: seed must be >= 0, got {seed}")
        self._seed = int(seed)
        self.numpy = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def initial_seed(self) -> int:
        return self._seed

    def seed(self) -> int:
        """Reseed from the operating system's entropy; returns the new seed."""
        self.manual_seed(int(np.random.SeedSequence().entropy) % 2 ** 63)
        return self._seed

    def get_state(self) -> dict[str, Any]:
        return self.numpy.bit_generator.state

    def set_state(self, state: dict[str, Any]) -> "Generator":
        self.numpy.bit_generator.state = state
        return self


def generator_or_global(generator: Any, where: str) -> np.random.Generator:
    """The numpy generator to draw from: ``generator``'s if one is given, else the global one."""
    if generator is None:
        return _generator
    if not isinstance(generator, Generator):
        raise TypeError(f"{where}: generator must be a tinynet Generator, got "
                        f"{type_name(generator)}")
    return generator.numpy
