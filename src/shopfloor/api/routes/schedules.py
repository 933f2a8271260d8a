"""Schedules: propose one for the open orders (the solver runs here), list, show, apply it.

A proposal is solved in a worker thread (these routes are plain functions, which FastAPI runs
in its thread pool), so the server keeps answering while a solver works up to its time limit.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field

from shopfloor.api.common import ERRORS, Paging, audit
from shopfloor.api.context import ApiContext
from shopfloor.api.security import context, require
from shopfloor.auth.audit import plain
from shopfloor.auth.principal import Principal
from shopfloor.auth.roles import Permission
from shopfloor.mes.planning import Applied

router = APIRouter(tags=["schedules"], responses=ERRORS)
Ctx = Annotated[ApiContext, Depends(context)]
Reader = Annotated[Principal, require(Permission.READ)]
Dispatcher = Annotated[Principal, require(Permission.DISPATCH_EDIT)]
ScheduleId = Annotated[str, Path(min_length=1, max_length=64)]


class ProposeIn(BaseModel):
    orders: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(
        None,
        max_length=1000,
        description="order ids (default: every released, running or held order with open work)",
    )
    solver: str = Field("default", min_length=1, max_length=64, description="solver name")
    time_limit_s: float = Field(10.0, ge=0.5, le=60, description="seconds the solver may take")
    apply: bool = Field(False, description="apply it to the dispatch lists at once")


def _apply(ctx: ApiContext, who: Principal, schedule_id: str) -> dict[str, Any]:
    done: Applied = ctx.need_mes().planning.apply(schedule_id, who=who.username)
    before = {"status": "proposed", "dispatch": done.before}
    after = {"status": done.schedule.status, "moved": done.moved, "dispatch": done.after}
    audit(ctx, who, "schedule.apply", f"schedule/{schedule_id}", before, after)
    out: dict[str, Any] = plain(done.to_dict())
    return out


@router.post("/schedules", status_code=201)
def propose(body: ProposeIn, ctx: Ctx, who: Dispatcher) -> dict[str, Any]:
    """Schedule the open orders and store the proposal (audited); with ``apply``, apply it
    too and say what that did under ``apply``."""
    planning = ctx.need_mes().planning
    row = planning.propose(
        body.orders, solver=body.solver, time_limit_s=body.time_limit_s, who=who.username
    )
    summary = plain(row.to_dict(full=False))
    audit(ctx, who, "schedule.propose", f"schedule/{row.id}", None, summary)
    if not body.apply:
        out: dict[str, Any] = plain(row.to_dict())
        return out
    done = _apply(ctx, who, row.id)
    return {**plain(planning.get(row.id).to_dict()), "apply": done}


@router.get("/schedules")
def list_schedules(ctx: Ctx, who: Reader, paging: Annotated[Paging, Depends()]) -> dict[str, Any]:
    """Schedules, newest first; ``units`` gives the number of entries per work unit."""
    rows = ctx.need_mes().planning.list(limit=paging.fetch)
    return paging.page([plain(r.to_dict(full=False)) for r in rows])


@router.get("/schedules/{schedule_id}")
def get_schedule(schedule_id: ScheduleId, ctx: Ctx, who: Reader) -> dict[str, Any]:
    """One schedule: figures, orders with planned end and lateness, entries per work unit."""
    out: dict[str, Any] = plain(ctx.need_mes().planning.get(schedule_id).to_dict())
    return out


@router.post("/schedules/{schedule_id}/apply")
def apply_schedule(schedule_id: ScheduleId, ctx: Ctx, who: Dispatcher) -> dict[str, Any]:
    """Make the schedule's sequences the dispatch lists of its work units, all or none
    (audited); ``moved`` counts the dispatch entries that changed place."""
    return _apply(ctx, who, schedule_id)
