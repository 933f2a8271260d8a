"""Job orders: create, release (the routing and BOM are cached in the order), hold, resume,
complete, abort; the same for single operations; queries.

Release copies the product's routing (operations, eligible work units as ISA-95 paths, standard
and setup times, inspected characteristics) and its bill of material from the plant file into the
order, so that the order's history stays stable when the plant file changes later.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from shopfloor.errors import BadInput
from shopfloor.mes.context import MesContext
from shopfloor.mes.dispatch import assign_default, drop_entries
from shopfloor.mes.lifecycle import OP_OPEN, MesConflict, OpStatus, OrderStatus
from shopfloor.mes.models import JobOrder, OrderOperation, OrderTransition
from shopfloor.mes.progress import refresh, start
from shopfloor.mes.transitions import (
    find_op,
    get_order,
    need_reason,
    op_to,
    order_to,
    resume_target_op,
    resume_target_order,
)

ORDER_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


class Orders:
    """Job order lifecycle and queries (each call is one transaction)."""

    def __init__(self, ctx: MesContext) -> None:
        self.ctx = ctx

    def create(
        self,
        product: str,
        quantity: int,
        *,
        due_ns: int | None = None,
        priority: int = 0,
        order_id: str | None = None,
        who: str = "",
    ) -> JobOrder:
        self.ctx.product(product)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise BadInput(f"quantity: must be a positive whole number, got {quantity!r}")
        if isinstance(priority, bool) or not isinstance(priority, int):
            raise BadInput(f"priority: must be a whole number, got {priority!r}")
        if order_id is not None and not ORDER_ID_RE.match(order_id):
            raise BadInput(f"order id {order_id!r}: 1-64 characters of letters, digits and _ . : -")
        now = self.ctx.now()
        with self.ctx.db.tx() as s:
            if order_id is None:
                n = s.scalar(select(func.count()).select_from(JobOrder)) or 0
                order_id = f"JO-{n + 1:06d}"
                while s.get(JobOrder, order_id) is not None:
                    n += 1
                    order_id = f"JO-{n + 1:06d}"
            elif s.get(JobOrder, order_id) is not None:
                raise MesConflict(f"order: job order {order_id!r} exists already")
            order = JobOrder(
                id=order_id,
                product=product,
                quantity=quantity,
                due_ns=due_ns,
                priority=priority,
                status=OrderStatus.CREATED,
                created_ns=now,
                routing=None,
                bom=[],
                reason="",
                good=0,
                scrap=0,
            )
            s.add(order)
            s.add(
                OrderTransition(
                    order_id=order_id,
                    seq=None,
                    from_status=None,
                    to_status=OrderStatus.CREATED,
                    reason="create",
                    who=who,
                    ts_ns=now,
                )
            )
            s.flush()
            order.operations  # noqa: B018 - loaded while attached
        return order

    def release(self, order_id: str, *, who: str = "") -> JobOrder:
        """Release the order: cache routing and BOM, put its operations on dispatch lists."""
        ctx = self.ctx
        with ctx.db.tx() as s:
            order = get_order(s, order_id, lock=True)
            product = ctx.product(order.product)
            routing = ctx.plant.routing_by_id[product.routing]
            order_to(s, order, "release", ctx.now(), who=who)
            order.routing = routing.id
            first = routing.operations[0].seq
            order.bom = [
                {
                    "material": b.material,
                    "quantity": b.quantity,
                    "unit": b.unit,
                    "seq": b.operation if b.operation is not None else first,
                    "lot_tracked": b.lot_tracked,
                }
                for b in product.bom
            ]
            for o in routing.operations:
                order.operations.append(
                    OrderOperation(
                        seq=o.seq,
                        op_id=o.id,
                        name=o.name,
                        eligible=[ctx.plant.resolve(e) for e in o.eligible],
                        standard_time_s=o.standard_time_s,
                        setup_time_s=o.setup_time_s,
                        inspect=list(o.inspect),
                        status=OpStatus.PENDING,
                        good=0,
                        scrap=0,
                        reason="",
                    )
                )
            s.flush()
            assign_default(s, order)
        return order

    def hold(self, order_id: str, reason: str, *, who: str = "") -> JobOrder:
        reason = need_reason("hold", reason)
        with self.ctx.db.tx() as s:
            order = get_order(s, order_id, lock=True)
            order_to(s, order, "hold", self.ctx.now(), who=who, reason=reason)
        return self.get(order_id)

    def resume(self, order_id: str, *, who: str = "") -> JobOrder:
        with self.ctx.db.tx() as s:
            order = get_order(s, order_id, lock=True)
            order_to(s, order, "resume", self.ctx.now(), who=who, to=resume_target_order(order))
            refresh(s, order, self.ctx.now(), who)  # work finished while it was held
        return self.get(order_id)

    def abort(self, order_id: str, reason: str, *, who: str = "") -> JobOrder:
        """Abort the order and its open operations; take them off the dispatch lists."""
        reason = need_reason("abort", reason)
        now = self.ctx.now()
        with self.ctx.db.tx() as s:
            order = get_order(s, order_id, lock=True)
            order_to(s, order, "abort", now, who=who, reason=reason)
            for op in order.operations:
                if op.status in OP_OPEN or op.status == OpStatus.HELD:
                    op_to(s, op, "abort", now, who=who, reason=reason)
            drop_entries(s, order.id)
        return self.get(order_id)

    def complete(self, order_id: str, *, who: str = "", reason: str = "") -> JobOrder:
        """Close a running order by hand (open operations are completed with it)."""
        now = self.ctx.now()
        with self.ctx.db.tx() as s:
            order = get_order(s, order_id, lock=True)
            order_to(s, order, "complete", now, who=who, reason=reason or "closed by hand")
            for op in order.operations:
                if op.status in OP_OPEN:
                    op_to(s, op, "complete", now, who=who, reason="closed with the order")
            drop_entries(s, order.id)
        return self.get(order_id)

    # ---- single operations -------------------------------------------------------------------

    def start_operation(
        self, order_id: str, op: int | str, *, equipment: str | None = None, who: str = ""
    ) -> JobOrder:
        ctx = self.ctx
        with ctx.db.tx() as s:
            order = get_order(s, order_id, lock=True)
            o = find_op(order, op)
            if order.status not in (OrderStatus.RELEASED, OrderStatus.RUNNING):
                order_to(s, order, "start", ctx.now(), who=who)  # raises: names the state
            path = ctx.path(equipment) if equipment else o.equipment
            if path is not None and path not in o.eligible:
                raise BadInput(
                    f"equipment: {path} is not eligible for operation {o.seq} "
                    f"({o.op_id}); eligible: {', '.join(o.eligible)}"
                )
            if o.status not in (OpStatus.PENDING, OpStatus.DISPATCHED):
                op_to(s, o, "start", ctx.now(), who=who)  # raises: names the state
            start(s, order, o, ctx.now(), path, who)
        return self.get(order_id)

    def operation_action(
        self, order_id: str, op: int | str, action: str, *, reason: str = "", who: str = ""
    ) -> JobOrder:
        """``hold``, ``resume``, ``complete`` or ``abort`` one operation."""
        if action not in ("hold", "resume", "complete", "abort"):
            raise BadInput(f"action: {action!r} is not one of hold, resume, complete, abort")
        if action in ("hold", "abort"):
            reason = need_reason(action, reason)
        now = self.ctx.now()
        with self.ctx.db.tx() as s:
            order = get_order(s, order_id, lock=True)
            o = find_op(order, op)
            to = resume_target_op(o) if action == "resume" else None
            op_to(s, o, action, now, who=who, reason=reason, to=to)
            if action in ("abort", "complete"):  # off the dispatch lists: never sent now
                drop_entries(s, order.id, o.seq)
            refresh(s, order, now, who or "operator")
        return self.get(order_id)

    # ---- queries -----------------------------------------------------------------------------

    def get(self, order_id: str) -> JobOrder:
        with self.ctx.db.tx() as s:
            order = get_order(s, order_id)
            order.operations  # noqa: B018 - loaded while attached
            return order

    def list(
        self, *, status: Sequence[str] = (), product: str | None = None, limit: int = 500
    ) -> builtins.list[JobOrder]:
        bad = [x for x in status if x not in set(OrderStatus)]
        if bad:
            raise BadInput(
                f"status: unknown order status {bad[0]!r}; use one of {', '.join(OrderStatus)}"
            )
        q = select(JobOrder).options(selectinload(JobOrder.operations))
        if status:
            q = q.where(JobOrder.status.in_(list(status)))
        if product:
            q = q.where(JobOrder.product == product)
        q = q.order_by(
            JobOrder.priority.desc(), JobOrder.due_ns.asc().nulls_last(), JobOrder.id
        ).limit(limit)
        with self.ctx.db.tx() as s:
            return list(s.scalars(q))

    def history(self, order_id: str) -> builtins.list[OrderTransition]:
        with self.ctx.db.tx() as s:
            get_order(s, order_id)
            q = select(OrderTransition).where(OrderTransition.order_id == order_id)
            return list(s.scalars(q.order_by(OrderTransition.id)))
