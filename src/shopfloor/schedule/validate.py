"""Every error in a scheduling problem, each with its path (``jobs[2].operations[0].modes[1]``).

Called by :class:`shopfloor.schedule.model.Problem` when it is built; kept apart so the model
module reads as the data it is.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shopfloor.schedule.model import Job, Problem

Errors = list[tuple[str, str]]


def problem_errors(p: Problem) -> Errors:
    """All errors, in field order; an empty list means the problem is valid."""
    errs: Errors = []
    if not p.machines:
        errs.append(("machines", "at least one machine is needed"))
    dup = sorted({m for m in p.machines if p.machines.count(m) > 1})
    if dup:
        errs.append(("machines", f"duplicate machine names: {', '.join(dup)}"))
    if not p.jobs:
        errs.append(("jobs", "at least one job is needed"))
    if p.now < 0:
        errs.append(("now", "must be >= 0"))
    for j, job in enumerate(p.jobs):
        _job_errors(p, j, job, errs)
    _setup_errors(p, errs)
    for i, d in enumerate(p.downtimes):
        where = f"downtimes[{i}]"
        if not 0 <= d.machine < len(p.machines):
            errs.append((f"{where}.machine", f"no machine {d.machine}"))
        if d.start < 0 or d.end <= d.start:
            errs.append((where, f"needs 0 <= start < end (got [{d.start}, {d.end}))"))
    _frozen_errors(p, errs)
    _planned_errors(p, errs)
    o = p.objective
    if min(o.makespan, o.tardiness, o.stability) < 0:
        errs.append(("objective", "weights must be >= 0"))
    if o.makespan == 0 and o.tardiness == 0 and o.stability == 0:
        errs.append(("objective", "at least one weight must be > 0"))
    return errs


def _job_errors(p: Problem, j: int, job: Job, errs: Errors) -> None:
    where = f"jobs[{j}]"
    if not job.operations:
        errs.append((f"{where}.operations", "a job needs at least one operation"))
    if job.release < 0:
        errs.append((f"{where}.release", "must be >= 0"))
    if job.due is not None and job.due < 0:
        errs.append((f"{where}.due", "must be >= 0"))
    if job.weight < 0:
        errs.append((f"{where}.weight", "must be >= 0"))
    for k, op in enumerate(job.operations):
        ow = f"{where}.operations[{k}]"
        if not op.modes:
            errs.append((f"{ow}.modes", "an operation needs at least one eligible machine"))
        if op.family < 0:
            errs.append((f"{ow}.family", "must be >= 0"))
        seen: set[int] = set()
        for i, mode in enumerate(op.modes):
            if not 0 <= mode.machine < len(p.machines):
                errs.append((f"{ow}.modes[{i}].machine", f"no machine {mode.machine}"))
            elif mode.machine in seen:
                errs.append((f"{ow}.modes[{i}].machine", f"machine {mode.machine} listed twice"))
            seen.add(mode.machine)
            if mode.duration < 0:
                errs.append((f"{ow}.modes[{i}].duration", "must be >= 0"))


def _setup_errors(p: Problem, errs: Errors) -> None:
    families: dict[int, int] = {}
    for job in p.jobs:
        for op in job.operations:
            for mode in op.modes:
                families[mode.machine] = max(families.get(mode.machine, 0), op.family + 1)
    seen: set[int] = set()
    for i, s in enumerate(p.setups):
        where = f"setups[{i}]"
        if not 0 <= s.machine < len(p.machines):
            errs.append((f"{where}.machine", f"no machine {s.machine}"))
            continue
        if s.machine in seen:
            errs.append((f"{where}.machine", f"machine {s.machine} has two setup matrices"))
        seen.add(s.machine)
        n = len(s.times)
        if any(len(row) != n for row in s.times):
            errs.append((f"{where}.times", "must be a square matrix"))
        elif any(v < 0 for row in s.times for v in row):
            errs.append((f"{where}.times", "setup times must be >= 0"))
        if n < families.get(s.machine, 0):
            errs.append(
                (
                    f"{where}.times",
                    f"{n} families, but operations on machine "
                    f"{s.machine} use family {families[s.machine] - 1}",
                )
            )


def _frozen_errors(p: Problem, errs: Errors) -> None:
    seen: set[tuple[int, int]] = set()
    for i, f in enumerate(p.frozen):
        where = f"frozen[{i}]"
        if not (0 <= f.job < len(p.jobs) and 0 <= f.op < len(p.jobs[f.job].operations)):
            errs.append((where, f"no operation ({f.job}, {f.op})"))
            continue
        if (f.job, f.op) in seen:
            errs.append((where, f"operation ({f.job}, {f.op}) frozen twice"))
        seen.add((f.job, f.op))
        if p.jobs[f.job].operations[f.op].duration_on(f.machine) is None:
            errs.append((f"{where}.machine", f"machine {f.machine} is not eligible"))
        if f.end < f.start or f.start < 0:
            errs.append((where, f"needs 0 <= start <= end (got {f.start}, {f.end})"))
        if f.start > p.now:
            errs.append((f"{where}.start", f"a frozen operation has started by now={p.now}"))
    for i, f in enumerate(p.frozen):
        if (f.job, f.op) in seen and f.op > 0 and (f.job, f.op - 1) not in seen:
            errs.append(
                (
                    f"frozen[{i}]",
                    f"operation ({f.job}, {f.op}) has started but its "
                    f"predecessor ({f.job}, {f.op - 1}) is not frozen",
                )
            )
    by_machine: dict[int, list[tuple[int, int, int]]] = {}
    for i, f in enumerate(p.frozen):
        if f.end > f.start:
            by_machine.setdefault(f.machine, []).append((f.start, f.end, i))
        for ds, de in p.downtimes_on.get(f.machine, ()):
            if max(f.start, ds) < min(f.end, de):
                errs.append(
                    (f"frozen[{i}]", f"overlaps downtime [{ds}, {de}) of machine {f.machine}")
                )
    for spans in by_machine.values():
        spans.sort()
        for (_s1, e1, i1), (s2, _e2, i2) in itertools.pairwise(spans):
            if s2 < e1:
                errs.append((f"frozen[{i2}]", f"overlaps frozen[{i1}] on the same machine"))
    at = {(f.job, f.op): f for f in p.frozen}
    for i, f in enumerate(p.frozen):
        prev = at.get((f.job, f.op - 1))
        if prev is not None and f.start < prev.end:
            errs.append((f"frozen[{i}].start", "starts before its job predecessor ends"))


def _planned_errors(p: Problem, errs: Errors) -> None:
    frozen = {(f.job, f.op) for f in p.frozen}
    for i, d in enumerate(p.dispatched):
        where = f"dispatched[{i}]"
        if not (0 <= d.job < len(p.jobs) and 0 <= d.op < len(p.jobs[d.job].operations)):
            errs.append((where, f"no operation ({d.job}, {d.op})"))
            continue
        if (d.job, d.op) in frozen:
            errs.append((where, f"operation ({d.job}, {d.op}) is frozen, not just dispatched"))
        if p.jobs[d.job].operations[d.op].duration_on(d.machine) is None:
            errs.append((f"{where}.machine", f"machine {d.machine} is not eligible"))
        if d.start < 0:
            errs.append((f"{where}.start", "must be >= 0"))
