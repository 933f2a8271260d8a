"""``shopfloor mes`` material and quality commands: lots, units, specs, inspections, SPC, NCRs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from shopfloor.mes.cli_common import ByOpt, DbOpt, JsonOpt, PlantOpt, emit, mes_at
from shopfloor.mes.nelson import NELSON

lot_app = typer.Typer(no_args_is_help=True, help="Lots: create, load at a work unit, unload.")
spec_app = typer.Typer(no_args_is_help=True, help="Quality specs per product + characteristic.")
ncr_app = typer.Typer(no_args_is_help=True, help="Non-conformance records and dispositions.")

EquipmentArg = Annotated[str, typer.Option("--equipment", help="Work unit id or path")]
NCR_COLUMNS = (
    "id",
    "serial",
    "lot",
    "product",
    "characteristic",
    "status",
    "disposition",
    "description",
)


@lot_app.command("create")
def lot_create(
    lot_id: str,
    material: Annotated[str, typer.Option("--material")],
    quantity: Annotated[float, typer.Option("--quantity")],
    supplier: Annotated[str, typer.Option("--supplier")] = "",
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Receive a lot of a material."""
    with mes_at(db, plant) as mes:
        emit(mes.material.create_lot(lot_id, material, quantity, supplier=supplier), as_json)


@lot_app.command("load")
def lot_load(
    lot_id: str,
    equipment: EquipmentArg,
    material: Annotated[str, typer.Option("--material")],
    by: ByOpt = "",
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Load a lot at a work unit (the lot of that material loaded before is unloaded)."""
    with mes_at(db, plant) as mes:
        emit(mes.material.load_lot(equipment, material, lot_id, who=by), as_json)


@lot_app.command("unload")
def lot_unload(
    equipment: EquipmentArg,
    material: Annotated[str, typer.Option("--material")],
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Unload the lot of a material from a work unit."""
    with mes_at(db, plant) as mes:
        emit(mes.material.unload_lot(equipment, material), as_json)


@lot_app.command("loaded")
def lot_loaded(
    equipment: EquipmentArg, db: DbOpt = None, plant: PlantOpt = None, as_json: JsonOpt = False
) -> None:
    """Lots loaded at a work unit now."""
    with mes_at(db, plant) as mes:
        emit(mes.material.loaded(equipment), as_json, ("material", "lot_id", "loaded", "who"))


def unit(serial: str, db: DbOpt = None, plant: PlantOpt = None, as_json: JsonOpt = False) -> None:
    """One serialised unit with its operations."""
    with mes_at(db, plant) as mes:
        emit(mes.material.unit(serial), as_json)


@spec_app.command("load")
def spec_load(
    file: Path, db: DbOpt = None, plant: PlantOpt = None, as_json: JsonOpt = False
) -> None:
    """Load (insert or replace) quality specs from a YAML file."""
    with mes_at(db, plant) as mes:
        emit(
            mes.quality.load_specs(file),
            as_json,
            ("product", "characteristic", "nominal", "lsl", "usl", "unit"),
        )


@spec_app.command("list")
def spec_list(
    product: Annotated[str | None, typer.Option("--product")] = None,
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Quality specs, by product and characteristic."""
    with mes_at(db, plant) as mes:
        emit(
            mes.quality.specs(product),
            as_json,
            ("product", "characteristic", "nominal", "lsl", "usl", "unit"),
        )


def inspect(
    serial: str,
    characteristic: Annotated[str, typer.Option("--characteristic")],
    value: Annotated[float, typer.Option("--value")],
    equipment: Annotated[str | None, typer.Option("--equipment")] = None,
    by: ByOpt = "",
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record an inspection result by hand (out of spec raises an NCR)."""
    with mes_at(db, plant) as mes:
        emit(
            mes.quality.record(serial, characteristic, value, equipment=equipment, who=by), as_json
        )


def spc(
    product: Annotated[str, typer.Option("--product")],
    characteristic: Annotated[str | None, typer.Option("--characteristic")] = None,
    chart: Annotated[str, typer.Option("--chart", help="imr, xbar_r, p or u")] = "imr",
    subgroup: Annotated[int, typer.Option("--subgroup", help="Subgroup size")] = 5,
    last: Annotated[int, typer.Option("--last", help="Points on the chart")] = 125,
    rules: Annotated[str, typer.Option("--rules", help="Rule ids, comma separated")] = ",".join(
        NELSON
    ),
    no_alarms: Annotated[bool, typer.Option("--no-alarms", help="Do not raise alarms")] = False,
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Control chart, rule violations (raised as alarms) and capability of a characteristic."""
    with mes_at(db, plant) as mes:
        out = mes.spc.evaluate(
            product,
            characteristic,
            chart=chart,
            subgroup=subgroup,
            last=last,
            rules=[r.strip() for r in rules.split(",") if r],
            alarms=not no_alarms,
        )
        if as_json:
            emit(out, True)
            return
        for c in out["charts"]:
            typer.echo(
                f"{c['kind']}: center {c['center']:g}  UCL {c['ucl']}  LCL {c['lcl']}  "
                f"({len(c['points'])} points)"
            )
        emit(out["violations"], False, ("chart", "rule", "name", "points"))
        if out["capability"]:
            emit(out["capability"], False)


@ncr_app.command("list")
def ncr_list(
    status: Annotated[str | None, typer.Option("--status")] = None,
    serial: Annotated[str | None, typer.Option("--serial")] = None,
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Non-conformance records."""
    with mes_at(db, plant) as mes:
        emit(mes.ncr.list(status=status, serial=serial), as_json, NCR_COLUMNS)


@ncr_app.command("create")
def ncr_create(
    description: Annotated[str, typer.Option("--description")],
    serial: Annotated[str | None, typer.Option("--serial")] = None,
    lot: Annotated[str | None, typer.Option("--lot")] = None,
    characteristic: Annotated[str | None, typer.Option("--characteristic")] = None,
    by: ByOpt = "",
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Raise a non-conformance record about a unit or a lot."""
    with mes_at(db, plant) as mes:
        emit(
            mes.ncr.create(
                description, serial=serial, lot=lot, characteristic=characteristic, who=by
            ),
            as_json,
        )


@ncr_app.command("disposition")
def ncr_disposition(
    ncr_id: int,
    disposition: Annotated[str, typer.Option("--as", help="rework, scrap, use_as_is")],
    by: ByOpt = "",
    note: Annotated[str, typer.Option("--note")] = "",
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Decide what happens to the non-conforming unit."""
    with mes_at(db, plant) as mes:
        emit(mes.ncr.disposition(ncr_id, disposition, who=by, note=note), as_json)


@ncr_app.command("close")
def ncr_close(
    ncr_id: int,
    by: ByOpt = "",
    note: Annotated[str, typer.Option("--note")] = "",
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Close a dispositioned NCR (a reworked unit returns to production)."""
    with mes_at(db, plant) as mes:
        emit(mes.ncr.close(ncr_id, who=by, note=note), as_json)


def register_quality(app: typer.Typer) -> None:
    app.add_typer(lot_app, name="lot")
    app.add_typer(spec_app, name="spec")
    app.add_typer(ncr_app, name="ncr")
    app.command("unit")(unit)
    app.command("inspect")(inspect)
    app.command("spc")(spc)
