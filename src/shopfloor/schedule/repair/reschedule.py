"""Rescheduling on a disruption: a feasible repair at once, then a better one within the budget.

MES calls :func:`repair` when a machine breaks down, a rush order arrives or an operation runs
late: the immediate repair (:func:`~shopfloor.schedule.repair.rightshift.right_shift`) is ready
in milliseconds and can be dispatched at once; the improved schedule follows within
``time_limit``, never worse than the immediate one on the disrupted problem's objective, which
charges for every dispatched operation it moves.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from shopfloor.schedule.check import require_feasible
from shopfloor.schedule.model import Problem
from shopfloor.schedule.objective import Score, score
from shopfloor.schedule.repair.events import Event, disrupted_problem
from shopfloor.schedule.repair.rightshift import right_shift
from shopfloor.schedule.schedule import Schedule, SolveResult
from shopfloor.schedule.solve import solve

#: Time kept back from the budget for the bookkeeping around the improvement.
MARGIN_S = 0.15


@dataclass(frozen=True)
class RepairResult:
    #: The problem after the disruption (frozen, dispatched, the stability objective).
    problem: Problem
    first: Schedule
    first_s: float
    first_score: Score
    improved: SolveResult
    improved_s: float
    improved_score: Score

    @property
    def dispatched(self) -> int:
        return len(self.problem.dispatched)

    def summary(self) -> dict[str, object]:
        return {
            "dispatched_operations": self.dispatched,
            "first": {
                "seconds": round(self.first_s, 4),
                "makespan": self.first_score.makespan,
                "moved_operations": self.first_score.moved,
                "objective": self.first_score.value,
            },
            "improved": {
                "seconds": round(self.improved_s, 3),
                "makespan": self.improved_score.makespan,
                "moved_operations": self.improved_score.moved,
                "objective": self.improved_score.value,
                "lower_bound": self.improved.lower_bound,
                "status": self.improved.status,
            },
        }


def repair(
    problem: Problem,
    plan: Schedule,
    event: Event,
    now: int,
    *,
    time_limit: float = 10.0,
    threads: int = 1,
    seed: int = 0,
    stability: int = 1,
    solver: str = "default",
) -> RepairResult:
    """Repair ``plan`` (a feasible schedule of ``problem``) after ``event`` happened at ``now``."""
    t0 = time.perf_counter()
    new = disrupted_problem(problem, plan, event, now, stability)
    first = right_shift(new, plan)
    require_feasible(new, first, "the immediate repair")
    first_s = time.perf_counter() - t0
    budget = max(0.1, time_limit - first_s - MARGIN_S)
    improved = solve(new, solver, time_limit=budget, threads=threads, seed=seed, hint=first)
    improved_s = time.perf_counter() - t0
    return RepairResult(
        problem=new,
        first=first,
        first_s=first_s,
        first_score=score(new, first),
        improved=improved,
        improved_s=improved_s,
        improved_score=score(new, improved.schedule),
    )
