"""Alarms (ISA-18.2): list, history, acknowledge, shelve, unshelve."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from shopfloor.api.common import ERRORS, MAX_ID, Paging, audit
from shopfloor.api.context import ApiContext
from shopfloor.api.security import context, require
from shopfloor.auth.audit import plain
from shopfloor.auth.principal import Principal
from shopfloor.auth.roles import Permission
from shopfloor.mes.alarms import MAX_SHELVE_S, priority_class

router = APIRouter(tags=["alarms"], responses=ERRORS)
Ctx = Annotated[ApiContext, Depends(context)]
Reader = Annotated[Principal, require(Permission.READ)]
Operator = Annotated[Principal, require(Permission.ALARM_RESPOND)]
AlarmId = Annotated[int, Path(ge=1, le=MAX_ID)]


class PriorityClass(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"


class NoteIn(BaseModel):
    note: str = Field("", max_length=500)


class ShelveIn(BaseModel):
    duration_s: float = Field(gt=0, le=MAX_SHELVE_S, allow_inf_nan=False)
    note: str = Field("", max_length=500)


def _row(a: Any) -> dict[str, Any]:
    out: dict[str, Any] = plain(a.to_dict())
    return out | {"priority_class": priority_class(a.priority)}


def _before(ctx: ApiContext, alarm_id: int) -> dict[str, Any] | None:
    for a in ctx.need_mes().alarms.list(include_shelved=True):
        if a.id == alarm_id:
            return _row(a)
    return None


@router.get("/alarms")
def list_alarms(
    ctx: Ctx,
    who: Reader,
    paging: Annotated[Paging, Depends()],
    equipment: Annotated[str | None, Query(max_length=255)] = None,
    priority: Annotated[PriorityClass | None, Query()] = None,
    include_shelved: bool = False,
    include_normal: bool = False,
) -> dict[str, Any]:
    """Open alarms, most urgent first (shelved and finished ones on request)."""
    path = ctx.equipment_path(equipment) if equipment else None
    rows = ctx.need_mes().alarms.list(
        include_normal=include_normal, include_shelved=include_shelved, equipment=path
    )
    out = [_row(a) for a in rows]
    if priority is not None:
        out = [r for r in out if r["priority_class"] == priority.value]
    return paging.page(out)


@router.get("/alarms/{alarm_id}/history")
def alarm_history(
    alarm_id: AlarmId, ctx: Ctx, who: Reader, paging: Annotated[Paging, Depends()]
) -> dict[str, Any]:
    return paging.page([t.to_dict() for t in ctx.need_mes().alarms.history(alarm_id)])


@router.post("/alarms/{alarm_id}/ack")
def ack(alarm_id: AlarmId, body: NoteIn, ctx: Ctx, who: Operator) -> dict[str, Any]:
    before = _before(ctx, alarm_id)
    after = _row(ctx.need_mes().alarms.ack(alarm_id, who=who.username, note=body.note))
    audit(ctx, who, "alarm.ack", f"alarm/{alarm_id}", before, after, body.note)
    return after


@router.post("/alarms/{alarm_id}/shelve")
def shelve(alarm_id: AlarmId, body: ShelveIn, ctx: Ctx, who: Operator) -> dict[str, Any]:
    before = _before(ctx, alarm_id)
    a = ctx.need_mes().alarms.shelve(alarm_id, body.duration_s, who=who.username, note=body.note)
    after = _row(a)
    audit(ctx, who, "alarm.shelve", f"alarm/{alarm_id}", before, after, body.note)
    return after


@router.post("/alarms/{alarm_id}/unshelve")
def unshelve(alarm_id: AlarmId, ctx: Ctx, who: Operator) -> dict[str, Any]:
    before = _before(ctx, alarm_id)
    after = _row(ctx.need_mes().alarms.unshelve(alarm_id, who=who.username))
    audit(ctx, who, "alarm.unshelve", f"alarm/{alarm_id}", before, after)
    return after
