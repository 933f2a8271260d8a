"""The tag-to-event rules' memory on disk, so a restart (also after kill -9) resumes them.

What the rules remember of each plain device (last counter readings, parts already told, the
state and an open stop, the active alarms, the energy meter's last reading; see
:meth:`~shopfloor.connect.rules.EquipmentRules.snapshot`) is one row per equipment in an SQLite
file (WAL) under ``data_dir``. :class:`~shopfloor.connect.rules.RuleSink` writes the rows its
delivery changed right after handing that delivery's events on, in one transaction.

A restart then counts what a counter did while shopfloor was down (at its first reading after
the restart) instead of taking that reading as a new baseline, and a stop that began before the
restart ends with its true start. A row is used only by rules equal to those that wrote it (the
row keeps a fingerprint of the equipment's ``rules:``): after a plant-file change the rules of
that equipment start afresh, and the log says so.

A kill between the events' delivery and the checkpoint's commit (a few milliseconds) repeats
that delivery's events at the restart: at least once, never lost.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from shopfloor.plant.model import Equipment

#: The file under ``data_dir``.
RULES_FILE = "rules.sqlite"


def fingerprint(path: str, eq: Equipment) -> str:
    """What a checkpoint row must match to be used: the equipment's path and rules."""
    assert eq.rules is not None
    text = path + "\n" + eq.rules.model_dump_json()
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class RuleCheckpoint:
    """One row per equipment: ``(equipment, fingerprint, ts_ns, doc)``; opened on first use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS rule_state (equipment TEXT PRIMARY KEY,"
                " fingerprint TEXT NOT NULL, ts_ns INTEGER NOT NULL, doc TEXT NOT NULL)"
            )
            self._db = db
        return self._db

    def load(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """``{equipment: (fingerprint, snapshot)}`` of every row."""
        with self._lock:
            rows = self._conn().execute("SELECT equipment, fingerprint, doc FROM rule_state")
            return {eq: (fp, json.loads(doc)) for eq, fp, doc in rows}

    def save(self, rows: list[tuple[str, str, int, str]]) -> None:
        """Write ``(equipment, fingerprint, ts_ns, snapshot JSON)`` rows in one transaction."""
        if not rows:
            return
        with self._lock:
            db = self._conn()
            with db:
                db.execute("BEGIN")
                db.executemany(
                    "INSERT INTO rule_state (equipment, fingerprint, ts_ns, doc)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT (equipment) DO UPDATE SET"
                    " fingerprint = excluded.fingerprint, ts_ns = excluded.ts_ns,"
                    " doc = excluded.doc",
                    rows,
                )

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
