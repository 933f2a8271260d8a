"""Health of this server's services and the status of the connectors."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from shopfloor.api.common import ERRORS
from shopfloor.api.context import ApiContext
from shopfloor.api.security import context, require
from shopfloor.auth.audit import plain
from shopfloor.auth.principal import Principal
from shopfloor.auth.roles import Permission

router = APIRouter(tags=["system"], responses=ERRORS)
Ctx = Annotated[ApiContext, Depends(context)]


@router.get("/health")
def health(ctx: Ctx) -> dict[str, Any]:
    """Liveness and the health of each service of the runtime (no authentication)."""
    services = dict(ctx.health()) if ctx.health is not None else {}
    return {
        "ok": all(h.ok for h in services.values()),
        "services": {n: {"ok": h.ok, "detail": h.detail} for n, h in services.items()},
    }


@router.get("/status/connectors")
def connectors(ctx: Ctx, who: Annotated[Principal, require(Permission.READ)]) -> dict[str, Any]:
    """Per connector and device: online, message and sample rates, latency, parked payloads."""
    out: dict[str, Any] = plain(ctx.need_status().snapshot())
    return out
