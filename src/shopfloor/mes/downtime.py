"""Downtime with reason codes: from machines, from operators, and planned in the plant file.

A machine's ``downtime`` event carries its own reason and category; the reason tree maps them to
a reason code, and a downtime with no mapping stays *unexplained* until an operator assigns one
(:meth:`Downtimes.assign`). Operators enter whole downtimes for equipment that is not networked
(:meth:`Downtimes.report`). :meth:`Downtimes.import_planned` records the plant file's planned
downtime (once per window).
"""

from __future__ import annotations

import builtins
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopfloor.clock import NS_PER_S
from shopfloor.errors import BadInput, DecodeError
from shopfloor.events import MachineEvent
from shopfloor.mes.calendar import planned_windows
from shopfloor.mes.context import MesContext
from shopfloor.mes.lifecycle import IllegalTransition, MesNotFound
from shopfloor.mes.models import Downtime

UNEXPLAINED = "unexplained"


def on_downtime_event(s: Session, ctx: MesContext, ev: MachineEvent) -> None:
    p = ev.payload
    start, end = p.get("start_ns"), p.get("end_ns")
    if not isinstance(start, int) or not isinstance(end, int) or end < start:
        raise DecodeError(
            f"downtime event of {ev.equipment} seq {ev.seq}: needs integer "
            f"start_ns <= end_ns, got {start!r}, {end!r}"
        )
    raw, category = str(p.get("reason") or ""), str(p.get("category") or "")
    code = ctx.reasons.from_machine(raw, category)
    planned = ctx.reasons.reasons[code].planned if code else p.get("planned")
    s.add(
        Downtime(
            equipment=ev.equipment,
            start_ns=start,
            end_ns=end,
            reason=code,
            planned=planned if isinstance(planned, bool) else None,
            machine_reason=raw,
            category=category,
            source="machine",
            who="",
            note="",
        )
    )


class Downtimes:
    """Downtime records and reason entry (each call is one transaction)."""

    def __init__(self, ctx: MesContext) -> None:
        self.ctx = ctx

    def report(
        self,
        equipment: str,
        start_ns: int,
        end_ns: int,
        reason: str,
        *,
        who: str = "",
        note: str = "",
    ) -> Downtime:
        """A downtime entered by an operator for equipment that is not networked."""
        ctx = self.ctx
        path = ctx.path(equipment)
        eq = ctx.plant.equipment(path)
        if eq.networked:
            raise BadInput(
                f"equipment: {eq.id} is networked ({eq.connectivity}); its downtime "
                "comes from its events (assign reasons with `mes downtime assign`)"
            )
        if end_ns <= start_ns:
            raise BadInput("to: the downtime must end after it starts")
        if end_ns > ctx.now():
            raise BadInput("to: the downtime cannot end in the future")
        r = ctx.reasons.check(reason)
        with ctx.db.tx() as s:
            clash = s.scalars(
                select(Downtime)
                .where(
                    Downtime.equipment == path,
                    Downtime.start_ns < end_ns,
                    Downtime.end_ns > start_ns,
                )
                .limit(1)
            ).first()
            if clash is not None:
                raise BadInput(
                    f"from/to: overlaps downtime {clash.id} of {eq.id} "
                    f"({clash.reason or UNEXPLAINED})"
                )
            row = Downtime(
                equipment=path,
                start_ns=start_ns,
                end_ns=end_ns,
                reason=r.code,
                planned=r.planned,
                machine_reason="",
                category="",
                source="operator",
                who=who,
                note=note,
            )
            s.add(row)
        return row

    def assign(
        self, downtime_id: int, reason: str, *, who: str, note: str = "", replace: bool = False
    ) -> Downtime:
        """Give an unexplained downtime its reason (``replace`` to correct one given before)."""
        if not who:
            raise BadInput("by: a reason entry needs the operator's name (--by)")
        r = self.ctx.reasons.check(reason)
        with self.ctx.db.tx() as s:
            row = s.get(Downtime, downtime_id, with_for_update=True)
            if row is None:
                raise MesNotFound(f"downtime: no downtime {downtime_id}")
            if row.reason is not None and not replace:
                raise IllegalTransition(
                    f"downtime {downtime_id} already has reason "
                    f"{row.reason!r}; use --replace to correct it"
                )
            row.reason, row.planned, row.who = r.code, r.planned, who
            if note:
                row.note = note
        return row

    def list(
        self,
        *,
        equipment: str | None = None,
        start_ns: int | None = None,
        end_ns: int | None = None,
        unexplained: bool = False,
    ) -> builtins.list[Downtime]:
        q = select(Downtime)
        if equipment is not None:
            q = q.where(Downtime.equipment == self.ctx.path(equipment))
        if start_ns is not None:
            q = q.where(Downtime.end_ns > start_ns)
        if end_ns is not None:
            q = q.where(Downtime.start_ns < end_ns)
        if unexplained:
            q = q.where(Downtime.reason.is_(None))
        with self.ctx.db.tx() as s:
            return list(s.scalars(q.order_by(Downtime.start_ns, Downtime.id)))

    def summary(
        self,
        *,
        equipment: str | None = None,
        start_ns: int | None = None,
        end_ns: int | None = None,
    ) -> builtins.list[dict[str, Any]]:
        """Seconds and count per reason code (a Pareto), longest first."""
        secs: dict[str, float] = defaultdict(float)
        count: dict[str, int] = defaultdict(int)
        for d in self.list(equipment=equipment, start_ns=start_ns, end_ns=end_ns):
            a = max(d.start_ns, start_ns) if start_ns is not None else d.start_ns
            b = min(d.end_ns, end_ns) if end_ns is not None else d.end_ns
            key = d.reason or UNEXPLAINED
            secs[key] += max(b - a, 0) / NS_PER_S
            count[key] += 1
        return [
            {"reason": k, "seconds": v, "count": count[k]}
            for k, v in sorted(secs.items(), key=lambda kv: -kv[1])
        ]

    def import_planned(self, start_ns: int, end_ns: int) -> builtins.list[Downtime]:
        """Record the plant file's planned downtime in [start, end) (each window once)."""
        ctx = self.ctx
        out = []
        with ctx.db.tx() as s:
            for path, *_rest, eq in ctx.plant.walk():
                if not eq.cls.produces:
                    continue
                for w in planned_windows(ctx.plant, path, start_ns, end_ns):
                    exists = s.scalars(
                        select(Downtime.id).where(
                            Downtime.equipment == path,
                            Downtime.source == "plan",
                            Downtime.start_ns == w.start_ns,
                            Downtime.end_ns == w.end_ns,
                        )
                    ).first()
                    if exists is not None:
                        continue
                    code = ctx.reasons.from_machine(w.name)
                    row = Downtime(
                        equipment=path,
                        start_ns=w.start_ns,
                        end_ns=w.end_ns,
                        reason=code,
                        planned=True,
                        machine_reason=w.name,
                        category="planned",
                        source="plan",
                        who="",
                        note="",
                    )
                    s.add(row)
                    out.append(row)
        return out
