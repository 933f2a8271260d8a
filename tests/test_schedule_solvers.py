"""Every solver behind ``solve``: feasible schedules, honest bounds, anytime behaviour."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from shopfloor.errors import BadInput, NotFound
from shopfloor.schedule.check import check
from shopfloor.schedule.formats import read_instance
from shopfloor.schedule.model import Frozen, Job, Objective, Operation, Planned, Problem
from shopfloor.schedule.objective import score
from shopfloor.schedule.registry import specs
from shopfloor.schedule.solve import solve
from shopfloor.schedule.solvers.tabu.threads import warm_up
from tests.test_schedule_cases import flexible_setup_problem


def _instance(shared_data: Path, name: str) -> Problem:
    return read_instance(shared_data / "jssp" / "instances" / f"{name}.txt")


@pytest.mark.parametrize("solver", ["default", "cpsat", "cpsat-plain", "lns", "tabu"])
def test_ft06_reaches_the_optimum(solver: str, shared_data: Path) -> None:
    p = _instance(shared_data, "ft06")
    if solver == "tabu":
        # The search is measured here, not numba's first compile (tens of seconds on a cold
        # cache, during which ``tabu`` answers with its best rule).
        assert warm_up().wait(300), "the compiled search did not compile within 300 s"
    res = solve(p, solver, time_limit=2, threads=1)
    assert check(p, res.schedule) == []
    assert res.makespan == 55 and res.solver == solver
    assert res.lower_bound <= 55


def test_rules_and_single_rules(shared_data: Path) -> None:
    p = _instance(shared_data, "la01")
    best = solve(p, "rules", time_limit=1)
    for rule in ("spt", "mwkr", "atc"):
        one = solve(p, rule, time_limit=1)
        assert check(p, one.schedule) == [] and one.makespan >= best.makespan
        assert one.stats["backend"] == "rules"


def test_anytime_returns_a_bounded_schedule_at_the_deadline(shared_data: Path) -> None:
    p = _instance(shared_data, "ta01")
    t0 = time.monotonic()
    res = solve(p, "default", time_limit=1.5, threads=2)
    assert time.monotonic() - t0 < 1.5 + 3.0
    assert check(p, res.schedule) == []
    assert 0 < res.lower_bound <= res.makespan and res.status == "feasible"


@pytest.mark.parametrize("solver", ["default", "cpsat", "lns", "rules"])
def test_flexible_setups_downtime_frozen(solver: str) -> None:
    p = flexible_setup_problem()
    res = solve(p, solver, time_limit=1.5, threads=1)
    assert check(p, res.schedule) == []
    assert res.schedule.at[2, 0].start == 0 and res.schedule.at[2, 0].end == 2
    assert res.objective == score(p, res.schedule).value >= res.lower_bound


def test_cpsat_proves_the_flexible_case_optimal() -> None:
    res = solve(flexible_setup_problem(), "cpsat", time_limit=2)
    assert res.status == "optimal" and res.lower_bound == res.objective


def test_weighted_tardiness_on_one_machine_follows_the_exact_optimum() -> None:
    # three jobs on one machine: the best order is 1, 0, 2 (by brute force: tardiness 6)
    jobs = (
        Job((Operation.on(0, 4),), due=6),
        Job((Operation.on(0, 2),), due=2, weight=3),
        Job((Operation.on(0, 5),), due=9),
    )
    p = Problem(jobs=jobs, machines=("m",), objective=Objective(makespan=0, tardiness=1))
    res = solve(p, "cpsat", time_limit=2)
    order = [a.job for a in sorted(res.schedule, key=lambda a: a.start)]
    assert order == [1, 0, 2] and res.objective == 2 and res.status == "optimal"


def test_stability_keeps_dispatched_operations_in_place() -> None:
    jobs = (Job((Operation.on(0, 3),)), Job((Operation.on(0, 3),)))
    plan = (Planned(0, 0, 0, 3), Planned(1, 0, 0, 0))
    p = Problem(
        jobs=jobs, machines=("m",), dispatched=plan, objective=Objective(makespan=1, stability=1)
    )
    res = solve(p, "lns", time_limit=1.5)
    assert res.schedule.at[0, 0].start == 3 and res.schedule.at[1, 0].start == 0
    assert score(p, res.schedule).moved == 0


def test_unknown_solver_unsupported_problem_and_bad_hint(shared_data: Path) -> None:
    p = _instance(shared_data, "ft06")
    with pytest.raises(NotFound, match="unknown solver 'magic'"):
        solve(p, "magic")
    with pytest.raises(BadInput, match="classic job shops only"):
        solve(flexible_setup_problem(), "tabu", time_limit=1)
    bad = solve(p, "spt", time_limit=1).schedule
    broken = type(bad).of(
        [
            a if (a.job, a.op) != (0, 0) else type(a)(0, 0, a.machine, a.start + 1, a.end)
            for a in bad
        ]
    )
    with pytest.raises(BadInput, match="hint is not a feasible schedule"):
        solve(p, "default", time_limit=1, hint=broken)
    with pytest.raises(BadInput, match="time limit"):
        solve(p, "rules", time_limit=0)


def test_registry_lists_every_backend_and_rule() -> None:
    table = specs()
    for name in ("default", "rules", "cpsat", "cpsat-plain", "lns", "tabu", "spt", "fdd-mwkr"):
        assert name in table and callable(table[name].load())


@pytest.mark.parametrize("solver", ["cpsat", "lns", "rules"])
def test_work_after_a_finished_frozen_operation_waits_for_now(solver: str) -> None:
    jobs = (Job((Operation.on(0, 2), Operation.on(1, 3))), Job((Operation.on(1, 2),)))
    p = Problem(jobs=jobs, machines=("a", "b"), frozen=(Frozen(0, 0, 0, 0, 2),), now=5)
    res = solve(p, solver, time_limit=1)
    assert check(p, res.schedule) == []
    assert min(res.schedule.at[0, 1].start, res.schedule.at[1, 0].start) == 5
    assert res.makespan == 10
