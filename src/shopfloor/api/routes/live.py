"""Live values: the newest value of each tag now, and a Server-Sent Events stream of changes.

The stream (``GET /api/v1/live/stream``, ``text/event-stream``) sends one ``snapshot`` event
with every current value, then ``values`` events with the values that changed, at most one per
``interval`` seconds, and a comment line every :data:`HEARTBEAT_S` seconds when nothing changes
(so proxies keep the connection). Each event's ``id`` is the change number; ``data`` is JSON.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from shopfloor.api.common import ERRORS, Paging
from shopfloor.api.context import ApiContext
from shopfloor.api.live import LiveValue, json_bytes
from shopfloor.api.security import context, require
from shopfloor.auth.principal import Principal
from shopfloor.auth.roles import Permission

router = APIRouter(tags=["live"], responses=ERRORS)
Ctx = Annotated[ApiContext, Depends(context)]
Reader = Annotated[Principal, require(Permission.READ)]
TagQ = Annotated[
    str | None, Query(max_length=255, description="tag id or path prefix (default: every tag)")
]

HEARTBEAT_S = 15.0


def _prefix(ctx: ApiContext, tag: str | None) -> str | None:
    if tag is None:
        return None
    ctx.tags_under(tag)  # NotFound when no tag of the plant is there
    return tag.strip().strip("/")


def _page(rows: list[LiveValue], seq: int, limit: int, offset: int) -> bytes:
    rows = rows[offset:]
    more = len(rows) > limit
    body: dict[str, Any] = {
        "items": [v.to_dict() for v in rows[:limit]],
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if more else None,
        "seq": seq,
    }
    return json_bytes(body)


@router.get("/live/values", response_class=JSONResponse)
async def values(
    ctx: Ctx, who: Reader, paging: Annotated[Paging, Depends()], tag: TagQ = None
) -> Response:
    """The newest value of each tag (from the live cache), by tag id."""
    prefix = _prefix(ctx, tag)
    limit, offset = paging.limit, paging.offset
    body = ctx.live.rendered(
        ("values", prefix, limit, offset),
        prefix,
        lambda rows, seq: _page(rows, seq, limit, offset),
    )
    return Response(body, media_type="application/json")  # kept while no value changes


def _event(kind: str, seq: int, rows: list[LiveValue]) -> str:
    data = json.dumps([v.to_dict() for v in rows], separators=(",", ":"))
    return f"event: {kind}\nid: {seq}\ndata: {data}\n\n"


@router.get(
    "/live/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "event stream"}},
)
async def stream(
    request: Request,
    ctx: Ctx,
    who: Reader,
    tag: TagQ = None,
    interval: Annotated[
        float, Query(ge=0.05, le=60, description="least seconds between two events")
    ] = 0.5,
) -> StreamingResponse:
    """Server-Sent Events: a ``snapshot`` event, then ``values`` events as values change."""
    prefix = _prefix(ctx, tag)
    live = ctx.live

    async def events() -> AsyncIterator[str]:
        rows, seq = live.changes(prefix, 0)
        yield _event("snapshot", seq, rows)
        while not live.closed:
            changed = await live.wait(seq, HEARTBEAT_S)
            if live.closed or await request.is_disconnected():
                break
            if not changed:
                yield ": keepalive\n\n"
                continue
            rows, seq = live.changes(prefix, seq)
            if rows:
                yield _event("values", seq, rows)
            await asyncio.sleep(interval)  # rate limit: at most one event per interval

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
