"""The machine events this server has received, for KPIs over any window.

With a journal (:class:`EventJournal`, an SQLite file under ``data_dir``) every event is written
to disk, in one transaction per delivery, before the log counts it, and the log starts with the
newest journalled events: a restart of the service (also after kill -9) keeps the recorded
windows.

:class:`EventLog` keeps the newest :data:`MAX_EVENTS` events in arrival order (safe from any
thread). KPIs of a window are computed by feeding a :class:`~shopfloor.kpi.KpiBook` for that
window every kept event up to the window's end (earlier events give the state held when the
window opens). :attr:`EventLog.first_ns` tells from when the log is complete.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import deque
from collections.abc import Iterable
from pathlib import Path

from shopfloor.events import MachineEvent

MAX_EVENTS = 1_000_000


class EventJournal:
    """Machine events on disk: an SQLite file (WAL), one row per event as received."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS machine_event ("
            " id INTEGER PRIMARY KEY, ts_ns INTEGER NOT NULL, equipment TEXT NOT NULL,"
            " kind TEXT NOT NULL, doc TEXT NOT NULL)"
        )
        self._db.execute("CREATE INDEX IF NOT EXISTS machine_event_ts ON machine_event (ts_ns)")

    def append(self, events: list[MachineEvent]) -> None:
        rows = [
            (ev.ts_ns, ev.equipment, ev.kind.value, json.dumps(ev.to_dict(), separators=(",", ":")))
            for ev in events
        ]
        with self._db:  # one transaction: all of the delivery or none
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT INTO machine_event (ts_ns, equipment, kind, doc) VALUES (?, ?, ?, ?)", rows
            )

    def newest(self, limit: int) -> list[MachineEvent]:
        """The ``limit`` newest events in arrival order."""
        cur = self._db.execute(
            "SELECT doc FROM (SELECT id, doc FROM machine_event ORDER BY id DESC LIMIT ?)"
            " ORDER BY id",
            (limit,),
        )
        return [MachineEvent.from_dict(json.loads(doc)) for (doc,) in cur]

    def count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM machine_event").fetchone()[0])

    def close(self) -> None:
        self._db.close()


class EventLog:
    def __init__(self, maxlen: int = MAX_EVENTS, journal: EventJournal | None = None) -> None:
        self._events: deque[MachineEvent] = deque(maxlen=maxlen)
        self._lock = threading.Lock()
        self.received = 0
        #: Time of the oldest event kept (None while empty).
        self.first_ns: int | None = None
        self.journal = journal
        #: Per equipment, ``(ts_ns, seq)`` of its newest event received.
        self._last: dict[str, tuple[int, int]] = {}
        if journal is not None:
            self._events.extend(journal.newest(maxlen))
            self.first_ns = min((ev.ts_ns for ev in self._events), default=None)
            self._mark(self._events)

    def _mark(self, events: Iterable[MachineEvent]) -> None:
        last = self._last
        for ev in events:
            mark = (ev.ts_ns, ev.seq)
            if mark > last.get(ev.equipment, (-1, -1)):
                last[ev.equipment] = mark

    def last_of(self, equipment: str) -> tuple[int, int] | None:
        """``(ts_ns, seq)`` of the newest event of ``equipment`` received (kept or not), or
        None: where a connector that reads what it missed resumes."""
        with self._lock:
            return self._last.get(equipment)

    def extend(self, events: Iterable[MachineEvent]) -> None:
        events = list(events)
        if self.journal is not None and events:
            self.journal.append(events)  # on disk before it counts
        with self._lock:
            for ev in events:
                self._events.append(ev)
                self.received += 1
            self._mark(events)
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
