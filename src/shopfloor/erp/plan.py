"""Turn an :class:`ImportedDocument` into an :class:`ImportPlan`: the changed plant file (if any),
the job orders and lots for MES, and the ERP references to keep, all checked first.

Nothing is written here. A reference the plant does not know (product, material, equipment,
equipment class) is an error naming it and its line; with ``create_missing`` unknown products
and materials are created instead (equipment never is: the plant's hierarchy is not the ERP's to
change). Every problem of the document is reported at once.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from shopfloor.erp.errors import mapping_errors
from shopfloor.erp.model import ImportedDocument, ImportedProduct
from shopfloor.erp.plan_orders import plan_lots, plan_orders
from shopfloor.erp.planning import Context, ImportOptions, ImportPlan, Issues, RefRow
from shopfloor.erp.plantfile import PlantSource, upsert
from shopfloor.erp.resolve import Resolver, plant_id
from shopfloor.errors import ValidationFailed


def plan_import(
    doc: ImportedDocument,
    source: PlantSource,
    known: Mapping[tuple[str, str], str] | None = None,
    options: ImportOptions | None = None,
) -> ImportPlan:
    """Check ``doc`` against the plant of ``source`` and say what importing it would write."""
    plant = source.plant()
    plan = ImportPlan(doc, plant)
    ctx = Context(
        Resolver(plant, known or {}),
        copy.deepcopy(source.doc),
        plan,
        Issues(),
        options or ImportOptions(),
    )
    for m in doc.materials:
        mid = ctx.res.material(m.erp_id) or plant_id(m.erp_id)
        if not mid:
            ctx.issues.add(m.line, f"material {m.erp_id!r}: the id has no letter or digit")
            continue
        old = next((x for x in plant.materials if x.id == mid), None)
        item: dict[str, Any] = {"id": mid, "name": m.name or (old.name if old else m.erp_id)}
        item["unit"] = m.unit
        if old is not None and old.unit_cost:
            item["unit_cost"] = old.unit_cost
        replaced = upsert(ctx.raw, "materials", item)
        ctx.res.new_materials[mid] = m.erp_id
        plan.changes.append(f"material {mid} {'updated' if replaced else 'created'}")
        plan.refs.append(RefRow("material", mid, m.erp_id))
    for p in doc.products:
        _product(p, ctx)
    plan.orders = plan_orders(ctx)
    plan.lots = plan_lots(ctx)
    ctx.issues.raise_if_any(doc.source)
    if plan.changes:
        try:
            plan.plant = PlantSource(ctx.raw, f"{source.label} + {doc.source}").plant()
        except ValidationFailed as exc:
            errors = [(None, f"{path}: {msg}") for path, msg in exc.errors]
            raise mapping_errors(doc.source, errors) from None
        plan.plant_doc = ctx.raw
    return plan


def _product(p: ImportedProduct, ctx: Context) -> None:
    res, plan = ctx.res, ctx.plan
    pid = res.product(p.erp_id) or plant_id(p.erp_id)
    if not pid:
        ctx.issues.add(p.line, f"product {p.erp_id!r}: the id has no letter or digit")
        return
    if not p.operations:
        ctx.issues.add(p.line, f"product {p.erp_id}: no product segment, and a routing needs one")
        return
    old = res.plant.product_by_id.get(pid)
    old_ops = {o.id: o for o in res.plant.routing_by_id[old.routing].operations} if old else {}
    operations: list[dict[str, Any]] = []
    bom: list[dict[str, Any]] = []
    segments: dict[str, dict[str, str | None]] = {}
    for i, op in enumerate(p.operations, 1):
        seq = 10 * i
        oid = plant_id(op.process_segment or op.erp_id) or f"op{seq}"
        if oid in segments:
            oid = f"{oid}-{seq}"
        what = f"segment {op.erp_id} of {p.erp_id}"
        eligible = ctx.equipment(op.equipment, what)
        for ref in op.equipment_classes:
            members = res.equipment_of_class(ref.erp_id)
            if not members:
                kind = "unknown equipment class" if members is None else "no equipment of class"
                ctx.issues.add(ref.line, f"{what}: {kind} {ref.erp_id!r}", unknown=True)
            eligible += members or []
        if not op.equipment and not op.equipment_classes:
            eligible = ctx.default_equipment(op.line, what)
        before = old_ops.get(oid)
        row: dict[str, Any] = {
            "seq": seq,
            "id": oid,
            "name": op.name or (before.name if before else op.erp_id),
            "eligible": list(dict.fromkeys(eligible)),
            "standard_time_s": ctx.standard_time(op.duration_s, op.line, what),
        }
        if before is not None and before.setup_time_s:
            row["setup_time_s"] = before.setup_time_s
        if before is not None and before.inspect:
            row["inspect"] = list(before.inspect)
        operations.append(row)
        segments[oid] = {"id": op.erp_id, "process": op.process_segment}
        bom += _bom(op.bom, seq, ctx)
    bom += _bom(p.bom, None, ctx)
    shared = old is not None and any(
        x.routing == old.routing and x.id != pid for x in res.plant.products
    )
    routing_id = old.routing if old is not None and not shared else ctx.free_routing_id(pid)
    upsert(ctx.raw, "routings", {"id": routing_id, "operations": operations})
    item: dict[str, Any] = {
        "id": pid,
        "name": p.name or (old.name if old else p.erp_id),
        "unit_value": old.unit_value if old else 0.0,
        "routing": routing_id,
        "bom": bom,
    }
    if old is not None:
        item["currency"] = old.currency
        if old.process:
            item["process"] = dict(old.process)
    replaced = upsert(ctx.raw, "products", item)
    res.new_products[pid] = p.erp_id
    plan.changes.append(
        f"product {pid} {'updated' if replaced else 'created'} "
        f"(routing {routing_id}: {', '.join(o['id'] for o in operations)})"
    )
    plan.refs.append(RefRow("product", pid, p.erp_id, {"segments": segments}))


def _bom(items: Any, seq: int | None, ctx: Context) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for b in items:
        mid = ctx.material(b.material)
        if mid is None:
            continue
        item: dict[str, Any] = {"material": mid, "quantity": b.quantity, "unit": b.unit}
        if seq is not None:
            item["operation"] = seq
        out.append(item)
    return out
