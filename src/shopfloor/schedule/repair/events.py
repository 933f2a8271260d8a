"""Disruptions, and the problem that is left to schedule once one has happened at ``now``.

What has started by ``now`` is frozen where it ran, except an operation a breakdown interrupts
(it restarts from scratch once the machine is back) and an operation that cannot have started
because what precedes it is still running (a late operation holds up its machine and job).
Every operation of the previous plan that has not started is *dispatched*: the new problem
charges stability for moving it (see :class:`~shopfloor.schedule.model.Objective`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from shopfloor.errors import BadInput
from shopfloor.schedule.model import Downtime, Frozen, Job, Objective, Planned, Problem
from shopfloor.schedule.schedule import Schedule

Key = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Breakdown:
    """Machine ``machine`` is down during ``[start, end)``."""

    machine: int
    start: int
    end: int


@dataclass(frozen=True)
class RushOrder:
    """A new job to fit in as soon as possible (its release is raised to ``now``)."""

    job: Job


@dataclass(frozen=True, slots=True)
class LateOperation:
    """Operation ``(job, op)``, running at ``now``, will only end at ``end``."""

    job: int
    op: int
    end: int


Event = Breakdown | RushOrder | LateOperation


def disrupted_problem(
    problem: Problem, plan: Schedule, event: Event, now: int, stability: int = 1
) -> Problem:
    """The problem to solve after ``event`` at ``now``, given the plan that was running.

    The original objective's weights are scaled by the number of dispatched operations, so that
    one unit of makespan (or tardiness) weighs as much as shifting every dispatched operation by
    one unit; ``stability`` weighs those shifts.
    """
    if now < problem.now:
        raise BadInput(
            f"now={now} is before the problem's now={problem.now}", code="schedule.bad_event"
        )
    jobs, downtimes = list(problem.jobs), list(problem.downtimes)
    ran: dict[Key, tuple[int, int, int]] = {
        (a.job, a.op): (a.machine, a.start, a.end) for a in plan if a.start < now
    }
    for f in problem.frozen:
        ran[f.job, f.op] = (f.machine, f.start, f.end)
    if isinstance(event, Breakdown):
        if not 0 <= event.machine < problem.n_machines or event.end <= event.start:
            raise BadInput(
                f"breakdown needs a machine in 0..{problem.n_machines - 1} and "
                f"start < end, got {event}",
                code="schedule.bad_event",
            )
        downtimes.append(Downtime(event.machine, event.start, event.end, "breakdown"))
    elif isinstance(event, LateOperation):
        key = (event.job, event.op)
        if key not in ran or not ran[key][1] < now:
            raise BadInput(
                f"late operation {key} has not started by now={now}", code="schedule.bad_event"
            )
        if event.end < now:
            raise BadInput(
                f"late operation {key} cannot end at {event.end}, before now={now}",
                code="schedule.bad_event",
            )
        machine, start, _end = ran[key]
        ran[key] = (machine, start, event.end)
    else:
        jobs.append(replace(event.job, release=max(event.job.release, now)))
    frozen = _consistent(problem, ran, downtimes)
    dispatched = tuple(
        Planned(a.job, a.op, a.machine, a.start) for a in plan if (a.job, a.op) not in frozen
    )
    scale = max(1, len(dispatched))
    o = problem.objective
    objective = Objective(
        makespan=o.makespan * scale,
        tardiness=o.tardiness * scale,
        stability=stability if dispatched else 0,
    )
    return replace(
        problem,
        jobs=tuple(jobs),
        downtimes=tuple(downtimes),
        frozen=tuple(Frozen(j, k, *frozen[j, k]) for j, k in sorted(frozen)),
        dispatched=dispatched,
        now=now,
        objective=objective,
    )


def _consistent(
    problem: Problem, ran: dict[Key, tuple[int, int, int]], downtimes: list[Downtime]
) -> dict[Key, tuple[int, int, int]]:
    """Drop, until none is left, what cannot stay frozen: an operation in a downtime (it was
    interrupted), one whose job predecessor is not frozen or still running past its start, one
    that overlaps an earlier-started frozen operation on its machine (it was held up)."""
    frozen = dict(ran)
    changed = True
    while changed:
        changed = False
        busy_until: dict[int, int] = {}
        for key, (m, s, e) in sorted(frozen.items(), key=lambda kv: kv[1][1]):
            j, k = key
            prev = frozen.get((j, k - 1))
            hit = any(d.machine == m and max(s, d.start) < min(e, d.end) for d in downtimes)
            if hit or (k > 0 and (prev is None or prev[2] > s)):
                del frozen[key]
                changed = True
                break
            if e > s and busy_until.get(m, s) > s:
                del frozen[key]
                changed = True
                break
            if e > s:
                busy_until[m] = max(busy_until.get(m, e), e)
    return frozen
