"""The schedule checker: is a schedule feasible for a problem, and if not, why.

Checks, for every operation: it is scheduled exactly once, on an eligible machine, for its
processing time there; it starts after its job's release, after ``now`` (unless frozen) and after
its job predecessor ends; frozen operations are exactly where the problem says; no two operations
overlap on a machine, each follows the previous one by at least the setup time between their
families; no operation runs during its machine's downtime. Every schedule a solver returns goes
through :func:`require_feasible`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from shopfloor.errors import ScheduleError
from shopfloor.schedule.model import Problem
from shopfloor.schedule.schedule import Assignment, Schedule


@dataclass(frozen=True, slots=True)
class Violation:
    kind: str  # missing, extra, machine, duration, release, now, precedence, frozen, overlap,
    # setup, downtime
    message: str
    job: int = -1
    op: int = -1

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


class InfeasibleSchedule(ScheduleError):
    """A schedule breaks the problem's constraints (a solver bug or a bad hand-made plan)."""

    code = "schedule.infeasible_schedule"


def check(problem: Problem, schedule: Schedule) -> list[Violation]:
    """Every violation of ``schedule`` against ``problem``; empty when feasible."""
    out: list[Violation] = []
    at: dict[tuple[int, int], Assignment] = {}
    for a in schedule:
        key = (a.job, a.op)
        if not (0 <= a.job < len(problem.jobs) and 0 <= a.op < len(problem.jobs[a.job].operations)):
            out.append(Violation("extra", f"no operation {key} in the problem", a.job, a.op))
        elif key in at:
            out.append(Violation("extra", f"operation {key} scheduled twice", a.job, a.op))
        else:
            at[key] = a
    for j, job in enumerate(problem.jobs):
        prev: Assignment | None = None
        for k, _op in enumerate(job.operations):
            got = at.get((j, k))
            if got is None:
                out.append(Violation("missing", f"operation ({j}, {k}) is not scheduled", j, k))
                prev = None
                continue
            out.extend(_operation_violations(problem, got, prev))
            prev = got
    out.extend(_machine_violations(problem, at))
    return out


def _operation_violations(
    problem: Problem, a: Assignment, prev: Assignment | None
) -> list[Violation]:
    out: list[Violation] = []
    j, k = a.job, a.op
    op = problem.operation(j, k)
    frozen = problem.frozen_at.get((j, k))
    if frozen is not None:
        if (a.machine, a.start, a.end) != (frozen.machine, frozen.start, frozen.end):
            out.append(
                Violation(
                    "frozen",
                    f"operation ({j}, {k}) is frozen on machine "
                    f"{frozen.machine} [{frozen.start}, {frozen.end}) but scheduled "
                    f"on {a.machine} [{a.start}, {a.end})",
                    j,
                    k,
                )
            )
    else:
        duration = op.duration_on(a.machine)
        if duration is None:
            out.append(
                Violation(
                    "machine", f"operation ({j}, {k}) cannot run on machine {a.machine}", j, k
                )
            )
        elif a.end - a.start != duration:
            out.append(
                Violation(
                    "duration",
                    f"operation ({j}, {k}) lasts {a.end - a.start} on "
                    f"machine {a.machine}, needs {duration}",
                    j,
                    k,
                )
            )
        if a.start < problem.now:
            out.append(
                Violation(
                    "now",
                    f"operation ({j}, {k}) starts at {a.start}, before now={problem.now}",
                    j,
                    k,
                )
            )
        release = problem.jobs[j].release
        if a.start < release:
            out.append(
                Violation(
                    "release",
                    f"operation ({j}, {k}) starts at {a.start}, before its job's release {release}",
                    j,
                    k,
                )
            )
    if prev is not None and a.start < prev.end:
        out.append(
            Violation(
                "precedence",
                f"operation ({j}, {k}) starts at {a.start}, before "
                f"({j}, {k - 1}) ends at {prev.end}",
                j,
                k,
            )
        )
    return out


def _machine_violations(problem: Problem, at: dict[tuple[int, int], Assignment]) -> list[Violation]:
    out: list[Violation] = []
    by_machine: dict[int, list[Assignment]] = {}
    for a in at.values():
        by_machine.setdefault(a.machine, []).append(a)
    for m, seq in by_machine.items():
        seq.sort(key=lambda a: (a.start, a.end))
        busy: list[Assignment] = [a for a in seq if a.end > a.start]
        for x, y in itertools.pairwise(busy):
            if y.start < x.end:
                out.append(
                    Violation(
                        "overlap",
                        f"({x.job}, {x.op}) and ({y.job}, {y.op}) overlap on machine {m}",
                        y.job,
                        y.op,
                    )
                )
                continue
            if (x.job, x.op) in problem.frozen_at and (y.job, y.op) in problem.frozen_at:
                continue  # what already happened is a fact, not a plan
            need = problem.setup(
                m, problem.operation(x.job, x.op).family, problem.operation(y.job, y.op).family
            )
            if y.start < x.end + need:
                out.append(
                    Violation(
                        "setup",
                        f"({y.job}, {y.op}) starts {y.start - x.end} after "
                        f"({x.job}, {x.op}) on machine {m}, setup needs {need}",
                        y.job,
                        y.op,
                    )
                )
        for a in busy:
            for ds, de in problem.downtimes_on.get(m, ()):
                if max(a.start, ds) < min(a.end, de) and (a.job, a.op) not in problem.frozen_at:
                    out.append(
                        Violation(
                            "downtime",
                            f"({a.job}, {a.op}) runs during downtime [{ds}, {de}) of machine {m}",
                            a.job,
                            a.op,
                        )
                    )
    return out


def require_feasible(problem: Problem, schedule: Schedule, what: str = "schedule") -> None:
    """Raise :class:`InfeasibleSchedule` listing the first violations, if there are any."""
    found = check(problem, schedule)
    if found:
        head = "; ".join(str(v) for v in found[:5])
        more = f" (and {len(found) - 5} more)" if len(found) > 5 else ""
        raise InfeasibleSchedule(
            f"{what} is infeasible: {head}{more}", violations=[str(v) for v in found]
        )
