"""Neighbourhoods for the large-neighbourhood search: which operations to re-optimise.

Each kind returns the set of operations set free; every other operation keeps its machine and
its order on that machine (its times may still shift). Frozen operations are never set free.
The ``size`` in (0, 1] is the share of the schedule a neighbourhood takes, tuned as the search
goes (:class:`Sizes`).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from shopfloor.schedule.model import Problem
from shopfloor.schedule.schedule import Schedule

Key = tuple[int, int]
Picker = Callable[[Problem, Schedule, float, random.Random], set[Key]]

MIN_SIZE, MAX_SIZE, START_SIZE = 0.02, 0.9, 0.1
#: Size factors after a complete (proved) sub-solve and after one that ran out of time.
GROW, SHRINK = 1.15, 0.75


def _free(problem: Problem, keys: set[Key]) -> set[Key]:
    return {k for k in keys if k not in problem.frozen_at}


def time_window(problem: Problem, sched: Schedule, size: float, rnd: random.Random) -> set[Key]:
    """Operations starting within a random window of ``size`` times the plan's length."""
    t0 = problem.now
    span = max(1, sched.makespan - t0)
    width = max(1.0, size * span)
    a = t0 + rnd.uniform(-0.2 * width, span - 0.8 * width)
    return _free(problem, {(x.job, x.op) for x in sched if a <= x.start < a + width})


def machines(problem: Problem, sched: Schedule, size: float, rnd: random.Random) -> set[Key]:
    """Everything on a random subset of the machines."""
    count = max(1, round(size * problem.n_machines))
    chosen = set(rnd.sample(range(problem.n_machines), min(count, problem.n_machines)))
    return _free(problem, {(x.job, x.op) for x in sched if x.machine in chosen})


def jobs(problem: Problem, sched: Schedule, size: float, rnd: random.Random) -> set[Key]:
    """Every operation of a random subset of the jobs."""
    count = max(1, round(size * len(problem.jobs)))
    chosen = set(rnd.sample(range(len(problem.jobs)), min(count, len(problem.jobs))))
    return _free(problem, {(x.job, x.op) for x in sched if x.job in chosen})


def machine_window(problem: Problem, sched: Schedule, size: float, rnd: random.Random) -> set[Key]:
    """A time window on a random half of the machines: a narrow band, twice as long."""
    half = set(rnd.sample(range(problem.n_machines), max(1, problem.n_machines // 2)))
    return {
        k
        for k in time_window(problem, sched, min(MAX_SIZE, 2 * size), rnd)
        if sched.at[k].machine in half
    }


#: name -> picker. Adding a neighbourhood is adding a row.
NEIGHBOURHOODS: dict[str, Picker] = {
    "time-window": time_window,
    "machines": machines,
    "jobs": jobs,
    "machine-window": machine_window,
}


class Sizes:
    """Per-kind size that grows after a neighbourhood solved to optimality and shrinks after one
    that ran out of time, so sub-problems stay just solvable within their time limit."""

    def __init__(self) -> None:
        self.size = dict.fromkeys(NEIGHBOURHOODS, START_SIZE)

    def get(self, kind: str) -> float:
        return self.size[kind]

    def solved(self, kind: str, complete: bool) -> None:
        factor = GROW if complete else SHRINK
        self.size[kind] = min(MAX_SIZE, max(MIN_SIZE, self.size[kind] * factor))
