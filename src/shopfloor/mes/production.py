"""Production from the data stream and from operators: units, operations, counts, lots.

``part_start`` opens a unit's operation at a work unit; ``part_complete`` closes it with its
result and process values, applies the consumption rule, records the measurements as inspection
results and adds the count to the order's progress; ``part_scrap`` marks the unit scrapped with
its defect (the count came with ``part_complete``). Operators report counts for equipment that is
not networked with :meth:`Production.report`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopfloor.errors import BadInput, DecodeError
from shopfloor.events import EventKind, MachineEvent
from shopfloor.mes.context import MesContext
from shopfloor.mes.lifecycle import ORDER_ACTIVE, ORDER_FINAL, OpStatus
from shopfloor.mes.material import (
    COMPLETE,
    SCRAPPED,
    consume_bom,
    consume_serial,
    ensure_unit,
)
from shopfloor.mes.models import (
    DispatchEntry,
    JobOrder,
    OrderOperation,
    ProductionReport,
    UnitOperation,
)
from shopfloor.mes.progress import add_counts, start
from shopfloor.mes.quality import record_measurements
from shopfloor.mes.transitions import find_op, get_order


def _need(ev: MachineEvent, key: str) -> Any:
    if key not in ev.payload:
        raise DecodeError(f"{ev.kind} event of {ev.equipment} seq {ev.seq}: payload has no {key!r}")
    return ev.payload[key]


def _step(ctx: MesContext, ev: MachineEvent) -> tuple[str, int | None, str, bool]:
    """(product, operation seq, operation id, is the last operation) of a part event."""
    product = str(_need(ev, "product"))
    op_id = str(_need(ev, "operation"))
    seq = ev.payload.get("seq")
    p = ctx.plant.product_by_id.get(product)
    routing = ctx.plant.routing_by_id.get(p.routing) if p is not None else None
    if routing is not None:
        for o in routing.operations:
            if o.id == op_id or (seq is not None and o.seq == seq):
                return product, o.seq, o.id, o is routing.operations[-1]
    return product, seq if isinstance(seq, int) else None, op_id, bool(ev.payload.get("last"))


def _order_op(
    s: Session, order_id: str | None, seq: int | None
) -> tuple[JobOrder, OrderOperation] | None:
    if order_id is None or seq is None:
        return None
    order = s.get(JobOrder, order_id)
    if order is None or not order.operations:
        return None
    op = next((o for o in order.operations if o.seq == seq), None)
    return (order, op) if op is not None else None


def _open_op(s: Session, serial: str, equipment: str, op_id: str) -> UnitOperation | None:
    q = select(UnitOperation).where(
        UnitOperation.serial == serial,
        UnitOperation.equipment == equipment,
        UnitOperation.op_id == op_id,
        UnitOperation.ended_ns.is_(None),
    )
    return s.scalars(q.order_by(UnitOperation.id.desc()).limit(1)).first()


def on_part_start(s: Session, ctx: MesContext, ev: MachineEvent) -> None:
    serial = ev.serial
    if not serial:
        raise DecodeError(f"part_start of {ev.equipment} seq {ev.seq} has no serial")
    product, seq, op_id, _last = _step(ctx, ev)
    ensure_unit(s, serial, product, ev.order_id, ev.ts_ns)
    s.add(
        UnitOperation(
            serial=serial,
            order_id=ev.order_id,
            seq=seq,
            op_id=op_id,
            equipment=ev.equipment,
            operator=ev.payload.get("operator"),
            started_ns=ev.ts_ns,
        )
    )
    found = _order_op(s, ev.order_id, seq)
    if found is not None and found[0].status not in ORDER_FINAL:
        start(s, found[0], found[1], ev.ts_ns, ev.equipment)


def on_part_complete(s: Session, ctx: MesContext, ev: MachineEvent) -> None:
    serial = ev.serial
    if not serial and ev.payload.get("counted") is True:
        _counted(s, ctx, ev)
        return
    if not serial:
        raise DecodeError(f"part_complete of {ev.equipment} seq {ev.seq} has no serial")
    product, seq, op_id, last = _step(ctx, ev)
    good = _need(ev, "good")
    if not isinstance(good, bool):
        raise DecodeError(f"part_complete of {ev.equipment} seq {ev.seq}: good must be a boolean")
    unit = ensure_unit(s, serial, product, ev.order_id, ev.ts_ns)
    uop = _open_op(s, serial, ev.equipment, op_id)
    if uop is None:  # the start was not seen
        uop = UnitOperation(
            serial=serial,
            order_id=ev.order_id,
            seq=seq,
            op_id=op_id,
            equipment=ev.equipment,
            operator=ev.payload.get("operator"),
        )
        s.add(uop)
    process = dict(ev.payload.get("process") or {})
    for key in ("cycle_time_s", "tool_wear"):
        if key in ev.payload:
            process[key] = ev.payload[key]
    uop.ended_ns, uop.good, uop.process = ev.ts_ns, good, process or None
    uop.operator = ev.payload.get("operator") or uop.operator
    found = _order_op(s, ev.order_id, seq)
    if found is not None:
        bom = found[0].bom
    else:
        p = ctx.plant.product_by_id.get(product)
        routing = ctx.plant.routing_by_id.get(p.routing) if p is not None else None
        first = routing.operations[0].seq if routing is not None else None
        bom = [
            {
                "material": b.material,
                "quantity": b.quantity,
                "lot_tracked": b.lot_tracked,
                "seq": b.operation if b.operation is not None else first,
            }
            for b in (p.bom if p is not None else ())
        ]
    if seq is not None:
        uop.missing = consume_bom(s, bom, serial, seq, ev.equipment, ev.ts_ns) or None
    for child in ev.payload.get("components") or ():
        consume_serial(s, serial, str(child), ev.equipment, seq, ev.ts_ns)
    measurements = ev.payload.get("measurements") or {}
    if measurements and product:
        record_measurements(s, product, measurements, serial, ev.equipment, seq, ev.ts_ns)
    if not good:
        unit.status, unit.ended_ns = SCRAPPED, ev.ts_ns
    elif last:
        unit.status, unit.ended_ns = COMPLETE, ev.ts_ns
    if found is not None:
        add_counts(s, found[0], found[1], int(good), int(not good), ev.ts_ns, ev.equipment)


def _counted(s: Session, ctx: MesContext, ev: MachineEvent) -> None:
    """A part counted by a plain device's counter rule: no serial, so no unit is tracked. The
    counts go to the operation of the order the machine reports (its order tag), else to the
    one MES has the machine on (running or dispatched there, else the head of its dispatch
    list); with neither they stay in the machine's counts and KPIs only."""
    good = ev.payload.get("good")
    if not isinstance(good, bool):
        raise DecodeError(f"part_complete of {ev.equipment} seq {ev.seq}: good must be a boolean")
    found: tuple[JobOrder, OrderOperation] | None = None
    if ev.order_id is not None:
        if not ev.payload.get("product") or not ev.payload.get("operation"):
            return
        _product, seq, _op, _last = _step(ctx, ev)
        found = _order_op(s, ev.order_id, seq)
    else:
        try:
            found = work_at(s, ev.equipment)
        except BadInput:  # nothing, or several operations, at the machine: no order to book
            return
        if found[0].status in ORDER_FINAL:
            return
    if found is None:
        return
    if ev.payload.get("reclassified") is True:  # a part already counted good is a reject
        add_counts(s, found[0], found[1], -1, 1, ev.ts_ns, ev.equipment)
    else:
        add_counts(s, found[0], found[1], int(good), int(not good), ev.ts_ns, ev.equipment)


def on_part_scrap(s: Session, ctx: MesContext, ev: MachineEvent) -> None:
    if not ev.serial:
        raise DecodeError(f"part_scrap of {ev.equipment} seq {ev.seq} has no serial")
    product = str(ev.payload.get("product") or "")
    unit = ensure_unit(s, ev.serial, product, ev.order_id, ev.ts_ns)
    unit.status, unit.ended_ns = SCRAPPED, ev.ts_ns
    unit.defect = str(ev.payload.get("defect") or "") or None


class Production:
    """Operator entry of counts for equipment that is not networked."""

    def __init__(self, ctx: MesContext) -> None:
        self.ctx = ctx

    def report(
        self,
        equipment: str,
        good: int,
        scrap: int = 0,
        *,
        order_id: str | None = None,
        operation: int | str | None = None,
        operator: str = "",
        note: str = "",
    ) -> ProductionReport:
        """Add ``good`` and ``scrap`` units made at ``equipment``.

        Without an order, they count for the operation running (or dispatched) there, else
        for the first entry of the work unit's dispatch list.
        """
        ctx = self.ctx
        path = ctx.path(equipment)
        eq = ctx.plant.equipment(path)
        if eq.networked:
            raise BadInput(
                f"equipment: {eq.id} is networked ({eq.connectivity}); its counts "
                "come from its own events, not from operator entry"
            )
        for name, v in (("good", good), ("scrap", scrap)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise BadInput(f"{name}: must be a whole number >= 0, got {v!r}")
        if good + scrap == 0:
            raise BadInput("good and scrap are both 0: nothing to report")
        now = ctx.now()
        with ctx.db.tx() as s:
            order, op = self._target(s, path, order_id, operation)
            if path not in op.eligible:
                raise BadInput(
                    f"equipment: {path} is not eligible for operation {op.seq} "
                    f"({op.op_id}) of order {order.id}"
                )
            if order.status in ORDER_FINAL:
                raise BadInput(f"order: {order.id} is {order.status}; counts are closed")
            add_counts(s, order, op, good, scrap, now, path, who=operator or "operator")
            row = ProductionReport(
                equipment=path,
                order_id=order.id,
                seq=op.seq,
                good=good,
                scrap=scrap,
                operator=operator,
                note=note,
                ts_ns=now,
            )
            s.add(row)
        return row

    def reported_parts(self, end_ns: int | None = None) -> list[MachineEvent]:
        """Every operator report before ``end_ns`` (all when None) as the ``part_complete``
        events the KPIs read beside the machines' own (see :func:`reported_parts`)."""
        q = (
            select(ProductionReport, JobOrder, OrderOperation)
            .join(JobOrder, JobOrder.id == ProductionReport.order_id)
            .join(
                OrderOperation,
                (OrderOperation.order_id == ProductionReport.order_id)
                & (OrderOperation.seq == ProductionReport.seq),
            )
        )
        if end_ns is not None:
            q = q.where(ProductionReport.ts_ns < end_ns)
        out: list[MachineEvent] = []
        with self.ctx.db.tx() as s:
            for row, order, op in s.execute(q.order_by(ProductionReport.ts_ns)):
                out += reported_parts(
                    row.equipment, order, op, row.good, row.scrap, row.ts_ns, row.operator
                )
        return out

    def _target(
        self, s: Session, path: str, order_id: str | None, operation: int | str | None
    ) -> tuple[JobOrder, OrderOperation]:
        if order_id is not None:
            order = get_order(s, order_id, lock=True)
            if operation is not None:
                return order, find_op(order, operation)
            ops = [o for o in order.operations if path in o.eligible]
            if len(ops) != 1:
                raise BadInput(f"operation: say which operation of {order_id} was done at {path}")
            return order, ops[0]
        return work_at(s, path)


def reported_parts(
    path: str,
    order: JobOrder,
    op: OrderOperation,
    good: int,
    scrap: int,
    ts_ns: int,
    operator: str,
) -> list[MachineEvent]:
    """The parts an operator reported, as the ``part_complete`` events the KPIs read (a manual
    station's output counts like a machine's): ``counted`` (no serial) and ``reported`` (by
    ``operator``), with the operation's standard time."""
    base = {
        "product": order.product,
        "operation": op.op_id,
        "seq": op.seq,
        "standard_time_s": op.standard_time_s,
        "counted": True,
        "reported": True,
        "operator": operator,
    }
    return [
        MachineEvent(EventKind.PART_COMPLETE, path, ts_ns, order_id=order.id,
                     payload={**base, "good": ok})
        for ok, n in ((True, good), (False, scrap))
        for _ in range(n)
    ]  # fmt: skip


def work_at(s: Session, path: str) -> tuple[JobOrder, OrderOperation]:
    """The operation MES has ``path`` on: the one running or dispatched there, else the head of
    its dispatch list. Raises BadInput when there is none or several."""
    q = select(OrderOperation).where(
        OrderOperation.equipment == path,
        OrderOperation.status.in_([OpStatus.RUNNING, OpStatus.DISPATCHED]),
    )
    ops = list(s.scalars(q.order_by(OrderOperation.started_ns)))
    if not ops:
        head = s.scalars(
            select(DispatchEntry)
            .join(JobOrder, JobOrder.id == DispatchEntry.order_id)
            .where(DispatchEntry.equipment == path, JobOrder.status.in_(ORDER_ACTIVE))
            .order_by(DispatchEntry.position)
            .limit(1)
        ).first()
        if head is None:
            raise BadInput(f"order: nothing runs or waits at {path}; give --order")
        order = get_order(s, head.order_id, lock=True)
        return order, find_op(order, head.seq)
    if len(ops) > 1:
        names = ", ".join(f"{o.order_id}/{o.seq}" for o in ops)
        raise BadInput(f"order: several operations run at {path} ({names}); give --order")
    return get_order(s, ops[0].order_id, lock=True), ops[0]
