"""Dispatch lists per work unit: MES owns them, the scheduler proposes their sequence.

At release each operation of the order goes to the end of the list of its eligible work unit
with the fewest queued entries. :meth:`Dispatch.apply_sequence` replaces a work unit's queue with
the sequence a scheduler proposed (entries already sent to the machine stay in front; queued
entries the proposal does not mention keep their order after it). :meth:`Dispatch.send_next`
sends the first queued job of a work unit to its machine through the :class:`JobSender`.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from shopfloor.errors import BadInput, MesError
from shopfloor.mes.context import MesContext
from shopfloor.mes.lifecycle import ORDER_ACTIVE, OpStatus, OrderStatus
from shopfloor.mes.models import DispatchEntry, JobOrder
from shopfloor.mes.progress import remaining_at
from shopfloor.mes.transitions import find_op, get_order, op_to

QUEUED, SENT, REFUSED = "queued", "sent", "refused"


def _queue(s: Session, equipment: str) -> list[DispatchEntry]:
    q = select(DispatchEntry).where(DispatchEntry.equipment == equipment)
    return list(s.scalars(q.order_by(DispatchEntry.position, DispatchEntry.id)))


def _renumber(entries: Sequence[DispatchEntry]) -> None:
    for i, e in enumerate(entries):
        e.position = i


def assign_default(s: Session, order: JobOrder) -> None:
    """Queue each operation at its eligible work unit with the fewest queued entries."""
    for op in order.operations:
        counts = dict(
            s.execute(
                select(DispatchEntry.equipment, func.count())
                .where(DispatchEntry.equipment.in_(op.eligible), DispatchEntry.status == QUEUED)
                .group_by(DispatchEntry.equipment)
            ).all()
        )
        target = min(op.eligible, key=lambda p: (counts.get(p, 0), op.eligible.index(p)))
        last = s.scalar(
            select(func.max(DispatchEntry.position)).where(DispatchEntry.equipment == target)
        )
        s.add(
            DispatchEntry(
                equipment=target,
                position=(last if last is not None else -1) + 1,
                order_id=order.id,
                seq=op.seq,
                status=QUEUED,
                message="",
            )
        )
    s.flush()


def drop_entries(s: Session, order_id: str, seq: int | None = None) -> None:
    """Take the order's (or one operation's) entries off the dispatch lists."""
    q = delete(DispatchEntry).where(DispatchEntry.order_id == order_id)
    if seq is not None:
        q = q.where(DispatchEntry.seq == seq)
    s.execute(q)


class Dispatch:
    """Dispatch lists of the work units (each call is one transaction)."""

    def __init__(self, ctx: MesContext) -> None:
        self.ctx = ctx

    def list(self, equipment: str) -> list[dict[str, Any]]:
        """The work unit's list in order, each entry with its order's product and quantities."""
        path = self.ctx.path(equipment)
        with self.ctx.db.tx() as s:
            out = []
            for e in _queue(s, path):
                order = get_order(s, e.order_id)
                op = find_op(order, e.seq)
                out.append(
                    e.to_dict()
                    | {
                        "product": order.product,
                        "operation": op.op_id,
                        "op_status": op.status,
                        "order_status": order.status,
                        "priority": order.priority,
                        "due_ns": order.due_ns,
                        "remaining": remaining_at(order, op),
                        "standard_time_s": op.standard_time_s,
                    }
                )
            return out

    def apply_sequence(
        self, equipment: str, sequence: Sequence[tuple[str, int | str]], *, who: str = ""
    ) -> builtins.list[dict[str, Any]]:
        """Make ``sequence`` (order id, operation seq or id) the queue of ``equipment``."""
        path = self.ctx.path(equipment)
        with self.ctx.db.tx() as s:
            wanted: builtins.list[tuple[str, int]] = []
            for i, (order_id, ref) in enumerate(sequence):
                where = f"sequence[{i}] ({order_id}, {ref})"
                order = s.get(JobOrder, order_id)
                if order is None:
                    raise BadInput(f"{where}: no job order {order_id!r}")
                if order.status not in ORDER_ACTIVE and order.status != OrderStatus.HELD:
                    raise BadInput(
                        f"{where}: order {order_id} is {order.status}; only "
                        "released, running or held orders can be sequenced"
                    )
                op = find_op(order, ref)
                if path not in op.eligible:
                    raise BadInput(
                        f"{where}: {path} is not eligible for operation {op.seq} "
                        f"({op.op_id}); eligible: {', '.join(op.eligible)}"
                    )
                if op.status in (OpStatus.COMPLETE, OpStatus.ABORTED):
                    raise BadInput(f"{where}: operation {op.seq} is {op.status}")
                if (order_id, op.seq) in wanted:
                    raise BadInput(f"{where}: listed twice")
                wanted.append((order_id, op.seq))
            entries = {
                (e.order_id, e.seq): e
                for e in s.scalars(
                    select(DispatchEntry).where(DispatchEntry.order_id.in_({o for o, _ in wanted}))
                )
            }
            for key in wanted:
                e = entries.get(key)
                if e is not None and e.status == SENT and e.equipment != path:
                    raise BadInput(f"({key[0]}, {key[1]}): already sent to {e.equipment}")
            own = _queue(s, path)
            sent = [e for e in own if e.status == SENT]
            moved: builtins.list[DispatchEntry] = []
            for key in wanted:
                e = entries.get(key)
                if e is None:
                    e = DispatchEntry(
                        equipment=path,
                        position=0,
                        order_id=key[0],
                        seq=key[1],
                        status=QUEUED,
                        message="",
                    )
                    s.add(e)
                elif e.status == SENT:
                    continue
                elif e.equipment != path:
                    old = e.equipment
                    e.equipment, e.status, e.message = path, QUEUED, ""
                    s.flush()
                    _renumber([x for x in _queue(s, old) if x is not e])
                moved.append(e)
            rest = [e for e in own if e.status != SENT and e not in moved]
            _renumber([*sent, *moved, *rest])
            s.flush()
        return self.list(path)

    def send_next(self, equipment: str, *, who: str = "") -> dict[str, Any] | None:
        """Send the first queued job of an active order to the machine; None if nothing waits.

        The entry becomes ``sent`` (the operation ``dispatched``) when the machine accepts it,
        ``refused`` with the machine's message when it does not.
        """
        ctx = self.ctx
        if ctx.sender is None:
            raise MesError("no job sender: this MES is not connected to machines")
        path = ctx.path(equipment)
        with ctx.db.tx() as s:
            for e in _queue(s, path):
                if e.status != QUEUED:
                    continue
                order = get_order(s, e.order_id)
                if order.status not in ORDER_ACTIVE:
                    continue
                op = find_op(order, e.seq)
                quantity = remaining_at(order, op)
                ack = ctx.sender.send_job(path, order.id, order.product, quantity, op.op_id)
                e.sent_ns, e.message = ctx.now(), ack.message
                if not ack.accepted:
                    e.status = REFUSED
                    return e.to_dict()
                e.status = SENT
                op.equipment = path
                if op.status == OpStatus.PENDING:
                    op_to(s, op, "dispatch", ctx.now(), who=who, reason=f"sent to {path}")
                return e.to_dict() | {"quantity": quantity, "operation": op.op_id}
        return None
