"""Schedules for the open orders: ``schedule/`` proposes, MES keeps the proposal and applies it.

:meth:`Planning.propose` builds the problem of the open orders at the MES clock
(:mod:`~shopfloor.mes.planning_problem`: finished work left out, running work frozen on its
unit), solves it with a named solver, checks the schedule (a failing check is an error and
nothing is stored) and stores it as ``SCH-nnnnnn``: per work unit the entries in order, with
planned start and end. :meth:`Planning.apply` makes those sequences the dispatch lists, every unit
in one transaction: when one no longer applies (an operation was sent to another unit since),
the error names the unit and the entry and no list changes. Entries whose operation has
finished since are skipped. The floor service sends each unit's queued jobs in list order and
leaves the units the schedule applied last chose (:meth:`Planning.placed`) out of its load
balancing, so a schedule decides where and in which order the jobs still queued in MES run.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from shopfloor.errors import BadInput
from shopfloor.mes.context import MesContext
from shopfloor.mes.dispatch import Dispatch
from shopfloor.mes.lifecycle import MesConflict, MesNotFound, OrderStatus
from shopfloor.mes.models import DispatchEntry, JobOrder, ScheduleProposal
from shopfloor.mes.planning_problem import NS_PER_S, MesProblem, build_problem, open_operations
from shopfloor.mes.recorded import check_plan_start
from shopfloor.plant.model import Plant
from shopfloor.schedule import InfeasibleSchedule, Schedule, check, dispatch_lists, score, solve
from shopfloor.schedule.registry import specs
from shopfloor.sqlite import retry_when_busy

PROPOSED, APPLIED = "proposed", "applied"
#: Orders a schedule covers.
SCHEDULABLE = (OrderStatus.RELEASED, OrderStatus.RUNNING, OrderStatus.HELD)


@dataclass(frozen=True)
class Applied:
    """What :meth:`Planning.apply` did: entries that changed place, entries skipped (their
    operation finished since), and each changed unit's list before and after
    (``ORDER:SEQ``)."""

    schedule: ScheduleProposal
    moved: int
    skipped: list[dict[str, Any]] = field(default_factory=list)
    before: dict[str, list[str]] = field(default_factory=dict)
    after: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        s = self.schedule
        return {
            "id": s.id,
            "status": s.status,
            "applied_ns": s.applied_ns,
            "applied_by": s.applied_by,
            "moved": self.moved,
            "units": sorted(s.units),
            "skipped": self.skipped,
        }


class Planning:
    """Schedule proposals (each call is one transaction; the solve runs outside any)."""

    def __init__(self, ctx: MesContext, dispatch: Dispatch) -> None:
        self.ctx = ctx
        self.dispatch = dispatch

    def propose(
        self,
        order_ids: Sequence[str] | None = None,
        *,
        solver: str = "default",
        time_limit_s: float = 10.0,
        threads: int = 1,
        who: str = "",
    ) -> ScheduleProposal:
        """Schedule ``order_ids`` (default: every released, running or held order with open
        operations) and store the proposal."""
        known = specs()
        if solver not in known:
            raise BadInput(
                f"solver: unknown solver {solver!r}; known: {', '.join(known)}",
                code="schedule.unknown_solver",
                field="solver",
                value=solver,
            )
        if not (math.isfinite(time_limit_s) and time_limit_s > 0):
            raise BadInput(
                f"time_limit_s: must be > 0 seconds, got {time_limit_s}", field="time_limit_s"
            )
        if isinstance(threads, bool) or threads < 1:
            raise BadInput(f"threads: must be >= 1, got {threads!r}", field="threads")
        now = self.ctx.now()
        check_plan_start(self.ctx, now)
        mp = self._problem(order_ids, now)
        result = solve(mp.problem, solver, time_limit=time_limit_s, threads=threads)
        bad = check(mp.problem, result.schedule)
        if bad:
            raise InfeasibleSchedule(
                f"the schedule from solver {solver!r} fails the check ({bad[0]}); not stored",
                violations=[str(v) for v in bad],
            )
        sc = score(mp.problem, result.schedule)
        fields = {
            "created_ns": now,
            "who": who,
            "solver": solver,
            "status": PROPOSED,
            "solver_status": result.status,
            "time_limit_s": float(time_limit_s),
            "wall_s": round(result.wall_s, 3),
            "makespan_s": sc.makespan,
            "lower_bound": result.lower_bound,
            "objective": sc.value,
            "weighted_tardiness": sc.weighted_tardiness,
            "orders": _order_rows(mp, result.schedule),
            "units": _units(mp, result.schedule),
            "applied_ns": None,
            "applied_by": "",
            "moved": None,
        }
        return self._store(fields)

    @retry_when_busy
    def _store(self, fields: dict[str, Any]) -> ScheduleProposal:
        with self.ctx.db.tx() as s:
            row = ScheduleProposal(id=_next_id(s), **fields)
            s.add(row)
            s.flush()
        return row

    def get(self, schedule_id: str) -> ScheduleProposal:
        with self.ctx.db.tx() as s:
            return _get(s, schedule_id)

    def list(self, limit: int = 100) -> builtins.list[ScheduleProposal]:
        """Proposals, newest first."""
        if isinstance(limit, bool) or limit < 1:
            raise BadInput(f"limit: must be >= 1, got {limit!r}", field="limit")
        q = select(ScheduleProposal).order_by(
            ScheduleProposal.created_ns.desc(), ScheduleProposal.id.desc()
        )
        with self.ctx.db.tx() as s:
            return builtins.list(s.scalars(q.limit(limit)))

    def placed(self) -> set[tuple[str, int, str]]:
        """``(order id, operation seq, work unit)`` of every entry of the schedule applied last
        (none when no schedule was applied): the work units a schedule chose, which the floor's
        load balancing leaves alone."""
        q = (
            select(ScheduleProposal)
            .where(ScheduleProposal.status == APPLIED)
            .order_by(ScheduleProposal.applied_ns.desc(), ScheduleProposal.id.desc())
            .limit(1)
        )
        with self.ctx.db.tx() as s:
            row = s.scalars(q).first()
            units = dict(row.units) if row is not None else {}
        return {(e["order_id"], int(e["seq"]), path) for path, rows in units.items() for e in rows}

    @retry_when_busy
    def apply(self, schedule_id: str, *, who: str = "") -> Applied:
        """Make the proposal's sequences the dispatch lists of its work units, all or none."""
        with self.ctx.db.tx() as s:
            row = _get(s, schedule_id, lock=True)
            if row.status == APPLIED:
                raise MesConflict(
                    f"schedule {schedule_id}: applied already by {row.applied_by or '-'}; "
                    "propose a new one",
                    field="schedule",
                    value=schedule_id,
                )
            before = _positions(s)
            skipped: builtins.list[dict[str, Any]] = []
            for path, entries in row.units.items():
                sequence: builtins.list[tuple[str, int | str]] = []
                for e in entries:
                    if _finished(s, e["order_id"], e["seq"]):
                        skipped.append({"unit": path, "order_id": e["order_id"], "seq": e["seq"]})
                    else:
                        sequence.append((e["order_id"], e["seq"]))
                try:
                    self.dispatch.apply_sequence(path, sequence, who=who)
                except BadInput as exc:
                    raise MesConflict(
                        f"schedule {schedule_id} no longer applies at work unit {path}: "
                        f"{exc.message}; no dispatch list was changed, propose a new schedule",
                        field="schedule",
                        value=schedule_id,
                        unit=path,
                    ) from None
            after = _positions(s)
            moved = sum(1 for key, place in after.items() if before.get(key) != place)
            row.status, row.applied_ns, row.applied_by = APPLIED, self.ctx.now(), who
            row.moved = moved
            changed = {p for place in (before, after) for p, _i in place.values()}
            changed = {p for p in changed if _list(before, p) != _list(after, p)}
        return Applied(
            row,
            moved,
            skipped,
            {p: _list(before, p) for p in sorted(changed)},
            {p: _list(after, p) for p in sorted(changed)},
        )

    # ---- reading the orders ------------------------------------------------------------------

    def _problem(self, order_ids: Sequence[str] | None, now: int) -> MesProblem:
        with self.ctx.db.tx() as s:
            orders = _orders(s, order_ids)
            ids = [o.id for o in orders]
            q = select(DispatchEntry).where(DispatchEntry.order_id.in_(ids))
            entries = {(e.order_id, e.seq): (e.equipment, e.status) for e in s.scalars(q)}
        return build_problem(self.plant, orders, entries, now)

    @property
    def plant(self) -> Plant:
        return self.ctx.plant


def _orders(s: Session, order_ids: Sequence[str] | None) -> list[JobOrder]:
    if order_ids is None:
        q = (
            select(JobOrder)
            .options(selectinload(JobOrder.operations))
            .where(JobOrder.status.in_(list(SCHEDULABLE)))
            .order_by(JobOrder.priority.desc(), JobOrder.due_ns.asc().nulls_last(), JobOrder.id)
        )
        orders = [o for o in s.scalars(q) if open_operations(o)]
        if not orders:
            raise BadInput(
                "orders: no released, running or held order has open operations to schedule",
                field="orders",
            )
        return orders
    if not order_ids:
        raise BadInput(
            "orders: name at least one order, or none to schedule every open order",
            field="orders",
        )
    out: list[JobOrder] = []
    for i, order_id in enumerate(order_ids):
        where = f"orders[{i}]"
        if order_id in order_ids[:i]:
            raise BadInput(f"{where}: order {order_id!r} is listed twice", field="orders")
        order = s.get(JobOrder, order_id)
        if order is None:
            raise MesNotFound(f"{where}: no job order {order_id!r}", field="orders", value=order_id)
        if order.status not in SCHEDULABLE:
            hint = " (release it first)" if order.status == OrderStatus.CREATED else ""
            raise BadInput(
                f"{where}: order {order_id} is {order.status}; only released, running or held "
                f"orders can be scheduled{hint}",
                field="orders",
                value=order_id,
            )
        if not open_operations(order):
            raise BadInput(
                f"{where}: order {order_id} has no open operations", field="orders", value=order_id
            )
        out.append(order)
    return out


def _get(s: Session, schedule_id: str, *, lock: bool = False) -> ScheduleProposal:
    row = s.get(ScheduleProposal, schedule_id, with_for_update=lock)
    if row is None:
        raise MesNotFound(
            f"schedule: no schedule {schedule_id!r}", field="schedule", value=schedule_id
        )
    return row


def _next_id(s: Session) -> str:
    n = s.scalar(select(func.count()).select_from(ScheduleProposal)) or 0
    while s.get(ScheduleProposal, f"SCH-{n + 1:06d}") is not None:
        n += 1
    return f"SCH-{n + 1:06d}"


# ---- the proposal as stored ------------------------------------------------------------------


def _units(mp: MesProblem, schedule: Schedule) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path, items in dispatch_lists(mp.problem, schedule).items():
        if not items:
            continue
        rows = []
        for item in items:
            step = mp.steps[item.job, item.op]
            rows.append(
                {
                    "order_id": step.order_id,
                    "seq": step.seq,
                    "op_id": step.op_id,
                    "start_at_ns": mp.at_ns(item.start),
                    "end_at_ns": mp.at_ns(item.end),
                    "state": step.state,
                }
            )
        out[path] = rows
    return out


def _order_rows(mp: MesProblem, schedule: Schedule) -> list[dict[str, Any]]:
    end: dict[str, int] = {}
    for a in schedule:
        name = mp.problem.jobs[a.job].name
        end[name] = max(end.get(name, 0), a.end)
    rows = []
    for o in mp.orders:
        end_ns = mp.at_ns(end[o.id])
        late = None if o.due_ns is None else max(0, math.ceil((end_ns - o.due_ns) / NS_PER_S))
        rows.append(
            {
                "order_id": o.id,
                "product": o.product,
                "quantity": o.quantity,
                "priority": o.priority,
                "status": o.status,
                "due_ns": o.due_ns,
                "end_ns": end_ns,
                "late_s": late,
            }
        )
    return rows


# ---- applying --------------------------------------------------------------------------------

Place = tuple[str, int]


def _positions(s: Session) -> dict[tuple[str, int], Place]:
    """Every dispatch entry's (work unit, position), by (order id, seq)."""
    s.flush()
    e = DispatchEntry
    q = select(e.order_id, e.seq, e.equipment, e.position)
    return {(order, seq): (unit, pos) for order, seq, unit, pos in s.execute(q)}


def _list(places: dict[tuple[str, int], Place], path: str) -> list[str]:
    rows = sorted((i, f"{o}:{q}") for (o, q), (p, i) in places.items() if p == path)
    return [text for _i, text in rows]


def _finished(s: Session, order_id: str, seq: int) -> bool:
    order = s.get(JobOrder, order_id)
    if order is None:
        return True
    return not any(op.seq == seq for op in open_operations(order))
