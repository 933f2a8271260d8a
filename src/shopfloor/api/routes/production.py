"""Operator entry (counts, downtime, downtime reasons), downtime lists and equipment states."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from shopfloor.api.common import ERRORS, MAX_ID, Paging, audit, instant, need_instant
from shopfloor.api.context import ApiContext
from shopfloor.api.security import context, require
from shopfloor.auth.audit import plain
from shopfloor.auth.principal import Principal
from shopfloor.auth.roles import Permission

router = APIRouter(tags=["production"], responses=ERRORS)
Ctx = Annotated[ApiContext, Depends(context)]
Reader = Annotated[Principal, require(Permission.READ)]
Operator = Annotated[Principal, require(Permission.PRODUCTION_REPORT)]
Equipment = Annotated[str | None, Query(max_length=255, description="equipment id or path")]


class ReportIn(BaseModel):
    equipment: str = Field(min_length=1, max_length=255)
    good: int = Field(ge=0, le=1_000_000)
    scrap: int = Field(0, ge=0, le=1_000_000)
    order_id: str | None = Field(None, max_length=64)
    operation: int | str | None = None
    note: str = Field("", max_length=500)


class DowntimeIn(BaseModel):
    equipment: str = Field(min_length=1, max_length=255)
    start: str = Field(description="ISO 8601 instant")
    end: str = Field(description="ISO 8601 instant (not in the future)")
    reason: str = Field(min_length=1, max_length=128, description="a leaf of the reason tree")
    note: str = Field("", max_length=500)


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=128)
    note: str = Field("", max_length=500)
    replace: bool = Field(False, description="correct a reason given before")


@router.post("/production/reports", status_code=201)
def report(body: ReportIn, ctx: Ctx, who: Operator) -> dict[str, Any]:
    """Counts of equipment that is not networked (to the operation running or queued there)."""
    path = ctx.equipment_path(body.equipment)
    row = ctx.need_mes().production.report(
        path,
        body.good,
        body.scrap,
        order_id=body.order_id,
        operation=body.operation,
        operator=who.username,
        note=body.note,
    )
    after: dict[str, Any] = plain(row.to_dict())
    audit(ctx, who, "production.report", f"equipment/{path}", None, after, body.note)
    return after


@router.get("/downtime")
def downtime(
    ctx: Ctx,
    who: Reader,
    paging: Annotated[Paging, Depends()],
    equipment: Equipment = None,
    start: str | None = None,
    end: str | None = None,
    unexplained: bool = False,
) -> dict[str, Any]:
    """Downtime records overlapping [start, end), oldest first."""
    path = ctx.equipment_path(equipment) if equipment else None
    rows = ctx.need_mes().downtime.list(
        equipment=path,
        start_ns=instant(start, "start"),
        end_ns=instant(end, "end"),
        unexplained=unexplained,
    )
    return paging.page([d.to_dict() for d in rows])


@router.get("/downtime/summary")
def downtime_summary(
    ctx: Ctx,
    who: Reader,
    equipment: Equipment = None,
    start: str | None = None,
    end: str | None = None,
) -> dict[str, Any]:
    """Seconds and count per reason code, longest first (a Pareto)."""
    path = ctx.equipment_path(equipment) if equipment else None
    mes = ctx.need_mes()
    rows = mes.downtime.summary(
        equipment=path, start_ns=instant(start, "start"), end_ns=instant(end, "end")
    )
    tree = mes.ctx.reasons.reasons
    for row in rows:  # the reason's name, in every language the tree gives
        known = tree.get(row["reason"])
        row["name"] = known.name if known is not None else None
        row["names"] = dict(known.names) if known is not None else {}
    return {"items": rows}


@router.post("/downtime", status_code=201)
def report_downtime(body: DowntimeIn, ctx: Ctx, who: Operator) -> dict[str, Any]:
    """A downtime of equipment that is not networked, with its reason."""
    path = ctx.equipment_path(body.equipment)
    row = ctx.need_mes().downtime.report(
        path,
        need_instant(body.start, "start"),
        need_instant(body.end, "end"),
        body.reason,
        who=who.username,
        note=body.note,
    )
    after: dict[str, Any] = plain(row.to_dict())
    audit(ctx, who, "downtime.report", f"downtime/{row.id}", None, after, body.note)
    return after


@router.post("/downtime/{downtime_id}/reason")
def assign_reason(
    downtime_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: ReasonIn, ctx: Ctx, who: Operator
) -> dict[str, Any]:
    """Give a downtime its reason (``replace`` to correct one)."""
    downtimes = ctx.need_mes().downtime
    before = next(
        (d.to_dict() for d in downtimes.list(unexplained=not body.replace) if d.id == downtime_id),
        None,
    )
    row = downtimes.assign(
        downtime_id, body.reason, who=who.username, note=body.note, replace=body.replace
    )
    after: dict[str, Any] = plain(row.to_dict())
    audit(ctx, who, "downtime.reason", f"downtime/{downtime_id}", before, after, body.note)
    return after


@router.get("/equipment-states")
def states(
    ctx: Ctx, who: Reader, paging: Annotated[Paging, Depends()], equipment: Equipment = None
) -> dict[str, Any]:
    """Current PackML state and ISO 22400 time element of each equipment."""
    path = ctx.equipment_path(equipment) if equipment else None
    return paging.page([s.to_dict() for s in ctx.need_mes().states.current(path)])
