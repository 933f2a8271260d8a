"""The state machines of orders, operations and non-conformance records, and MES errors.

Each machine is a table of ``(action, from-states) -> to-state``; :func:`transition` looks an
action up and raises :class:`IllegalTransition` naming the object, its state, the action and the
states the action is allowed from. Nothing else decides whether a status may change.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from shopfloor.errors import BadInput, MesError


class IllegalTransition(MesError, BadInput):
    """The action is not allowed in the object's current state (CLI exit 2)."""

    code = "mes.illegal_transition"


class MesNotFound(MesError, BadInput):
    """An order, lot, serial, alarm... that MES does not know."""

    code = "mes.not_found"


class MesConflict(MesError, BadInput):
    """The object exists already, or the request contradicts what MES holds."""

    code = "mes.conflict"


class OrderStatus(StrEnum):
    CREATED = "created"
    RELEASED = "released"
    RUNNING = "running"
    HELD = "held"
    COMPLETE = "complete"
    ABORTED = "aborted"


class OpStatus(StrEnum):
    PENDING = "pending"
    DISPATCHED = "dispatched"
    RUNNING = "running"
    HELD = "held"
    COMPLETE = "complete"
    ABORTED = "aborted"


class NcrStatus(StrEnum):
    OPEN = "open"
    DISPOSITIONED = "dispositioned"
    CLOSED = "closed"


class Disposition(StrEnum):
    REWORK = "rework"
    SCRAP = "scrap"
    USE_AS_IS = "use_as_is"


Table = Mapping[str, tuple[frozenset[str], str | None]]

_O = OrderStatus
#: Order actions: allowed from, goes to (None: decided by the caller, e.g. resume).
ORDER_ACTIONS: Table = {
    "release": (frozenset({_O.CREATED}), _O.RELEASED),
    "start": (frozenset({_O.RELEASED}), _O.RUNNING),
    "hold": (frozenset({_O.RELEASED, _O.RUNNING}), _O.HELD),
    "resume": (frozenset({_O.HELD}), None),
    "complete": (frozenset({_O.RUNNING}), _O.COMPLETE),
    "abort": (frozenset({_O.CREATED, _O.RELEASED, _O.RUNNING, _O.HELD}), _O.ABORTED),
}

_P = OpStatus
OP_ACTIONS: Table = {
    "dispatch": (frozenset({_P.PENDING}), _P.DISPATCHED),
    "start": (frozenset({_P.PENDING, _P.DISPATCHED}), _P.RUNNING),
    "hold": (frozenset({_P.PENDING, _P.DISPATCHED, _P.RUNNING}), _P.HELD),
    "resume": (frozenset({_P.HELD}), None),
    "complete": (frozenset({_P.PENDING, _P.DISPATCHED, _P.RUNNING}), _P.COMPLETE),
    "abort": (frozenset({_P.PENDING, _P.DISPATCHED, _P.RUNNING, _P.HELD}), _P.ABORTED),
}

_N = NcrStatus
NCR_ACTIONS: Table = {
    "disposition": (frozenset({_N.OPEN}), _N.DISPOSITIONED),
    "reopen": (frozenset({_N.DISPOSITIONED}), _N.OPEN),
    "close": (frozenset({_N.DISPOSITIONED}), _N.CLOSED),
}

#: Order states in which its operations may make progress.
ORDER_ACTIVE = frozenset({_O.RELEASED, _O.RUNNING})
ORDER_FINAL = frozenset({_O.COMPLETE, _O.ABORTED})
OP_OPEN = frozenset({_P.PENDING, _P.DISPATCHED, _P.RUNNING})


def transition(table: Table, what: str, current: str, action: str) -> str | None:
    """The state ``action`` leads to from ``current``; :class:`IllegalTransition` if not allowed."""
    if action not in table:
        raise BadInput(f"{what}: unknown action {action!r}; use one of {', '.join(table)}")
    allowed, to = table[action]
    if current not in allowed:
        hint = _hint(action, current)
        raise IllegalTransition(
            f"cannot {action} {what}: it is {current}; {action} is allowed only when "
            f"{' or '.join(sorted(allowed))}{hint}",
            action=action,
            state=current,
            allowed=sorted(allowed),
        )
    return to


def _hint(action: str, current: str) -> str:
    if current == _O.CREATED and action in {"start", "complete", "hold", "dispatch"}:
        return " (it was never released: release it first)"
    if current == _O.RELEASED and action == "complete":
        return " (no work has started on it yet)"
    if current in {_O.COMPLETE, _O.ABORTED, _N.CLOSED}:
        return f" ({current} is final)"
    return ""
