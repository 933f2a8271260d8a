"""Retention by downsampling: raw samples older than a horizon are folded into the rollups
(1 s, 1 min, 1 h) and then removed; the rollups are kept.

The horizon is rounded down to a whole hour so every rollup bucket before it is complete.
Before deleting, the rollup buckets of the retired span are rebuilt from raw, so they are exact
whatever happened before. Raw-only queries (raw range, interpolation, buckets that are not whole
seconds) see nothing before the horizon; writes before it are refused. Export the span to Parquet
first (:mod:`shopfloor.historian.archive`) when the raw samples must be kept somewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shopfloor.clock import Clock
from shopfloor.historian.spans import LEVELS, NS_PER_H, floor_to, parse_duration, to_instant
from shopfloor.historian.sql import PARTIAL_COLUMNS, from_partials, from_samples
from shopfloor.historian.store import HORIZON_KEY, Historian


@dataclass(frozen=True, slots=True)
class RetentionResult:
    #: Raw samples before this instant (ns) now live only in the rollups.
    horizon: int
    #: Raw rows removed by this call.
    removed: int


def downsample(store: Historian, before: int | datetime | str) -> RetentionResult:
    """Fold raw samples older than ``before`` (rounded down to the hour) into the rollups and
    remove them. Calling it again with an earlier instant does nothing."""
    cutoff = floor_to(to_instant(before, "before"), NS_PER_H)
    b = store.backend
    columns = ", ".join(PARTIAL_COLUMNS)
    with store.lock:
        old = store.horizon
        if cutoff <= old:
            return RetentionResult(old, 0)
        with b.transaction():
            removed = int(b.rows(f"SELECT count(*) FROM hist_raw WHERE ts < {cutoff}")[0][0])
            below = ""
            for level in LEVELS:
                w = level.width_ns
                if below:
                    span = f"bucket >= {old} AND bucket < {cutoff}"
                    select = from_partials(b.dialect, below, w, span)
                else:
                    select = from_samples(
                        b.dialect, "hist_raw", w, f"ts >= {old} AND ts < {cutoff}"
                    )
                b.execute(f"DELETE FROM {level.table} WHERE bucket >= {old} AND bucket < {cutoff}")
                b.execute(f"INSERT INTO {level.table} ({columns}) {select}")
                below = level.table
            b.drop_raw_before(cutoff)
            store.set_meta(HORIZON_KEY, cutoff)
    return RetentionResult(cutoff, removed)


def keep_raw_for(store: Historian, clock: Clock, keep: str | timedelta) -> RetentionResult:
    """Downsample everything older than ``keep`` (e.g. ``"7d"``) before the clock's now."""
    return downsample(store, clock.now_ns() - parse_duration(keep, "keep"))
