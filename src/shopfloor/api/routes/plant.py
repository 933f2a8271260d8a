"""The plant model: hierarchy, equipment with their tags, products, tag list."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from shopfloor.api.common import ERRORS, Paging
from shopfloor.api.context import ApiContext
from shopfloor.api.security import context, require
from shopfloor.auth.principal import Principal
from shopfloor.auth.roles import Permission
from shopfloor.plant.model import Equipment, EquipmentClass, Tag

router = APIRouter(tags=["plant"], responses=ERRORS)
Ctx = Annotated[ApiContext, Depends(context)]
Reader = Annotated[Principal, require(Permission.READ)]


def _tag(path: str, t: Tag) -> dict[str, Any]:
    return {
        "id": f"{path}/{t.name}",
        "name": t.name,
        "description": t.description,
        "unit": t.unit,
        "data_type": t.data_type.value,
        "rate_hz": t.rate_hz,
        "signal": t.signal,
        "eu_range": list(t.eu_range) if t.eu_range is not None else None,
    }


def _equipment(path: str, e: Equipment, tags: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "path": path,
        "id": e.id,
        "name": e.name,
        "names": dict(e.names),
        "class": e.cls.value,
        "vendor": e.vendor,
        "model": e.model,
        "connectivity": e.connectivity.value,
        "protocol": e.protocol.value,
        "line": path.rsplit("/", 2)[0],
        "tag_count": len(e.tags),
    }
    if tags:
        out["tags"] = [_tag(path, t) for t in e.tags]
    return out


@router.get("/plant")
def plant(ctx: Ctx, who: Reader) -> dict[str, Any]:
    """The ISA-95 hierarchy: enterprise, site, areas, lines, cells and equipment ids."""
    p = ctx.plant
    site = p.site.id
    return {
        "name": p.name,
        "description": p.description,
        "enterprise": {
            "id": p.enterprise.id,
            "name": p.enterprise.name,
            "names": dict(p.enterprise.names),
        },
        "site": {
            "id": site,
            "name": p.site.name,
            "names": dict(p.site.names),
            "timezone": p.site.timezone,
        },
        "areas": [
            {
                "id": a.id,
                "path": f"{site}/{a.id}",
                "name": a.name,
                "names": dict(a.names),
                "lines": [
                    {
                        "id": ln.id,
                        "path": f"{site}/{a.id}/{ln.id}",
                        "name": ln.name,
                        "names": dict(ln.names),
                        "kind": ln.kind,
                        "cells": [
                            {
                                "id": c.id,
                                "path": f"{site}/{a.id}/{ln.id}/{c.id}",
                                "name": c.name,
                                "names": dict(c.names),
                                "equipment": [e.id for e in c.equipment],
                            }
                            for c in ln.cells
                        ],
                    }
                    for ln in a.lines
                ],
            }
            for a in p.areas
        ],
        "equipment_count": len(p.equipment_by_path),
        "tag_count": len(ctx.tag_ids),
    }


@router.get("/plant/equipment")
def equipment_list(
    ctx: Ctx,
    who: Reader,
    paging: Annotated[Paging, Depends()],
    under: Annotated[
        str | None, Query(max_length=255, description="ISA-95 path prefix (site/area/line...)")
    ] = None,
    cls: Annotated[EquipmentClass | None, Query(alias="class")] = None,
) -> dict[str, Any]:
    """Equipment in plant order, filtered by path prefix and class."""
    prefix = under.strip("/") if under else None
    rows = [
        _equipment(path, e, tags=False)
        for path, *_r, e in ctx.plant.walk()
        if (prefix is None or path == prefix or path.startswith(prefix + "/"))
        and (cls is None or e.cls is cls)
    ]
    return paging.page(rows)


@router.get("/plant/equipment/{equipment:path}")
def equipment(
    equipment: Annotated[str, Path(max_length=255, description="equipment id or ISA-95 path")],
    ctx: Ctx,
    who: Reader,
) -> dict[str, Any]:
    """One equipment with its tags."""
    path = ctx.equipment_path(equipment)
    return _equipment(path, ctx.plant.equipment_by_path[path], tags=True)


@router.get("/plant/products")
def products(ctx: Ctx, who: Reader, paging: Annotated[Paging, Depends()]) -> dict[str, Any]:
    """Products with their routing (operations, eligible equipment, standard times)."""
    rows = []
    for p in ctx.plant.products:
        routing = ctx.plant.routing_by_id.get(p.routing)
        rows.append(
            {
                "id": p.id,
                "name": p.name,
                "unit_value": p.unit_value,
                "currency": p.currency,
                "routing": p.routing,
                "operations": [
                    {
                        "seq": o.seq,
                        "id": o.id,
                        "name": o.name,
                        "eligible": list(o.eligible),
                        "standard_time_s": o.standard_time_s,
                        "setup_time_s": o.setup_time_s,
                        "inspect": list(o.inspect),
                    }
                    for o in (routing.operations if routing else ())
                ],
            }
        )
    return paging.page(rows)


@router.get("/tags")
def tags(
    ctx: Ctx,
    who: Reader,
    paging: Annotated[Paging, Depends()],
    under: Annotated[str | None, Query(max_length=255, description="tag id or path prefix")] = None,
) -> dict[str, Any]:
    """Tags of the plant with unit, data type and rate (filtered by path prefix)."""
    wanted = set(ctx.tags_under(under)) if under else None
    rows = [
        _tag(path, t)
        for path, *_r, e in ctx.plant.walk()
        for t in e.tags
        if wanted is None or f"{path}/{t.name}" in wanted
    ]
    return paging.page(rows)


@router.get("/tags/undeclared")
def undeclared_tags(ctx: Ctx, who: Reader, paging: Annotated[Paging, Depends()]) -> dict[str, Any]:
    """Tags the platform received that the plant file does not declare (a Sparkplug device or
    metric not in the file, a message on the UNS from another publisher, a machine removed from
    the file): in the historian or among the live values, with the newest value seen. Add them
    to the plant file to give them units, names and rules (``shopfloor plant discover`` drafts
    one)."""
    declared = set(ctx.plant.tag_ids())
    live = {v.tag: v for v in ctx.live.snapshot()}
    stored: dict[str, tuple[str, str]] = {}
    if ctx.historian is not None:
        with ctx.historian.lock:
            stored = {t.name: (t.unit, t.data_type) for t in ctx.historian.registry}
    rows = []
    for name in sorted((set(live) | set(stored)) - declared):
        unit, data_type = stored.get(name, ("", ""))
        owner = name.rsplit("/", 1)[0]
        last = live.get(name)
        rows.append(
            {
                "tag": name,
                "equipment": owner if owner in ctx.plant.equipment_by_path else None,
                "unit": unit,
                "data_type": data_type or None,
                "stored": name in stored,
                "last": last.to_dict() if last is not None else None,
            }
        )
    return paging.page(rows)
