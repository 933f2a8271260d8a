"""ERP ids -> plant ids: products, materials, equipment and equipment classes.

The plant's ids are lower-case ISA-95 path segments (``[a-z0-9_-]``); ERP ids are whatever the
ERP uses (``PARC-0001``, ``SO1215``, ``37431-00``). An ERP id is matched, in this order, to the
id it was imported as before (kept in the ``erp_ref`` table), to a plant id spelled the same,
then to its plant form: surrounding blanks dropped, lower case, every run of other characters
turned into ``-``. New master data gets the plant form as its id; the ERP id is kept beside it
so that exports carry the ERP's spelling back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from shopfloor.plant.model import EquipmentClass, Plant

_NOT_ID = re.compile(r"[^a-z0-9_-]+")
MAX_ID = 64


def plant_id(erp_id: str) -> str:
    """The plant form of an ERP id (may be empty when the id has no letter or digit)."""
    s = _NOT_ID.sub("-", erp_id.strip().lower()).strip("-_")
    return s[:MAX_ID].rstrip("-_")


def class_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


@dataclass
class Resolver:
    """Looks ERP ids up in one plant (and in what earlier imports recorded)."""

    plant: Plant
    #: (kind, ERP id) -> local id, from the ``erp_ref`` table.
    known: Mapping[tuple[str, str], str] = field(default_factory=dict)
    #: Products and materials this import adds: plant id -> ERP id.
    new_products: dict[str, str] = field(default_factory=dict)
    new_materials: dict[str, str] = field(default_factory=dict)

    def _lookup(self, kind: str, erp_id: str, ids: set[str]) -> str | None:
        local = self.known.get((kind, erp_id))
        if local is not None and local in ids:
            return local
        if erp_id in ids:
            return erp_id
        pid = plant_id(erp_id)
        return pid if pid in ids else None

    def product(self, erp_id: str) -> str | None:
        ids = set(self.plant.product_by_id) | set(self.new_products)
        return self._lookup("product", erp_id, ids)

    def material(self, erp_id: str) -> str | None:
        ids = {m.id for m in self.plant.materials} | set(self.new_materials)
        return self._lookup("material", erp_id, ids)

    def equipment(self, erp_id: str) -> str | None:
        """The plant equipment id for an ERP equipment id or path."""
        for candidate in (erp_id.strip(), plant_id(erp_id)):
            try:
                path = self.plant.resolve(candidate)
            except KeyError:
                continue
            return self.plant.equipment_by_path[path].id
        return None

    def scope(self, erp_id: str) -> bool:
        """Whether the plant knows ``erp_id`` at any level (enterprise ... equipment)."""
        if self.equipment(erp_id) is not None:
            return True
        levels = {self.plant.enterprise.id, self.plant.site.id}
        for a in self.plant.areas:
            levels.add(a.id)
            for ln in a.lines:
                levels.add(ln.id)
                levels.update(c.id for c in ln.cells)
        levels |= {p for p, _ln in self.plant.lines()}
        return erp_id.strip() in levels or plant_id(erp_id) in levels

    def equipment_of_class(self, erp_class: str) -> list[str] | None:
        """Ids of the plant equipment of an ISA-95 equipment class; None for an unknown class."""
        key = class_key(erp_class)
        if key not in {c.value for c in EquipmentClass}:
            return None
        return [e.id for *_r, e in self.plant.walk() if e.cls.value == key]
