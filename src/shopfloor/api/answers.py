"""Serialized answers kept for a short time, made once however many ask at the same moment.

:class:`AnswerCache` serves read-only queries whose answer is expensive to make (a bucket query
reads the historian and writes JSON): an answer is kept for ``ttl_s`` seconds, and while one
thread makes it, the others asking for the same key wait for it instead of making it again.
A kept answer may therefore miss what was written during its last ``ttl_s`` seconds; a failure
is never kept (each waiting caller then makes the answer itself and gets the error itself).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable

from fastapi import Request

from shopfloor.errors import BadInput

#: Seconds a history answer is kept.
HISTORY_TTL_S = 1.0
#: Most answers kept at once (the oldest are dropped first).
MAX_ANSWERS = 512


class AnswerCache:
    """Answers (bytes) by key for ``ttl_s`` seconds; thread-safe, one maker per key at a time."""

    def __init__(self, ttl_s: float, size: int = MAX_ANSWERS) -> None:
        if not ttl_s > 0 or size < 1:
            raise BadInput(f"answer cache: ttl_s must be > 0 and size >= 1, not {ttl_s}, {size}")
        self.ttl_s, self.size = ttl_s, size
        self._lock = threading.Lock()
        self._kept: dict[Hashable, tuple[float, bytes]] = {}
        self._making: dict[Hashable, threading.Event] = {}
        self.made = self.served = 0

    def get(self, key: Hashable, make: Callable[[], bytes]) -> bytes:
        """The answer kept under ``key``, or ``make()`` (kept for ``ttl_s`` seconds)."""
        while True:
            with self._lock:
                hit = self._kept.get(key)
                if hit is not None and time.monotonic() < hit[0]:
                    self.served += 1
                    return hit[1]
                busy = self._making.get(key)
                if busy is None:
                    done = self._making[key] = threading.Event()
                    break
            busy.wait()  # then look again: kept, or the maker failed and we make it ourselves
        try:
            body = make()
            with self._lock:
                while len(self._kept) >= self.size:
                    del self._kept[next(iter(self._kept))]
                self._kept[key] = (time.monotonic() + self.ttl_s, body)
                self.made += 1
            return body
        finally:
            with self._lock:
                del self._making[key]
            done.set()


def history_answers(request: Request) -> AnswerCache:
    """The app's cache of history answers (made at its first use)."""
    state = request.app.state
    cache: AnswerCache | None = getattr(state, "history_answers", None)
    if cache is None:
        with _STATE_LOCK:
            cache = getattr(state, "history_answers", None)
            if cache is None:
                cache = state.history_answers = AnswerCache(HISTORY_TTL_S)
    return cache


_STATE_LOCK = threading.Lock()
