"""The audit log: every write, with who, when, what, and the state before and after.

:meth:`AuditLog.record` appends; :meth:`AuditLog.query` reads with filters and pagination.
Each entry carries the wall time of the person's action (``ts``) and the plant's time
(``plant_ts``, when the platform gives the audit log its plant clock), so a virtual plant's or a
replayed plant's records line up with its data. There is no method that changes or removes an
entry, and the database refuses it too (triggers,
see :mod:`shopfloor.auth.db`). ``before`` and ``after`` are JSON objects (None when the object did
not exist before or does not exist after); instants in them are ISO 8601 strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopfloor.auth.db import Database
from shopfloor.auth.models import AuditEntry
from shopfloor.auth.principal import Principal
from shopfloor.clock import Clock, from_ns

MAX_PAGE = 10_000


def plain(obj: Any) -> Any:
    """JSON values for ``obj``; keys ``x_ns`` holding ints become ISO 8601 strings ``x``."""
    if isinstance(obj, Mapping):
        out: dict[str, Any] = {}
        for k, v in obj.items():
            key = str(k)
            if key.endswith("_ns") and (
                v is None or (isinstance(v, int) and not isinstance(v, bool))
            ):
                out[key[:-3]] = None if v is None else iso(v)
            else:
                out[key] = plain(v)
        return out
    if isinstance(obj, list | tuple | set | frozenset):
        return [plain(v) for v in obj]
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, datetime | date):
        return obj.isoformat().replace("+00:00", "Z")
    if isinstance(obj, float) and obj != obj:  # NaN has no JSON spelling
        return None
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict):
        return plain(to_dict())
    return str(obj)


def iso(ns: int) -> str:
    return from_ns(ns).isoformat().replace("+00:00", "Z")


class AuditLog:
    """Append-only record of writes (each call is one transaction, or joins ``session``)."""

    def __init__(self, db: Database, clock: Clock, plant_clock: Clock | None = None) -> None:
        self.db = db
        #: Wall time: when the person acted.
        self.clock = clock
        #: The plant's time, recorded beside it (the served plant's clock, set by the platform).
        self.plant_clock = plant_clock

    def record(
        self,
        who: Principal,
        action: str,
        target: str,
        before: Any,
        after: Any,
        *,
        request_id: str = "",
        note: str = "",
        session: Session | None = None,
    ) -> AuditEntry:
        entry = AuditEntry(
            ts_ns=self.clock.now_ns(),
            plant_ts_ns=self.plant_clock.now_ns() if self.plant_clock is not None else None,
            actor=who.username,
            via=who.via,
            role=who.role.label,
            action=action,
            target=target,
            before=plain(before),
            after=plain(after),
            request_id=request_id,
            note=note,
        )
        if session is not None:
            session.add(entry)
            session.flush()
            return entry
        with self.db.tx() as s:
            s.add(entry)
            s.flush()
        return entry

    def query(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        target: str | None = None,
        since_ns: int | None = None,
        until_ns: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[AuditEntry]:
        """Newest first. ``action`` and ``target`` match exactly or as a prefix ending in ``.``
        or ``/`` (``order.`` finds every order action, ``order/JO-1`` one order)."""
        q = select(AuditEntry)
        if actor:
            q = q.where(AuditEntry.actor == actor)
        if action:
            q = q.where(_match(AuditEntry.action, action, "."))
        if target:
            q = q.where(_match(AuditEntry.target, target, "/"))
        if since_ns is not None:
            q = q.where(AuditEntry.ts_ns >= since_ns)
        if until_ns is not None:
            q = q.where(AuditEntry.ts_ns < until_ns)
        q = q.order_by(AuditEntry.id.desc()).limit(min(limit, MAX_PAGE)).offset(offset)
        with self.db.tx() as s:
            return list(s.scalars(q))


def _match(column: Any, value: str, sep: str) -> Any:
    if value.endswith(sep):
        escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return column.like(escaped + "%", escape="\\")
    return column == value
