"""The CP-SAT model of a problem.

One interval per operation (start, end); for an operation with several eligible machines, one
optional interval per machine sharing that start and end, exactly one present. A no-overlap per
machine over its intervals, its downtime and its frozen operations. Setups: on a machine with a
setup matrix, a circuit over its operations whose arc ``i -> j`` forces ``start_j >= end_i +
setup``. Job chains as precedences. The objective is the weighted sum of makespan, weighted
tardiness and stability (see :class:`~shopfloor.schedule.model.Objective`).

Variables are kept as proto indices so that a copy of the model (:meth:`CpModelHandles.clone`)
can be given extra constraints, as the large-neighbourhood search does.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ortools.sat.python import cp_model

from shopfloor.schedule.bounds import makespan_lower_bound
from shopfloor.schedule.model import Problem
from shopfloor.schedule.objective import score
from shopfloor.schedule.schedule import Assignment, Schedule

Key = tuple[int, int]


@dataclass
class CpModelHandles:
    model: cp_model.CpModel
    horizon: int
    start: dict[Key, int] = field(default_factory=dict)  # proto indices
    end: dict[Key, int] = field(default_factory=dict)
    #: (job, op) -> machine -> presence literal index; only for operations with several modes.
    present: dict[Key, dict[int, int]] = field(default_factory=dict)
    #: machine -> (node i, node j) -> arc literal index, for machines with setups.
    arcs: dict[int, dict[tuple[Key | None, Key | None], int]] = field(default_factory=dict)
    makespan: int = -1
    #: auxiliary integer variables to hint: index -> function of the schedule
    tardy: dict[int, int] = field(default_factory=dict)  # job -> var index
    deviation: dict[Key, int] = field(default_factory=dict)  # dispatched op -> var index

    def var(self, index: int) -> cp_model.IntVar:
        return self.model.get_int_var_from_proto_index(index)

    def lit(self, index: int) -> cp_model.IntVar:
        return self.model.get_bool_var_from_proto_index(index)

    def clone(self) -> CpModelHandles:
        return replace(self, model=self.model.clone())


def horizon(problem: Problem) -> int:
    """An end time some optimal schedule keeps within (see the module docs of ``bounds``)."""
    t0 = max(
        [
            problem.now,
            *(j.release for j in problem.jobs),
            *(d.end for d in problem.downtimes),
            *(f.end for f in problem.frozen),
            *(d.start for d in problem.dispatched),
        ]
    )
    total = 0
    for j, job in enumerate(problem.jobs):
        for k, op in enumerate(job.operations):
            if (j, k) in problem.frozen_at:
                continue
            setup = max(
                (
                    max(row[op.family] for row in problem.setup_of[m.machine])
                    for m in op.modes
                    if m.machine in problem.setup_of
                ),
                default=0,
            )
            total += max(m.duration for m in op.modes) + setup
    return t0 + total


def build(problem: Problem, upper_bound: int | None = None) -> CpModelHandles:
    """The model; ``upper_bound`` (a known objective value) tightens the makespan horizon."""
    h = horizon(problem)
    if upper_bound is not None and problem.objective.makespan_only:
        h = min(h, upper_bound // max(1, problem.objective.makespan))
    md = cp_model.CpModel()
    hd = CpModelHandles(md, h)
    intervals: dict[int, list[cp_model.IntervalVar]] = {m: [] for m in range(problem.n_machines)}
    ends = []
    for j, job in enumerate(problem.jobs):
        head = problem.earliest_start(j)
        tail = sum(o.min_duration for o in job.operations)
        prev_end: cp_model.IntVar | None = None
        for k, op in enumerate(job.operations):
            tail -= op.min_duration
            fz = problem.frozen_at.get((j, k))
            if fz is not None:
                s, e = md.new_constant(fz.start), md.new_constant(fz.end)
                intervals[fz.machine].append(
                    md.new_fixed_size_interval_var(fz.start, fz.end - fz.start, "")
                )
                head = max(fz.end, problem.now)
            else:
                s = md.new_int_var(head, max(head, h - tail - op.min_duration), f"s{j}_{k}")
                e = md.new_int_var(
                    head + op.min_duration, max(head + op.min_duration, h - tail), f"e{j}_{k}"
                )
                if len(op.modes) == 1:
                    mode = op.modes[0]
                    intervals[mode.machine].append(md.new_interval_var(s, mode.duration, e, ""))
                else:
                    lits = {}
                    for mode in op.modes:
                        x = md.new_bool_var(f"x{j}_{k}_{mode.machine}")
                        lits[mode.machine] = x.index
                        intervals[mode.machine].append(
                            md.new_optional_interval_var(s, mode.duration, e, x, "")
                        )
                    md.add_exactly_one(md.get_bool_var_from_proto_index(i) for i in lits.values())
                    hd.present[j, k] = lits
                if prev_end is not None:
                    md.add(s >= prev_end)
                head += op.min_duration
            hd.start[j, k], hd.end[j, k] = s.index, e.index
            prev_end = e
        assert prev_end is not None  # a job has at least one operation
        ends.append(prev_end)
    for m, windows in problem.downtimes_on.items():
        intervals[m].extend(md.new_fixed_size_interval_var(s, e - s, "") for s, e in windows)
    for ivs in intervals.values():
        if len(ivs) > 1:
            md.add_no_overlap(ivs)
    for m in problem.setup_of:
        _add_setup_circuit(problem, hd, m)
    _add_objective(problem, hd, ends)
    return hd


def _add_setup_circuit(problem: Problem, hd: CpModelHandles, m: int) -> None:
    md = hd.model
    nodes = []
    for key in problem.ops():
        fz = problem.frozen_at.get(key)
        if (
            (fz.machine == m)
            if fz is not None
            else problem.operation(*key).duration_on(m) is not None
        ):
            nodes.append(key)
    if len(nodes) < 2:
        return
    index = {key: i + 1 for i, key in enumerate(nodes)}
    arcs: list[tuple[int, int, cp_model.LiteralT]] = []
    table: dict[tuple[Key | None, Key | None], int] = {}

    def arc(a: Key | None, b: Key | None) -> cp_model.IntVar:
        x = md.new_bool_var("")
        arcs.append((index[a] if a else 0, index[b] if b else 0, x))
        table[a, b] = x.index
        return x

    arc(None, None)
    for a in nodes:
        arc(None, a)
        arc(a, None)
        if a in hd.present:
            arcs.append(
                (index[a], index[a], md.get_bool_var_from_proto_index(hd.present[a][m]).Not())
            )
    times = problem.setup_of[m]
    for a in nodes:
        fa = problem.frozen_at.get(a)
        for b in nodes:
            if a == b:
                continue
            fb = problem.frozen_at.get(b)
            if fa is not None and fb is not None:
                if fa.end <= fb.start:
                    arc(a, b)  # a fact: no setup is enforced between what already ran
                continue
            gap = times[problem.operation(*a).family][problem.operation(*b).family]
            x = arc(a, b)
            md.add(hd.var(hd.start[b]) >= hd.var(hd.end[a]) + gap).only_enforce_if(x)
    md.add_circuit(arcs)
    hd.arcs[m] = table


def _add_objective(problem: Problem, hd: CpModelHandles, ends: list[cp_model.IntVar]) -> None:
    md, h, o = hd.model, hd.horizon, problem.objective
    lo = min(makespan_lower_bound(problem), h)
    mk = md.new_int_var(lo, max(h, lo), "makespan")
    for e in ends:
        md.add(mk >= e)
    hd.makespan = mk.index
    terms = [o.makespan * mk] if o.makespan else []
    if o.tardiness:
        for j, job in enumerate(problem.jobs):
            if job.due is not None and job.weight > 0:
                t = md.new_int_var(0, max(0, h - job.due), f"tardy{j}")
                md.add(t >= ends[j] - job.due)
                hd.tardy[j] = t.index
                terms.append(o.tardiness * job.weight * t)
    if o.stability:
        for d in problem.dispatched:
            key = (d.job, d.op)
            s = hd.var(hd.start[key])
            dev = md.new_int_var(0, max(h, d.start), f"dev{d.job}_{d.op}")
            md.add(dev >= s - d.start)
            md.add(dev >= d.start - s)
            hd.deviation[key] = dev.index
            terms.append(o.stability * dev)
            if key in hd.present and d.machine in hd.present[key]:
                planned = problem.operation(*key).duration_on(d.machine) or 0
                stay = md.get_bool_var_from_proto_index(hd.present[key][d.machine])
                terms.append(o.stability * planned * (1 - stay))
    md.minimize(sum(terms))


def objective_expr_bound(hd: CpModelHandles, problem: Problem, value: int) -> None:
    """Forbid solutions worse than ``value`` (the incumbent): the search looks for better."""
    obj = hd.model.proto.objective
    expr = sum(c * hd.var(v) for v, c in zip(obj.vars, obj.coeffs, strict=True))
    hd.model.add(expr + int(obj.offset) <= value)


def add_hint(hd: CpModelHandles, problem: Problem, sched: Schedule) -> None:
    md = hd.model
    md.clear_hints()
    for key, a in sched.at.items():
        if key in problem.frozen_at:
            continue
        md.add_hint(hd.var(hd.start[key]), a.start)
        md.add_hint(hd.var(hd.end[key]), a.end)
        for m, x in hd.present.get(key, {}).items():
            md.add_hint(hd.lit(x), m == a.machine)
    md.add_hint(hd.var(hd.makespan), sched.makespan)
    for j, t in hd.tardy.items():
        due = problem.jobs[j].due or 0
        md.add_hint(hd.var(t), max(0, sched.at[j, len(problem.jobs[j].operations) - 1].end - due))
    for key, dv in hd.deviation.items():
        md.add_hint(hd.var(dv), abs(sched.at[key].start - problem.planned_at[key].start))
    by_machine = sched.by_machine()
    for m, table in hd.arcs.items():
        seq: list[Key | None] = [None, *((a.job, a.op) for a in by_machine.get(m, []))]
        used = set(zip(seq, [*seq[1:], None], strict=True))
        for arc, x in table.items():
            md.add_hint(hd.lit(x), arc in used)


def extract(
    hd: CpModelHandles,
    problem: Problem,
    solver: cp_model.CpSolver | cp_model.CpSolverSolutionCallback,
) -> Schedule:
    out = []
    for key in problem.ops():
        fz = problem.frozen_at.get(key)
        if fz is not None:
            out.append(Assignment(key[0], key[1], fz.machine, fz.start, fz.end))
            continue
        s, e = solver.value(hd.var(hd.start[key])), solver.value(hd.var(hd.end[key]))
        if key in hd.present:
            m = next(m for m, x in hd.present[key].items() if solver.boolean_value(hd.lit(x)))
        else:
            m = problem.operation(*key).modes[0].machine
        out.append(Assignment(key[0], key[1], m, s, e))
    return Schedule.of(out)


def schedule_value(problem: Problem, sched: Schedule) -> int:
    return score(problem, sched).value
