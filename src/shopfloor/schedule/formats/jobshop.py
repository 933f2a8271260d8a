"""Job-shop instance files: OR-Library (``machine time`` pairs) and Taillard (two matrices).

OR-Library (also JSPLIB, the shared benchmark files)::

    n_jobs n_machines
    m t m t ...          one line per job, machines numbered from 0

Taillard::

    n_jobs n_machines [time seed, machine seed, upper bound, lower bound]
    times:    n lines of n_machines processing times
    machines: n lines of n_machines machines, numbered from 1

Both become a :class:`~shopfloor.schedule.model.Problem` with jobs, operations and machines
numbered from 0 in file order (Taillard machines are shifted down by one).
"""

from __future__ import annotations

from shopfloor.schedule.formats.text import Line, fail, numeric_lines
from shopfloor.schedule.model import Job, Operation, Problem


def _size(lines: list[Line], source: str) -> tuple[int, int]:
    head = lines[0]
    if len(head.values) < 2:
        raise fail(source, head.number, "expected 'n_jobs n_machines'")
    n, m = head.values[0], head.values[1]
    if n < 1 or m < 1:
        raise fail(source, head.number, f"need at least one job and one machine, got {n} {m}")
    return n, m


def _problem(rows: list[list[tuple[int, int]]], m: int, name: str) -> Problem:
    jobs = tuple(
        Job(tuple(Operation.on(mc, p) for mc, p in row), name=f"job{j}")
        for j, row in enumerate(rows)
    )
    return Problem(jobs=jobs, machines=tuple(f"m{i}" for i in range(m)), name=name)


def _machine(source: str, line: Line, value: int, m: int, base: int) -> int:
    if not base <= value < m + base:
        raise fail(source, line.number, f"machine {value} is outside {base}..{m - 1 + base}")
    return value - base


def _duration(source: str, line: Line, value: int) -> int:
    if value < 0:
        raise fail(source, line.number, f"processing time {value} is negative")
    return value


def parse_orlib(text: str, source: str, name: str = "") -> Problem:
    lines = numeric_lines(text, source)
    n, m = _size(lines, source)
    if len(lines[0].values) != 2:
        raise fail(source, lines[0].number, "expected exactly 'n_jobs n_machines'")
    body = lines[1:]
    if len(body) != n:
        where = body[n].number if len(body) > n else (body[-1].number if body else lines[0].number)
        raise fail(source, where, f"header says {n} jobs, found {len(body)} job lines")
    rows: list[list[tuple[int, int]]] = []
    for line in body:
        v = line.values
        if len(v) != 2 * m:
            raise fail(
                source,
                line.number,
                f"expected {m} 'machine time' pairs ({2 * m} numbers), found {len(v)} numbers",
            )
        rows.append(
            [
                (_machine(source, line, v[2 * k], m, 0), _duration(source, line, v[2 * k + 1]))
                for k in range(m)
            ]
        )
    return _problem(rows, m, name)


def parse_taillard(text: str, source: str, name: str = "") -> Problem:
    lines = numeric_lines(text, source, skip_text=True)
    n, m = _size(lines, source)
    if len(lines[0].values) not in (2, 6):
        raise fail(
            source,
            lines[0].number,
            "expected 'n_jobs n_machines' (optionally followed "
            "by time seed, machine seed, upper and lower bound)",
        )
    body = lines[1 : 1 + 2 * n]
    if len(body) < 2 * n:
        raise fail(
            source,
            (body or lines)[-1].number,
            f"expected {n} lines of times and {n} lines of machines, found {len(body)} lines",
        )
    for line in body:
        if len(line.values) != m:
            raise fail(source, line.number, f"expected {m} numbers, found {len(line.values)}")
    rows: list[list[tuple[int, int]]] = []
    for j in range(n):
        times, machines = body[j], body[n + j]
        rows.append(
            [
                (
                    _machine(source, machines, machines.values[k], m, 1),
                    _duration(source, times, times.values[k]),
                )
                for k in range(m)
            ]
        )
    return _problem(rows, m, name)
