"""Reconnection back-off: exponential, capped, spread by jitter from an injected RNG.

The n-th wait after a failure is ``min(cap, initial * 2**n)`` multiplied by a factor drawn
uniformly from ``[1 - jitter, 1 + jitter]`` (never above ``cap``), so many clients that lost
the same server do not all knock again in the same instant. A success resets it.
"""

from __future__ import annotations

from typing import Protocol

from shopfloor.errors import ConfigError


class Uniform(Protocol):
    """What the back-off needs of an RNG: ``random()`` in [0, 1) (``random.Random``, numpy's
    ``Generator``)."""

    def random(self) -> float: ...


class Backoff:
    def __init__(self, initial_s: float, cap_s: float, jitter: float, rng: Uniform) -> None:
        if not 0 < initial_s <= cap_s:
            raise ConfigError(f"back-off needs 0 < initial ({initial_s}) <= cap ({cap_s})")
        if not 0 <= jitter < 1:
            raise ConfigError(f"back-off jitter {jitter} is not a fraction in [0, 1)")
        self.initial_s = initial_s
        self.cap_s = cap_s
        self.jitter = jitter
        self.rng = rng
        self.failures = 0

    def next_s(self) -> float:
        """The wait before the next attempt (and count one more failure)."""
        base = min(self.cap_s, self.initial_s * 2.0 ** min(self.failures, 62))
        self.failures += 1
        spread = 1.0 + self.jitter * (2.0 * float(self.rng.random()) - 1.0)
        return min(self.cap_s, base * spread)

    def reset(self) -> None:
        self.failures = 0
