"""Reading machine event payloads: each bad field raises an error naming the event and field."""

from __future__ import annotations

import math

from shopfloor.errors import DecodeError
from shopfloor.events import MachineEvent
from shopfloor.plant.states import TIME_ELEMENT, PackMLState, TimeElement


def where(ev: MachineEvent) -> str:
    return f"{ev.kind} event of {ev.equipment} (seq {ev.seq}, ts_ns {ev.ts_ns})"


def number(ev: MachineEvent, key: str, *, required: bool = True) -> float | None:
    v = ev.payload.get(key)
    if v is None:
        if required:
            raise DecodeError(f"{where(ev)}: payload field {key!r} is missing")
        return None
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise DecodeError(f"{where(ev)}: payload field {key!r} must be a finite number, not {v!r}")
    if v < 0:
        raise DecodeError(f"{where(ev)}: payload field {key!r} must be >= 0, not {v!r}")
    return float(v)


def flag(ev: MachineEvent, key: str, *, required: bool = True) -> bool:
    v = ev.payload.get(key)
    if v is None and not required:
        return False
    if not isinstance(v, bool):
        raise DecodeError(f"{where(ev)}: payload field {key!r} must be true or false, not {v!r}")
    return v


def text(ev: MachineEvent, key: str) -> str | None:
    v = ev.payload.get(key)
    if v is None:
        return None
    if not isinstance(v, str):
        raise DecodeError(f"{where(ev)}: payload field {key!r} must be a string, not {v!r}")
    return v


def element(ev: MachineEvent) -> TimeElement:
    """The ISO 22400 time element of a state change: from the PackML state through the fixed
    table in :mod:`shopfloor.plant.states`, or the event's ``element`` when it has no state."""
    state = ev.payload.get("state")
    if state is not None:
        try:
            return TIME_ELEMENT[PackMLState(state)]
        except ValueError:
            known = ", ".join(s.value for s in PackMLState)
            raise DecodeError(
                f"{where(ev)}: unknown PackML state {state!r} (known: {known})"
            ) from None
    el = ev.payload.get("element")
    try:
        return TimeElement(str(el))
    except ValueError:
        raise DecodeError(
            f"{where(ev)}: a state change needs a PackML 'state' or an ISO 22400 'element' "
            f"({', '.join(e.value for e in TimeElement)}), got {el!r}"
        ) from None
