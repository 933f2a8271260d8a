"""Alarms after ISA-18.2: states, acknowledgement, time-limited shelving, full history.

An alarm occurrence is keyed by (equipment, code) until it returns to normal. States:

- ``unack_active``  raised, not acknowledged
- ``ack_active``    acknowledged, condition still active
- ``unack_cleared`` condition cleared, not yet acknowledged
- ``normal``        acknowledged and cleared: the occurrence is over

Shelving hides an alarm until an expiry (at most :data:`MAX_SHELVE_S`); an expired shelve is
recorded in the history at its expiry instant. Every action is kept with who and when.
Priorities follow OPC UA severity (1..1000): low <= 200 < medium <= 500 < high <= 800 < urgent.
"""

from __future__ import annotations

import builtins

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopfloor.clock import NS_PER_S
from shopfloor.errors import BadInput, DecodeError
from shopfloor.events import MachineEvent
from shopfloor.mes.context import MesContext
from shopfloor.mes.lifecycle import IllegalTransition, MesNotFound
from shopfloor.mes.models import Alarm, AlarmTransition

UNACK_ACTIVE, ACK_ACTIVE, UNACK_CLEARED, NORMAL = (
    "unack_active",
    "ack_active",
    "unack_cleared",
    "normal",
)
MAX_SHELVE_S = 7 * 24 * 3600
SYSTEM = "system"


def priority_class(priority: int) -> str:
    return (
        "low"
        if priority <= 200
        else "medium"
        if priority <= 500
        else "high"
        if priority <= 800
        else "urgent"
    )


def _log(
    s: Session, a: Alarm, action: str, old: str | None, now: int, who: str, note: str = ""
) -> None:
    s.add(
        AlarmTransition(
            alarm_id=a.id,
            action=action,
            from_state=old,
            to_state=a.state,
            who=who,
            note=note,
            ts_ns=now,
        )
    )


def open_alarm(s: Session, equipment: str, code: str) -> Alarm | None:
    q = select(Alarm).where(Alarm.equipment == equipment, Alarm.code == code, Alarm.state != NORMAL)
    return s.scalars(q.order_by(Alarm.id.desc()).limit(1)).first()


def raise_alarm(
    s: Session,
    equipment: str,
    code: str,
    text: str,
    priority: int,
    source: str,
    now: int,
    *,
    ref: str | None = None,
    who: str = SYSTEM,
    new: bool = False,
) -> Alarm:
    """The condition is active: a new occurrence, or the open one raised again.

    With ``new`` the alarm is always a new occurrence (each SPC signal is one).
    """
    a = None if new else open_alarm(s, equipment, code)
    if a is None:
        a = Alarm(
            equipment=equipment,
            code=code,
            text=text,
            priority=priority,
            source=source,
            ref=ref,
            state=UNACK_ACTIVE,
            raised_ns=now,
            shelved_by="",
            acked_by="",
        )
        s.add(a)
        s.flush()
        _log(s, a, "raise", None, now, who, text)
    elif a.state == UNACK_CLEARED:
        a.state, a.cleared_ns = UNACK_ACTIVE, None
        _log(s, a, "raise", UNACK_CLEARED, now, who, "active again before acknowledgement")
    return a


def clear_alarm(s: Session, equipment: str, code: str, now: int, who: str = SYSTEM) -> Alarm | None:
    """The condition is no longer active."""
    a = open_alarm(s, equipment, code)
    return clear(s, a, now, who) if a is not None else None


def clear(s: Session, a: Alarm, now: int, who: str = SYSTEM) -> Alarm:
    if a.state in (UNACK_CLEARED, NORMAL):
        return a
    old = a.state
    a.state = UNACK_CLEARED if a.state == UNACK_ACTIVE else NORMAL
    a.cleared_ns = now
    _log(s, a, "clear", old, now, who)
    return a


def on_alarm_event(s: Session, ctx: MesContext, ev: MachineEvent) -> None:
    p = ev.payload
    if "code" not in p or not isinstance(p.get("active"), bool):
        raise DecodeError(
            f"alarm event of {ev.equipment} seq {ev.seq}: needs code and active (boolean)"
        )
    code = str(p["code"])
    if p["active"]:
        prio = p.get("priority", 500)
        if isinstance(prio, bool) or not isinstance(prio, int) or not 1 <= prio <= 1000:
            raise DecodeError(
                f"alarm event of {ev.equipment} seq {ev.seq}: priority must be "
                f"1..1000, got {prio!r}"
            )
        raise_alarm(s, ev.equipment, code, str(p.get("text") or ""), prio, "machine", ev.ts_ns)
    else:
        clear_alarm(s, ev.equipment, code, ev.ts_ns)


def expire_shelves(s: Session, now: int) -> None:
    q = select(Alarm).where(Alarm.shelved_until_ns.is_not(None), Alarm.shelved_until_ns <= now)
    for a in s.scalars(q):
        until = a.shelved_until_ns
        assert until is not None
        a.shelved_until_ns = None
        _log(s, a, "unshelve", a.state, until, SYSTEM, "shelve expired")


class Alarms:
    """Alarm list, acknowledgement, shelving and history (each call is one transaction)."""

    def __init__(self, ctx: MesContext) -> None:
        self.ctx = ctx

    def _get(self, s: Session, alarm_id: int) -> Alarm:
        a = s.get(Alarm, alarm_id, with_for_update=True)
        if a is None:
            raise MesNotFound(f"alarm: no alarm {alarm_id}")
        return a

    def list(
        self,
        *,
        include_normal: bool = False,
        include_shelved: bool = False,
        equipment: str | None = None,
    ) -> builtins.list[Alarm]:
        """Open alarms (not shelved unless asked), most urgent first."""
        with self.ctx.db.tx() as s:
            expire_shelves(s, self.ctx.now())
            q = select(Alarm)
            if not include_normal:
                q = q.where(Alarm.state != NORMAL)
            if not include_shelved:
                q = q.where(Alarm.shelved_until_ns.is_(None))
            if equipment is not None:
                q = q.where(Alarm.equipment == self.ctx.path(equipment))
            return list(
                s.scalars(
                    q.order_by(Alarm.priority.desc(), Alarm.raised_ns.desc(), Alarm.id.desc())
                )
            )

    def ack(self, alarm_id: int, *, who: str, note: str = "") -> Alarm:
        if not who:
            raise BadInput("by: an acknowledgement needs the operator's name (--by)")
        now = self.ctx.now()
        with self.ctx.db.tx() as s:
            a = self._get(s, alarm_id)
            if a.state not in (UNACK_ACTIVE, UNACK_CLEARED):
                raise IllegalTransition(
                    f"cannot acknowledge alarm {alarm_id}: it is {a.state} (acknowledged already)"
                )
            old = a.state
            a.state = ACK_ACTIVE if a.state == UNACK_ACTIVE else NORMAL
            a.acked_ns, a.acked_by = now, who
            _log(s, a, "ack", old, now, who, note)
        return a

    def shelve(self, alarm_id: int, duration_s: float, *, who: str, note: str = "") -> Alarm:
        if not who:
            raise BadInput("by: shelving needs the operator's name (--by)")
        if not 0 < duration_s <= MAX_SHELVE_S:
            raise BadInput(
                f"duration: must be > 0 and at most {MAX_SHELVE_S} s (7 days), got {duration_s}"
            )
        now = self.ctx.now()
        with self.ctx.db.tx() as s:
            expire_shelves(s, now)
            a = self._get(s, alarm_id)
            if a.state == NORMAL:
                raise IllegalTransition(f"cannot shelve alarm {alarm_id}: it is back to normal")
            a.shelved_until_ns = now + round(duration_s * NS_PER_S)
            a.shelved_by = who
            _log(s, a, "shelve", a.state, now, who, note or f"for {duration_s:g} s")
        return a

    def unshelve(self, alarm_id: int, *, who: str) -> Alarm:
        now = self.ctx.now()
        with self.ctx.db.tx() as s:
            expire_shelves(s, now)
            a = self._get(s, alarm_id)
            if a.shelved_until_ns is None:
                raise IllegalTransition(f"cannot unshelve alarm {alarm_id}: it is not shelved")
            a.shelved_until_ns = None
            _log(s, a, "unshelve", a.state, now, who)
        return a

    def history(self, alarm_id: int) -> builtins.list[AlarmTransition]:
        with self.ctx.db.tx() as s:
            expire_shelves(s, self.ctx.now())
            self._get(s, alarm_id)
            q = select(AlarmTransition).where(AlarmTransition.alarm_id == alarm_id)
            return list(s.scalars(q.order_by(AlarmTransition.ts_ns, AlarmTransition.id)))
