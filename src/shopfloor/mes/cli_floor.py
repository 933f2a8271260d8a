"""``shopfloor mes`` floor commands: downtime, alarms, equipment states, reasons, shifts, events."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from shopfloor.errors import BadInput, DecodeError
from shopfloor.events import MachineEvent
from shopfloor.mes.cli_common import ByOpt, DbOpt, JsonOpt, PlantOpt, emit, instant_ns, mes_at
from shopfloor.mes.reasons import load_reasons

downtime_app = typer.Typer(
    help="Downtime: enter one (--equipment --from --to --reason), or list / assign / summary.",
    invoke_without_command=True,
)
alarms_app = typer.Typer(no_args_is_help=True, help="Alarms: list, ack, shelve, history.")

FromOpt = Annotated[str | None, typer.Option("--from", help="Start (ISO 8601, UTC)")]
ToOpt = Annotated[str | None, typer.Option("--to", help="End (ISO 8601, UTC)")]
EquipmentOpt = Annotated[str | None, typer.Option("--equipment", help="Equipment id or path")]
DOWNTIME_COLUMNS = (
    "id",
    "equipment",
    "start",
    "end",
    "reason",
    "planned",
    "source",
    "machine_reason",
    "who",
)
ALARM_COLUMNS = ("id", "equipment", "code", "priority", "state", "shelved_until", "raised", "text")


def _need(option: str, value: str | None) -> str:
    if not value:
        raise BadInput(f"{option}: required")
    return value


@downtime_app.callback()
def downtime_enter(
    ctx: typer.Context,
    equipment: EquipmentOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Reason code (a leaf)")] = None,
    note: Annotated[str, typer.Option("--note")] = "",
    by: ByOpt = "",
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Enter a downtime of equipment that is not networked (or use a sub-command)."""
    if ctx.invoked_subcommand is not None:
        return
    a = instant_ns("--from", _need("--from", start))
    b = instant_ns("--to", _need("--to", end))
    assert a is not None and b is not None
    with mes_at(db, plant) as mes:
        row = mes.downtime.report(
            _need("--equipment", equipment), a, b, _need("--reason", reason), who=by, note=note
        )
        emit(row, as_json)


@downtime_app.command("list")
def downtime_list(
    equipment: EquipmentOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    unexplained: Annotated[bool, typer.Option("--unexplained", help="Only without reason")] = False,
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Downtime records in time order."""
    with mes_at(db, plant) as mes:
        rows = mes.downtime.list(
            equipment=equipment,
            start_ns=instant_ns("--from", start),
            end_ns=instant_ns("--to", end),
            unexplained=unexplained,
        )
        emit(rows, as_json, DOWNTIME_COLUMNS)


@downtime_app.command("assign")
def downtime_assign(
    downtime_id: int,
    reason: Annotated[str, typer.Option("--reason", help="Reason code")],
    replace: Annotated[bool, typer.Option("--replace", help="Correct a reason")] = False,
    note: Annotated[str, typer.Option("--note")] = "",
    by: ByOpt = "",
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Give an unexplained downtime its reason."""
    with mes_at(db, plant) as mes:
        emit(mes.downtime.assign(downtime_id, reason, who=by, note=note, replace=replace), as_json)


@downtime_app.command("summary")
def downtime_summary(
    equipment: EquipmentOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Seconds and count per reason, longest first."""
    with mes_at(db, plant) as mes:
        rows = mes.downtime.summary(
            equipment=equipment,
            start_ns=instant_ns("--from", start),
            end_ns=instant_ns("--to", end),
        )
        emit(rows, as_json, ("reason", "seconds", "count"))


@downtime_app.command("import-planned")
def downtime_import(
    start: FromOpt = None,
    end: ToOpt = None,
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record the plant file's planned downtime between --from and --to."""
    a = instant_ns("--from", _need("--from", start))
    b = instant_ns("--to", _need("--to", end))
    assert a is not None and b is not None
    with mes_at(db, plant) as mes:
        emit(mes.downtime.import_planned(a, b), as_json, DOWNTIME_COLUMNS)


@alarms_app.command("list")
def alarms_list(
    all_: Annotated[bool, typer.Option("--all", help="Include alarms back to normal")] = False,
    shelved: Annotated[bool, typer.Option("--shelved", help="Include shelved alarms")] = False,
    equipment: EquipmentOpt = None,
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Open alarms, most urgent first."""
    with mes_at(db, plant) as mes:
        rows = mes.alarms.list(include_normal=all_, include_shelved=shelved, equipment=equipment)
        emit(rows, as_json, ALARM_COLUMNS)


@alarms_app.command("ack")
def alarms_ack(
    alarm_id: int,
    by: ByOpt = "",
    note: Annotated[str, typer.Option("--note")] = "",
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Acknowledge an alarm (needs --by)."""
    with mes_at(db, plant) as mes:
        emit(mes.alarms.ack(alarm_id, who=by, note=note), as_json)


@alarms_app.command("shelve")
def alarms_shelve(
    alarm_id: int,
    duration: Annotated[float, typer.Option("--for", help="Seconds until it unshelves")] = 3600,
    by: ByOpt = "",
    note: Annotated[str, typer.Option("--note")] = "",
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Shelve an alarm for a while (needs --by)."""
    with mes_at(db, plant) as mes:
        emit(mes.alarms.shelve(alarm_id, duration, who=by, note=note), as_json)


@alarms_app.command("unshelve")
def alarms_unshelve(
    alarm_id: int,
    by: ByOpt = "",
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Unshelve an alarm before its shelve expires."""
    with mes_at(db, plant) as mes:
        emit(mes.alarms.unshelve(alarm_id, who=by), as_json)


@alarms_app.command("history")
def alarms_history(
    alarm_id: int, db: DbOpt = None, plant: PlantOpt = None, as_json: JsonOpt = False
) -> None:
    """Every transition of an alarm, with who and when."""
    with mes_at(db, plant) as mes:
        emit(
            mes.alarms.history(alarm_id),
            as_json,
            ("ts", "action", "from_state", "to_state", "who", "note"),
        )


def states(
    equipment: EquipmentOpt = None,
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Current PackML state of each equipment (from its events)."""
    with mes_at(db, plant) as mes:
        emit(
            mes.states.current(equipment),
            as_json,
            ("equipment", "state", "element", "reason", "since"),
        )


def reasons(
    file: Annotated[Path | None, typer.Option("--file", help="A reason tree YAML")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The downtime reason tree (the default one, or --file after validating it)."""
    emit(load_reasons(file).to_list(), as_json, ("code", "name", "planned", "leaf"))


def shifts(
    start: FromOpt = None,
    end: ToOpt = None,
    calendar: Annotated[str | None, typer.Option("--calendar")] = None,
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Shifts of the plant's calendar between --from and --to."""
    from shopfloor.clock import from_ns

    a = instant_ns("--from", _need("--from", start))
    b = instant_ns("--to", _need("--to", end))
    assert a is not None and b is not None
    with mes_at(db, plant) as mes:
        rows = mes.shifts(from_ns(a), from_ns(b), calendar)
        emit([w.to_dict() for w in rows], as_json, ("name", "start", "end", "breaks_min"))


def apply(
    file: Annotated[Path, typer.Argument(help="Machine events, one JSON object per line")],
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Apply machine events from a JSON-lines file (redelivered events count once)."""
    if not file.exists():
        raise BadInput(f"file: {file} does not exist")
    events = []
    for n, line in enumerate(file.read_text("utf-8").splitlines(), 1):
        if line.strip():
            try:
                events.append(MachineEvent.from_bytes(line.encode()))
            except DecodeError as exc:
                raise BadInput(f"{file}:{n}: {exc.message}") from None
    with mes_at(db, plant) as mes:
        emit(mes.apply_many(events).to_dict(), as_json)


def register_floor(app: typer.Typer) -> None:
    app.add_typer(downtime_app, name="downtime")
    app.add_typer(alarms_app, name="alarms")
    app.command("state")(states)
    app.command("reasons")(reasons)
    app.command("shifts")(shifts)
    app.command("apply")(apply)
