"""The scheduling problem of MES's open orders: what has started is a fact, the rest is a plan.

:func:`build_problem` turns released, running and held job orders into a
:class:`~shopfloor.schedule.Problem` with :func:`~shopfloor.schedule.problem_from_orders` (work
units, setup families, the plant's shift calendar and planned downtime, due dates, weights); the
time origin and ``now`` are both the MES clock, in whole seconds. Each order's operations then
come from the order itself (the routing cached at release), so that:

- complete and aborted operations are left out;
- an operation lasts its standard time times the units still to do there (the order quantity
  less upstream scrap, less what is already done);
- a running operation is frozen on its work unit from ``now`` until its remaining units are
  done, so nothing else goes there first. It ends no earlier than one cycle after the running
  operation upstream in its order (its last part comes from there). When a shift ends or
  planned downtime begins before it is done, it pauses and resumes after, and that window is
  taken off the unit (the job holds the unit either way). When two operations of different
  orders run on one unit, the one started last is frozen and the other stays on the unit;
- an operation already sent to a machine (dispatch entry ``sent``) stays on that unit. The
  machine runs its sent jobs in the order it got them, which the plan does not enforce;
- the model runs an order's operations one after the other, but parts flow, so several of them
  may be running at once. The order is then cut into one job per running operation (each job
  starts with it), all named after the order; only the last one carries the due date.

Priority weighs tardiness: weight ``1 + max(priority, 0)``. An overdue order's tardiness in the
objective counts from now, the part that can still be avoided.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from shopfloor.clock import from_ns, to_ns
from shopfloor.errors import BadInput
from shopfloor.mes.lifecycle import OpStatus
from shopfloor.mes.models import JobOrder, OrderOperation
from shopfloor.mes.progress import remaining_at
from shopfloor.plant.model import Plant
from shopfloor.schedule import (
    Downtime,
    Frozen,
    Job,
    Mode,
    Operation,
    OrderRecord,
    Problem,
    problem_from_orders,
)

NS_PER_S = 1_000_000_000
#: Dispatch entry states (``mes.dispatch``) that pin an operation to its work unit.
SENT = "sent"
#: An entry of a proposal: ``running`` (holds its unit now), ``sent`` (the machine has the job),
#: ``planned``.
RUNNING, PLANNED = "running", "planned"


@dataclass(frozen=True, slots=True)
class Step:
    """What operation ``(job, op)`` of the problem stands for."""

    order_id: str
    seq: int
    op_id: str
    state: str


@dataclass(frozen=True)
class MesProblem:
    problem: Problem
    #: The problem's time 0, ns since the epoch (the MES clock at whole microseconds).
    origin_ns: int
    steps: Mapping[tuple[int, int], Step]
    orders: tuple[JobOrder, ...]

    def at_ns(self, t: int) -> int:
        return self.origin_ns + t * NS_PER_S


def open_operations(order: JobOrder) -> list[OrderOperation]:
    """The order's operations still to do (not complete, not aborted), in sequence."""
    return [o for o in order.operations if o.status not in (OpStatus.COMPLETE, OpStatus.ABORTED)]


def weight(priority: int) -> int:
    return 1 + max(priority, 0)


def build_problem(
    plant: Plant,
    orders: Sequence[JobOrder],
    entries: Mapping[tuple[str, int], tuple[str, str]],
    now_ns: int,
) -> MesProblem:
    """The problem of ``orders`` (each with open operations) at ``now_ns``; ``entries`` maps
    ``(order id, seq)`` to the ``(work unit, status)`` of its dispatch entry."""
    origin = from_ns(now_ns)
    base = problem_from_orders([_record(o, origin) for o in orders], plant, origin, now=origin)
    problem = base.problem
    index = {p: i for i, p in enumerate(problem.machines)}
    frozen_on, pinned = _placed(orders, entries)
    downtimes = list(problem.downtimes)
    jobs: list[Job] = []
    frozen: list[Frozen] = []
    steps: dict[tuple[int, int], Step] = {}
    for order, job in zip(orders, problem.jobs, strict=True):
        family = job.operations[0].family
        # one segment per running operation (it comes first), after the ops before it
        segments: list[list[tuple[Operation, Step, int | None]]] = [[]]
        upstream: int | None = None
        for op in open_operations(order):
            where = f"order {order.id} operation {op.seq} ({op.op_id})"
            duration = math.ceil(op.standard_time_s * remaining_at(order, op))
            step = Step(order.id, op.seq, op.op_id, PLANNED)
            path = frozen_on.get((order.id, op.seq))
            if path is not None:
                m = _machine(index, path, where)
                end = duration
                if upstream is not None:
                    end = max(end, upstream + math.ceil(op.standard_time_s))
                end, downtimes = _through_downtime(m, end, downtimes)
                upstream = end if upstream is None else max(upstream, end)
                operation = Operation((Mode(m, end),), family=family, name=op.op_id)
                segments.append([(operation, replace(step, state=RUNNING), m)])
                continue
            at = pinned.get((order.id, op.seq))
            paths = [at[0]] if at is not None else list(op.eligible)
            modes = tuple(Mode(_machine(index, p, where), duration) for p in paths)
            if at is not None and at[1] == SENT:
                step = replace(step, state=SENT)
            segments[-1].append((Operation(modes, family=family, name=op.op_id), step, None))
        parts = [seg for seg in segments if seg]
        for n, seg in enumerate(parts):
            j = len(jobs)
            for k, (operation, step, machine) in enumerate(seg):
                steps[j, k] = step
                if machine is not None:
                    frozen.append(Frozen(j, k, machine, 0, operation.modes[0].duration))
            last = n == len(parts) - 1
            jobs.append(
                Job(
                    tuple(op for op, _s, _m in seg),
                    release=job.release,
                    due=job.due if last else None,
                    weight=job.weight,
                    name=order.id,
                )
            )
    out = replace(problem, jobs=tuple(jobs), frozen=tuple(frozen), downtimes=tuple(downtimes))
    return MesProblem(out, to_ns(origin), steps, tuple(orders))


def _record(order: JobOrder, origin: datetime) -> OrderRecord:
    due = from_ns(order.due_ns) if order.due_ns is not None else None
    # Released orders may start now; an overdue one is taken as released at its due date, so
    # that both map to time 0 and problem_from_orders sees a due date after the release.
    release = origin if due is None else min(origin, due)
    return OrderRecord(
        order.id, order.product, float(order.quantity), release, due, weight(order.priority)
    )


def _placed(
    orders: Sequence[JobOrder], entries: Mapping[tuple[str, int], tuple[str, str]]
) -> tuple[dict[tuple[str, int], str], dict[tuple[str, int], tuple[str, str]]]:
    """Operations frozen (running, the latest started on each unit) and operations pinned to
    a unit (other running ones, sent ones), each with its unit path."""
    running: dict[str, list[tuple[int, str, int]]] = {}
    pinned: dict[tuple[str, int], tuple[str, str]] = {}
    for order in orders:
        for op in open_operations(order):
            entry = entries.get((order.id, op.seq))
            if op.status == OpStatus.RUNNING:
                path = op.equipment or (entry[0] if entry is not None else None)
                if path is not None:
                    started = op.started_ns if op.started_ns is not None else -1
                    running.setdefault(path, []).append((started, order.id, op.seq))
                    pinned[order.id, op.seq] = (path, entry[1] if entry else RUNNING)
            elif entry is not None and entry[1] == SENT:
                pinned[order.id, op.seq] = entry
    frozen_on: dict[tuple[str, int], str] = {}
    for path, rows in running.items():
        _started, order_id, seq = max(rows)
        frozen_on[order_id, seq] = path
    return frozen_on, pinned


def _machine(index: Mapping[str, int], path: str, where: str) -> int:
    m = index.get(path)
    if m is None:
        raise BadInput(
            f"{where}: work unit {path} is not in any routing of the plant file any more "
            "(the order was released with it); complete or abort the operation first",
            field="orders",
            value=path,
        )
    return m


def _through_downtime(
    machine: int, end: int, downtimes: list[Downtime]
) -> tuple[int, list[Downtime]]:
    """A running operation on ``machine`` with ``end`` seconds of work left pauses through the
    machine's downtime windows: its end, and the downtimes without the windows it spans."""
    spans: list[tuple[int, int]] = []
    for a, b in sorted((d.start, d.end) for d in downtimes if d.machine == machine):
        if spans and a <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], b))
        else:
            spans.append((a, b))
    t, left = 0, end
    for a, b in spans:
        if b <= t:
            continue
        if a >= t + left:
            break
        left -= max(0, a - t)
        t = b
    done = t + left
    return done, [d for d in downtimes if d.machine != machine or d.start >= done]
