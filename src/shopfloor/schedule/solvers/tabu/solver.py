"""``tabu``: the best dispatching rule, then tabu search for the rest of the time limit.

Only for classic job shops (:attr:`~shopfloor.schedule.model.Problem.is_classic`): one machine
per operation, makespan objective, no setups, downtime or frozen operations.
"""

from __future__ import annotations

from shopfloor.errors import BadInput
from shopfloor.schedule.bounds import makespan_lower_bound
from shopfloor.schedule.model import Problem
from shopfloor.schedule.options import Deadline, SolveOptions
from shopfloor.schedule.schedule import SolveResult
from shopfloor.schedule.solvers.rules import best_rule
from shopfloor.schedule.solvers.tabu.graph import JobShopGraph
from shopfloor.schedule.solvers.tabu.search import TabuSearch

RULES_SHARE = 0.1


def require_classic(problem: Problem, solver: str) -> None:
    if not problem.is_classic:
        raise BadInput(
            f"solver {solver!r} handles classic job shops only (one machine per "
            "operation, makespan objective, no setups, downtime or frozen operations)",
            code="schedule.unsupported",
        )


def solve(problem: Problem, options: SolveOptions) -> SolveResult:
    require_classic(problem, "tabu")
    deadline = Deadline(options.time_limit)
    sched, _value, rule = best_rule(problem, deadline=Deadline(options.time_limit * RULES_SHARE))
    if options.hint is not None and options.hint.makespan < sched.makespan:
        sched, rule = options.hint, "hint"
    graph = JobShopGraph(problem)
    search = TabuSearch(graph, graph.sequences(sched), seed=options.seed)
    lb = makespan_lower_bound(problem)
    search.run(deadline.passed, lower_bound=lb)
    ev = graph.evaluate(search.best_seq)
    assert ev is not None
    value = problem.objective.makespan * ev.makespan
    bound = problem.objective.makespan * lb
    return SolveResult(
        schedule=graph.schedule(ev),
        objective=value,
        lower_bound=min(bound, value),
        status="optimal" if bound >= value else "feasible",
        solver="tabu",
        wall_s=deadline.elapsed(),
        stats={"start": rule, "iterations": search.iterations},
    )
