"""Machine availability: the earliest start that keeps an operation out of every downtime."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence


def earliest_fit(windows: Sequence[tuple[int, int]], ready: int, duration: int) -> int:
    """The earliest ``s >= ready`` such that ``[s, s + duration)`` misses every window.

    ``windows`` are sorted, merged ``[start, end)`` downtimes of one machine. A zero-length
    operation fits anywhere except strictly inside a window.
    """
    if not windows:
        return ready
    s = ready
    i = max(0, bisect_right(windows, (s, s)) - 1)
    while i < len(windows):
        ds, de = windows[i]
        if de <= s:
            i += 1
            continue
        if max(s, ds) < min(s + duration, de) or ds < s < de:
            s = de
            i += 1
            continue
        break
    return s
