"""The pieces an import plan is made of: options, what MES will be asked to create, the ERP
references to keep, and the list of problems found on the way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shopfloor.erp.errors import mapping_errors, reference_errors
from shopfloor.erp.model import ImportedDocument, Ref
from shopfloor.erp.plantfile import upsert
from shopfloor.erp.resolve import Resolver, plant_id
from shopfloor.plant.model import Plant


@dataclass(frozen=True)
class ImportOptions:
    #: Create unknown products and materials instead of refusing the document.
    create_missing: bool = False
    #: Eligible equipment for segments that name none.
    equipment: tuple[str, ...] = ()
    #: Standard time per unit (s) for segments without a Duration.
    standard_time_s: float | None = None


@dataclass(frozen=True)
class RefRow:
    """An ERP id kept beside a local id (``kind``: product, material, order, lot)."""

    kind: str
    local_id: str
    erp_id: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OrderSpec:
    order_id: str
    product: str
    quantity: int
    due_ns: int | None
    priority: int
    line: int | None = None


@dataclass(frozen=True)
class LotSpec:
    lot_id: str
    material: str
    quantity: float
    line: int | None = None


@dataclass
class ImportPlan:
    document: ImportedDocument
    plant: Plant
    #: The changed plant document, or None when the plant's master data stays as it is.
    plant_doc: dict[str, Any] | None = None
    changes: list[str] = field(default_factory=list)
    orders: list[OrderSpec] = field(default_factory=list)
    lots: list[LotSpec] = field(default_factory=list)
    refs: list[RefRow] = field(default_factory=list)


class Issues:
    """Errors found while planning; unknown references are told apart from the rest."""

    def __init__(self) -> None:
        self.items: list[tuple[int | None, str]] = []
        self.unknown = False

    def add(self, line: int | None, message: str, *, unknown: bool = False) -> None:
        self.items.append((line, message))
        self.unknown |= unknown

    def raise_if_any(self, source: str) -> None:
        if self.items:
            make = reference_errors if self.unknown else mapping_errors
            raise make(source, sorted(self.items, key=lambda x: x[0] or 0))


@dataclass
class Context:
    """What every planning step shares."""

    res: Resolver
    raw: dict[str, Any]
    plan: ImportPlan
    issues: Issues
    options: ImportOptions

    def material(self, ref: Ref) -> str | None:
        """The plant id of a referenced material; created with ``create_missing``."""
        mid = self.res.material(ref.erp_id)
        if mid is not None:
            return mid
        if not self.options.create_missing:
            self.issues.add(
                ref.line,
                f"unknown material {ref.erp_id!r} (import its MaterialDefinition first, or use "
                "--create-missing)",
                unknown=True,
            )
            return None
        mid = plant_id(ref.erp_id)
        if not mid:
            self.issues.add(ref.line, f"material {ref.erp_id!r}: the id has no letter or digit")
            return None
        upsert(self.raw, "materials", {"id": mid, "name": ref.erp_id, "unit": "1"})
        self.res.new_materials[mid] = ref.erp_id
        self.plan.changes.append(f"material {mid} created (--create-missing)")
        self.plan.refs.append(RefRow("material", mid, ref.erp_id))
        return mid

    def equipment(self, refs: tuple[Ref, ...], what: str) -> list[str]:
        """Plant ids of referenced equipment; --equipment when none is named."""
        found: list[str] = []
        for ref in refs:
            eq = self.res.equipment(ref.erp_id)
            if eq is None:
                self.issues.add(ref.line, f"{what}: unknown equipment {ref.erp_id!r}", unknown=True)
            else:
                found.append(eq)
        return found

    def default_equipment(self, line: int | None, what: str) -> list[str]:
        if not self.options.equipment:
            self.issues.add(
                line, f"{what} names no equipment; give --equipment ID for such segments"
            )
        return self.equipment(tuple(Ref(e) for e in self.options.equipment), "--equipment")

    def standard_time(self, duration_s: float | None, line: int | None, what: str) -> float:
        if duration_s is not None and duration_s > 0:
            return duration_s
        if duration_s is not None:
            self.issues.add(line, f"{what}: Duration must be > 0")
        elif self.options.standard_time_s is not None:
            return self.options.standard_time_s
        else:
            self.issues.add(
                line,
                f"{what} has no Duration (standard time per unit); give --standard-time "
                "SECONDS for such segments",
            )
        return 1.0

    def free_routing_id(self, pid: str) -> str:
        taken = {r.get("id") for r in self.raw.get("routings") or [] if isinstance(r, dict)}
        rid, n = pid, 1
        while rid in taken:
            n += 1
            rid = f"{pid}-r{n}"
        return rid
