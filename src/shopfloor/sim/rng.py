"""Random streams: one seeded generator per (equipment, purpose), independent of build order.

Each stream is derived from the run's seed and stable keys (the equipment path and what the
stream is for), never from the order in which objects are created or from a shared generator.
So attaching an outlet (which draws sensor noise from its own streams) or adding a tag cannot
change the production outcome of a seed.
"""

from __future__ import annotations

import zlib

import numpy as np


def key_int(text: str) -> int:
    """A stable 32-bit integer for a text key (CRC-32, identical across processes)."""
    return zlib.crc32(text.encode("utf-8"))


def stream(seed: int, *keys: str) -> np.random.Generator:
    """The generator for ``keys`` (e.g. an equipment path and ``"failures"``) in run ``seed``."""
    entropy = [seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF, *(key_int(k) for k in keys)]
    return np.random.default_rng(np.random.SeedSequence(entropy))


def lognormal(rng: np.random.Generator, mean: float, cv: float) -> float:
    """A positive draw with the given mean and coefficient of variation (``cv`` 0 = exact)."""
    if cv <= 0:
        return mean
    sigma2 = np.log1p(cv * cv)
    return float(rng.lognormal(np.log(mean) - sigma2 / 2, np.sqrt(sigma2)))
