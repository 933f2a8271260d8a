"""Flexible job-shop files (Brandimarte, Hurink, Dauzère-Pérès & Paulli ``.fjs``).

::

    n_jobs n_machines [average machines per operation]
    n_ops  k m t m t ...  k m t ...     one line per job: for each operation, the number of
                                        eligible machines, then ``machine time`` pairs (from 1)

Machines are renumbered from 0.
"""

from __future__ import annotations

from shopfloor.schedule.formats.text import InstanceFormatError, fail
from shopfloor.schedule.model import Job, Mode, Operation, Problem


def parse_fjs(text: str, source: str, name: str = "") -> Problem:
    lines = [(n, raw.split("#", 1)[0].split()) for n, raw in enumerate(text.splitlines(), 1)]
    lines = [(n, parts) for n, parts in lines if parts]
    if not lines:
        raise InstanceFormatError(f"{source}: the file is empty")
    head_no, head = lines[0]
    try:
        n, m = int(head[0]), int(head[1])
        if len(head) > 3:
            raise ValueError
        if len(head) == 3:
            float(head[2])
    except (ValueError, IndexError):
        raise fail(
            source, head_no, "expected 'n_jobs n_machines [average machines per operation]'"
        ) from None
    if n < 1 or m < 1:
        raise fail(source, head_no, f"need at least one job and one machine, got {n} {m}")
    body = lines[1:]
    if len(body) < n:
        raise fail(
            source, (body or lines)[-1][0], f"header says {n} jobs, found {len(body)} job lines"
        )
    if len(body) > n:
        raise fail(source, body[n][0], f"header says {n} jobs, found more job lines")
    jobs = [
        Job(_operations(source, no, parts, m), name=f"job{j}") for j, (no, parts) in enumerate(body)
    ]
    return Problem(jobs=tuple(jobs), machines=tuple(f"m{i}" for i in range(m)), name=name)


def _operations(source: str, no: int, parts: list[str], m: int) -> tuple[Operation, ...]:
    try:
        v = [int(p) for p in parts]
    except ValueError:
        bad = next(p for p in parts if not p.lstrip("+-").isdigit())
        raise fail(source, no, f"{bad!r} is not an integer") from None
    n_ops, i = v[0], 1
    ops: list[Operation] = []
    for k in range(n_ops):
        if i >= len(v):
            raise fail(source, no, f"line ends inside operation {k} of {n_ops}")
        count = v[i]
        i += 1
        if count < 1 or i + 2 * count > len(v):
            raise fail(source, no, f"operation {k}: bad number of eligible machines {count}")
        modes: list[Mode] = []
        for _ in range(count):
            machine, time = v[i], v[i + 1]
            i += 2
            if not 1 <= machine <= m:
                raise fail(source, no, f"operation {k}: machine {machine} is outside 1..{m}")
            if time < 0:
                raise fail(source, no, f"operation {k}: processing time {time} is negative")
            if any(md.machine == machine - 1 for md in modes):
                raise fail(source, no, f"operation {k}: machine {machine} listed twice")
            modes.append(Mode(machine - 1, time))
        ops.append(Operation(tuple(modes)))
    if i != len(v):
        raise fail(source, no, f"{len(v) - i} numbers left after {n_ops} operations")
    if not ops:
        raise fail(source, no, "a job needs at least one operation")
    return tuple(ops)
