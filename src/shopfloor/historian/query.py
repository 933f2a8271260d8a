"""Queries, as plain functions that take a store: raw range, buckets, last value, interpolation.

``query(store, "site/area/line/cell/eq/tag", start, end, bucket="1m", agg="avg")`` selects a tag
or every tag under a path prefix (a cell, an equipment, a line...), reads ``[start, end)`` and
returns a :class:`~shopfloor.historian.results.QueryResult`. Without ``bucket`` it returns the
raw samples. Aggregates and interpolation use good samples only (quality good, a number).
A bucket query is answered from the coarsest rollup that fits exactly (bucket, start and end
multiples of 1 h, 1 min or 1 s), else from raw.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shopfloor.errors import BadInput
from shopfloor.historian.interpolate import interpolate_table
from shopfloor.historian.results import QueryResult
from shopfloor.historian.spans import (
    INTERPOLATIONS,
    check_aggregations,
    check_range,
    format_duration,
    parse_duration,
    serving_level,
    to_instant,
)
from shopfloor.historian.sql import from_partials, from_samples, id_list
from shopfloor.historian.store import Historian

Instant = int | datetime | str

_FETCH = pa.schema(
    [
        ("tag_id", pa.int64()),
        ("ts", pa.int64()),
        ("value", pa.float64()),
        ("text", pa.string()),
        ("quality", pa.int16()),
    ]
)
_PARTIALS = pa.schema(
    [
        ("tag_id", pa.int64()),
        ("bucket", pa.int64()),
        ("n", pa.int64()),
        ("total", pa.float64()),
        ("vmin", pa.float64()),
        ("vmax", pa.float64()),
        ("first_ts", pa.int64()),
        ("first_value", pa.float64()),
        ("last_ts", pa.int64()),
        ("last_value", pa.float64()),
    ]
)
_TS = pa.timestamp("ns", tz="UTC")


def query(
    store: Historian,
    path: str,
    start: Instant,
    end: Instant,
    bucket: str | int | timedelta | None = None,
    agg: str | Sequence[str] = "avg",
) -> QueryResult:
    """Raw samples (no ``bucket``), aggregates per bucket, or interpolated values per bucket.

    ``agg`` is one or more of avg, min, max, count, sum, first, last (a list or ``"avg,max"``),
    or ``step`` / ``linear`` for the interpolated value at each bucket start.
    """
    s, e = to_instant(start, "start"), to_instant(end, "end")
    check_range(s, e)
    ids = [t.tag_id for t in store.registry.select(path)]
    if bucket is None:
        return QueryResult(read_raw(store, ids, s, e), "raw")
    width = parse_duration(bucket)
    if isinstance(agg, str) and agg.strip().lower() in INTERPOLATIONS:
        first = s + (-s) % width
        grid = list(range(first, e, width))
        return _interpolated(store, ids, grid, agg.strip().lower())
    return _buckets(store, ids, s, e, width, check_aggregations(agg))


def last_value(store: Historian, path: str) -> QueryResult:
    """The newest stored sample of each selected tag (any quality)."""
    ids = [t.tag_id for t in store.registry.select(path)]
    sql = (
        "SELECT tag_id, ts, value, text, quality FROM hist_latest "
        f"WHERE tag_id IN {id_list(ids)} ORDER BY tag_id"
    )
    with store.lock:
        table = store.backend.arrow(sql, _FETCH)
    return QueryResult(_samples(store, table), "latest")


def interpolate(
    store: Historian, path: str, instants: Sequence[Instant], method: str = "linear"
) -> QueryResult:
    """Values of the selected tags at ``instants``: ``step`` holds the last good sample at or
    before each instant; ``linear`` joins the good samples around it (no extrapolation)."""
    if method not in INTERPOLATIONS:
        raise BadInput(
            f"unknown interpolation {method!r}; use {' or '.join(INTERPOLATIONS)}", field="method"
        )
    at = sorted({to_instant(i, "instant") for i in instants})
    if not at:
        raise BadInput("no instants given to interpolate at", field="instants")
    ids = [t.tag_id for t in store.registry.select(path)]
    return _interpolated(store, ids, at, method)


def _interpolated(store: Historian, ids: list[int], at: list[int], method: str) -> QueryResult:
    if not at:
        raise BadInput("the range holds no bucket start to interpolate at", field="bucket")
    with store.lock:
        around = store.backend.neighbours(ids, at)
    table = interpolate_table(around, method)
    out = pa.table(
        {
            "tag": store.registry.names(table.column("tag_id")),
            "ts": table.column("at_ns").cast(_TS),
            "value": table.column("value"),
        }
    )
    return QueryResult(out, f"raw ({method} interpolation)")


def read_raw(store: Historian, ids: list[int], start: int, end: int) -> pa.Table:
    sql = (
        "SELECT tag_id, ts, value, text, quality FROM hist_raw "
        f"WHERE tag_id IN {id_list(ids)} AND ts >= {start} AND ts < {end} ORDER BY tag_id, ts"
    )
    with store.lock:
        table = store.backend.arrow(sql, _FETCH)
    return _samples(store, table)


def _samples(store: Historian, table: pa.Table) -> pa.Table:
    return pa.table(
        {
            "tag": store.registry.names(table.column("tag_id")),
            "ts": table.column("ts").cast(_TS),
            "value": table.column("value"),
            "text": table.column("text"),
            "quality": table.column("quality").cast(pa.uint8()),
        }
    )


def _buckets(
    store: Historian, ids: list[int], start: int, end: int, width: int, aggs: tuple[str, ...]
) -> QueryResult:
    level = serving_level(width, start, end)
    d = store.backend.dialect
    edges = "first" in aggs or "last" in aggs
    with store.lock:
        if level is None:
            horizon = store.horizon
            if start < horizon:
                raise BadInput(
                    f"raw samples before {horizon} ns were downsampled into rollups; for that "
                    "time use a bucket and a range that are whole seconds (e.g. 1s, 1m, 1h)",
                    field="start",
                )
            where = f"tag_id IN {id_list(ids)} AND ts >= {start} AND ts < {end}"
            sql, source = from_samples(d, "hist_raw", width, where, edges), "raw"
        else:
            where = f"tag_id IN {id_list(ids)} AND bucket >= {start} AND bucket < {end}"
            sql = from_partials(d, level.table, width, where, edges, level.width_ns)
            source = f"rollup_{level.name}"
        parts = store.backend.arrow(sql + " ORDER BY 1, 2", _PARTIALS)
    columns: dict[str, pa.Array | pa.ChunkedArray] = {
        "tag": store.registry.names(parts.column("tag_id")),
        "bucket": parts.column("bucket").cast(_TS),
    }
    for a in aggs:
        columns[a] = _aggregate(parts, a)
    table = pa.table(columns)
    return QueryResult(table.replace_schema_metadata({"bucket": format_duration(width)}), source)


def _aggregate(parts: pa.Table, agg: str) -> pa.ChunkedArray:
    if agg == "avg":
        return pc.divide(parts.column("total"), parts.column("n").cast(pa.float64()))
    name = {
        "min": "vmin",
        "max": "vmax",
        "count": "n",
        "sum": "total",
        "first": "first_value",
        "last": "last_value",
    }[agg]
    return parts.column(name)


def grid(start: Instant, end: Instant, every: str | int | timedelta) -> list[int]:
    """Instants ``start, start+every, ...`` before ``end`` (for :func:`interpolate`)."""
    s, e = to_instant(start, "start"), to_instant(end, "end")
    check_range(s, e)
    return [int(x) for x in np.arange(s, e, parse_duration(every, "every"), dtype=np.int64)]
