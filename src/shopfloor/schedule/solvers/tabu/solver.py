"""``tabu``: the best dispatching rule, then the compiled tabu search (one per thread) for the
rest of the time limit.

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
from shopfloor.schedule.solvers.tabu.threads import CompiledTabu, warm_up

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
    warm_up()  # compiles while the rules run
    sched, _value, rule = best_rule(problem, deadline=Deadline(options.time_limit * RULES_SHARE))
    if options.hint is not None and options.hint.makespan < sched.makespan:
        sched, rule = options.hint, "hint"
    graph = JobShopGraph(problem)
    lb = makespan_lower_bound(problem)
    best = CompiledTabu(graph).search(
        graph.sequences(sched),
        workers=options.threads,
        deadline=deadline,
        seed=options.seed,
        lower_bound=lb,
    )
    ev = graph.evaluate(best.seq)
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
        stats={"start": rule, "iterations": best.iterations},
    )
