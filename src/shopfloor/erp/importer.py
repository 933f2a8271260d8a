"""Import one document as one transaction: plant file, job orders, lots and ERP ids together.

:func:`read_document` reads a B2MML or CSV file into an :class:`ImportedDocument`;
:func:`run_import` plans it against the plant, then in one MES database transaction writes the
changed plant file, creates the lots and job orders and records the ERP ids. Any error rolls the
transaction back and puts the plant file back as it was: nothing is half-imported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shopfloor.clock import Clock
from shopfloor.erp.csvorders import read_orders_csv
from shopfloor.erp.errors import DocumentErrors, ErpInputError
from shopfloor.erp.model import ImportedDocument
from shopfloor.erp.plan import plan_import
from shopfloor.erp.planning import ImportOptions, ImportPlan
from shopfloor.erp.plantfile import PlantOutput, PlantSource, render, stamp_note
from shopfloor.erp.reader import read_b2mml
from shopfloor.erp.refs import RefStore
from shopfloor.mes import MesNotFound, MesService, open_mes
from shopfloor.mes.db import make_engine

WHO = "erp"


@dataclass
class ImportResult:
    source: str
    version: str
    kind: str
    changes: list[str] = field(default_factory=list)
    orders: list[str] = field(default_factory=list)
    lots: list[str] = field(default_factory=list)
    plant_file: Path | None = None
    backup: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "version": self.version,
            "kind": self.kind,
            "changes": self.changes,
            "orders": self.orders,
            "lots": self.lots,
            "plant_file": str(self.plant_file) if self.plant_file else None,
            "backup": str(self.backup) if self.backup else None,
        }


def read_document(path: Path, schema_dir: Path | None) -> ImportedDocument:
    """A B2MML file (``.xml``) or a CSV file of orders (``.csv``)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ErpInputError(str(path), f"cannot read the file: {exc.strerror}") from None
    if path.suffix.lower() == ".csv":
        return read_orders_csv(data, str(path))
    return read_b2mml(data, str(path), schema_dir)


def run_import(
    doc: ImportedDocument,
    plant: PlantSource,
    db_url: str,
    *,
    options: ImportOptions | None = None,
    output: PlantOutput | None = None,
    clock: Clock | None = None,
) -> ImportResult:
    """Plan ``doc`` against ``plant`` and commit it to the MES database at ``db_url``."""
    engine = make_engine(db_url)
    try:
        known = RefStore(engine).known()
    finally:
        engine.dispose()
    plan = plan_import(doc, plant, known, options)
    with open_mes(db_url, plant=plan.plant, clock=clock) as mes:
        return commit_import(plan, mes, output or PlantOutput(plant))


def commit_import(plan: ImportPlan, mes: MesService, output: PlantOutput) -> ImportResult:
    """Create what ``plan`` says in one transaction of ``mes`` (opened on ``plan.plant``)."""
    doc = plan.document
    if plan.plant_doc is not None:
        output.target()  # says what to give before anything is done
    _refuse_existing(plan, mes)
    result = ImportResult(doc.source, doc.version, doc.kind, list(plan.changes))
    try:
        with mes.ctx.db.tx() as s:
            if plan.plant_doc is not None:  # first: a failure after it puts the file back
                result.plant_file = output.write(render(plan.plant_doc, stamp_note(doc.source)))
                result.backup = output.backup
            for lot in plan.lots:
                mes.material.create_lot(lot.lot_id, lot.material, lot.quantity, supplier=WHO)
                result.lots.append(lot.lot_id)
            for o in plan.orders:
                mes.orders.create(
                    o.product,
                    o.quantity,
                    due_ns=o.due_ns,
                    priority=o.priority,
                    order_id=o.order_id,
                    who=WHO,
                )
                result.orders.append(o.order_id)
            RefStore.put(s, plan.refs, doc.source, mes.ctx.now())
    except BaseException:
        output.undo()
        raise
    return result


def _refuse_existing(plan: ImportPlan, mes: MesService) -> None:
    """Orders and lots MES holds already are refused by name, all at once."""
    clashes: list[tuple[int | None, str]] = []
    for o in plan.orders:
        try:
            mes.orders.get(o.order_id)
        except MesNotFound:
            continue
        clashes.append((o.line, f"job order {o.order_id} exists already (imported before?)"))
    for lot in plan.lots:
        try:
            mes.material.lot(lot.lot_id)
        except MesNotFound:
            continue
        clashes.append((lot.line, f"lot {lot.lot_id} exists already"))
    if clashes:
        raise DocumentErrors(
            f"{plan.document.source} clashes with what MES holds", clashes, code="erp.conflict"
        )
