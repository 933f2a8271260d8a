"""Write what happened as B2MML: ``ProductionPerformance`` (V0600) or ``OperationsPerformance``
(V0701), checked against the official schema before anyone sees it.

One response per job order (its id is the order id, which is the ERP's request id for imported
orders) and one segment response per operation, each with the work unit that ran it (equipment
actual, with the units it processed), the good and the scrapped units (two produced material
actuals told apart by the property ``QualityStatus`` = ``Good`` / ``Scrap``) and the material
consumed (consumed material actuals, with the lot where MES genealogy knows it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from shopfloor.clock import from_ns
from shopfloor.erp.actuals import OrderActual, SegmentActual
from shopfloor.erp.schemas import check_valid
from shopfloor.erp.versions import NAMESPACE_OF, SUPPORTED, V0600
from shopfloor.errors import BadInput, ShopfloorError

#: MES status -> B2MML response state (V0600 says Holding where V0701 says Held).
_STATE = {
    "created": "Ready",
    "pending": "Ready",
    "dispatched": "Ready",
    "released": "Ready",
    "running": "Running",
    "complete": "Completed",
    "aborted": "Aborted",
}


@dataclass(frozen=True)
class PerformanceHeader:
    doc_id: str
    start_ns: int
    end_ns: int
    published_ns: int
    description: str = "Production performance reported by shopfloor"


def _time(ns: int) -> str:
    return from_ns(ns).isoformat().replace("+00:00", "Z")


def _state(status: str, version: str) -> str:
    if status == "held":
        return "Holding" if version == V0600 else "Held"
    return _STATE.get(status, "Other")


class _Doc:
    def __init__(self, version: str) -> None:
        self.version = version
        self.ns = NAMESPACE_OF[version]

    def el(self, parent: Any, name: str, text: str | None = None) -> Any:
        """A child ``name`` of ``parent`` (the root element when ``parent`` is None)."""
        tag = f"{{{self.ns}}}{name}"
        if parent is None:
            node = etree.Element(tag, nsmap={None: self.ns})
        else:
            node = etree.SubElement(parent, tag)
        if text is not None:
            node.text = text
        return node

    def quantity(self, parent: Any, value: float, unit: str, datatype: str) -> None:
        q = self.el(parent, "Quantity")
        shown = str(int(value)) if float(value).is_integer() else f"{value:.6g}"
        self.el(q, "QuantityString", shown)
        self.el(q, "DataType", datatype)
        self.el(q, "UnitOfMeasure", unit)


def performance_xml(
    orders: list[OrderActual], version: str, header: PerformanceHeader, schema_dir: Path | None
) -> bytes:
    """The performance document of ``orders``; :class:`BadInput` when there is nothing in it."""
    if version not in SUPPORTED:
        raise BadInput(f"--version {version!r}: choose one of {', '.join(SUPPORTED)}")
    if not orders:
        raise BadInput(
            f"no job order ran between {_time(header.start_ns)} and {_time(header.end_ns)}: "
            "nothing to export"
        )
    d = _Doc(version)
    v6 = version == V0600
    root = d.el(None, "ProductionPerformance" if v6 else "OperationsPerformance")
    d.el(root, "ID", header.doc_id)
    d.el(root, "Description", header.description)
    d.el(root, "PublishedDate", _time(header.published_ns))
    schedules = {o.schedule_id for o in orders}
    schedule = schedules.pop() if len(schedules) == 1 else None
    if v6 and schedule:
        d.el(root, "ProductionScheduleID", schedule)
    d.el(root, "StartTime", _time(header.start_ns))
    d.el(root, "EndTime" if v6 else "Endtime", _time(header.end_ns))  # V0701 spells it Endtime
    if not v6:
        d.el(root, "OperationsType", "Production")
        if schedule:
            d.el(root, "OperationsScheduleID", schedule)
    for o in orders:
        _response(d, root, o)
    errors = check_valid(root, version, schema_dir)
    if errors:
        shown = "; ".join(f"line {ln}: {msg}" for ln, msg in errors[:5])
        raise ShopfloorError(f"the {version} performance we wrote is not valid B2MML: {shown}")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _response(d: _Doc, root: Any, o: OrderActual) -> None:
    v6 = d.version == V0600
    r = d.el(root, "ProductionResponse" if v6 else "OperationsResponse")
    d.el(r, "ID", o.order_id)
    if v6:
        d.el(r, "ProductionRequestID", o.request_id)
        d.el(r, "ProductProductionRuleID", o.erp_product)
    if o.started_ns is not None:
        d.el(r, "StartTime", _time(o.started_ns))
    if o.ended_ns is not None:
        d.el(r, "EndTime", _time(o.ended_ns))
    if not v6:
        d.el(r, "OperationsType", "Production")
        d.el(r, "OperationsRequestID", o.request_id)
        d.el(r, "OperationsDefinitionID", o.erp_product)
        d.el(r, "ResponseState", _state(o.status, d.version))
    for s in o.segments:
        _segment(d, r, o, s)
    if v6:
        d.el(r, "ResponseState", _state(o.status, d.version))


def _segment(d: _Doc, parent: Any, o: OrderActual, s: SegmentActual) -> None:
    v6 = d.version == V0600
    sr = d.el(parent, "SegmentResponse")
    d.el(sr, "ID", s.erp_id)
    if v6:
        d.el(sr, "ProcessSegmentID", s.process_segment)
        if s.product_segment:
            d.el(sr, "ProductSegmentID", s.product_segment)
    d.el(sr, "Description", s.name or s.op_id)
    if s.started_ns is not None:
        d.el(sr, "ActualStartTime", _time(s.started_ns))
    if s.ended_ns is not None:
        d.el(sr, "ActualEndTime", _time(s.ended_ns))
    if not v6:
        d.el(sr, "OperationsType", "Production")
        d.el(sr, "ProcessSegmentID", s.process_segment)
        d.el(sr, "OperationsRequestID", o.request_id)
        d.el(sr, "SegmentRequirementID", s.erp_id)
        d.el(sr, "OperationsDefinitionID", o.erp_product)
        d.el(sr, "OperationsSegmentID", s.product_segment or s.op_id)
        d.el(sr, "SegmentState", _state(s.status, d.version))
    if s.equipment:
        ea = d.el(sr, "EquipmentActual")
        if not v6:
            d.el(ea, "ID", f"{s.erp_id}.{s.equipment}")
        d.el(ea, "EquipmentID", s.equipment)
        d.quantity(ea, s.good + s.scrap, "unit", "integer")
    for quality, count in (("Good", s.good), ("Scrap", s.scrap)):
        ma = _material(d, sr, f"{s.erp_id}.{quality.lower()}", o.erp_product, None, "Produced")
        d.quantity(ma, count, "unit", "integer")
        prop = d.el(ma, "MaterialActualProperty")
        d.el(prop, "ID", "QualityStatus")
        value = d.el(prop, "Value")
        d.el(value, "ValueString", quality)
        d.el(value, "DataType", "string")
        d.el(value, "UnitOfMeasure", "")
    for i, use in enumerate(s.consumed, 1):
        ma = _material(d, sr, f"{s.erp_id}.in{i}", use.erp_material, use.lot, "Consumed")
        d.quantity(ma, use.quantity, use.unit, "decimal")
    if v6:
        d.el(sr, "SegmentState", _state(s.status, d.version))


def _material(d: _Doc, parent: Any, ident: str, material: str, lot: str | None, use: str) -> Any:
    ma = d.el(parent, "MaterialActual")
    if d.version != V0600:
        d.el(ma, "ID", ident)
    d.el(ma, "MaterialDefinitionID", material)
    if lot:
        d.el(ma, "MaterialLotID", lot)
    d.el(ma, "MaterialUse", use)
    return ma
