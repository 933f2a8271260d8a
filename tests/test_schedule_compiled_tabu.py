"""The compiled tabu search and the Taillard generator: feasible schedules, nothing more."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopfloor.errors import BadInput
from shopfloor.schedule.check import check
from shopfloor.schedule.formats import read_instance
from shopfloor.schedule.generate import taillard_instance, taillard_rows
from shopfloor.schedule.options import Deadline
from shopfloor.schedule.solve import solve
from shopfloor.schedule.solvers.rules import best_rule
from shopfloor.schedule.solvers.tabu import CompiledTabu, JobShopGraph
from shopfloor.schedule.solvers.tabu.threads import warm_up


def test_generator_reproduces_ta01_from_its_published_seeds(shared_data: Path) -> None:
    p = read_instance(shared_data / "jssp" / "instances" / "ta01.txt")
    rows = taillard_rows(15, 15, 840612802, 398197754)
    got = [[(o.modes[0].machine, o.modes[0].duration) for o in job.operations] for job in p.jobs]
    assert rows == got


def test_generator_rejects_bad_sizes_and_seeds() -> None:
    with pytest.raises(BadInput, match="at least one job"):
        taillard_rows(0, 5, 1, 2)
    with pytest.raises(BadInput, match="seed"):
        taillard_rows(3, 3, 0, 2)


@pytest.mark.parametrize("workers", [1, 2])
def test_compiled_tabu_returns_a_feasible_schedule(workers: int) -> None:
    assert warm_up().wait(300), "the compiled search did not compile within 300 s"
    p = taillard_instance(12, 6, 12345, 67890)
    start, _value, _rule = best_rule(p, deadline=Deadline(1.0))
    graph = JobShopGraph(p)
    best = CompiledTabu(graph).search(
        graph.sequences(start), workers=workers, deadline=Deadline(0.5), seed=3
    )
    ev = graph.evaluate(best.seq)
    assert ev is not None and ev.makespan == best.makespan <= start.makespan
    assert check(p, graph.schedule(ev)) == []


@pytest.mark.parametrize("solver", ["default", "tabu"])
def test_solvers_on_a_generated_instance_pass_the_checker(solver: str) -> None:
    p = taillard_instance(15, 8, 2024, 4202)
    res = solve(p, solver, time_limit=1.5, threads=2)
    assert check(p, res.schedule) == []
    assert 0 < res.lower_bound <= res.makespan == res.schedule.makespan
