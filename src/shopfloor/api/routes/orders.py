"""Job orders (list, create, lifecycle actions, history) and dispatch lists."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from shopfloor.api.common import ERRORS, Paging, audit, instant
from shopfloor.api.context import ApiContext
from shopfloor.api.security import context, require
from shopfloor.auth.audit import plain
from shopfloor.auth.principal import Principal
from shopfloor.auth.roles import Permission
from shopfloor.mes.lifecycle import OrderStatus

router = APIRouter(responses=ERRORS)
Ctx = Annotated[ApiContext, Depends(context)]
Reader = Annotated[Principal, require(Permission.READ)]
Engineer = Annotated[Principal, require(Permission.ORDER_EDIT)]
OrderId = Annotated[str, Path(min_length=1, max_length=64)]
EquipmentRef = Annotated[str, Path(max_length=255, description="equipment id or ISA-95 path")]


class OrderIn(BaseModel):
    product: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=1_000_000)
    priority: int = Field(0, ge=-1000, le=1000)
    due: str | None = Field(None, description="ISO 8601 instant")
    id: str | None = Field(None, max_length=64, description="order id (default: JO-nnnnnn)")


class Action(StrEnum):
    RELEASE = "release"
    HOLD = "hold"
    RESUME = "resume"
    COMPLETE = "complete"
    ABORT = "abort"


class ActionIn(BaseModel):
    reason: str = Field("", max_length=500, description="required for hold and abort")


class SequenceItem(BaseModel):
    order_id: str = Field(min_length=1, max_length=64)
    operation: int | str = Field(description="operation seq number or id")


class SequenceIn(BaseModel):
    sequence: list[SequenceItem] = Field(max_length=1000)


def _order(ctx: ApiContext, order_id: str) -> dict[str, Any]:
    out: dict[str, Any] = plain(ctx.need_mes().orders.get(order_id).to_dict(operations=True))
    return out


@router.get("/orders", tags=["orders"])
def list_orders(
    ctx: Ctx,
    who: Reader,
    paging: Annotated[Paging, Depends()],
    status: Annotated[list[OrderStatus] | None, Query()] = None,
    product: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """Orders, most urgent first (priority, then due date), filtered by status and product."""
    rows = ctx.need_mes().orders.list(
        status=[s.value for s in status or ()], product=product, limit=paging.fetch
    )
    return paging.page([o.to_dict() for o in rows])


@router.post("/orders", status_code=201, tags=["orders"])
def create_order(body: OrderIn, ctx: Ctx, who: Engineer) -> dict[str, Any]:
    order = ctx.need_mes().orders.create(
        body.product,
        body.quantity,
        due_ns=instant(body.due, "due"),
        priority=body.priority,
        order_id=body.id,
        who=who.username,
    )
    after: dict[str, Any] = plain(order.to_dict(operations=True))
    audit(ctx, who, "order.create", f"order/{order.id}", None, after)
    return after


@router.get("/orders/{order_id}", tags=["orders"])
def get_order(order_id: OrderId, ctx: Ctx, who: Reader) -> dict[str, Any]:
    return _order(ctx, order_id)


@router.get("/orders/{order_id}/history", tags=["orders"])
def order_history(
    order_id: OrderId, ctx: Ctx, who: Reader, paging: Annotated[Paging, Depends()]
) -> dict[str, Any]:
    """Every status change of the order and its operations: who, when, why."""
    return paging.page([t.to_dict() for t in ctx.need_mes().orders.history(order_id)])


@router.post("/orders/{order_id}/{action}", tags=["orders"])
def order_action(
    order_id: OrderId, action: Action, body: ActionIn, ctx: Ctx, who: Engineer
) -> dict[str, Any]:
    """Release, hold, resume, complete or abort an order (hold and abort need a reason)."""
    mes = ctx.need_mes()
    before = _order(ctx, order_id)
    if action is Action.RELEASE:
        mes.orders.release(order_id, who=who.username)
    elif action is Action.HOLD:
        mes.orders.hold(order_id, body.reason, who=who.username)
    elif action is Action.RESUME:
        mes.orders.resume(order_id, who=who.username)
    elif action is Action.COMPLETE:
        mes.orders.complete(order_id, who=who.username, reason=body.reason)
    else:
        mes.orders.abort(order_id, body.reason, who=who.username)
    after = _order(ctx, order_id)
    audit(ctx, who, f"order.{action.value}", f"order/{order_id}", before, after, body.reason)
    return after


@router.get("/dispatch/{equipment:path}", tags=["dispatch"])
def dispatch_list(
    equipment: EquipmentRef, ctx: Ctx, who: Reader, paging: Annotated[Paging, Depends()]
) -> dict[str, Any]:
    """The work unit's dispatch list, in order."""
    path = ctx.equipment_path(equipment)
    return paging.page(ctx.need_mes().dispatch.list(path))


@router.put("/dispatch/{equipment:path}", tags=["dispatch"])
def set_dispatch(
    equipment: EquipmentRef,
    body: SequenceIn,
    ctx: Ctx,
    who: Annotated[Principal, require(Permission.DISPATCH_EDIT)],
) -> dict[str, Any]:
    """Make ``sequence`` the head of the work unit's queue (sent entries stay in front)."""
    mes = ctx.need_mes()
    path = ctx.equipment_path(equipment)
    before = mes.dispatch.list(path)
    after = mes.dispatch.apply_sequence(
        path, [(i.order_id, i.operation) for i in body.sequence], who=who.username
    )
    audit(ctx, who, "dispatch.set", f"dispatch/{path}", {"list": before}, {"list": after})
    return {"equipment": path, "items": plain(after)}
