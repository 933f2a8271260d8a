"""Master data: product definitions (V0600 ``ProductDefinition``, V0701 ``OperationsDefinition``)
and materials (``MaterialDefinition``, ``MaterialLot``, ``MaterialInformation``).

A product definition becomes a product with its routing: each leaf product (operations) segment
is one operation, in document order, with its ``Duration`` as the standard time per unit, its
``EquipmentSpecification`` (``EquipmentID`` or ``EquipmentClassID``) as the eligible work units
and its consumed ``MaterialSpecification`` as bill-of-material items of that operation. V0600's
``ManufacturingBill`` adds bill-of-material items not tied to an operation.
"""

from __future__ import annotations

from typing import Any

from shopfloor.erp.model import (
    ImportedBomItem,
    ImportedDocument,
    ImportedLot,
    ImportedMaterial,
    ImportedOperation,
    ImportedProduct,
    Ref,
)
from shopfloor.erp.read_schedule import PRODUCED
from shopfloor.erp.xmlread import (
    Problems,
    description,
    duration_s,
    kid,
    kids,
    line_of,
    local,
    quantity,
    text,
    texts,
    walk,
)

DEFINITIONS = ("ProductDefinition", "ProductInformation")
OPERATIONS = ("OperationsDefinition", "OperationsDefinitionInformation")
MATERIALS = ("MaterialDefinition", "MaterialInformation", "MaterialLot")
_SEGMENTS = ("ProductSegment", "OperationsSegment", "OperationsSegmentChild")
_UNIT_PROPERTIES = ("BaseUnitOfMeasure", "UnitOfMeasure", "Unit")


def read_definitions(el: Any, version: str, source: str, problems: Problems) -> ImportedDocument:
    """The products (with routings and bills of material) of one or more definitions."""
    if local(el) in ("ProductInformation", "OperationsDefinitionInformation"):
        defs = kids(el, "ProductDefinition", "OperationsDefinition")
        doc_id = text(el, "ID")
        if not defs:
            problems.add(el, f"{local(el)} holds no definition: nothing to import")
    else:
        defs, doc_id = [el], text(el, "ID")
    products = tuple(_product(d, problems) for d in defs)
    return ImportedDocument(source, version, local(el), doc_id, products=products)


def _product(d: Any, problems: Problems) -> ImportedProduct:
    pid = text(d, "ID") or ""
    segments = [s for s in walk(d, *_SEGMENTS) if not kids(s, *_SEGMENTS)]
    operations = tuple(_operation(s, pid, problems) for s in segments)
    bom = tuple(
        item
        for bill in walk(d, "ManufacturingBill")
        if (item := _bom_item(bill, problems)) is not None
    )
    return ImportedProduct(pid, description(d), operations, bom, line_of(d))


def _operation(s: Any, pid: str, problems: Problems) -> ImportedOperation:
    specs = kids(s, "EquipmentSpecification")
    equipment = [
        Ref(v, line_of(e)) for sp in specs for e in kids(sp, "EquipmentID") if (v := text(e))
    ]
    classes = [
        Ref(v, line_of(e)) for sp in specs for e in kids(sp, "EquipmentClassID") if (v := text(e))
    ]
    bom = []
    for ms in kids(s, "MaterialSpecification"):
        if text(ms, "MaterialUse") in PRODUCED:
            continue  # the product itself
        item = _bom_item(ms, problems)
        if item is not None:
            bom.append(item)
    process = texts(s, "ProcessSegmentID")
    return ImportedOperation(
        erp_id=text(s, "ID") or "",
        name=description(s),
        process_segment=process[0] if process else None,
        equipment=tuple(dict.fromkeys(equipment)),
        equipment_classes=tuple(dict.fromkeys(classes)),
        duration_s=duration_s(s, problems),
        bom=tuple(bom),
        line=line_of(s),
    )


def _bom_item(el: Any, problems: Problems) -> ImportedBomItem | None:
    material = text(el, "MaterialDefinitionID")
    if material is None:
        return None  # a material class or a nested bill: not a plant BOM item
    q = quantity(el, problems, f"quantity of {material}")
    value, unit = q if q is not None else (None, "")
    if value is not None and value <= 0:
        problems.add(el, f"quantity of {material}: {value} must be > 0")
        return None
    return ImportedBomItem(Ref(material, line_of(el)), float(value or 1), unit or "1")


def read_materials(el: Any, version: str, source: str, problems: Problems) -> ImportedDocument:
    """Material definitions (plant master data) and material lots (MES lots)."""
    name = local(el)
    defs = kids(el, "MaterialDefinition") if name == "MaterialInformation" else []
    lots = kids(el, "MaterialLot") if name == "MaterialInformation" else []
    if name == "MaterialDefinition":
        defs = [el]
    elif name == "MaterialLot":
        lots = [el]
    materials = tuple(_material(d) for d in defs)
    found = tuple(lot for e in lots if (lot := _lot(e, problems)) is not None)
    return ImportedDocument(source, version, name, text(el, "ID"), materials=materials, lots=found)


def _material(d: Any) -> ImportedMaterial:
    unit = "1"
    for prop in kids(d, "MaterialDefinitionProperty"):
        value = kid(prop, "Value")
        if text(prop, "ID") in _UNIT_PROPERTIES and value is not None:
            unit = text(value, "ValueString") or unit
    return ImportedMaterial(text(d, "ID") or "", description(d), unit, line_of(d))


def _lot(e: Any, problems: Problems) -> ImportedLot | None:
    lot_id = text(e, "ID") or ""
    material = text(e, "MaterialDefinitionID")
    if material is None:
        problems.add(e, f"material lot {lot_id}: no MaterialDefinitionID (which material it is)")
        return None
    q = quantity(e, problems, f"material lot {lot_id}: quantity")
    if q is None or q[0] <= 0:
        problems.add(e, f"material lot {lot_id}: needs a Quantity > 0")
        return None
    return ImportedLot(
        lot_id, Ref(material, line_of(kid(e, "MaterialDefinitionID"))), float(q[0]), line_of(e)
    )
