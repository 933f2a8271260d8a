"""What an ERP document says, in shopfloor's terms, before anything is written.

Readers (B2MML V0600 and V0701, CSV) produce an :class:`ImportedDocument`; the planner checks it
against the plant and turns it into plant-file master data and MES job orders. Every object
keeps the ERP's own id (``erp_id``, spelled as the ERP spells it) and the line it came from, so
that errors point into the document and exports carry the ERP's ids back.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Ref:
    """A reference to something the plant should know (equipment, material, product)."""

    erp_id: str
    line: int | None = None


@dataclass(frozen=True)
class ImportedBomItem:
    material: Ref
    quantity: float
    unit: str = "1"


@dataclass(frozen=True)
class ImportedOperation:
    """A product segment: one step of the routing."""

    erp_id: str
    name: str = ""
    process_segment: str | None = None
    equipment: tuple[Ref, ...] = ()
    #: Equipment classes the step may run on (ISA-95 EquipmentClassID).
    equipment_classes: tuple[Ref, ...] = ()
    duration_s: float | None = None
    bom: tuple[ImportedBomItem, ...] = ()
    line: int | None = None


@dataclass(frozen=True)
class ImportedProduct:
    """A product definition: the product, its routing (segments) and bill of material."""

    erp_id: str
    name: str = ""
    operations: tuple[ImportedOperation, ...] = ()
    #: Bill-of-material items not tied to a segment.
    bom: tuple[ImportedBomItem, ...] = ()
    line: int | None = None


@dataclass(frozen=True)
class ImportedMaterial:
    erp_id: str
    name: str = ""
    unit: str = "1"
    line: int | None = None


@dataclass(frozen=True)
class ImportedSegment:
    """A segment requirement of a request: which step, where, for how long."""

    erp_id: str
    process_segment: str | None = None
    product_segment: str | None = None
    equipment: tuple[Ref, ...] = ()
    duration_s: float | None = None
    line: int | None = None


@dataclass(frozen=True)
class ImportedOrder:
    """A production (operations) request: one job order."""

    erp_id: str
    product: Ref
    quantity: int
    due_ns: int | None = None
    priority: int = 0
    description: str = ""
    schedule_id: str | None = None
    segments: tuple[ImportedSegment, ...] = ()
    #: Materials the request says it consumes (checked against the plant's materials).
    materials: tuple[Ref, ...] = ()
    #: Locations, hierarchy scopes and equipment requirements (checked against the plant).
    equipment: tuple[Ref, ...] = ()
    line: int | None = None


@dataclass(frozen=True)
class ImportedLot:
    erp_id: str
    material: Ref
    quantity: float
    line: int | None = None


@dataclass(frozen=True)
class ImportedDocument:
    """Everything one document asks for."""

    source: str
    #: ``V0600``, ``V0701`` or ``csv``.
    version: str
    #: What it was (``ProductionSchedule``, ``ProductDefinition``...).
    kind: str
    doc_id: str | None = None
    products: tuple[ImportedProduct, ...] = ()
    materials: tuple[ImportedMaterial, ...] = ()
    orders: tuple[ImportedOrder, ...] = ()
    lots: tuple[ImportedLot, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def merged(self, other: ImportedDocument) -> ImportedDocument:
        """This document with ``other``'s objects added (parts of one wrapped document)."""
        return ImportedDocument(
            self.source,
            self.version,
            self.kind if self.kind == other.kind else f"{self.kind}+{other.kind}",
            self.doc_id or other.doc_id,
            self.products + other.products,
            self.materials + other.materials,
            self.orders + other.orders,
            self.lots + other.lots,
            self.notes + other.notes,
        )
