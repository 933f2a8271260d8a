"""``shopfloor mes ...`` (orders, dispatch lists, operator entry) and ``shopfloor trace``.

The floor commands (downtime, alarms, states, shifts) live in :mod:`shopfloor.mes.cli_floor`,
the material and quality commands in :mod:`shopfloor.mes.cli_quality`, the schedules in
:mod:`shopfloor.mes.cli_planning`; this module mounts them.
Every command takes ``--db URL`` and ``--json``; bad input exits 2 with a message naming it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from shopfloor.errors import BadInput
from shopfloor.mes.cli_common import ByOpt, DbOpt, JsonOpt, PlantOpt, emit, instant_ns, mes_at
from shopfloor.mes.cli_floor import register_floor
from shopfloor.mes.cli_planning import register_planning
from shopfloor.mes.cli_quality import register_quality

app = typer.Typer(no_args_is_help=True, help="ISA-95 operations: orders, dispatch, quality...")
order_app = typer.Typer(no_args_is_help=True, help="Job orders: create, release, list, show...")
dispatch_app = typer.Typer(no_args_is_help=True, help="Dispatch lists of the work units.")
app.add_typer(order_app, name="order")
app.add_typer(dispatch_app, name="dispatch")
register_floor(app)
register_quality(app)
register_planning(app)

ORDER_COLUMNS = ("id", "product", "quantity", "status", "priority", "due", "good", "scrap")
OP_COLUMNS = ("seq", "op_id", "status", "equipment", "good", "scrap", "started", "ended")


@order_app.command("create")
def order_create(
    product: Annotated[str, typer.Option("--product", help="Product id of the plant")],
    quantity: Annotated[int, typer.Option("--quantity", help="Units to make")],
    due: Annotated[str | None, typer.Option("--due", help="Due instant (ISO 8601, UTC)")] = None,
    priority: Annotated[int, typer.Option("--priority", help="Higher runs first")] = 0,
    order_id: Annotated[str | None, typer.Option("--id", help="Order id (default JO-n)")] = None,
    by: ByOpt = "",
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a job order (status created)."""
    with mes_at(db, plant) as mes:
        o = mes.orders.create(
            product,
            quantity,
            due_ns=instant_ns("--due", due),
            priority=priority,
            order_id=order_id,
            who=by,
        )
        emit(o, as_json)


@order_app.command("release")
def order_release(
    order_id: str,
    by: ByOpt = "",
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Release an order: copy its routing and BOM, queue its operations on dispatch lists."""
    with mes_at(db, plant) as mes:
        emit(mes.orders.release(order_id, who=by).to_dict(operations=True), as_json)


@order_app.command("list")
def order_list(
    status: Annotated[list[str] | None, typer.Option("--status", help="Only these")] = None,
    product: Annotated[str | None, typer.Option("--product")] = None,
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Orders, most urgent first (priority, then due date)."""
    with mes_at(db, plant) as mes:
        emit(mes.orders.list(status=status or (), product=product), as_json, ORDER_COLUMNS)


@order_app.command("show")
def order_show(
    order_id: str, db: DbOpt = None, plant: PlantOpt = None, as_json: JsonOpt = False
) -> None:
    """One order with its operations and its history."""
    with mes_at(db, plant) as mes:
        o = mes.orders.get(order_id)
        data = o.to_dict(operations=True) | {"history": mes.orders.history(order_id)}
        if as_json:
            emit(data, True)
            return
        emit({k: v for k, v in data.items() if k not in ("operations", "history", "bom")}, False)
        typer.echo("")
        emit(data["operations"], False, OP_COLUMNS)


def _order_action(
    action: str,
    order_id: str,
    reason: str,
    by: str,
    db: str | None,
    plant: str | None,
    as_json: bool,
) -> None:
    with mes_at(db, plant) as mes:
        if action == "hold":
            o = mes.orders.hold(order_id, reason, who=by)
        elif action == "resume":
            o = mes.orders.resume(order_id, who=by)
        elif action == "abort":
            o = mes.orders.abort(order_id, reason, who=by)
        else:
            o = mes.orders.complete(order_id, who=by, reason=reason)
        emit(o.to_dict(operations=as_json), as_json)


ReasonOpt = Annotated[str, typer.Option("--reason", help="Why")]


@order_app.command("hold")
def order_hold(
    order_id: str,
    reason: ReasonOpt = "",
    by: ByOpt = "",
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Hold a released or running order (needs --reason)."""
    _order_action("hold", order_id, reason, by, db, plant, as_json)


@order_app.command("resume")
def order_resume(
    order_id: str,
    by: ByOpt = "",
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Resume a held order."""
    _order_action("resume", order_id, "", by, db, plant, as_json)


@order_app.command("abort")
def order_abort(
    order_id: str,
    reason: ReasonOpt = "",
    by: ByOpt = "",
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Abort an order and its open operations (needs --reason)."""
    _order_action("abort", order_id, reason, by, db, plant, as_json)


@order_app.command("complete")
def order_complete(
    order_id: str,
    reason: ReasonOpt = "",
    by: ByOpt = "",
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Close a running order by hand."""
    _order_action("complete", order_id, reason, by, db, plant, as_json)


DISPATCH_COLUMNS = (
    "position",
    "order_id",
    "seq",
    "operation",
    "product",
    "remaining",
    "status",
    "op_status",
    "priority",
    "due",
)


@dispatch_app.command("list")
def dispatch_list(
    equipment: Annotated[str, typer.Option("--equipment", help="Work unit id or path")],
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The dispatch list of one work unit, in order."""
    with mes_at(db, plant) as mes:
        emit(mes.dispatch.list(equipment), as_json, DISPATCH_COLUMNS)


@dispatch_app.command("set")
def dispatch_set(
    equipment: Annotated[str, typer.Option("--equipment", help="Work unit id or path")],
    items: Annotated[list[str], typer.Argument(help="ORDER:OPERATION (seq or id), in order")],
    by: ByOpt = "",
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Apply a proposed sequence (e.g. from the scheduler) to a work unit's list."""
    seq: list[tuple[str, int | str]] = []
    for i, item in enumerate(items):
        order_id, sep, op = item.rpartition(":")
        if not sep or not order_id or not op:
            raise BadInput(f"items[{i}]: {item!r} must be ORDER:OPERATION, e.g. JO-000001:20")
        seq.append((order_id, op))
    with mes_at(db, plant) as mes:
        emit(mes.dispatch.apply_sequence(equipment, seq, who=by), as_json, DISPATCH_COLUMNS)


@app.command("report")
def report(
    equipment: Annotated[str, typer.Option("--equipment", help="Work unit (not networked)")],
    good: Annotated[int, typer.Option("--good", help="Good units")] = 0,
    scrap: Annotated[int, typer.Option("--scrap", help="Scrapped units")] = 0,
    order_id: Annotated[str | None, typer.Option("--order", help="Order id")] = None,
    operation: Annotated[str | None, typer.Option("--operation", help="Seq or id")] = None,
    note: Annotated[str, typer.Option("--note")] = "",
    by: ByOpt = "",
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Operator entry of counts for equipment that is not networked."""
    with mes_at(db, plant) as mes:
        row = mes.production.report(
            equipment, good, scrap, order_id=order_id, operation=operation, operator=by, note=note
        )
        emit(row, as_json)


def trace_command(
    item: Annotated[str, typer.Argument(help="A serial number or a lot id")],
    backward: Annotated[bool, typer.Option("--backward", help="What went into it")] = False,
    forward: Annotated[bool, typer.Option("--forward", help="What contains it")] = False,
    db: DbOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Genealogy of a serial or lot: --backward (default for serials) or --forward."""
    if backward and forward:
        raise BadInput("--backward and --forward: choose one")
    with mes_at(db, plant) as mes:
        direction = "forward" if forward else "backward"
        result = mes.trace.trace(item, direction=direction)
        if as_json:
            emit(result, True)
        elif direction == "forward":
            emit(
                result["units"], False, ("serial", "product", "status", "depth", "via", "finished")
            )
        else:
            emit(result["units"], False, ("serial", "product", "status", "depth", "into"))
            typer.echo("")
            emit(result["lots"], False, ("lot", "material", "quantity", "into", "equipment"))
