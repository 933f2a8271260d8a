"""The one entry point for machine events: apply them to MES, once each.

:func:`apply_event` routes a :class:`~shopfloor.events.MachineEvent` to its domain (equipment
states, production, alarms, downtime) inside the caller's transaction. An event with ``seq > 0``
is applied once per (equipment, seq): a redelivered event is reported as a duplicate and changes
nothing. An event MES cannot apply (malformed payload, unknown equipment) is parked whole in
``mes_event_parked`` with the reason, and the events around it still apply. ``energy``,
``failure`` and ``repair`` events are accepted and not stored: energy belongs to the historian
and KPIs, failures and repairs reach MES as their alarm and downtime events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from sqlalchemy.orm import Session

from shopfloor.errors import BadInput
from shopfloor.events import EventKind, MachineEvent
from shopfloor.mes.alarms import on_alarm_event
from shopfloor.mes.context import MesContext
from shopfloor.mes.downtime import on_downtime_event
from shopfloor.mes.equipment import on_state_change
from shopfloor.mes.models import OrderTransition, ParkedEvent, SeenEvent
from shopfloor.mes.production import on_part_complete, on_part_scrap, on_part_start

APPLIED, DUPLICATE, PARKED = "applied", "duplicate", "parked"

Handler = Callable[[Session, MesContext, MachineEvent], None]


def on_order_status(s: Session, ctx: MesContext, ev: MachineEvent) -> None:
    """What the machine says about an order is kept in the order's history, as a note."""
    if ev.order_id is None:
        raise BadInput(f"order_status of {ev.equipment} seq {ev.seq} has no order_id")
    status = str(ev.payload.get("status") or "")
    s.add(
        OrderTransition(
            order_id=ev.order_id,
            seq=None,
            from_status=None,
            to_status="machine",
            reason=f"{ev.equipment} reports {status}",
            who="machine",
            ts_ns=ev.ts_ns,
        )
    )


def _not_stored(s: Session, ctx: MesContext, ev: MachineEvent) -> None:
    return None


HANDLERS: dict[EventKind, Handler] = {
    EventKind.STATE_CHANGE: on_state_change,
    EventKind.PART_START: on_part_start,
    EventKind.PART_COMPLETE: on_part_complete,
    EventKind.PART_SCRAP: on_part_scrap,
    EventKind.ALARM: on_alarm_event,
    EventKind.DOWNTIME: on_downtime_event,
    EventKind.ORDER_STATUS: on_order_status,
    EventKind.ENERGY: _not_stored,
    EventKind.FAILURE: _not_stored,
    EventKind.REPAIR: _not_stored,
}


@dataclass
class ApplyResult:
    applied: int = 0
    duplicates: int = 0
    parked: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, outcome: str, error: str = "") -> None:
        if outcome == APPLIED:
            self.applied += 1
        elif outcome == DUPLICATE:
            self.duplicates += 1
        else:
            self.parked += 1
            self.errors.append(error)

    def to_dict(self) -> dict[str, object]:
        return {
            "applied": self.applied,
            "duplicates": self.duplicates,
            "parked": self.parked,
            "errors": self.errors,
        }


def _check_source(ctx: MesContext, ev: MachineEvent) -> MachineEvent:
    plant = ctx.plant
    if ev.kind is EventKind.ORDER_STATUS and ev.equipment in {p for p, _ln in plant.lines()}:
        return ev
    try:
        path = plant.resolve(ev.equipment)
    except KeyError:
        raise BadInput(f"{ev.kind} event from unknown equipment {ev.equipment!r}") from None
    return ev if path == ev.equipment else replace(ev, equipment=path)


def apply_event(s: Session, ctx: MesContext, ev: MachineEvent) -> tuple[str, str]:
    """Apply one event in the open transaction; (outcome, error message if parked)."""
    if ev.seq > 0 and s.get(SeenEvent, (ev.equipment, ev.seq)) is not None:
        return DUPLICATE, ""
    outcome, error = APPLIED, ""
    try:
        with s.begin_nested():
            HANDLERS[ev.kind](s, ctx, _check_source(ctx, ev))
    except BadInput as exc:  # DecodeError is a BadInput
        outcome, error = PARKED, exc.message
        s.add(
            ParkedEvent(
                equipment=ev.equipment,
                seq=ev.seq,
                kind=str(ev.kind),
                ts_ns=ev.ts_ns,
                error=error,
                event=ev.to_dict(),
            )
        )
    if ev.seq > 0:
        s.add(SeenEvent(equipment=ev.equipment, seq=ev.seq, kind=str(ev.kind), ts_ns=ev.ts_ns))
        s.flush()
    return outcome, error
