"""Maintenance work orders: opened by predictive maintenance (with an alarm), closed by people.

:meth:`MaintenanceOrders.open_predictive` is what the live health service calls when a
remaining useful life falls under its threshold or an anomaly persists: in one transaction it
raises (or re-raises) the alarm ``code`` on the equipment and opens a work order that carries
the evidence (features, scores, model) and points at the alarm; the alarm's ``ref`` is the work
order id. While a predictive order of the equipment is open, another call returns it unchanged.
"""

from __future__ import annotations

import builtins
from typing import Any

from sqlalchemy import func, select

from shopfloor.errors import BadInput
from shopfloor.mes.alarms import raise_alarm
from shopfloor.mes.context import MesContext
from shopfloor.mes.lifecycle import IllegalTransition, MesNotFound
from shopfloor.mes.models import MaintenanceOrder
from shopfloor.sqlite import retry_when_busy

OPEN, CLOSED = "open", "closed"
KINDS = ("predictive", "corrective", "preventive")


class MaintenanceOrders:
    """Maintenance work orders (each call is one transaction)."""

    def __init__(self, ctx: MesContext) -> None:
        self.ctx = ctx

    @retry_when_busy
    def open_predictive(
        self,
        equipment: str,
        *,
        code: str,
        text: str,
        priority: int = 700,
        due_ns: int | None = None,
        evidence: dict[str, Any] | None = None,
        who: str = "maintenance",
    ) -> tuple[MaintenanceOrder, bool]:
        """Raise alarm ``code`` and open a predictive work order; ``(order, created)``."""
        path = self.ctx.path(equipment)
        if isinstance(priority, bool) or not isinstance(priority, int) or not 1 <= priority <= 1000:
            raise BadInput(f"priority: must be 1..1000, got {priority!r}", field="priority")
        if not code:
            raise BadInput("code: a maintenance alarm needs a code", field="code")
        now = self.ctx.now()
        with self.ctx.db.tx() as s:
            q = select(MaintenanceOrder).where(
                MaintenanceOrder.equipment == path,
                MaintenanceOrder.kind == "predictive",
                MaintenanceOrder.status == OPEN,
            )
            existing = s.scalars(q.limit(1)).first()
            if existing is not None:
                return existing, False
            n = s.scalar(select(func.count()).select_from(MaintenanceOrder)) or 0
            order_id = f"WO-{n + 1:06d}"
            while s.get(MaintenanceOrder, order_id) is not None:
                n += 1
                order_id = f"WO-{n + 1:06d}"
            alarm = raise_alarm(s, path, code, text, priority, "maintenance", now, ref=order_id)
            order = MaintenanceOrder(
                id=order_id,
                equipment=path,
                kind="predictive",
                status=OPEN,
                priority=priority,
                reason=text,
                due_ns=due_ns,
                alarm_id=alarm.id,
                evidence=dict(evidence or {}),
                created_ns=now,
                closed_ns=None,
                who=who,
                note="",
            )
            s.add(order)
            s.flush()
        return order, True

    def get(self, order_id: str) -> MaintenanceOrder:
        with self.ctx.db.tx() as s:
            order = s.get(MaintenanceOrder, order_id)
            if order is None:
                raise MesNotFound(f"maintenance order: no work order {order_id!r}")
            return order

    def list(
        self, *, equipment: str | None = None, status: str | None = None
    ) -> builtins.list[MaintenanceOrder]:
        """Work orders, newest first (of one equipment and status when given)."""
        if status is not None and status not in (OPEN, CLOSED):
            raise BadInput(f"status: must be open or closed, got {status!r}", field="status")
        with self.ctx.db.tx() as s:
            q = select(MaintenanceOrder)
            if equipment is not None:
                q = q.where(MaintenanceOrder.equipment == self.ctx.path(equipment))
            if status is not None:
                q = q.where(MaintenanceOrder.status == status)
            q = q.order_by(MaintenanceOrder.created_ns.desc(), MaintenanceOrder.id.desc())
            return builtins.list(s.scalars(q))

    @retry_when_busy
    def close(self, order_id: str, *, who: str, note: str = "") -> MaintenanceOrder:
        """The work is done."""
        if not who:
            raise BadInput("by: closing a work order needs the technician's name", field="who")
        with self.ctx.db.tx() as s:
            order = s.get(MaintenanceOrder, order_id, with_for_update=True)
            if order is None:
                raise MesNotFound(f"maintenance order: no work order {order_id!r}")
            if order.status == CLOSED:
                raise IllegalTransition(f"cannot close work order {order_id}: it is closed")
            order.status, order.closed_ns = CLOSED, self.ctx.now()
            order.who, order.note = who, note
        return order
