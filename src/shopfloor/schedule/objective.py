"""The objective of a schedule: makespan, weighted tardiness, stability and their weighted sum."""

from __future__ import annotations

from dataclasses import dataclass

from shopfloor.schedule.model import Problem
from shopfloor.schedule.schedule import Schedule


@dataclass(frozen=True, slots=True)
class Score:
    makespan: int
    weighted_tardiness: int
    #: Sum over dispatched operations of |start shift| (+ planned duration on a machine change).
    stability: int
    #: Dispatched operations whose start or machine changed.
    moved: int
    #: The weighted sum the solvers minimise.
    value: int


def job_completion(problem: Problem, schedule: Schedule, job: int) -> int:
    last = len(problem.jobs[job].operations) - 1
    return schedule.at[job, last].end


def score(problem: Problem, schedule: Schedule) -> Score:
    """Evaluate every objective term of ``schedule`` (which must cover every operation)."""
    makespan = schedule.makespan
    tardiness = 0
    for j, job in enumerate(problem.jobs):
        if job.due is not None:
            tardiness += job.weight * max(0, job_completion(problem, schedule, j) - job.due)
    stability = 0
    moved = 0
    for d in problem.dispatched:
        a = schedule.at[d.job, d.op]
        shift = abs(a.start - d.start)
        if a.machine != d.machine:
            planned = problem.operation(d.job, d.op).duration_on(d.machine) or 0
            shift += planned
        if shift or a.machine != d.machine:
            moved += 1
        stability += shift
    o = problem.objective
    value = o.makespan * makespan + o.tardiness * tardiness + o.stability * stability
    return Score(makespan, tardiness, stability, moved, value)


def moved_operations(before: Schedule, after: Schedule, ops: set[tuple[int, int]]) -> int:
    """How many of ``ops`` changed start or machine between two schedules."""
    n = 0
    for key in ops:
        a, b = before.at.get(key), after.at.get(key)
        if a is None or b is None or a.start != b.start or a.machine != b.machine:
            n += 1
    return n
