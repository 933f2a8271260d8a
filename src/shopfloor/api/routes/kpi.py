"""KPIs (ISO 22400) and energy indicators over any window, from the machine events received.

Each request feeds a :class:`~shopfloor.kpi.KpiBook` for the window with the kept events up to
its end (the events before the window give the state held when it opens), so any window works,
as far back as :attr:`~shopfloor.api.events.EventLog.first_ns` (reported as ``events_from``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from shopfloor.api.common import ERRORS, instant
from shopfloor.api.context import ApiContext
from shopfloor.api.security import context, require
from shopfloor.auth.audit import iso
from shopfloor.auth.principal import Principal
from shopfloor.auth.roles import Permission
from shopfloor.errors import NotFound
from shopfloor.kpi import KpiBook, Report, Window, registry

router = APIRouter(tags=["kpi"], responses=ERRORS)
Ctx = Annotated[ApiContext, Depends(context)]
Reader = Annotated[Principal, require(Permission.READ)]


class Scope(StrEnum):
    LINE = "line"
    EQUIPMENT = "equipment"
    ORDER = "order"
    PRODUCT = "product"


@router.get("/kpi/definitions")
def definitions(who: Reader) -> dict[str, Any]:
    """Every KPI: id, names (en, zh), formula, unit, trend, reference."""
    return {
        "items": [
            {
                "id": k.id,
                "name": k.name,
                "name_zh": k.name_zh,
                "formula": k.formula,
                "unit": k.unit,
                "trend": k.trend.value,
                "reference": k.reference,
            }
            for k in registry().values()
        ]
    }


@router.get("/kpi")
def kpis(
    ctx: Ctx,
    who: Reader,
    scope: Scope = Scope.LINE,
    id: Annotated[
        str | None,
        Query(max_length=255, description="one line / equipment path, order or product id"),
    ] = None,
    start: Annotated[str | None, Query(description="ISO 8601 (default: open)")] = None,
    end: Annotated[
        str | None, Query(description="ISO 8601 (default: open, up to the last event)")
    ] = None,
    detail: Annotated[bool, Query(description="add the loss breakdown and raw quantities")] = False,
) -> dict[str, Any]:
    """KPIs and energy of every line (equipment, order, product) over ``[start, end)``."""
    events = ctx.need_events()
    window = Window(instant(start, "start"), instant(end, "end"))
    book = KpiBook(ctx.plant, window, ctx.energy)
    book.feed_many(ctx.kpi_events(window.end_ns))
    report = book.report(until_ns=window.end_ns)
    rows = _scope(report, scope)
    if id is not None:
        key = id.strip("/")
        if key not in rows and scope in (Scope.EQUIPMENT, Scope.LINE):
            key = _path_of(ctx, scope, key)
        if key not in rows:
            raise NotFound(f"id: no {scope.value} {id!r} in the KPI report", field="id", value=id)
        rows = {key: rows[key]}
    items = {k: v if detail else {"kpi": v["kpi"]} | _extra(v) for k, v in rows.items()}
    return {
        "scope": scope.value,
        "window": {"start": start, "end": end},
        "until": iso(report.until_ns) if report.until_ns is not None else None,
        "events_from": iso(events.first_ns) if events.first_ns is not None else None,
        "events": len(events),
        "rejected_events": report.rejected,
        "emission_factor": report.emission_factor.to_dict(),
        "items": items,
    }


def _scope(report: Report, scope: Scope) -> dict[str, dict[str, Any]]:
    full = report.to_json()
    return {
        Scope.LINE: full["lines"],
        Scope.EQUIPMENT: full["equipment"],
        Scope.ORDER: full["orders"],
        Scope.PRODUCT: full["products"],
    }[scope]


def _path_of(ctx: ApiContext, scope: Scope, ref: str) -> str:
    """The path of an equipment or line given by id (or ``ref`` unchanged)."""
    if scope is Scope.EQUIPMENT:
        try:
            return ctx.plant.resolve(ref)
        except KeyError:
            return ref
    ids = {ln.id: path for path, ln in ctx.plant.lines()}
    return ids.get(ref, ref)


def _extra(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k not in ("kpi", "losses", "basket")}
