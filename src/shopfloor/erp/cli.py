"""``shopfloor erp``: import B2MML or CSV, export production performance, validate, webhooks.

Exit status 0 when done, 2 when the document (or an option) is refused: the message names the
file, the line and the reason. See docs/erp.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import uuid
from pathlib import Path
from typing import Annotated

import typer

from shopfloor.clock import parse_instant, to_ns
from shopfloor.config import settings
from shopfloor.erp.actuals import collect_actuals
from shopfloor.erp.importer import read_document, run_import
from shopfloor.erp.performance import PerformanceHeader, performance_xml
from shopfloor.erp.plan import plan_import
from shopfloor.erp.planning import ImportOptions
from shopfloor.erp.plantfile import PlantOutput, read_plant_source
from shopfloor.erp.reader import read_b2mml
from shopfloor.erp.refs import RefStore
from shopfloor.erp.versions import SUPPORTED, V0600
from shopfloor.erp.webhook import load_hooks
from shopfloor.errors import BadInput
from shopfloor.mes import open_mes
from shopfloor.mes.cli_common import mes_at, plant_clock
from shopfloor.mes.db import default_url, make_engine

app = typer.Typer(no_args_is_help=True, help="ERP integration: B2MML import and export.")

DbOpt = Annotated[str | None, typer.Option("--db", help="MES database URL (default: settings)")]
PlantOpt = Annotated[
    str | None, typer.Option("--plant", help="Plant example name or YAML file (default: settings)")
]
SchemasOpt = Annotated[
    Path | None,
    typer.Option("--schemas", help="B2MML schema folder (default: setting b2mml_schema_dir)"),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]


def _schemas(given: Path | None) -> Path | None:
    return given if given is not None else settings().b2mml_schema_dir


def _instant(option: str, text: str) -> int:
    try:
        return to_ns(parse_instant(text))
    except ValueError as exc:
        raise BadInput(
            f"{option}: {text!r} is not an ISO 8601 instant with a zone ({exc})"
        ) from None


def _echo(data: dict[str, object], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    for key, value in data.items():
        if isinstance(value, list):
            typer.echo(f"{key}: {len(value)}")
            for item in value:
                typer.echo(f"  {item}")
        elif value is not None:
            typer.echo(f"{key}: {value}")


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="B2MML document (.xml) or CSV of orders (.csv)")],
    plant: PlantOpt = None,
    db: DbOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the changed plant file here (new file)")
    ] = None,
    in_place: Annotated[
        bool, typer.Option("--in-place", help="Change the plant file itself (keeps FILE.bak)")
    ] = False,
    create_missing: Annotated[
        bool,
        typer.Option("--create-missing", help="Create unknown products and materials"),
    ] = False,
    equipment: Annotated[
        list[str] | None,
        typer.Option("--equipment", help="Eligible equipment for segments that name none"),
    ] = None,
    standard_time: Annotated[
        float | None,
        typer.Option("--standard-time", help="Seconds per unit for segments without Duration"),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and tell; write nothing")
    ] = False,
    schemas: SchemasOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Import job orders (schedules), product definitions, materials and lots, all or nothing."""
    if standard_time is not None and not standard_time > 0:
        raise BadInput(f"--standard-time: must be > 0, got {standard_time}")
    doc = read_document(file, _schemas(schemas))
    source = read_plant_source(plant or settings().plant)
    options = ImportOptions(create_missing, tuple(equipment or ()), standard_time)
    url = db or default_url()
    if dry_run:
        engine = make_engine(url)
        try:
            plan = plan_import(doc, source, RefStore(engine).known(), options)
        finally:
            engine.dispose()
        _echo(
            {
                "source": str(file),
                "version": doc.version,
                "kind": doc.kind,
                "changes": plan.changes,
                "orders": [f"{o.order_id}: {o.quantity} x {o.product}" for o in plan.orders],
                "lots": [f"{lot.lot_id}: {lot.quantity} of {lot.material}" for lot in plan.lots],
                "written": "nothing (dry run)",
            },
            as_json,
        )
        return
    output = PlantOutput(source, out=out, in_place=in_place)
    clock = plant_clock(url, plant)  # orders are created in the plant's time
    result = run_import(doc, source, url, options=options, output=output, clock=clock)
    _echo(result.to_dict(), as_json)


@app.command("export")
def export_command(
    start: Annotated[str, typer.Option("--from", help="Window start, ISO 8601 with zone")],
    end: Annotated[str, typer.Option("--to", help="Window end, ISO 8601 with zone")],
    out: Annotated[Path, typer.Option("--out", help="The B2MML file to write")],
    version: Annotated[
        str, typer.Option("--version", help=f"B2MML version: {', '.join(SUPPORTED)}")
    ] = V0600,
    doc_id: Annotated[str | None, typer.Option("--id", help="Document ID")] = None,
    plant: PlantOpt = None,
    db: DbOpt = None,
    schemas: SchemasOpt = None,
) -> None:
    """Export the performance (actuals, consumption, quality) of orders that ran in a window."""
    start_ns, end_ns = _instant("--from", start), _instant("--to", end)
    if end_ns <= start_ns:
        raise BadInput(f"--to {end} must be after --from {start}")
    if version.upper() not in SUPPORTED:
        raise BadInput(f"--version {version!r}: choose one of {', '.join(SUPPORTED)}")
    with mes_at(db, plant) as mes:
        actuals = collect_actuals(mes, RefStore(mes.ctx.db.engine), start_ns, end_ns)
        published = mes.ctx.now()  # the document is dated in the plant's time
    header = PerformanceHeader(
        doc_id or f"PERF-{uuid.uuid4().hex[:12]}", start_ns, end_ns, published
    )
    xml = performance_xml(actuals, version.upper(), header, _schemas(schemas))
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    with os.fdopen(fd, "wb") as f:
        f.write(xml)
    os.replace(tmp, out)
    typer.echo(f"{out}: {len(actuals)} order(s), B2MML {version.upper()}, valid")


@app.command("validate")
def validate_command(
    file: Annotated[Path, typer.Argument(help="B2MML document")],
    schemas: SchemasOpt = None,
) -> None:
    """Check a B2MML document (safe parse, version, schema, mapping) without importing it."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise BadInput(f"{file}: cannot read the file: {exc.strerror}") from None
    doc = read_b2mml(data, str(file), _schemas(schemas))
    typer.echo(
        f"{file}: valid B2MML {doc.version} {doc.kind}: {len(doc.orders)} order(s), "
        f"{len(doc.products)} product(s), {len(doc.materials)} material(s), {len(doc.lots)} lot(s)"
    )


@app.command("notify")
def notify_command(
    hooks: Annotated[Path, typer.Option("--hooks", help="Webhooks file (YAML, TOML or JSON)")],
    once: Annotated[
        bool, typer.Option("--once", help="Deliver what is pending, then exit")
    ] = False,
    interval: Annotated[float, typer.Option("--interval", help="Seconds between polls")] = 5.0,
    plant: PlantOpt = None,
    db: DbOpt = None,
    schemas: SchemasOpt = None,
) -> None:
    """Deliver completed job orders to webhooks (signed, retried)."""
    from shopfloor.erp.notify import CompletionNotifier

    if not interval > 0:
        raise BadInput(f"--interval: must be > 0, got {interval}")
    configured = load_hooks(hooks)
    with open_mes(db, plant=plant or settings().plant) as mes:
        notifier = CompletionNotifier(
            mes, configured, schema_dir=_schemas(schemas), interval_s=interval
        )
        if once:
            for outcome in asyncio.run(notifier.poll_once()):
                typer.echo(json.dumps(outcome))
            if notifier.failed:
                raise typer.Exit(1)
            return

        async def forever() -> None:
            await notifier.start()
            try:
                await asyncio.Event().wait()
            finally:
                await notifier.stop()

        asyncio.run(forever())
