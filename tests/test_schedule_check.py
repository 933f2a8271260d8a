"""The checker finds every kind of violation, and accepts a feasible schedule."""

from __future__ import annotations

from dataclasses import replace

import pytest

from shopfloor.schedule.check import InfeasibleSchedule, check, require_feasible
from shopfloor.schedule.schedule import Assignment, Schedule
from tests.test_schedule_cases import flexible_setup_problem

# A feasible schedule of the shared case (setup 0->1 on m0 is 3, m1 is down during [4, 8)).
GOOD = Schedule.of(
    [
        Assignment(0, 0, 0, 2, 5),
        Assignment(0, 1, 2, 5, 7),
        Assignment(1, 0, 1, 8, 12),
        Assignment(1, 1, 2, 12, 15),
        Assignment(2, 0, 2, 0, 2),
        Assignment(2, 1, 0, 5, 7),
        Assignment(3, 0, 0, 10, 12),
        Assignment(3, 1, 2, 15, 19),
    ]
)


def _kinds(sched: Schedule) -> set[str]:
    return {v.kind for v in check(flexible_setup_problem(), sched)}


def _with(*changes: Assignment) -> Schedule:
    keep = {(a.job, a.op): a for a in GOOD}
    for c in changes:
        keep[c.job, c.op] = c
    return Schedule.of(keep.values())


def test_a_feasible_schedule_passes() -> None:
    assert check(flexible_setup_problem(), GOOD) == []
    require_feasible(flexible_setup_problem(), GOOD)


@pytest.mark.parametrize(
    ("change", "kind"),
    [
        (Assignment(3, 0, 0, 8, 10), "setup"),  # family 0 -> 1 on m0 needs 3
        (Assignment(3, 0, 0, 6, 8), "overlap"),
        (Assignment(1, 0, 1, 5, 9), "downtime"),
        (Assignment(0, 1, 2, 4, 6), "precedence"),
        (Assignment(0, 1, 1, 5, 7), "machine"),
        (Assignment(0, 0, 0, 2, 6), "duration"),
        (Assignment(1, 0, 0, 2, 6), "release"),
        (Assignment(3, 0, 1, 1, 3), "now"),
        (Assignment(2, 0, 2, 1, 3), "frozen"),
    ],
)
def test_each_violation_is_found(change: Assignment, kind: str) -> None:
    assert kind in _kinds(_with(change))


def test_missing_and_extra_operations() -> None:
    partial = Schedule(tuple(a for a in GOOD if (a.job, a.op) != (3, 1)))
    assert "missing" in _kinds(partial)
    assert "extra" in _kinds(Schedule.of([*GOOD, Assignment(9, 0, 0, 30, 31)]))
    assert "extra" in _kinds(Schedule.of([*GOOD, replace(GOOD.assignments[0])]))


def test_require_feasible_raises_with_the_reasons() -> None:
    with pytest.raises(InfeasibleSchedule, match="overlap"):
        require_feasible(flexible_setup_problem(), _with(Assignment(3, 0, 0, 6, 8)))
