"""Plan the MES side of an import: job orders from requests, lots from material lots.

An order keeps the request ``ID`` as its MES order id. Its segment requirements are matched to
the operations of the product's routing (by ``ProcessSegmentID``, product / operations segment id
or the requirement's own id, in plant form) and the ERP ids of each are kept, so that the
performance exported later answers the same request, segment by segment. With
``create_missing`` an unknown product is created from the request's segments (their equipment
requirements and durations), which is all a schedule says about how to make it.
"""

from __future__ import annotations

from typing import Any

from shopfloor.erp.model import ImportedOrder
from shopfloor.erp.planning import Context, LotSpec, OrderSpec, RefRow
from shopfloor.erp.plantfile import upsert
from shopfloor.erp.resolve import plant_id
from shopfloor.mes.material import ITEM_RE
from shopfloor.mes.orders import ORDER_ID_RE


def plan_orders(ctx: Context) -> list[OrderSpec]:
    doc = ctx.plan.document
    out: list[OrderSpec] = []
    seen: set[str] = set()
    for o in doc.orders:
        what = f"request {o.erp_id}"
        if not ORDER_ID_RE.match(o.erp_id):
            ctx.issues.add(
                o.line,
                f"{what}: the id must be 1-64 letters, digits and _ . : - to become the job "
                "order id",
            )
        if o.erp_id in seen:
            ctx.issues.add(o.line, f"{what}: the document holds this request twice")
        seen.add(o.erp_id)
        for ref in o.equipment:
            if not ctx.res.scope(ref.erp_id):
                ctx.issues.add(ref.line, f"{what}: unknown equipment {ref.erp_id!r}", unknown=True)
        for ref in o.materials:
            ctx.material(ref)
        pid = ctx.res.product(o.product.erp_id)
        if pid is None and ctx.options.create_missing:
            pid = _create_product(o, ctx)
        elif pid is None:
            ctx.issues.add(
                o.product.line,
                f"{what}: unknown product {o.product.erp_id!r} (import its product definition "
                "first, or use --create-missing)",
                unknown=True,
            )
        if pid is None:
            continue
        out.append(OrderSpec(o.erp_id, pid, o.quantity, o.due_ns, o.priority, o.line))
        ctx.plan.refs.append(
            RefRow(
                "order",
                o.erp_id,
                o.erp_id,
                {
                    "version": doc.version,
                    "schedule": o.schedule_id,
                    "product": o.product.erp_id,
                    "segments": _segments(o, _op_ids(pid, ctx)),
                },
            )
        )
    return out


def _op_ids(pid: str, ctx: Context) -> dict[str, int]:
    """Operation id -> seq of the product's routing (as this import leaves the plant file)."""
    products = {p.get("id"): p for p in ctx.raw.get("products") or [] if isinstance(p, dict)}
    routings = {r.get("id"): r for r in ctx.raw.get("routings") or [] if isinstance(r, dict)}
    routing = routings.get((products.get(pid) or {}).get("routing")) or {}
    return {str(op.get("id")): int(op.get("seq", 0)) for op in routing.get("operations") or []}


def _segments(o: ImportedOrder, ops: dict[str, int]) -> list[dict[str, Any]]:
    out = []
    for s in o.segments:
        candidates = [s.process_segment, s.product_segment, s.erp_id]
        seq = next((ops[k] for c in candidates if c and (k := plant_id(c)) in ops), None)
        out.append(
            {
                "id": s.erp_id,
                "process": s.process_segment,
                "product_segment": s.product_segment,
                "seq": seq,
            }
        )
    return out


def _create_product(o: ImportedOrder, ctx: Context) -> str | None:
    pid = plant_id(o.product.erp_id)
    what = f"request {o.erp_id}: new product {o.product.erp_id}"
    if not pid:
        ctx.issues.add(o.product.line, f"{what}: the id has no letter or digit")
        return None
    operations: list[dict[str, Any]] = []
    steps = [s for s in o.segments if s.process_segment or s.equipment or s.duration_s]
    for i, s in enumerate(steps or [None], 1):
        seq = 10 * i
        name = (s.process_segment or s.erp_id) if s is not None else pid
        oid = plant_id(name) or f"op{seq}"
        if any(op["id"] == oid for op in operations):
            oid = f"{oid}-{seq}"
        step = f"{what}, segment {s.erp_id if s else '(none)'}"
        line = s.line if s is not None else o.line
        eligible = ctx.equipment(s.equipment, step) if s is not None and s.equipment else []
        if s is None or not s.equipment:
            eligible = ctx.default_equipment(line, step)
        per_unit = s.duration_s / o.quantity if s and s.duration_s and o.quantity else None
        operations.append(
            {
                "seq": seq,
                "id": oid,
                "name": name,
                "eligible": list(dict.fromkeys(eligible)),
                "standard_time_s": ctx.standard_time(per_unit, line, step),
            }
        )
    routing_id = ctx.free_routing_id(pid)
    upsert(ctx.raw, "routings", {"id": routing_id, "operations": operations})
    upsert(
        ctx.raw,
        "products",
        {"id": pid, "name": o.product.erp_id, "unit_value": 0.0, "routing": routing_id},
    )
    ctx.res.new_products[pid] = o.product.erp_id
    ctx.plan.changes.append(f"product {pid} created (--create-missing, routing {routing_id})")
    ctx.plan.refs.append(RefRow("product", pid, o.product.erp_id, {"segments": {}}))
    return pid


def plan_lots(ctx: Context) -> list[LotSpec]:
    out: list[LotSpec] = []
    for lot in ctx.plan.document.lots:
        if not ITEM_RE.match(lot.erp_id):
            ctx.issues.add(
                lot.line, f"material lot {lot.erp_id!r}: 1-64 letters, digits and _ . : / -"
            )
            continue
        mid = ctx.material(lot.material)
        if mid is not None:
            out.append(LotSpec(lot.erp_id, mid, lot.quantity, lot.line))
            ctx.plan.refs.append(RefRow("lot", lot.erp_id, lot.erp_id))
    return out
