"""Lower bounds that need no search: job chains and machine loads."""

from __future__ import annotations

from shopfloor.schedule.model import Problem


def makespan_lower_bound(problem: Problem) -> int:
    """No schedule ends before any job's remaining chain, nor before a machine's forced load."""
    best = max((f.end for f in problem.frozen), default=0)
    for j, job in enumerate(problem.jobs):
        t = problem.earliest_start(j)
        for k, op in enumerate(job.operations):
            frozen = problem.frozen_at.get((j, k))
            t = max(t, frozen.end) if frozen is not None else t + op.min_duration
        best = max(best, t)
    load: dict[int, int] = {}
    first: dict[int, int] = {}
    for j, job in enumerate(problem.jobs):
        for k, op in enumerate(job.operations):
            if len(op.modes) == 1 and (j, k) not in problem.frozen_at:
                m = op.modes[0].machine
                load[m] = load.get(m, 0) + op.modes[0].duration
                first[m] = min(first.get(m, problem.earliest_start(j)), problem.earliest_start(j))
    for m, total in load.items():
        best = max(best, first[m] + total)
    return best


def objective_lower_bound(problem: Problem) -> int:
    """A bound on the weighted objective: the makespan term alone (the others are >= 0)."""
    return problem.objective.makespan * makespan_lower_bound(problem)
