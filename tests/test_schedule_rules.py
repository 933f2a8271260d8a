"""Dispatching rules under both generation schemes always give feasible schedules."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopfloor.errors import NotFound
from shopfloor.schedule.check import check
from shopfloor.schedule.formats import read_instance
from shopfloor.schedule.model import Job, Operation, Problem
from shopfloor.schedule.solvers.rules import RULES, SCHEMES, best_rule, generate
from tests.test_schedule_cases import flexible_setup_problem


@pytest.mark.parametrize("rule", sorted(RULES))
@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_rule_is_feasible(rule: str, scheme: str, shared_data: Path) -> None:
    for problem in (
        read_instance(shared_data / "jssp" / "instances" / "ft06.txt"),
        flexible_setup_problem(),
    ):
        sched = generate(problem, rule, scheme)  # type: ignore[arg-type]
        assert check(problem, sched) == []


def _one_machine(durations: list[int], dues: list[int | None]) -> Problem:
    return Problem(
        jobs=tuple(
            Job((Operation.on(0, d),), due=due) for d, due in zip(durations, dues, strict=True)
        ),
        machines=("m",),
    )


def _order(problem: Problem, rule: str) -> list[int]:
    sched = generate(problem, rule, "non-delay")
    return [a.job for a in sorted(sched, key=lambda a: a.start)]


def test_rules_order_a_single_machine_as_they_say() -> None:
    p = _one_machine([5, 2, 8], [20, 30, 9])
    assert _order(p, "spt") == [1, 0, 2]
    assert _order(p, "lpt") == [2, 0, 1]
    assert _order(p, "edd") == [2, 0, 1]
    assert _order(p, "mwkr") == [2, 0, 1]


def test_active_generation_beats_a_bad_non_delay_choice() -> None:
    # job 1 is released at 1 and is short; active generation may wait for it, non-delay may not
    p = Problem(
        jobs=(Job((Operation.on(0, 10),)), Job((Operation.on(0, 1),), release=1)), machines=("m",)
    )
    assert generate(p, "spt", "non-delay").at[0, 0].start == 0
    assert generate(p, "spt", "active").at[1, 0].start == 1


def test_best_rule_reports_its_choice(shared_data: Path) -> None:
    p = read_instance(shared_data / "jssp" / "instances" / "la01.txt")
    sched, value, which = best_rule(p)
    assert value == sched.makespan and "/" in which
    assert value <= min(generate(p, r, "active").makespan for r in RULES)
    with pytest.raises(NotFound, match="unknown dispatching rule"):
        best_rule(p, ("fifo",))
