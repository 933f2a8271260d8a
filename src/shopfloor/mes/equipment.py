"""Equipment states: the PackML state of each machine from its ``state_change`` events.

Each change closes the running segment of ``mes_state_history`` and opens the next one; the
current state and its ISO 22400 time element (from the fixed table in ``plant/states.py``) are
kept per equipment. A change older than the current state (a late redelivery) is ignored.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from shopfloor.clock import NS_PER_S
from shopfloor.errors import BadInput, DecodeError
from shopfloor.events import MachineEvent
from shopfloor.mes.context import MesContext
from shopfloor.mes.models import EquipmentState, StateSegment
from shopfloor.plant.states import STATE_BY_CODE, TIME_ELEMENT, PackMLState


def parse_state(value: object) -> PackMLState:
    """A PackML state from its name (``Execute``) or its number (6)."""
    if isinstance(value, int) and not isinstance(value, bool) and value in STATE_BY_CODE:
        return STATE_BY_CODE[value]
    for st in PackMLState:
        if isinstance(value, str) and value.lower() == st.value.lower():
            return st
    raise DecodeError(f"unknown PackML state {value!r}")


def on_state_change(s: Session, ctx: MesContext, ev: MachineEvent) -> None:
    if "state" not in ev.payload:
        raise DecodeError(f"state_change of {ev.equipment} seq {ev.seq}: payload has no 'state'")
    state = parse_state(ev.payload["state"])
    reason = str(ev.payload.get("reason") or "")
    element = TIME_ELEMENT[state].value
    cur = s.get(EquipmentState, ev.equipment)
    if cur is not None and ev.ts_ns < cur.since_ns:
        return
    s.execute(
        update(StateSegment)
        .where(StateSegment.equipment == ev.equipment, StateSegment.end_ns.is_(None))
        .values(end_ns=ev.ts_ns)
    )
    s.add(
        StateSegment(
            equipment=ev.equipment,
            state=state.value,
            reason=reason,
            element=element,
            start_ns=ev.ts_ns,
        )
    )
    if cur is None:
        s.add(
            EquipmentState(
                equipment=ev.equipment,
                state=state.value,
                reason=reason,
                element=element,
                since_ns=ev.ts_ns,
            )
        )
    else:
        cur.state, cur.reason, cur.element, cur.since_ns = state.value, reason, element, ev.ts_ns


class EquipmentStates:
    """Current states, state history and time per ISO 22400 element (one transaction each)."""

    def __init__(self, ctx: MesContext) -> None:
        self.ctx = ctx

    def current(self, equipment: str | None = None) -> list[EquipmentState]:
        q = select(EquipmentState)
        if equipment is not None:
            q = q.where(EquipmentState.equipment == self.ctx.path(equipment))
        with self.ctx.db.tx() as s:
            return list(s.scalars(q.order_by(EquipmentState.equipment)))

    def history(self, equipment: str, start_ns: int, end_ns: int) -> list[StateSegment]:
        """Segments of ``equipment`` overlapping [start, end), in time order."""
        if end_ns <= start_ns:
            raise BadInput("to: must be after from")
        path = self.ctx.path(equipment)
        q = select(StateSegment).where(
            StateSegment.equipment == path,
            StateSegment.start_ns < end_ns,
            or_(StateSegment.end_ns.is_(None), StateSegment.end_ns > start_ns),
        )
        with self.ctx.db.tx() as s:
            return list(s.scalars(q.order_by(StateSegment.start_ns, StateSegment.id)))

    def time_elements(self, equipment: str, start_ns: int, end_ns: int) -> dict[str, float]:
        """Seconds per ISO 22400 time element (and per state) within [start, end)."""
        now = self.ctx.now()
        out: dict[str, float] = defaultdict(float)
        for seg in self.history(equipment, start_ns, end_ns):
            a = max(seg.start_ns, start_ns)
            b = min(seg.end_ns if seg.end_ns is not None else min(now, end_ns), end_ns)
            if b > a:
                out[seg.element] += (b - a) / NS_PER_S
                out[f"state:{seg.state}"] += (b - a) / NS_PER_S
        return dict(out)
