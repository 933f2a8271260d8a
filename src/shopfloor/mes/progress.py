"""Progress of orders from counts: machine events and operator entries add good and scrap.

Counts are facts and are always kept; status changes follow from them only when the state
machine allows. An operation is complete when its good and scrap cover the units expected at it
(the order quantity less what was scrapped at earlier operations); the order is complete when all
its operations are.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from shopfloor.mes.lifecycle import OP_OPEN, OpStatus, OrderStatus
from shopfloor.mes.models import DispatchEntry, JobOrder, OrderOperation
from shopfloor.mes.transitions import op_to, order_to

MACHINE = "machine"


def expected_at(order: JobOrder, op: OrderOperation) -> int:
    """Units that will reach ``op``: the quantity less scrap at the operations before it."""
    upstream = sum(o.scrap for o in order.operations if o.seq < op.seq)
    return max(order.quantity - upstream, 0)


def remaining_at(order: JobOrder, op: OrderOperation) -> int:
    return max(expected_at(order, op) - op.good - op.scrap, 0)


def start(
    s: Session,
    order: JobOrder,
    op: OrderOperation,
    now: int,
    equipment: str | None,
    who: str = MACHINE,
) -> None:
    """Work began on ``op`` (a part started, or an operator said so)."""
    if order.status == OrderStatus.RELEASED:
        order_to(s, order, "start", now, who=who)
    if op.status in (OpStatus.PENDING, OpStatus.DISPATCHED):
        op_to(s, op, "start", now, who=who)
    if equipment is not None:
        op.equipment = equipment
    if op.started_ns is None:
        op.started_ns = now


def add_counts(
    s: Session,
    order: JobOrder,
    op: OrderOperation,
    good: int,
    scrap: int,
    now: int,
    equipment: str | None,
    who: str = MACHINE,
) -> None:
    """Add ``good`` and ``scrap`` units done at ``op`` and move statuses on."""
    start(s, order, op, now, equipment, who)
    op.good += good
    op.scrap += scrap
    order.scrap = sum(o.scrap for o in order.operations)
    refresh(s, order, now, who)


def refresh(s: Session, order: JobOrder, now: int, who: str = MACHINE) -> None:
    """Complete the operations whose expected units are all done, then the order."""
    for op in order.operations:
        if op.status in OP_OPEN and op.good + op.scrap >= expected_at(order, op):
            op_to(s, op, "complete", now, who=who, reason="all units done")
            s.execute(
                delete(DispatchEntry).where(
                    DispatchEntry.order_id == order.id, DispatchEntry.seq == op.seq
                )
            )
    order.good = order.operations[-1].good if order.operations else 0
    finished = all(o.status in (OpStatus.COMPLETE, OpStatus.ABORTED) for o in order.operations)
    if finished and order.operations and order.status == OrderStatus.RUNNING:
        order_to(s, order, "complete", now, who=who, reason="all operations complete")
