"""PackML states and the one fixed table that maps them to ISO 22400 time elements.

Every component that reasons about time (the simulator's ground truth, ``kpi/``, ``mes/``)
uses this table, so that "what counts as production time" is decided once.

ISO 22400-2 time elements used here:

- ``APT``  actual production time (value-adding)
- ``ASUT`` actual setup time (order preparation, changeover)
- ``ADET`` actual unit delay time (failures, repairs, minor stops: unplanned, internal)
- ``ADOT`` actual unit down time (available but not running with orders: starved, blocked, idle)
- ``PDOT`` planned downtime (outside the planned busy time: no shift, planned maintenance)

Planned busy time PBT = APT + ASUT + ADET + ADOT (everything except PDOT);
AUPT = APT + ASUT; AUBT = AUPT + ADET.
"""

from __future__ import annotations

from enum import StrEnum


class PackMLState(StrEnum):
    STOPPED = "Stopped"
    STARTING = "Starting"
    IDLE = "Idle"
    SUSPENDING = "Suspending"
    SUSPENDED = "Suspended"
    UNSUSPENDING = "Unsuspending"
    EXECUTE = "Execute"
    STOPPING = "Stopping"
    ABORTING = "Aborting"
    ABORTED = "Aborted"
    HOLDING = "Holding"
    HELD = "Held"
    UNHOLDING = "Unholding"
    COMPLETING = "Completing"
    COMPLETE = "Complete"
    RESETTING = "Resetting"
    CLEARING = "Clearing"

    @property
    def code(self) -> int:
        """The PackML state number (ISA-TR88.00.02 / OPC 30050 StateCurrent)."""
        return PACKML_CODES[self]


PACKML_CODES: dict[PackMLState, int] = {
    PackMLState.CLEARING: 1,
    PackMLState.STOPPED: 2,
    PackMLState.STARTING: 3,
    PackMLState.IDLE: 4,
    PackMLState.SUSPENDED: 5,
    PackMLState.EXECUTE: 6,
    PackMLState.STOPPING: 7,
    PackMLState.ABORTING: 8,
    PackMLState.ABORTED: 9,
    PackMLState.HOLDING: 10,
    PackMLState.HELD: 11,
    PackMLState.UNHOLDING: 12,
    PackMLState.SUSPENDING: 13,
    PackMLState.UNSUSPENDING: 14,
    PackMLState.RESETTING: 15,
    PackMLState.COMPLETING: 16,
    PackMLState.COMPLETE: 17,
}
STATE_BY_CODE: dict[int, PackMLState] = {v: k for k, v in PACKML_CODES.items()}


class TimeElement(StrEnum):
    APT = "APT"
    ASUT = "ASUT"
    ADET = "ADET"
    ADOT = "ADOT"
    PDOT = "PDOT"


#: The fixed PackML -> ISO 22400 table.
TIME_ELEMENT: dict[PackMLState, TimeElement] = {
    PackMLState.EXECUTE: TimeElement.APT,
    PackMLState.STARTING: TimeElement.ASUT,  # setup / changeover for the next order
    PackMLState.RESETTING: TimeElement.ASUT,
    PackMLState.COMPLETING: TimeElement.ASUT,
    PackMLState.UNHOLDING: TimeElement.ASUT,
    PackMLState.UNSUSPENDING: TimeElement.ASUT,
    PackMLState.HOLDING: TimeElement.ADET,  # internal, unplanned: minor stop
    PackMLState.HELD: TimeElement.ADET,
    PackMLState.ABORTING: TimeElement.ADET,  # failure and repair
    PackMLState.ABORTED: TimeElement.ADET,
    PackMLState.CLEARING: TimeElement.ADET,
    PackMLState.IDLE: TimeElement.ADOT,  # available, no order
    PackMLState.SUSPENDING: TimeElement.ADOT,  # external: starved / blocked
    PackMLState.SUSPENDED: TimeElement.ADOT,
    PackMLState.COMPLETE: TimeElement.ADOT,
    PackMLState.STOPPING: TimeElement.PDOT,  # outside planned busy time
    PackMLState.STOPPED: TimeElement.PDOT,
}

#: Elements that make up the planned busy time (PBT).
PBT_ELEMENTS = (TimeElement.APT, TimeElement.ASUT, TimeElement.ADET, TimeElement.ADOT)
