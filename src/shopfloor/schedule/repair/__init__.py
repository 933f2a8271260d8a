"""Rescheduling on breakdowns, rush orders and late operations."""

from shopfloor.schedule.repair.events import (
    Breakdown,
    Event,
    LateOperation,
    RushOrder,
    disrupted_problem,
)
from shopfloor.schedule.repair.reschedule import RepairResult, repair
from shopfloor.schedule.repair.rightshift import right_shift

__all__ = [
    "Breakdown",
    "Event",
    "LateOperation",
    "RepairResult",
    "RushOrder",
    "disrupted_problem",
    "repair",
    "right_shift",
]
