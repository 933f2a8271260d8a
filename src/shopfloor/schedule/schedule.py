"""A schedule (one assignment per operation) and what a solver returns with it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

Status = Literal["optimal", "feasible"]


@dataclass(frozen=True, slots=True, order=True)
class Assignment:
    """Operation ``op`` of job ``job`` runs on ``machine`` during ``[start, end)``."""

    job: int
    op: int
    machine: int
    start: int
    end: int

    def to_dict(self) -> dict[str, int]:
        return {
            "job": self.job,
            "op": self.op,
            "machine": self.machine,
            "start": self.start,
            "end": self.end,
        }


@dataclass(frozen=True)
class Schedule:
    """Assignments sorted by ``(job, op)``; one per operation of the problem."""

    assignments: tuple[Assignment, ...]

    @classmethod
    def of(cls, assignments: Iterable[Assignment]) -> Schedule:
        return cls(tuple(sorted(assignments)))

    def __iter__(self) -> Iterator[Assignment]:
        return iter(self.assignments)

    def __len__(self) -> int:
        return len(self.assignments)

    @cached_property
    def at(self) -> dict[tuple[int, int], Assignment]:
        return {(a.job, a.op): a for a in self.assignments}

    @property
    def makespan(self) -> int:
        return max((a.end for a in self.assignments), default=0)

    def by_machine(self) -> dict[int, list[Assignment]]:
        """Machine -> its assignments in start order (ties: shorter first, then job)."""
        out: dict[int, list[Assignment]] = {}
        for a in self.assignments:
            out.setdefault(a.machine, []).append(a)
        for seq in out.values():
            seq.sort(key=lambda a: (a.start, a.end, a.job, a.op))
        return out

    def job_end(self, job: int) -> int:
        return max((a.end for a in self.assignments if a.job == job), default=0)

    def to_list(self) -> list[dict[str, int]]:
        return [a.to_dict() for a in self.assignments]


@dataclass(frozen=True)
class SolveResult:
    """The best schedule a solver found, with its objective and a proven lower bound on it.

    ``lower_bound`` bounds the objective (for the default objective: the makespan); ``status`` is
    ``optimal`` when the bound meets the objective.
    """

    schedule: Schedule
    objective: int
    lower_bound: int
    status: Status
    solver: str
    wall_s: float
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def makespan(self) -> int:
        return self.schedule.makespan

    @property
    def gap(self) -> float:
        """Relative gap between the objective and the lower bound (0 when optimal)."""
        if self.objective <= 0:
            return 0.0
        return max(0.0, (self.objective - self.lower_bound) / self.objective)

    def to_json(self) -> dict[str, Any]:
        """The CLI's JSON shape: makespan, bound, status, solver, time and the assignments."""
        return {
            "makespan": self.makespan,
            "objective": self.objective,
            "lower_bound": self.lower_bound,
            "status": self.status,
            "solver": self.solver,
            "wall_s": round(self.wall_s, 3),
            "schedule": self.schedule.to_list(),
        }
