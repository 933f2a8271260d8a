"""The scheduling problem: jobs, operations, machines and what the plan must respect.

The model knows no solver. A :class:`Problem` is a frozen value that validates itself when it is
built (:func:`shopfloor.schedule.validate.problem_errors` lists every error with its path), so a
solver may take every field at its word.

Time is an integer count of one unit chosen by whoever builds the problem (seconds for plant
orders, the instance's own unit for benchmark files); ``0`` is the problem's origin. Machines,
jobs and operations are numbered from 0; an operation is addressed as ``(job, op)``.

What is modelled:

- job shop and flexible job shop: each operation has one or more :class:`Mode` (an eligible
  machine with its processing time); operations of a job run in order, one at a time;
- sequence-dependent setups: an operation belongs to a setup ``family``; on a machine with a
  :class:`SetupMatrix`, an operation of family ``g`` that follows one of family ``f`` starts at
  least ``times[f][g]`` after it ends (the first operation on a machine needs no setup);
- release dates, due dates and weights per job;
- machine unavailability (:class:`Downtime`: calendars, planned maintenance, breakdowns): no
  operation may run during it (setups may);
- operations already in progress at ``now`` (:class:`Frozen`): kept exactly as given; every
  other operation starts at ``now`` or later;
- operations already dispatched to the floor (:class:`Planned`): moving them costs stability.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from shopfloor.errors import ValidationFailed
from shopfloor.schedule.validate import problem_errors


@dataclass(frozen=True, slots=True)
class Mode:
    """An eligible machine for an operation and the processing time there."""

    machine: int
    duration: int


@dataclass(frozen=True)
class Operation:
    """One step of a job: runs on exactly one of its modes, without interruption."""

    modes: tuple[Mode, ...]
    #: Setup family (product, tooling group); only machines with a setup matrix look at it.
    family: int = 0
    name: str = ""

    @classmethod
    def on(cls, machine: int, duration: int, *, family: int = 0, name: str = "") -> Operation:
        """An operation with a single eligible machine (the classic job shop)."""
        return cls((Mode(machine, duration),), family=family, name=name)

    @cached_property
    def min_duration(self) -> int:
        return min(m.duration for m in self.modes)

    def duration_on(self, machine: int) -> int | None:
        """Processing time on ``machine``, or None when the machine is not eligible."""
        for m in self.modes:
            if m.machine == machine:
                return m.duration
        return None


@dataclass(frozen=True)
class Job:
    """A chain of operations, e.g. one production order through its routing."""

    operations: tuple[Operation, ...]
    release: int = 0
    due: int | None = None
    weight: int = 1
    name: str = ""


@dataclass(frozen=True, slots=True)
class Downtime:
    """Machine ``machine`` cannot process during ``[start, end)``."""

    machine: int
    start: int
    end: int
    reason: str = "unavailable"


@dataclass(frozen=True, slots=True)
class SetupMatrix:
    """Setup times on one machine: ``times[f][g]`` from family ``f`` to family ``g``."""

    machine: int
    times: tuple[tuple[int, ...], ...]


@dataclass(frozen=True, slots=True)
class Frozen:
    """An operation that has started (in progress or done): it stays exactly where it is."""

    job: int
    op: int
    machine: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Planned:
    """Where a dispatched (not yet started) operation was planned; moving it costs stability."""

    job: int
    op: int
    machine: int
    start: int


@dataclass(frozen=True, slots=True)
class Objective:
    """Weights of a weighted sum; the default is the makespan alone.

    ``tardiness`` weighs the total weighted tardiness ``sum(w_j * max(0, C_j - d_j))``;
    ``stability`` weighs, over dispatched operations, ``|start - planned start|`` plus, when the
    operation changes machine, its planned processing time.
    """

    makespan: int = 1
    tardiness: int = 0
    stability: int = 0

    @property
    def makespan_only(self) -> bool:
        return self.tardiness == 0 and self.stability == 0


@dataclass(frozen=True)
class Problem:
    """A validated scheduling problem. Building one with an error raises ValidationFailed."""

    jobs: tuple[Job, ...]
    machines: tuple[str, ...]
    setups: tuple[SetupMatrix, ...] = ()
    downtimes: tuple[Downtime, ...] = ()
    frozen: tuple[Frozen, ...] = ()
    dispatched: tuple[Planned, ...] = ()
    now: int = 0
    objective: Objective = field(default_factory=Objective)
    name: str = ""

    def __post_init__(self) -> None:
        errors = problem_errors(self)
        if errors:
            raise ValidationFailed(f"scheduling problem {self.name or '(unnamed)'}", errors)

    # ---- sizes and lookups ------------------------------------------------------------------

    @property
    def n_machines(self) -> int:
        return len(self.machines)

    @cached_property
    def n_ops(self) -> int:
        return sum(len(j.operations) for j in self.jobs)

    def ops(self) -> list[tuple[int, int]]:
        """Every ``(job, op)`` in job order."""
        return [(j, k) for j, job in enumerate(self.jobs) for k in range(len(job.operations))]

    def operation(self, job: int, op: int) -> Operation:
        return self.jobs[job].operations[op]

    @cached_property
    def frozen_at(self) -> dict[tuple[int, int], Frozen]:
        return {(f.job, f.op): f for f in self.frozen}

    @cached_property
    def planned_at(self) -> dict[tuple[int, int], Planned]:
        return {(p.job, p.op): p for p in self.dispatched}

    @cached_property
    def setup_of(self) -> dict[int, tuple[tuple[int, ...], ...]]:
        """Machine -> setup matrix, for machines that have one."""
        return {s.machine: s.times for s in self.setups}

    def setup(self, machine: int, before: int, after: int) -> int:
        """Setup time on ``machine`` between families ``before`` and ``after``."""
        times = self.setup_of.get(machine)
        return times[before][after] if times is not None else 0

    @cached_property
    def downtimes_on(self) -> dict[int, tuple[tuple[int, int], ...]]:
        """Machine -> its unavailable windows, sorted and merged."""
        raw: dict[int, list[tuple[int, int]]] = {}
        for d in self.downtimes:
            raw.setdefault(d.machine, []).append((d.start, d.end))
        merged: dict[int, tuple[tuple[int, int], ...]] = {}
        for m, spans in raw.items():
            out: list[tuple[int, int]] = []
            for s, e in sorted(spans):
                if out and s <= out[-1][1]:
                    out[-1] = (out[-1][0], max(out[-1][1], e))
                else:
                    out.append((s, e))
            merged[m] = tuple(out)
        return merged

    @cached_property
    def is_classic(self) -> bool:
        """A classic job shop: one machine per operation, makespan only, nothing in the way.

        Release dates and ``now`` are allowed (they only delay the first operation of a job).
        """
        return (
            self.objective.makespan_only
            and not self.setups
            and not self.downtimes
            and not self.frozen
            and all(len(o.modes) == 1 for j in self.jobs for o in j.operations)
        )

    def earliest_start(self, job: int) -> int:
        """The earliest time the job's first unfrozen operation may start."""
        return max(self.jobs[job].release, self.now)
