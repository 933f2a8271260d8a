"""Vectorised summaries of one write batch, computed by DuckDB straight over the Arrow columns.

Two small tables come out of a batch of any size: the 1-second partial aggregates of its good
samples (what the rollups are built from) and one row per tag (earliest and latest instant, the
latest sample). Both backends use them: the DuckDB store on its own connection, the PostgreSQL
store on a private in-memory DuckDB, so the arithmetic is the same code for both.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shopfloor.historian.spans import LEVELS
from shopfloor.historian.sql import DUCKDB, PARTIAL_COLUMNS, from_samples

_names = itertools.count()
#: Column names of :func:`coarsen`'s group-by, in :data:`PARTIAL_COLUMNS` order.
_GROUPED = (
    "tag_id",
    "bucket",
    "n_sum",
    "total_sum",
    "vmin_min",
    "vmax_max",
    "first_ts_min",
    "first_value_first",
    "last_ts_max",
    "last_value_last",
)


@dataclass(frozen=True, slots=True)
class Summary:
    """``parts``: partials per (tag, 1 s bucket); ``tags``: per tag min/max ts, latest sample."""

    parts: pa.Table
    tags: pa.Table

    @property
    def min_ts(self) -> int:
        return int(pc.min(self.tags.column("min_ts")).as_py())

    @property
    def max_ts(self) -> int:
        return int(pc.max(self.tags.column("max_ts")).as_py())


def summarise(con: duckdb.DuckDBPyConnection, stage: pa.Table) -> Summary:
    """Partials and per-tag summary of ``stage`` (a batch in the stage schema)."""
    tag_ids = stage.column("tag_id").to_numpy()
    ts = stage.column("ts").to_numpy()
    runs = tag_runs(tag_ids, ts)
    if runs is not None:
        return _summarise_runs(stage, tag_ids, ts, runs)
    return _summarise_sql(con, stage)


def tag_runs(tag_ids: np.ndarray, ts: np.ndarray) -> np.ndarray | None:
    """Start index of each tag's run when every tag's rows are one run with rising ts."""
    if len(ts) == 0:
        return None
    same = tag_ids[1:] == tag_ids[:-1]
    if not np.all(ts[1:][same] > ts[:-1][same]):
        return None
    starts = np.concatenate([[0], np.flatnonzero(~same) + 1])
    if np.bincount(tag_ids[starts]).max() > 1:
        return None
    return starts


def _summarise_runs(
    stage: pa.Table, tag_ids: np.ndarray, ts: np.ndarray, runs: np.ndarray
) -> Summary:
    """The same two tables by segment reductions (numpy), for batches made of tag runs."""
    ends = np.append(runs[1:], len(ts)) - 1
    last = pa.array(ends)
    tags = pa.table(
        {
            "tag_id": pa.array(tag_ids[runs]),
            "min_ts": pa.array(ts[runs]),
            "max_ts": pa.array(ts[ends]),
            "value": stage.column("value").take(last),
            "text": stage.column("text").take(last),
            "quality": stage.column("quality").take(last),
        }
    )
    value = stage.column("value").to_numpy(zero_copy_only=False)
    quality = stage.column("quality").to_numpy()
    good = (quality == 0) & ~np.isnan(value)
    if not good.all():
        tag_ids, ts, value = tag_ids[good], ts[good], value[good]
    width = LEVELS[0].width_ns
    bucket = ts - ts % width
    if len(ts) == 0:
        return Summary(_empty_parts(), tags)
    cut = (tag_ids[1:] != tag_ids[:-1]) | (bucket[1:] != bucket[:-1])
    starts = np.concatenate([[0], np.flatnonzero(cut) + 1])
    stops = np.append(starts[1:], len(ts)) - 1
    parts = pa.table(
        {
            "tag_id": pa.array(tag_ids[starts]),
            "bucket": pa.array(bucket[starts]),
            "n": pa.array(stops - starts + 1, pa.int64()),
            "total": pa.array(np.add.reduceat(value, starts)),
            "vmin": pa.array(np.minimum.reduceat(value, starts)),
            "vmax": pa.array(np.maximum.reduceat(value, starts)),
            "first_ts": pa.array(ts[starts]),
            "first_value": pa.array(value[starts]),
            "last_ts": pa.array(ts[stops]),
            "last_value": pa.array(value[stops]),
        }
    )
    return Summary(parts, tags)


def _empty_parts() -> pa.Table:
    return pa.table(
        {
            "tag_id": pa.array([], pa.uint32()),
            "bucket": pa.array([], pa.int64()),
            "n": pa.array([], pa.int64()),
            **{c: pa.array([], pa.float64()) for c in ("total", "vmin", "vmax")},
            "first_ts": pa.array([], pa.int64()),
            "first_value": pa.array([], pa.float64()),
            "last_ts": pa.array([], pa.int64()),
            "last_value": pa.array([], pa.float64()),
        }
    )


def _summarise_sql(con: duckdb.DuckDBPyConnection, stage: pa.Table) -> Summary:
    """Any batch shape: DuckDB aggregates straight over the Arrow columns."""
    name = f"hist_stage_{next(_names)}"
    con.register(name, stage)
    try:
        parts = con.sql(from_samples(DUCKDB, name, LEVELS[0].width_ns)).to_arrow_table()
        tags = con.sql(
            "SELECT tag_id, min_ts, max_ts, s.v AS value, s.t AS text, s.q AS quality FROM ("
            "SELECT tag_id, min(ts) AS min_ts, max(ts) AS max_ts, "
            "arg_max({'v': value, 't': text, 'q': quality}, ts) AS s "
            f"FROM {name} GROUP BY tag_id)"
        ).to_arrow_table()
    finally:
        con.unregister(name)
    return Summary(parts, tags)


def coarsen(parts: pa.Table, width: int) -> pa.Table:
    """1 s partials combined into ``width``-ns buckets (a small table: Arrow, no SQL).

    The 1 s buckets of a tag do not overlap in time, so after sorting by first instant the
    first and last partials of each coarse bucket are also its first and last samples.
    """
    bucket = parts.column("bucket").to_numpy()
    keyed = parts.set_column(1, "bucket", pa.array(bucket - bucket % width))
    ordered = keyed.sort_by(
        [("tag_id", "ascending"), ("bucket", "ascending"), ("first_ts", "ascending")]
    )
    grouped = ordered.group_by(["tag_id", "bucket"], use_threads=False).aggregate(
        [
            ("n", "sum"),
            ("total", "sum"),
            ("vmin", "min"),
            ("vmax", "max"),
            ("first_ts", "min"),
            ("first_value", "first"),
            ("last_ts", "max"),
            ("last_value", "last"),
        ]
    )
    return grouped.select(list(_GROUPED)).rename_columns(list(PARTIAL_COLUMNS))
