"""CP-SAT on the whole problem: ``cpsat`` (warm-started from the best dispatching rule) and
``cpsat-plain`` (the bare model, no hint, default parameters: the benchmark's reference peer)."""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from shopfloor.schedule.bounds import objective_lower_bound
from shopfloor.schedule.model import Problem
from shopfloor.schedule.objective import score
from shopfloor.schedule.options import Deadline, SolveOptions
from shopfloor.schedule.schedule import Schedule, SolveResult
from shopfloor.schedule.solvers.cpsat.model import CpModelHandles, add_hint, build, extract
from shopfloor.schedule.solvers.rules import best_rule

log = logging.getLogger(__name__)

#: Share of the time limit the warm start's dispatching rules may use at most.
RULES_SHARE = 0.1


@dataclass
class Outcome:
    schedule: Schedule | None
    value: int | None
    bound: int
    optimal: bool


class _Listener(cp_model.CpSolverSolutionCallback):
    def __init__(
        self, hd: CpModelHandles, problem: Problem, on_solution: Callable[[Schedule, int], None]
    ) -> None:
        super().__init__()
        self.hd, self.problem, self.on_solution = hd, problem, on_solution

    def on_solution_callback(self) -> None:
        self.on_solution(extract(self.hd, self.problem, self), round(self.objective_value))


class CpsatRun:
    """One CP-SAT search on a model; :meth:`stop` may be called from another thread."""

    def __init__(
        self,
        hd: CpModelHandles,
        problem: Problem,
        *,
        time_limit: float,
        workers: int,
        seed: int = 0,
        log_search: bool = False,
        plain: bool = False,
    ) -> None:
        self.hd, self.problem = hd, problem
        self.solver = cp_model.CpSolver()
        p = self.solver.parameters
        p.max_time_in_seconds = max(0.01, time_limit)
        p.num_workers = workers
        if not plain:
            p.random_seed = seed
        if log_search:
            p.log_search_progress = True
            p.log_to_stdout = False
            self.solver.log_callback = log.info
        self._lock = threading.Lock()
        self._stopped = False

    def run(self, on_solution: Callable[[Schedule, int], None] | None = None) -> Outcome:
        with self._lock:
            if self._stopped:
                return Outcome(None, None, 0, False)
        if on_solution is None:
            status = self.solver.solve(self.hd.model)
        else:
            status = self.solver.solve(self.hd.model, _Listener(self.hd, self.problem, on_solution))
        bound = self.solver.best_objective_bound
        lb = math.ceil(bound - 1e-6) if math.isfinite(bound) else 0
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            sched = extract(self.hd, self.problem, self.solver)
            value = round(self.solver.objective_value)
            return Outcome(
                sched,
                value,
                value if status == cp_model.OPTIMAL else lb,
                status == cp_model.OPTIMAL,
            )
        # INFEASIBLE under an incumbent's bound means nothing better exists
        return Outcome(None, None, lb, status == cp_model.INFEASIBLE)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
        self.solver.stop_search()


def result(
    problem: Problem,
    name: str,
    deadline: Deadline,
    sched: Schedule,
    value: int,
    bound: int,
    optimal: bool,
    **stats: object,
) -> SolveResult:
    """A SolveResult whose bound never exceeds the value and never falls below the trivial one."""
    lb = min(value, max(bound, objective_lower_bound(problem)))
    return SolveResult(
        schedule=sched,
        objective=value,
        lower_bound=lb,
        status="optimal" if optimal or lb >= value else "feasible",
        solver=name,
        wall_s=deadline.elapsed(),
        stats=dict(stats),
    )


def solve(problem: Problem, options: SolveOptions) -> SolveResult:
    """Best dispatching rule, then CP-SAT from it (hinted, bounded by it) for the time left."""
    deadline = Deadline(options.time_limit)
    rules_deadline = Deadline(options.time_limit * RULES_SHARE)
    sched, value, rule = best_rule(problem, deadline=rules_deadline)
    if options.hint is not None:
        hinted = (options.hint, score(problem, options.hint).value)
        if hinted[1] < value:
            sched, value, rule = hinted[0], hinted[1], "hint"
    hd = build(problem, upper_bound=value)
    add_hint(hd, problem, sched)
    run = CpsatRun(
        hd,
        problem,
        time_limit=deadline.left(),
        workers=options.threads,
        seed=options.seed,
        log_search=options.log,
    )
    out = run.run()
    if out.schedule is None or out.value is None:
        return result(problem, "cpsat", deadline, sched, value, 0, False, start=rule)
    if out.value <= value:
        sched, value = out.schedule, out.value
    return result(problem, "cpsat", deadline, sched, value, out.bound, out.optimal, start=rule)


def solve_plain(problem: Problem, options: SolveOptions) -> SolveResult:
    """The bare model with CP-SAT's default parameters: no hint, no bound, only the workers."""
    deadline = Deadline(options.time_limit)
    hd = build(problem)
    out = CpsatRun(
        hd,
        problem,
        time_limit=options.time_limit,
        workers=options.threads,
        log_search=options.log,
        plain=True,
    ).run()
    if out.schedule is None or out.value is None:
        # no solution in time: fall back to a dispatching rule so the answer is still a schedule
        sched, value, _rule = best_rule(problem, ("mwkr",), ("active",))
        return result(
            problem, "cpsat-plain", deadline, sched, value, out.bound, False, fallback="mwkr"
        )
    return result(problem, "cpsat-plain", deadline, out.schedule, out.value, out.bound, out.optimal)
