"""History queries against the historian: raw range, buckets (aggregates or interpolation),
last stored values. Tags are a tag id or an ISA-95 path prefix (every tag under it).

A bucket answer is kept for :data:`~shopfloor.api.answers.HISTORY_TTL_S` seconds and made once
for all the requests asking for it meanwhile (:class:`~shopfloor.api.answers.AnswerCache`), so
it may miss samples written during its last second."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from shopfloor.api.answers import history_answers
from shopfloor.api.common import ERRORS, Paging, need_instant
from shopfloor.api.context import ApiContext
from shopfloor.api.live import json_bytes
from shopfloor.api.security import context, require
from shopfloor.auth.principal import Principal
from shopfloor.auth.roles import Permission
from shopfloor.errors import BadInput
from shopfloor.historian import last_value, query
from shopfloor.historian.spans import NS_PER_DAY, check_range, parse_duration

router = APIRouter(tags=["history"], responses=ERRORS)
Ctx = Annotated[ApiContext, Depends(context)]
Reader = Annotated[Principal, require(Permission.READ)]
TagQ = Annotated[str, Query(min_length=1, max_length=255, description="tag id or path prefix")]
StartQ = Annotated[str, Query(description="ISO 8601 instant, inclusive")]
EndQ = Annotated[str, Query(description="ISO 8601 instant, exclusive")]

#: Longest range of a raw query (a bucket query covers any range).
MAX_RAW_NS = NS_PER_DAY
#: Most buckets (tags x buckets) one bucket query may produce.
MAX_BUCKETS = 200_000


@router.get("/history/raw")
def raw(
    ctx: Ctx,
    who: Reader,
    paging: Annotated[Paging, Depends()],
    tag: TagQ,
    start: StartQ,
    end: EndQ,
) -> dict[str, Any]:
    """Raw samples ``start <= ts < end`` (at most one day), by tag then time."""
    store = ctx.need_historian()
    s, e = need_instant(start, "start"), need_instant(end, "end")
    check_range(s, e)
    if e - s > MAX_RAW_NS:
        raise BadInput("end: a raw query covers at most one day; use buckets for more", field="end")
    result = query(store, tag, s, e)
    return paging.page(result.to_records()) | {"source": result.source}


@router.get("/history/buckets", response_class=JSONResponse)
def buckets(
    request: Request,
    ctx: Ctx,
    who: Reader,
    paging: Annotated[Paging, Depends()],
    tag: TagQ,
    start: StartQ,
    end: EndQ,
    bucket: Annotated[
        str, Query(max_length=32, description="bucket width: 500ms, 1s, 10s, 1m, 15m, 1h, 1d")
    ] = "1m",
    agg: Annotated[
        str,
        Query(
            max_length=64,
            description="avg, min, max, count, sum, first, last (comma list), or step / linear",
        ),
    ] = "avg",
) -> Response:
    """Aggregates (or interpolated values) per bucket, aligned to the Unix epoch."""
    store = ctx.need_historian()
    s, e = need_instant(start, "start"), need_instant(end, "end")
    check_range(s, e)
    width = parse_duration(bucket)
    tags = store.registry.select(tag)
    count = len(tags) * -(-(e - s) // width)
    if count > MAX_BUCKETS:
        raise BadInput(
            f"bucket: {count} buckets ({len(tags)} tags); at most {MAX_BUCKETS}: "
            "widen the bucket, narrow the range or the tags",
            field="bucket",
        )
    limit, offset = paging.limit, paging.offset

    def answer() -> bytes:
        result = query(store, tag, s, e, bucket=width, agg=agg)
        rows = result.to_records()[offset:]  # JSON values already
        page: dict[str, Any] = {
            "items": rows[:limit],
            "limit": limit,
            "offset": offset,
            "next_offset": offset + limit if len(rows) > limit else None,
        }
        return json_bytes(page | {"source": result.source, "bucket": bucket})

    key = (tag.strip(), s, e, width, agg.replace(" ", "").lower(), bucket, limit, offset)
    return Response(history_answers(request).get(key, answer), media_type="application/json")


@router.get("/history/last")
def last(ctx: Ctx, who: Reader, paging: Annotated[Paging, Depends()], tag: TagQ) -> dict[str, Any]:
    """The newest stored sample of each tag (any quality)."""
    result = last_value(ctx.need_historian(), tag)
    return paging.page(result.to_records()) | {"source": result.source}
