"""The machine events this server has received, kept in memory for KPIs over any window.

:class:`EventLog` keeps the newest :data:`MAX_EVENTS` events in arrival order (safe from any
thread). KPIs of a window are computed by feeding a :class:`~shopfloor.kpi.KpiBook` for that
window every kept event up to the window's end (earlier events give the state held when the
window opens). :attr:`EventLog.first_ns` tells from when the log is complete.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable

from shopfloor.events import MachineEvent

MAX_EVENTS = 1_000_000


class EventLog:
    def __init__(self, maxlen: int = MAX_EVENTS) -> None:
        self._events: deque[MachineEvent] = deque(maxlen=maxlen)
        self._lock = threading.Lock()
        self.received = 0
        #: Time of the oldest event kept (None while empty).
        self.first_ns: int | None = None

    def extend(self, events: Iterable[MachineEvent]) -> None:
        with self._lock:
            for ev in events:
                self._events.append(ev)
                self.received += 1
            self.first_ns = self._events[0].ts_ns if self._events else None

    def until(self, end_ns: int | None) -> list[MachineEvent]:
        """The kept events before ``end_ns`` (all when None), sorted by time."""
        with self._lock:
            items = list(self._events)
        if end_ns is not None:
            items = [ev for ev in items if ev.ts_ns < end_ns]
        items.sort(key=lambda ev: ev.ts_ns)
        return items

    def span(self) -> tuple[int, int, int] | None:
        """``(first_ns, last_ns, count)`` of the kept events; None while empty."""
        with self._lock:
            if not self._events:
                return None
            times = [ev.ts_ns for ev in self._events]
        return min(times), max(times), len(times)

    def __len__(self) -> int:
        return len(self._events)
