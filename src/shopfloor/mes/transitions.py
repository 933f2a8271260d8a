"""Look orders and operations up, change their status through the state machines, keep history.

Every status change of an order or operation goes through :func:`order_to` / :func:`op_to`, which
ask :mod:`shopfloor.mes.lifecycle` whether the action is legal and record who did it, when and
why in ``mes_order_history``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from shopfloor.errors import BadInput
from shopfloor.mes.lifecycle import (
    OP_ACTIONS,
    ORDER_ACTIONS,
    MesNotFound,
    OpStatus,
    OrderStatus,
    transition,
)
from shopfloor.mes.models import JobOrder, OrderOperation, OrderTransition


def get_order(s: Session, order_id: str, *, lock: bool = False) -> JobOrder:
    order = s.get(JobOrder, order_id, with_for_update=lock)
    if order is None:
        raise MesNotFound(f"order: no job order {order_id!r}", order_id=order_id)
    return order


def find_op(order: JobOrder, ref: int | str) -> OrderOperation:
    """An operation of a released order by its seq (``10``) or id (``turn``)."""
    if not order.operations:
        raise BadInput(
            f"order {order.id} is {order.status} and has no operations yet (release it first)",
            order_id=order.id,
        )
    text = str(ref)
    for op in order.operations:
        if str(op.seq) == text or op.op_id == text:
            return op
    known = ", ".join(f"{o.seq} ({o.op_id})" for o in order.operations)
    raise MesNotFound(
        f"operation: order {order.id} has no operation {text!r} (it has {known})",
        order_id=order.id,
        operation=text,
    )


def _history(
    s: Session,
    order_id: str,
    seq: int | None,
    old: str | None,
    new: str,
    now: int,
    who: str,
    reason: str,
) -> None:
    s.add(
        OrderTransition(
            order_id=order_id,
            seq=seq,
            from_status=old,
            to_status=new,
            reason=reason,
            who=who,
            ts_ns=now,
        )
    )


def order_to(
    s: Session,
    order: JobOrder,
    action: str,
    now: int,
    *,
    who: str = "",
    reason: str = "",
    to: str | None = None,
) -> None:
    """Apply ``action`` to ``order`` (``to`` decides where ``resume`` goes)."""
    target = transition(ORDER_ACTIONS, f"order {order.id}", order.status, action) or to
    if target is None:
        raise ValueError(f"action {action!r} needs an explicit target state")
    old = order.status
    order.status = target
    if target == OrderStatus.RELEASED and order.released_ns is None:
        order.released_ns = now
    if target == OrderStatus.RUNNING and order.started_ns is None:
        order.started_ns = now
    if target in (OrderStatus.COMPLETE, OrderStatus.ABORTED):
        order.ended_ns = now
    if action in ("hold", "abort"):
        order.reason = reason
    _history(s, order.id, None, old, target, now, who, reason or action)


def op_to(
    s: Session,
    op: OrderOperation,
    action: str,
    now: int,
    *,
    who: str = "",
    reason: str = "",
    to: str | None = None,
) -> None:
    what = f"operation {op.seq} ({op.op_id}) of order {op.order_id}"
    target = transition(OP_ACTIONS, what, op.status, action) or to
    if target is None:
        raise ValueError(f"action {action!r} needs an explicit target state")
    old = op.status
    op.status = target
    if target == OpStatus.RUNNING and op.started_ns is None:
        op.started_ns = now
    if target in (OpStatus.COMPLETE, OpStatus.ABORTED):
        op.ended_ns = now
    if action in ("hold", "abort"):
        op.reason = reason
    _history(s, op.order_id, op.seq, old, target, now, who, reason or action)


def resume_target_order(order: JobOrder) -> str:
    return OrderStatus.RUNNING if order.started_ns is not None else OrderStatus.RELEASED


def resume_target_op(op: OrderOperation) -> str:
    if op.started_ns is not None:
        return OpStatus.RUNNING
    return OpStatus.DISPATCHED if op.equipment is not None else OpStatus.PENDING


def need_reason(action: str, reason: str) -> str:
    if not reason.strip():
        raise BadInput(f"reason: {action} needs a reason (e.g. --reason 'material shortage')")
    return reason.strip()
