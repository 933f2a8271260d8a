"""Dispatching rules: every rule under both generation schemes; the best schedule wins."""

from __future__ import annotations

from collections.abc import Sequence

from shopfloor.errors import NotFound
from shopfloor.schedule.bounds import objective_lower_bound
from shopfloor.schedule.model import Problem
from shopfloor.schedule.objective import score
from shopfloor.schedule.options import Deadline, SolveOptions
from shopfloor.schedule.schedule import Schedule, SolveResult
from shopfloor.schedule.solvers.rules.priority import RULES
from shopfloor.schedule.solvers.rules.sgs import SCHEMES, Scheme, generate


def best_rule(
    problem: Problem,
    rules: Sequence[str] = tuple(RULES),
    schemes: Sequence[Scheme] = SCHEMES,
    deadline: Deadline | None = None,
) -> tuple[Schedule, int, str]:
    """``(schedule, objective, "rule/scheme")`` of the best combination tried.

    With a deadline, stops trying more combinations once it has passed (at least one is tried).
    """
    unknown = [r for r in rules if r not in RULES]
    if unknown:
        raise NotFound(f"unknown dispatching rule {unknown[0]!r}; known: {', '.join(RULES)}")
    best: tuple[Schedule, int, str] | None = None
    for rule in rules:
        for scheme in schemes:
            if best is not None and deadline is not None and deadline.passed():
                return best
            sched = generate(problem, rule, scheme)
            value = score(problem, sched).value
            if best is None or value < best[1]:
                best = (sched, value, f"{rule}/{scheme}")
    assert best is not None
    return best


def solve(
    problem: Problem, options: SolveOptions, rules: Sequence[str] = tuple(RULES)
) -> SolveResult:
    deadline = Deadline(options.time_limit)
    sched, value, which = best_rule(problem, rules, deadline=deadline)
    lb = objective_lower_bound(problem)
    return SolveResult(
        schedule=sched,
        objective=value,
        lower_bound=min(lb, value),
        status="optimal" if lb >= value else "feasible",
        solver="rules",
        wall_s=deadline.elapsed(),
        stats={"rule": which},
    )
