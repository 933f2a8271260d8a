"""``shopfloor mes schedule``: propose a schedule for the open orders, list, show, apply it."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from shopfloor.mes.cli_common import ByOpt, DbOpt, JsonOpt, PlantOpt, emit, mes_at
from shopfloor.mes.models import ScheduleProposal

schedule_app = typer.Typer(
    no_args_is_help=True,
    help="Schedules of the open orders: propose (solve), list, show, apply to dispatch lists.",
)

LIST_COLUMNS = (
    "id",
    "created",
    "who",
    "solver",
    "status",
    "makespan_s",
    "weighted_tardiness",
    "orders",
    "applied",
    "moved",
)
ENTRY_COLUMNS = ("order_id", "seq", "op_id", "start_at", "end_at", "state")
ORDER_COLUMNS = ("order_id", "product", "quantity", "priority", "due", "end", "late_s")


def _summary(row: ScheduleProposal) -> dict[str, Any]:
    d = row.to_dict(full=False)
    d["orders"] = len(row.orders)
    d["units"] = len(row.units)
    return d


def _show(row: ScheduleProposal, as_json: bool, applied: dict[str, Any] | None = None) -> None:
    if as_json:
        emit(row.to_dict() | ({"apply": applied} if applied else {}), True)
        return
    emit(_summary(row), False)
    typer.echo("")
    emit(row.orders, False, ORDER_COLUMNS)
    for path, entries in row.units.items():
        typer.echo(f"\n{path}")
        emit(entries, False, ENTRY_COLUMNS)
    if applied:
        typer.echo(f"\napplied: {applied['moved']} dispatch entries moved")


@schedule_app.command("propose")
def propose(
    orders: Annotated[
        list[str] | None,
        typer.Option("--order", help="Order to schedule, repeatable (default: every open order)"),
    ] = None,
    solver: Annotated[
        str, typer.Option("--solver", help="Solver name (shopfloor schedule solvers)")
    ] = "default",
    time_limit: Annotated[
        float, typer.Option("--time-limit", help="Seconds the solver may take")
    ] = 10.0,
    threads: Annotated[int, typer.Option("--threads", help="Solver threads")] = 1,
    apply: Annotated[
        bool, typer.Option("--apply", help="Apply it to the dispatch lists at once")
    ] = False,
    by: ByOpt = "",
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Schedule the open orders (released, running, held) and store the proposal."""
    with mes_at(db, plant) as mes:
        row = mes.planning.propose(
            orders, solver=solver, time_limit_s=time_limit, threads=threads, who=by
        )
        applied = mes.planning.apply(row.id, who=by) if apply else None
        _show(applied.schedule if applied else row, as_json, applied.to_dict() if applied else None)


@schedule_app.command("list")
def list_schedules(
    limit: Annotated[int, typer.Option("--limit", help="At most this many")] = 100,
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Schedules, newest first."""
    with mes_at(db, plant) as mes:
        rows = [_summary(r) for r in mes.planning.list(limit)]
        emit(rows, as_json, LIST_COLUMNS)


@schedule_app.command("show")
def show(
    schedule_id: str, db: DbOpt = None, plant: PlantOpt = None, as_json: JsonOpt = False
) -> None:
    """One schedule: its figures, its orders and the sequence per work unit."""
    with mes_at(db, plant) as mes:
        _show(mes.planning.get(schedule_id), as_json)


@schedule_app.command("apply")
def apply_schedule(
    schedule_id: str,
    by: ByOpt = "",
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Make the schedule's sequences the dispatch lists of its work units (all or none)."""
    with mes_at(db, plant) as mes:
        emit(mes.planning.apply(schedule_id, who=by), as_json)


def register_planning(app: typer.Typer) -> None:
    app.add_typer(schedule_app, name="schedule")
