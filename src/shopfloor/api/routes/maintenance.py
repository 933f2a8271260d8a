"""Predictive maintenance: live equipment health and the maintenance work orders it opens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from shopfloor.api.common import ERRORS, Paging, audit
from shopfloor.api.context import ApiContext
from shopfloor.api.errors import Unavailable
from shopfloor.api.security import context, require
from shopfloor.auth.audit import plain
from shopfloor.auth.principal import Principal
from shopfloor.auth.roles import Permission
from shopfloor.mes.maintenance import CLOSED, OPEN

router = APIRouter(tags=["maintenance"], responses=ERRORS)
Ctx = Annotated[ApiContext, Depends(context)]
Reader = Annotated[Principal, require(Permission.READ)]
Reporter = Annotated[Principal, require(Permission.PRODUCTION_REPORT)]
OrderId = Annotated[str, Path(min_length=1, max_length=64)]


class CloseIn(BaseModel):
    note: str = Field("", max_length=500)


@router.get("/maintenance/health")
def equipment_health(
    ctx: Ctx,
    who: Reader,
    equipment: Annotated[str | None, Query(max_length=255)] = None,
) -> dict[str, Any]:
    """Latest health of each monitored equipment: health index, anomaly, RUL, top features.

    RUL is in hours; the top contributing features explain the anomaly score; ``alarm`` says
    whether the equipment raised a maintenance alarm (and its work order). ``state`` is the live
    health service's (e.g. training its models: no items yet)."""
    if ctx.maintenance is None:
        raise Unavailable(
            "maintenance: this server runs no live health service", service="maintenance"
        )
    state, rows = ctx.maintenance()
    if equipment:
        path = ctx.equipment_path(equipment)
        rows = {p: r for p, r in rows.items() if p == path}
    return {"state": state, "items": plain(list(rows.values())), "count": len(rows)}


@router.get("/maintenance/orders")
def list_orders(
    ctx: Ctx,
    who: Reader,
    paging: Annotated[Paging, Depends()],
    equipment: Annotated[str | None, Query(max_length=255)] = None,
    status: Annotated[str | None, Query(pattern=f"^({OPEN}|{CLOSED})$")] = None,
) -> dict[str, Any]:
    """Maintenance work orders, newest first, with the evidence that opened them."""
    path = ctx.equipment_path(equipment) if equipment else None
    rows = ctx.need_mes().maintenance.list(equipment=path, status=status)
    return paging.page([plain(o.to_dict()) for o in rows])


@router.post("/maintenance/orders/{order_id}/close")
def close_order(order_id: OrderId, body: CloseIn, ctx: Ctx, who: Reporter) -> dict[str, Any]:
    """Close a work order: the work is done (audited)."""
    mes = ctx.need_mes()
    before = plain(mes.maintenance.get(order_id).to_dict())
    after = plain(mes.maintenance.close(order_id, who=who.username, note=body.note).to_dict())
    audit(ctx, who, "maintenance.close", f"maintenance/{order_id}", before, after, body.note)
    out: dict[str, Any] = after
    return out
