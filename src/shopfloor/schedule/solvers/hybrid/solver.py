"""``default``: the best dispatching rule, then the strongest improvement the problem allows.

Classic job shops: CP-SAT on the whole model, warm-started from the rule, for a short first
phase (it proves a lower bound and closes small instances outright), then the compiled tabu
search for the rest of the time, one search per thread, sharing their best
(:mod:`~shopfloor.schedule.solvers.tabu.threads`).
Every other problem (flexible, setups, downtime, frozen operations, other objectives) goes to the
large-neighbourhood search (:mod:`~shopfloor.schedule.solvers.lns`).
"""

from __future__ import annotations

from shopfloor.schedule.model import Problem
from shopfloor.schedule.options import Deadline, SolveOptions
from shopfloor.schedule.schedule import SolveResult
from shopfloor.schedule.solvers import lns
from shopfloor.schedule.solvers.cpsat import CpsatRun, add_hint, build
from shopfloor.schedule.solvers.cpsat.solver import result
from shopfloor.schedule.solvers.rules import best_rule
from shopfloor.schedule.solvers.tabu import JobShopGraph
from shopfloor.schedule.solvers.tabu.threads import CompiledTabu, warm_up

RULES_SHARE = 0.1
#: Share of the time limit for CP-SAT on the whole model before the tabu search.
CPSAT_SHARE = 0.1


def solve(problem: Problem, options: SolveOptions) -> SolveResult:
    deadline = Deadline(options.time_limit)
    if not problem.is_classic:
        return lns.solve(problem, options, name="default", deadline=deadline)
    warm_up()  # compiles while the rules (and CP-SAT) run
    sched, _value, rule = best_rule(problem, deadline=Deadline(options.time_limit * RULES_SHARE))
    if options.hint is not None and options.hint.makespan < sched.makespan:
        sched, _value, rule = options.hint, options.hint.makespan, "hint"
    hd = build(problem, upper_bound=sched.makespan)
    add_hint(hd, problem, sched)
    out = CpsatRun(
        hd,
        problem,
        time_limit=min(deadline.left(), options.time_limit * CPSAT_SHARE),
        workers=options.threads,
        seed=options.seed,
        log_search=options.log,
    ).run()
    bound = out.bound if out.schedule is not None else 0
    if out.schedule is not None and out.value is not None and out.value <= sched.makespan:
        sched = out.schedule
    weight = problem.objective.makespan
    if out.optimal or sched.makespan <= bound // max(1, weight):
        return result(
            problem,
            "default",
            deadline,
            sched,
            sched.makespan * weight,
            bound,
            True,
            start=rule,
            phase="cpsat",
        )
    graph = JobShopGraph(problem)
    best = CompiledTabu(graph).search(
        graph.sequences(sched),
        workers=options.threads,
        deadline=deadline,
        seed=options.seed,
        lower_bound=max(bound // max(1, weight), 0),
    )
    ev = graph.evaluate(best.seq)
    assert ev is not None
    if ev.makespan <= sched.makespan:
        sched = graph.schedule(ev)
    return result(
        problem,
        "default",
        deadline,
        sched,
        sched.makespan * weight,
        bound,
        False,
        start=rule,
        tabu_iterations=best.iterations,
    )
