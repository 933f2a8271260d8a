"""Schedules -> job orders: ``ProductionSchedule`` / ``ProductionRequest`` (V0600) and
``OperationsSchedule`` / ``OperationsRequest`` (V0600 and V0701).

One request is one job order. Its id is the request ``ID`` (kept as the MES order id). The
product is the material the request produces (a ``MaterialRequirement`` with ``MaterialUse``
Produced, or a ``MaterialProducedRequirement``), else its ``ProductProductionRuleID`` /
``OperationsDefinitionID``; the quantity is the produced quantity; the due date the request's
``EndTime``, else the latest ``LatestEndTime`` of its segments; the priority its ``Priority``.
"""

from __future__ import annotations

from typing import Any

from shopfloor.erp.model import ImportedDocument, ImportedOrder, ImportedSegment, Ref
from shopfloor.erp.xmlread import (
    Problems,
    decimal,
    description,
    duration_s,
    equipment_ids,
    instant_ns,
    kids,
    line_of,
    local,
    quantity,
    text,
    texts,
    walk,
)

SCHEDULES = ("ProductionSchedule", "OperationsSchedule")
REQUESTS = ("ProductionRequest", "OperationsRequest")
PRODUCED = {"Produced", "Material Produced", "Yield Produced"}
CONSUMED = {"Consumed", "Material Consumed", "Consumable"}
_SEGMENTS = ("SegmentRequirement", "SegmentRequirementChild")
_MATERIALS = ("MaterialRequirement", "MaterialProducedRequirement", "MaterialConsumedRequirement")


def read_schedule(el: Any, version: str, source: str, problems: Problems) -> ImportedDocument:
    """The job orders of a schedule or of a single request."""
    if local(el) in SCHEDULES:
        schedule_id = text(el, "ID")
        requests = kids(el, *REQUESTS)
        if not requests:
            problems.add(el, f"{local(el)} {schedule_id or ''} holds no request: nothing to import")
    else:
        schedule_id, requests = None, [el]
    kind = text(el, "OperationsType") if local(el) in SCHEDULES else None
    orders = [
        o for o in (_request(r, schedule_id, kind, problems) for r in requests) if o is not None
    ]
    return ImportedDocument(source, version, local(el), schedule_id, orders=tuple(orders))


def _request(
    r: Any, schedule_id: str | None, kind: str | None, problems: Problems
) -> ImportedOrder | None:
    rid = text(r, "ID")
    if rid is None:
        problems.add(r, f"{local(r)} has no ID: the ERP's request id becomes the job order id")
        return None
    what = f"request {rid}"
    kind = text(r, "OperationsType") or kind
    if kind not in (None, "Production"):
        problems.add(r, f"{what}: OperationsType {kind}: only Production requests are job orders")
        return None
    segments = list(walk(r, *_SEGMENTS))
    produced: list[tuple[str, Any, Any]] = []
    consumed: list[Ref] = []
    for mr in walk(r, *_MATERIALS):
        use = text(mr, "MaterialUse")
        is_made = local(mr) == "MaterialProducedRequirement" or (
            local(mr) == "MaterialRequirement" and use in PRODUCED
        )
        is_used = local(mr) == "MaterialConsumedRequirement" or use in CONSUMED
        for node in kids(mr, "MaterialDefinitionID"):
            m = text(node)
            if m and is_made:
                produced.append((m, mr, node))
            elif m and is_used:
                consumed.append(Ref(m, line_of(node)))
    rules = [
        t for t in [text(r, "ProductProductionRuleID"), text(r, "OperationsDefinitionID")] if t
    ]
    rules += [t for s in segments for t in texts(s, "OperationsDefinitionID")]
    made = list(dict.fromkeys(m for m, _el, _node in produced))
    if len(made) > 1:
        problems.add(r, f"{what} produces {', '.join(made)}: one job order makes one product")
        return None
    if made:
        product = Ref(made[0], line_of(produced[0][2]))
    elif rules:
        product = Ref(rules[0], line_of(r))
    else:
        problems.add(
            r,
            f"{what} names no product: give a MaterialRequirement with MaterialUse Produced, "
            "a ProductProductionRuleID or an OperationsDefinitionID",
        )
        return None
    made_els = [el for m, el, _node in produced if m == product.erp_id]
    qty = _quantity(what, product.erp_id, made_els, r, problems)
    due = instant_ns(r, "EndTime", problems)
    if due is None:
        ends = [t for s in segments if (t := instant_ns(s, "LatestEndTime", problems)) is not None]
        due = max(ends) if ends else None
    return ImportedOrder(
        erp_id=rid,
        product=product,
        quantity=qty or 0,
        due_ns=due,
        priority=_priority(r, what, problems),
        description=description(r),
        schedule_id=schedule_id,
        segments=tuple(_segment(s, i, rid, problems) for i, s in enumerate(segments, 1)),
        materials=tuple(consumed),
        equipment=tuple(_equipment(r, segments)),
        line=line_of(r),
    )


def _quantity(what: str, product: str, made: list[Any], r: Any, problems: Problems) -> int | None:
    for el in made:
        q = quantity(el, problems, f"{what}: quantity of {product}")
        if q is None:
            continue
        value, _unit = q
        if value != value.to_integral_value() or value < 1:
            problems.add(
                el, f"{what}: quantity {value} of {product} is not a whole number of units >= 1"
            )
            return None
        return int(value)
    problems.add(
        made[0] if made else r,
        f"{what}: no quantity for {product} (the Quantity of its produced MaterialRequirement)",
    )
    return None


def _priority(r: Any, what: str, problems: Problems) -> int:
    raw = text(r, "Priority")
    if raw is None:
        return 0
    value = decimal(raw, f"{what}: Priority", kids(r, "Priority")[0], problems)
    if value is None:
        return 0
    if value != value.to_integral_value():
        problems.add(kids(r, "Priority")[0], f"{what}: Priority {raw} is not a whole number")
        return 0
    return int(value)


def _segment(s: Any, i: int, rid: str, problems: Problems) -> ImportedSegment:
    equipment = [
        Ref(value, line_of(e))
        for req in kids(s, "EquipmentRequirement")
        for e in kids(req, "EquipmentID")
        if (value := text(e))
    ]
    return ImportedSegment(
        erp_id=text(s, "ID") or f"{rid}.{i}",
        process_segment=text(s, "ProcessSegmentID"),
        product_segment=text(s, "ProductSegmentID") or text(s, "OperationsSegmentID"),
        equipment=tuple(dict.fromkeys(equipment)),
        duration_s=duration_s(s, problems),
        line=line_of(s),
    )


def _equipment(r: Any, segments: list[Any]) -> list[Ref]:
    """Equipment the request names: scopes, locations and equipment requirements."""
    refs: list[Ref] = []
    for el in [r, *segments]:
        for value, node in equipment_ids(el, "HierarchyScope", "Location", "EquipmentRequirement"):
            refs.append(Ref(value, line_of(node)))
    return refs
