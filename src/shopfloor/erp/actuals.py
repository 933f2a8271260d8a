"""What happened to the job orders, read from MES through its public API, in ERP terms.

For each order active in a time window: its status, start and end, and per operation the work
unit, times, good and scrapped units and the material consumed. Consumption is the order's bill
of material (cached by MES at release) times the units done at each operation; lots are named
where MES genealogy ties the order's units to lots the ERP sent (imported ``MaterialLot``\\ s).
ERP ids (request, segment requirements, product and material ids) come from ``erp_ref``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from shopfloor.clock import from_ns
from shopfloor.erp.refs import Reference, RefStore
from shopfloor.mes import MesNotFound, MesService

_MAX_ORDERS = 100_000


@dataclass
class MaterialUse:
    material: str
    erp_material: str
    quantity: float
    unit: str
    lot: str | None = None


@dataclass
class SegmentActual:
    seq: int
    op_id: str
    name: str
    erp_id: str
    process_segment: str
    product_segment: str | None
    status: str
    equipment: str | None
    started_ns: int | None
    ended_ns: int | None
    good: int
    scrap: int
    consumed: list[MaterialUse] = field(default_factory=list)


@dataclass
class OrderActual:
    order_id: str
    request_id: str
    schedule_id: str | None
    product: str
    erp_product: str
    quantity: int
    status: str
    started_ns: int | None
    ended_ns: int | None
    good: int
    scrap: int
    segments: list[SegmentActual] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (times as ISO 8601 UTC)."""
        d = asdict(self)
        for item in [d, *d["segments"]]:
            for key in ("started_ns", "ended_ns"):
                ns = item.pop(key)
                item[key.removesuffix("_ns")] = from_ns(ns).isoformat() if ns is not None else None
        return d


def collect_actuals(
    mes: MesService,
    refs: RefStore,
    start_ns: int,
    end_ns: int,
    order_ids: list[str] | None = None,
) -> list[OrderActual]:
    """Orders that ran in ``[start_ns, end_ns)`` (or exactly ``order_ids``), oldest first."""
    if order_ids is not None:
        orders = [mes.orders.get(o) for o in order_ids]
    else:
        orders = [
            o
            for o in mes.orders.list(limit=_MAX_ORDERS)
            if o.started_ns is not None
            and o.started_ns < end_ns
            and (o.ended_ns is None or o.ended_ns >= start_ns)
        ]
    orders = [o for o in orders if o.operations]
    orders.sort(key=lambda o: (o.started_ns or 0, o.id))
    order_refs = refs.of_kind("order")
    products = refs.of_kind("product")
    materials = refs.of_kind("material")
    lots = _lots_by_order(mes, refs, {o.id for o in orders})
    out = []
    for o in orders:
        ref = order_refs.get(o.id)
        data = ref.data if ref is not None else {}
        product_ref = products.get(o.product)
        actual = OrderActual(
            order_id=o.id,
            request_id=ref.erp_id if ref is not None else o.id,
            schedule_id=data.get("schedule"),
            product=o.product,
            erp_product=data.get("product") or (product_ref.erp_id if product_ref else o.product),
            quantity=o.quantity,
            status=o.status,
            started_ns=o.started_ns,
            ended_ns=o.ended_ns,
            good=o.good,
            scrap=o.scrap,
        )
        by_seq = {s.get("seq"): s for s in data.get("segments") or [] if s.get("seq") is not None}
        product_segments = (product_ref.data.get("segments") or {}) if product_ref else {}
        for op in o.operations:
            seg = by_seq.get(op.seq) or {}
            pseg = product_segments.get(op.op_id) or {}
            consumed = _consumed(o.bom, op.seq, op.good + op.scrap, materials)
            consumed = _with_lots(consumed, lots.get((o.id, op.seq), {}))
            actual.segments.append(
                SegmentActual(
                    seq=op.seq,
                    op_id=op.op_id,
                    name=op.name,
                    erp_id=seg.get("id") or f"{o.id}-{op.seq}",
                    process_segment=seg.get("process") or pseg.get("process") or op.op_id,
                    product_segment=seg.get("product_segment") or pseg.get("id"),
                    status=op.status,
                    equipment=op.equipment.rsplit("/", 1)[-1] if op.equipment else None,
                    started_ns=op.started_ns,
                    ended_ns=op.ended_ns,
                    good=op.good,
                    scrap=op.scrap,
                    consumed=consumed,
                )
            )
        out.append(actual)
    return out


def _consumed(
    bom: list[Any], seq: int, units: int, materials: dict[str, Reference]
) -> list[MaterialUse]:
    out = []
    for item in bom or []:
        if item.get("seq") != seq or units <= 0:
            continue
        mref = materials.get(item["material"])
        out.append(
            MaterialUse(
                material=item["material"],
                erp_material=mref.erp_id if mref else item["material"],
                quantity=float(item["quantity"]) * units,
                unit=str(item.get("unit") or "1"),
            )
        )
    return out


def _with_lots(uses: list[MaterialUse], lots: dict[str, dict[str, float]]) -> list[MaterialUse]:
    """Split each material's consumption over the lots genealogy names (the rest stays lot-less)."""
    out: list[MaterialUse] = []
    for use in uses:
        left = use.quantity
        for lot, qty in sorted((lots.get(use.material) or {}).items()):
            out.append(MaterialUse(use.material, use.erp_material, qty, use.unit, lot))
            left -= qty
        if left > 1e-9:
            out.append(MaterialUse(use.material, use.erp_material, left, use.unit))
    return out


def _lots_by_order(
    mes: MesService, refs: RefStore, order_ids: set[str]
) -> dict[tuple[str, int], dict[str, dict[str, float]]]:
    """(order, seq) -> material -> lot -> quantity, for the lots the ERP sent."""
    found: dict[tuple[str, int], dict[str, dict[str, float]]] = defaultdict(dict)
    traced: dict[str, dict[str, Any]] = {}
    for lot_id in refs.of_kind("lot"):
        try:
            users = mes.trace.trace(lot_id, direction="forward")["units"]
        except MesNotFound:  # a lot MES does not hold was consumed by nothing here
            continue
        for unit in users:
            if unit["depth"] != 1 or unit["order_id"] not in order_ids:
                continue
            serial = unit["serial"]
            back = traced.get(serial) or mes.trace.trace(serial)
            traced[serial] = back
            for row in back["lots"]:
                if row["lot"] == lot_id and row["into"] == serial and row["seq"] is not None:
                    per = found[(unit["order_id"], row["seq"])].setdefault(row["material"], {})
                    per[lot_id] = per.get(lot_id, 0.0) + float(row["quantity"] or 0)
    return found
