"""The one entry point: ``solve(problem, solver=..., time_limit=..., threads=...)``."""

from __future__ import annotations

from dataclasses import replace

from shopfloor.errors import BadInput
from shopfloor.schedule.check import check, require_feasible
from shopfloor.schedule.model import Problem
from shopfloor.schedule.options import SolveOptions
from shopfloor.schedule.registry import lookup
from shopfloor.schedule.schedule import Schedule, SolveResult


def solve(
    problem: Problem,
    solver: str = "default",
    *,
    time_limit: float = 10.0,
    threads: int = 1,
    seed: int = 0,
    hint: Schedule | None = None,
    log: bool = False,
) -> SolveResult:
    """Solve ``problem`` with the named solver within ``time_limit`` seconds.

    Anytime: at the deadline the best schedule found is returned with a proven lower bound on
    its objective. The schedule always passes the checker (:func:`~shopfloor.schedule.check`);
    a solver that breaks this raises :class:`~shopfloor.schedule.check.InfeasibleSchedule`.
    ``hint`` is a feasible schedule to start from (it must pass the checker).
    """
    options = SolveOptions(time_limit=time_limit, threads=threads, seed=seed, hint=hint, log=log)
    fn = lookup(solver)
    if hint is not None:
        bad = check(problem, hint)
        if bad:
            raise BadInput(
                f"the hint is not a feasible schedule: {bad[0]}", code="schedule.bad_hint"
            )
    res = fn(problem, options)
    require_feasible(problem, res.schedule, f"the schedule from solver {solver!r}")
    if res.solver != solver:
        res = replace(res, solver=solver, stats={**res.stats, "backend": res.solver})
    return res
