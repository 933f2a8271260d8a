"""Material: lots, lots loaded at work units, serialised units, and the consumption rule.

The rule: when a unit completes an operation at a work unit, each lot-tracked item of its bill of
material at that operation is consumed from the lot of that material currently loaded at the
work unit (one genealogy edge unit -> lot, with the BOM quantity). An item with no lot loaded is
recorded on the unit's operation as ``missing``, so the gap in the genealogy is visible.
Sub-assemblies (a housing serial built into a pump serial) are unit -> unit edges.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopfloor.errors import BadInput
from shopfloor.mes.context import MesContext
from shopfloor.mes.lifecycle import MesConflict, MesNotFound
from shopfloor.mes.models import Genealogy, Lot, LotLoad, Unit, UnitOperation

ITEM_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$")
IN_PROCESS, COMPLETE, SCRAPPED = "in_process", "complete", "scrapped"


def check_item_id(what: str, value: str) -> str:
    if not isinstance(value, str) or not ITEM_RE.match(value):
        raise BadInput(
            f"{what}: {value!r} must be 1-64 characters of letters, digits and _ . : / -"
        )
    return value


def current_load(s: Session, equipment: str, material: str) -> LotLoad | None:
    q = select(LotLoad).where(
        LotLoad.equipment == equipment,
        LotLoad.material == material,
        LotLoad.unloaded_ns.is_(None),
    )
    return s.scalars(q.order_by(LotLoad.id.desc()).limit(1)).first()


def ensure_unit(s: Session, serial: str, product: str, order_id: str | None, now: int) -> Unit:
    unit = s.get(Unit, serial)
    if unit is None:
        unit = Unit(
            serial=serial, product=product, order_id=order_id, status=IN_PROCESS, created_ns=now
        )
        s.add(unit)
    elif unit.order_id is None and order_id is not None:
        unit.order_id = order_id
    return unit


def consume_bom(
    s: Session, bom: list[dict[str, Any]], serial: str, seq: int, equipment: str, now: int
) -> list[str]:
    """Apply the consumption rule for ``serial`` completing operation ``seq`` at ``equipment``.

    Returns the lot-tracked materials that had no lot loaded there.
    """
    missing: list[str] = []
    for item in bom:
        if item["seq"] != seq or not item.get("lot_tracked", True):
            continue
        load = current_load(s, equipment, item["material"])
        if load is None:
            missing.append(item["material"])
            continue
        s.add(
            Genealogy(
                parent=serial,
                child=load.lot_id,
                child_kind="lot",
                material=item["material"],
                quantity=float(item["quantity"]),
                equipment=equipment,
                seq=seq,
                ts_ns=now,
                note="",
            )
        )
        lot = s.get(Lot, load.lot_id)
        if lot is not None:
            lot.consumed += float(item["quantity"])
    return missing


def consume_serial(
    s: Session,
    parent: str,
    child: str,
    equipment: str | None,
    seq: int | None,
    now: int,
    note: str = "",
) -> Genealogy:
    """Record that unit ``parent`` contains unit ``child`` (a sub-assembly)."""
    if parent == child:
        raise BadInput(f"component: a unit cannot contain itself ({parent})")
    sub = s.get(Unit, child)
    edge = Genealogy(
        parent=parent,
        child=child,
        child_kind="serial",
        material=sub.product if sub is not None else "",
        quantity=1.0,
        equipment=equipment,
        seq=seq,
        ts_ns=now,
        note=note,
    )
    s.add(edge)
    return edge


class Material:
    """Lots, loading and the unit record (each call is one transaction)."""

    def __init__(self, ctx: MesContext) -> None:
        self.ctx = ctx

    def _material(self, material: str) -> str:
        known = {m.id for m in self.ctx.plant.materials}
        if material not in known:
            raise BadInput(
                f"material: unknown material {material!r} (known: "
                f"{', '.join(sorted(known)) or 'none'})"
            )
        return material

    def create_lot(self, lot_id: str, material: str, quantity: float, *, supplier: str = "") -> Lot:
        check_item_id("lot", lot_id)
        self._material(material)
        if not quantity > 0:
            raise BadInput(f"quantity: a lot needs a positive quantity, got {quantity!r}")
        with self.ctx.db.tx() as s:
            if s.get(Lot, lot_id) is not None:
                raise MesConflict(f"lot: lot {lot_id!r} exists already")
            lot = Lot(
                id=lot_id,
                material=material,
                quantity=float(quantity),
                consumed=0.0,
                supplier=supplier,
                received_ns=self.ctx.now(),
            )
            s.add(lot)
        return lot

    def load_lot(self, equipment: str, material: str, lot: str, *, who: str = "") -> LotLoad:
        """Load ``lot`` of ``material`` at the work unit; the lot loaded before is unloaded."""
        path = self.ctx.path(equipment)
        now = self.ctx.now()
        with self.ctx.db.tx() as s:
            row = s.get(Lot, lot)
            if row is None:
                raise MesNotFound(f"lot: no lot {lot!r} (create it first)")
            if row.material != material:
                raise BadInput(f"lot: lot {lot} is {row.material}, not {material}")
            before = current_load(s, path, material)
            if before is not None:
                before.unloaded_ns = now
            load = LotLoad(equipment=path, material=material, lot_id=lot, loaded_ns=now, who=who)
            s.add(load)
        return load

    def unload_lot(self, equipment: str, material: str) -> LotLoad:
        path = self.ctx.path(equipment)
        with self.ctx.db.tx() as s:
            load = current_load(s, path, material)
            if load is None:
                raise MesNotFound(f"lot: no lot of {material} is loaded at {path}")
            load.unloaded_ns = self.ctx.now()
        return load

    def loaded(self, equipment: str) -> list[LotLoad]:
        path = self.ctx.path(equipment)
        with self.ctx.db.tx() as s:
            q = select(LotLoad).where(LotLoad.equipment == path, LotLoad.unloaded_ns.is_(None))
            return list(s.scalars(q.order_by(LotLoad.material)))

    def lot(self, lot_id: str) -> Lot:
        with self.ctx.db.tx() as s:
            row = s.get(Lot, lot_id)
            if row is None:
                raise MesNotFound(f"lot: no lot {lot_id!r}")
            return row

    def assemble(
        self, parent: str, child: str, *, equipment: str | None = None, who: str = ""
    ) -> Genealogy:
        """Record by hand that unit ``parent`` contains unit ``child``."""
        path = self.ctx.path(equipment) if equipment else None
        with self.ctx.db.tx() as s:
            for serial in (parent, child):
                if s.get(Unit, serial) is None:
                    raise MesNotFound(f"serial: no unit {serial!r}")
            return consume_serial(s, parent, child, path, None, self.ctx.now(), note=who)

    def unit(self, serial: str) -> dict[str, Any]:
        """A unit with its operations (where, who, when, result, process values)."""
        with self.ctx.db.tx() as s:
            unit = s.get(Unit, serial)
            if unit is None:
                raise MesNotFound(f"serial: no unit {serial!r}")
            ops = s.scalars(
                select(UnitOperation)
                .where(UnitOperation.serial == serial)
                .order_by(UnitOperation.id)
            )
            return unit.to_dict() | {"operations": [o.to_dict() for o in ops]}
