"""``shopfloor run --orders FILE``: run the orders of an ERP document instead of generated ones.

The document (B2MML ``.xml``, validated against the official schemas under the
``b2mml_schema_dir`` setting, or a ``.csv`` of orders) is read and checked against the plant by
:mod:`shopfloor.erp`; product definitions it carries are used for this run only (the plant file
is not written: ``shopfloor erp import`` keeps them). Every order is released at the start of
the run and the plant's own order generator stays off.
"""

from __future__ import annotations

from pathlib import Path

from shopfloor.erp.importer import read_document
from shopfloor.erp.plan import plan_import
from shopfloor.erp.plantfile import read_plant_source
from shopfloor.errors import BadInput
from shopfloor.plant.model import Plant
from shopfloor.sim import OrderSpec


def imported_orders(
    plant: str | Path, document: Path, schema_dir: Path | None
) -> tuple[Plant, list[OrderSpec]]:
    """The plant with the document's master data, and its orders to release at the start."""
    plan = plan_import(read_document(document, schema_dir), read_plant_source(plant))
    if not plan.orders:
        raise BadInput(f"--orders {document}: the document has no orders to run")
    return plan.plant, [OrderSpec(o.order_id, o.product, o.quantity) for o in plan.orders]
