"""Random job shops drawn the way Taillard (1993) drew his benchmark instances.

Taillard's generator: a Lehmer generator (multiplier 16807, modulus 2^31 - 1, Schrage's
method) draws every processing time uniformly in 1..99 from the time seed, job by job and
machine by machine; each job's machine order starts as 0..m-1 and position ``j`` is swapped
with a position drawn uniformly in ``j..m-1`` from the machine seed. Used to test the solvers on
instances of any size that are not in the benchmark files.
"""

from __future__ import annotations

from shopfloor.errors import BadInput
from shopfloor.schedule.formats.jobshop import parse_orlib
from shopfloor.schedule.model import Problem

_A, _B, _C, _M = 16807, 127773, 2836, 2**31 - 1


class _Lehmer:
    def __init__(self, seed: int) -> None:
        if not 0 < seed < _M:
            raise BadInput(f"seed must be in 1..{_M - 1}, got {seed}", code="schedule.bad_option")
        self.seed = seed

    def unif(self, low: int, high: int) -> int:
        k = self.seed // _B
        self.seed = _A * (self.seed % _B) - k * _C
        if self.seed < 0:
            self.seed += _M
        return low + int(self.seed / _M * (high - low + 1))


def taillard_rows(
    jobs: int, machines: int, time_seed: int, machine_seed: int
) -> list[list[tuple[int, int]]]:
    """Per job, its ``(machine, duration)`` pairs in processing order (machines from 0)."""
    if jobs < 1 or machines < 1:
        raise BadInput(
            f"need at least one job and one machine, got {jobs}x{machines}",
            code="schedule.bad_option",
        )
    times, order = _Lehmer(time_seed), _Lehmer(machine_seed)
    durations = [[times.unif(1, 99) for _ in range(machines)] for _ in range(jobs)]
    rows = []
    for i in range(jobs):
        route = list(range(machines))
        for j in range(machines):
            k = order.unif(j, machines - 1)
            route[j], route[k] = route[k], route[j]
        rows.append([(m, durations[i][j]) for j, m in enumerate(route)])
    return rows


def taillard_instance(jobs: int, machines: int, time_seed: int, machine_seed: int) -> Problem:
    """A Taillard-style random job shop as a :class:`~shopfloor.schedule.model.Problem`."""
    rows = taillard_rows(jobs, machines, time_seed, machine_seed)
    lines = [f"{jobs} {machines}"]
    lines += [" ".join(f"{m} {d}" for m, d in row) for row in rows]
    name = f"taillard-{jobs}x{machines}-{time_seed}-{machine_seed}"
    return parse_orlib("\n".join(lines) + "\n", name, name=name)
