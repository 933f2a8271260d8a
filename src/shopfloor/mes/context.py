"""What every MES service shares: the database, the plant file, the clock, the reason tree.

MES reads master data (products, routings, BOMs, calendars, planned downtime) from the plant
file and never keeps its own copy, except the routing and BOM it caches in an order at release.
"""

from __future__ import annotations

from dataclasses import dataclass

from shopfloor.clock import Clock
from shopfloor.errors import BadInput
from shopfloor.mes.db import Database
from shopfloor.mes.jobs import JobSender
from shopfloor.mes.lifecycle import MesNotFound
from shopfloor.mes.reasons import ReasonTree
from shopfloor.plant.model import Plant, Product


@dataclass
class MesContext:
    db: Database
    plant: Plant
    clock: Clock
    reasons: ReasonTree
    sender: JobSender | None = None

    def now(self) -> int:
        return self.clock.now_ns()

    def path(self, ref: str, what: str = "equipment") -> str:
        """An equipment id or path of the plant -> its path; :class:`BadInput` naming it."""
        try:
            return self.plant.resolve(ref)
        except KeyError:
            known = ", ".join(sorted(self.plant.path_of))
            raise BadInput(
                f"{what}: unknown equipment {ref!r} in plant {self.plant.name!r} (known: {known})",
                field=what,
                value=ref,
            ) from None

    def product(self, product_id: str) -> Product:
        p = self.plant.product_by_id.get(product_id)
        if p is None:
            known = ", ".join(sorted(self.plant.product_by_id)) or "none"
            raise MesNotFound(
                f"product: unknown product {product_id!r} in plant {self.plant.name!r} "
                f"(known: {known})",
                field="product",
                value=product_id,
            )
        return p
