"""Schedule generation: build a schedule operation by operation, a dispatching rule choosing.

``active`` is Giffler & Thompson's scheme: find the operation that could complete first, and on
its machine choose, by the rule, among the operations that could start before that completion.
``non-delay`` chooses among the operations that could start the earliest. Both handle alternative
machines (the chosen operation takes its earliest-completing machine), setups, downtime (an
operation waits for the end of a window it would run into), release dates, ``now`` and frozen
operations (placed first, as given).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from shopfloor.schedule.model import Problem
from shopfloor.schedule.schedule import Assignment, Schedule
from shopfloor.schedule.solvers.rules.priority import Candidate, rank
from shopfloor.schedule.timeline import earliest_fit

Scheme = Literal["active", "non-delay"]
SCHEMES: tuple[Scheme, ...] = ("active", "non-delay")

# (earliest start, earliest completion, machine, duration) of one mode of a job's next operation
Option = tuple[int, int, int, int]


class _State:
    def __init__(self, problem: Problem) -> None:
        self.p = problem
        n = len(problem.jobs)
        self.next = [0] * n
        self.ready = [problem.earliest_start(j) for j in range(n)]
        self.free = [0] * problem.n_machines
        self.family = [-1] * problem.n_machines
        self.rem_work = [sum(o.min_duration for o in job.operations) for job in problem.jobs]
        self.done_work = [job.release for job in problem.jobs]
        self.out: list[Assignment] = []
        for f in sorted(problem.frozen, key=lambda f: (f.start, f.end)):
            self.out.append(Assignment(f.job, f.op, f.machine, f.start, f.end))
            op = problem.operation(f.job, f.op)
            self.next[f.job] = max(self.next[f.job], f.op + 1)
            self.ready[f.job] = max(self.ready[f.job], f.end)
            self.rem_work[f.job] -= op.min_duration
            self.done_work[f.job] += op.min_duration
            if f.end >= self.free[f.machine]:
                self.free[f.machine] = f.end
                self.family[f.machine] = op.family
        self.options: list[list[Option]] = [[] for _ in range(n)]
        self.on_machine: list[set[int]] = [set() for _ in range(problem.n_machines)]
        self.active = [j for j in range(n) if self.next[j] < len(problem.jobs[j].operations)]
        for j in self.active:
            self._enter(j)
        self.mean = sum(
            m.duration for j in problem.jobs for o in j.operations for m in o.modes
        ) / max(1, sum(len(o.modes) for j in problem.jobs for o in j.operations))

    def _enter(self, j: int) -> None:
        for mode in self.p.operation(j, self.next[j]).modes:
            self.on_machine[mode.machine].add(j)
        self._refresh(j)

    def _refresh(self, j: int) -> None:
        op = self.p.operation(j, self.next[j])
        opts: list[Option] = []
        for mode in op.modes:
            m = mode.machine
            setup = self.p.setup(m, self.family[m], op.family) if self.family[m] >= 0 else 0
            start = earliest_fit(
                self.p.downtimes_on.get(m, ()),
                max(self.ready[j], self.free[m] + setup),
                mode.duration,
            )
            opts.append((start, start + mode.duration, m, mode.duration))
        self.options[j] = opts

    def option_on(self, j: int, m: int) -> Option:
        return next(o for o in self.options[j] if o[2] == m)

    def place(self, j: int, opt: Option) -> None:
        start, end, m, _p = opt
        k = self.next[j]
        op = self.p.operation(j, k)
        self.out.append(Assignment(j, k, m, start, end))
        for mode in op.modes:
            self.on_machine[mode.machine].discard(j)
        self.ready[j] = end
        self.free[m] = end
        self.family[m] = op.family
        self.rem_work[j] -= op.min_duration
        self.done_work[j] += op.min_duration
        self.next[j] = k + 1
        if self.next[j] < len(self.p.jobs[j].operations):
            self._enter(j)
        else:
            self.active.remove(j)
        for other in self.on_machine[m]:
            if other != j:
                self._refresh(other)

    def candidate(self, j: int, opt: Option) -> Candidate:
        job = self.p.jobs[j]
        return Candidate(
            job=j,
            duration=opt[3],
            time=opt[0],
            remaining_work=self.rem_work[j],
            remaining_ops=len(job.operations) - self.next[j],
            done_work=self.done_work[j] + self.p.operation(j, self.next[j]).min_duration,
            due=job.due,
            weight=job.weight,
            mean_duration=self.mean,
        )


def generate(problem: Problem, rule: str, scheme: Scheme = "active") -> Schedule:
    """One schedule built with ``rule`` under ``scheme``."""
    st = _State(problem)
    while st.active:
        if scheme == "active":
            ect, m_star = min((o[1], o[2]) for j in st.active for o in st.options[j])
            conflict = [j for j in st.on_machine[m_star] if st.option_on(j, m_star)[0] < ect]
        else:
            est, m_star = min((o[0], o[2]) for j in st.active for o in st.options[j])
            conflict = [j for j in st.on_machine[m_star] if st.option_on(j, m_star)[0] <= est]
        chosen = min(conflict, key=lambda j: rank(rule, st.candidate(j, st.option_on(j, m_star))))
        st.place(chosen, _best_option(st.options[chosen]))
    return Schedule.of(st.out)


def _best_option(options: Sequence[Option]) -> Option:
    return min(options, key=lambda o: (o[1], o[3], o[2]))
