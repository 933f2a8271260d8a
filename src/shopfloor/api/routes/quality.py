"""Genealogy trace, quality specifications and results, SPC charts, non-conformance records."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from shopfloor.api.common import ERRORS, Paging, audit
from shopfloor.api.context import ApiContext
from shopfloor.api.security import context, require
from shopfloor.auth.audit import plain
from shopfloor.auth.principal import Principal
from shopfloor.auth.roles import Permission
from shopfloor.mes.lifecycle import MesNotFound, NcrStatus
from shopfloor.mes.spc_watch import CHARTS, TooFewResults

router = APIRouter(responses=ERRORS)
Ctx = Annotated[ApiContext, Depends(context)]
Reader = Annotated[Principal, require(Permission.READ)]
Id64 = Annotated[str, Path(min_length=1, max_length=64)]
Chart = StrEnum("Chart", {c.upper(): c for c in CHARTS})  # type: ignore[misc]


class Direction(StrEnum):
    BACKWARD = "backward"
    FORWARD = "forward"


class SpecIn(BaseModel):
    nominal: float | None = Field(None, allow_inf_nan=False)
    lsl: float | None = Field(None, allow_inf_nan=False)
    usl: float | None = Field(None, allow_inf_nan=False)
    unit: str = Field("", max_length=32)


class ResultIn(BaseModel):
    serial: str = Field(min_length=1, max_length=64)
    characteristic: str = Field(min_length=1, max_length=64)
    value: float = Field(allow_inf_nan=False)
    equipment: str | None = Field(None, max_length=255)


@router.get("/trace/{item}", tags=["genealogy"])
def trace(
    item: Id64, ctx: Ctx, who: Reader, direction: Direction = Direction.BACKWARD
) -> dict[str, Any]:
    """Backward: lots, sub-assemblies, machines, operators and process values that went into a
    serial. Forward: every unit that contains a lot or serial."""
    out: dict[str, Any] = plain(ctx.need_mes().trace.trace(item, direction=direction.value))
    return out


@router.get("/quality/specs", tags=["quality"])
def specs(
    ctx: Ctx,
    who: Reader,
    paging: Annotated[Paging, Depends()],
    product: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    return paging.page([s.to_dict() for s in ctx.need_mes().quality.specs(product)])


@router.put("/quality/specs/{product}/{characteristic}", tags=["quality"])
def set_spec(
    product: Id64,
    characteristic: Id64,
    body: SpecIn,
    ctx: Ctx,
    who: Annotated[Principal, require(Permission.QUALITY_EDIT)],
) -> dict[str, Any]:
    """Set (insert or replace) the specification of a product's characteristic."""
    quality = ctx.need_mes().quality
    try:
        before: dict[str, Any] | None = quality.spec(product, characteristic).to_dict()
    except MesNotFound:
        before = None
    spec = quality.set_spec(
        product, characteristic, nominal=body.nominal, lsl=body.lsl, usl=body.usl, unit=body.unit
    )
    after: dict[str, Any] = plain(spec.to_dict())
    audit(ctx, who, "quality.spec", f"spec/{product}/{characteristic}", before, after)
    return after


@router.get("/quality/results", tags=["quality"])
def results(
    ctx: Ctx,
    who: Reader,
    paging: Annotated[Paging, Depends()],
    product: Annotated[str, Query(min_length=1, max_length=64)],
    characteristic: Annotated[str, Query(min_length=1, max_length=64)],
) -> dict[str, Any]:
    """Inspection results of a characteristic, newest first."""
    rows = ctx.need_mes().quality.results(product, characteristic, last=paging.fetch)
    return paging.page([r.to_dict() for r in reversed(rows)])


@router.post("/quality/results", status_code=201, tags=["quality"])
def record_result(
    body: ResultIn, ctx: Ctx, who: Annotated[Principal, require(Permission.QUALITY_RECORD)]
) -> dict[str, Any]:
    """Record an inspection result by hand; a result out of spec opens a non-conformance."""
    equipment = ctx.equipment_path(body.equipment) if body.equipment else None
    row = ctx.need_mes().quality.record(
        body.serial, body.characteristic, body.value, equipment=equipment, who=who.username
    )
    after: dict[str, Any] = plain(row.to_dict())
    audit(ctx, who, "quality.result", f"unit/{body.serial}", None, after)
    return after


@router.get("/quality/spc", tags=["quality"])
def spc(
    ctx: Ctx,
    who: Reader,
    product: Annotated[str, Query(min_length=1, max_length=64)],
    characteristic: Annotated[str | None, Query(max_length=64)] = None,
    chart: Chart = "imr",  # type: ignore[assignment]
    subgroup: Annotated[int, Query(ge=2, le=25)] = 5,
    last: Annotated[int, Query(ge=2, le=1000)] = 125,
) -> dict[str, Any]:
    """Control chart, rule violations (Nelson) and capability of the latest results. Reading
    a chart raises no alarm (MES's own SPC watch does)."""
    try:
        out: dict[str, Any] = plain(
            ctx.need_mes().spc.evaluate(
                product,
                characteristic,
                chart=str(chart),
                subgroup=subgroup,
                last=last,
                alarms=False,
            )
        )
    except TooFewResults as exc:  # not yet enough results: an empty chart, not an error
        return {
            "product": product, "characteristic": characteristic, "chart": str(chart),
            "charts": [], "violations": [], "capability": None, "alarms": [],
            "results": exc.details["results"], "needed": exc.details["needed"],
        }  # fmt: skip
    return out


@router.get("/quality/ncrs", tags=["quality"])
def ncrs(
    ctx: Ctx,
    who: Reader,
    paging: Annotated[Paging, Depends()],
    status: NcrStatus | None = None,
    serial: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """Non-conformance records."""
    rows = ctx.need_mes().ncr.list(status=status.value if status else None, serial=serial)
    return paging.page([n.to_dict() for n in rows])
