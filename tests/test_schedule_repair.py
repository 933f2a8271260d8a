"""Rescheduling: an immediate feasible repair that keeps what has started, then a better one."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from shopfloor.errors import BadInput
from shopfloor.schedule.check import check
from shopfloor.schedule.formats import read_instance
from shopfloor.schedule.model import Job, Mode, Operation, Problem
from shopfloor.schedule.repair import (
    Breakdown,
    LateOperation,
    RushOrder,
    disrupted_problem,
    repair,
    right_shift,
)
from shopfloor.schedule.schedule import Schedule
from shopfloor.schedule.solve import solve
from tests.test_schedule_cases import flexible_setup_problem


@pytest.fixture(scope="module")
def la01(shared_data: Path) -> tuple[Problem, Schedule]:
    p = read_instance(shared_data / "jssp" / "instances" / "la01.txt")
    return p, solve(p, "rules", time_limit=1).schedule


def _started_unchanged(plan: Schedule, new: Problem, sched: Schedule) -> None:
    for f in new.frozen:
        a = sched.at[f.job, f.op]
        assert (a.machine, a.start, a.end) == (f.machine, f.start, f.end)
        old = plan.at.get((f.job, f.op))
        if old is not None and old.end == f.end:
            assert (old.machine, old.start) == (f.machine, f.start)


@pytest.mark.parametrize("seed", range(6))
def test_random_breakdowns_repair_feasibly_without_touching_started_work(
    seed: int, la01: tuple[Problem, Schedule]
) -> None:
    problem, plan = la01
    rnd = random.Random(seed)
    now = rnd.randrange(1, plan.makespan - 1)
    machine = rnd.randrange(problem.n_machines)
    event = Breakdown(machine, now, now + rnd.randrange(1, 200))
    new = disrupted_problem(problem, plan, event, now)
    first = right_shift(new, plan)
    assert check(new, first) == []
    _started_unchanged(plan, new, first)
    assert all(first.at[k].start >= plan.at[k].start for k in first.at if k not in new.frozen_at)


def test_repair_improves_within_the_budget(la01: tuple[Problem, Schedule]) -> None:
    problem, plan = la01
    mid = plan.makespan // 2
    t0 = time.perf_counter()
    rep = repair(problem, plan, Breakdown(0, mid, mid + 80), mid, time_limit=2)
    assert rep.first_s < 1.0 and time.perf_counter() - t0 < 2 + 2.0
    assert check(rep.problem, rep.first) == [] and check(rep.problem, rep.improved.schedule) == []
    _started_unchanged(plan, rep.problem, rep.improved.schedule)
    assert rep.improved_score.value <= rep.first_score.value
    assert rep.summary()["dispatched_operations"] == len(rep.problem.dispatched) > 0


def test_an_interrupted_operation_restarts_after_the_breakdown(
    la01: tuple[Problem, Schedule],
) -> None:
    problem, plan = la01
    running = next(a for a in plan if a.end - a.start > 10 and a.start > 0)
    now = running.start + 5
    new = disrupted_problem(problem, plan, Breakdown(running.machine, now, now + 50), now)
    assert (running.job, running.op) not in new.frozen_at
    fixed = right_shift(new, plan)
    assert fixed.at[running.job, running.op].start >= now + 50
    assert check(new, fixed) == []


def test_rush_order_is_slotted_in(la01: tuple[Problem, Schedule]) -> None:
    problem, plan = la01
    rush = Job(tuple(Operation.on(m, 10) for m in range(problem.n_machines)), name="rush")
    now = plan.makespan // 3
    rep = repair(problem, plan, RushOrder(rush), now, time_limit=1.5)
    new_job = len(problem.jobs)
    assert rep.problem.jobs[new_job].release == now
    for sched in (rep.first, rep.improved.schedule):
        assert check(rep.problem, sched) == []
        assert sched.at[new_job, 0].start >= now


def test_late_operation_pushes_its_successors(la01: tuple[Problem, Schedule]) -> None:
    problem, plan = la01
    a = next(x for x in plan if x.op == 0 and x.end - x.start > 5 and x.start > 0)
    now = a.start + 1
    new = disrupted_problem(problem, plan, LateOperation(a.job, a.op, a.end + 40), now)
    assert new.frozen_at[a.job, a.op].end == a.end + 40
    fixed = right_shift(new, plan)
    assert check(new, fixed) == []
    assert fixed.at[a.job, 1].start >= a.end + 40
    with pytest.raises(BadInput, match="has not started"):
        disrupted_problem(problem, plan, LateOperation(a.job, 2, a.end + 40), now)


def test_flexible_repair_with_setups() -> None:
    problem = flexible_setup_problem()
    plan = solve(problem, "rules", time_limit=1).schedule
    rep = repair(problem, plan, Breakdown(0, 5, 9), 5, time_limit=1.5)
    assert check(rep.problem, rep.first) == [] and check(rep.problem, rep.improved.schedule) == []
    extra = Job((Operation((Mode(0, 1), Mode(1, 1)), family=1),), name="rush")
    rep = repair(problem, plan, RushOrder(extra), 4, time_limit=1)
    assert check(rep.problem, rep.improved.schedule) == []


def test_bad_events_are_refused(la01: tuple[Problem, Schedule]) -> None:
    problem, plan = la01
    with pytest.raises(BadInput, match="breakdown needs"):
        disrupted_problem(problem, plan, Breakdown(99, 5, 10), 5)
    with pytest.raises(BadInput, match="before the problem's now"):
        disrupted_problem(problem, plan, Breakdown(0, 5, 10), -1)
