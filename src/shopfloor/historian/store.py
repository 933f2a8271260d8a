"""The historian: one interface over a backend (DuckDB or PostgreSQL).

Writes take Arrow tables in the sample schema. Duplicates follow **last write wins** per
(tag, ts): the later row of a batch wins, and a later batch replaces a stored sample. A batch
whose samples are all newer than everything stored for their tags (the usual case) is appended
and its 1 s partial aggregates are combined into the rollups (1 s, 1 min, 1 h). A tag whose
batch reaches back to or before its newest stored sample (late or repeated data) takes the slow
path: stored samples at the same instants are deleted, and the rollup buckets the batch touched
are recomputed from raw (1 s) and from the level below (1 min, 1 h). Either way rollups equal
the aggregates of the stored raw samples, and the whole write is one transaction.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import TracebackType

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shopfloor.historian.backend import Backend
from shopfloor.historian.batch import check_horizon, prepare
from shopfloor.historian.partials import coarsen
from shopfloor.historian.registry import TagRegistry
from shopfloor.historian.spans import LEVELS, NS_PER_DAY, floor_to
from shopfloor.historian.sql import (
    combine_partials,
    from_partials,
    from_samples,
    id_list,
    insert_partials,
    replace_buckets,
    upsert_latest,
)
from shopfloor.samples import Sample, samples_table

HORIZON_KEY = "raw_horizon"


@dataclass(frozen=True, slots=True)
class WriteResult:
    #: Rows stored by this write.
    rows: int
    #: Earlier rows of a (tag, ts) repeated inside the batch, dropped (the last one won).
    duplicates: int
    #: Tags whose samples reached back into stored data (stored samples replaced, rollups
    #: recomputed for the buckets touched).
    late_tags: int


class Historian:
    """Raw samples, rollups, latest values and the tag registry in one store."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.lock = threading.RLock()
        self.registry = TagRegistry(backend)

    def __enter__(self) -> Historian:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        with self.lock:
            self.backend.close()

    @property
    def url(self) -> str:
        return self.backend.url

    # ---- meta --------------------------------------------------------------------------------

    def meta(self, key: str, default: int = 0) -> int:
        p = self.backend.dialect.param
        rows = self.backend.rows(f"SELECT value FROM hist_meta WHERE key = {p}", [key])
        return int(rows[0][0]) if rows else default

    def set_meta(self, key: str, value: int) -> None:
        """Set ``key`` (call inside a transaction)."""
        p = self.backend.dialect.param
        self.backend.execute(
            f"INSERT INTO hist_meta VALUES ({p}, {p}) ON CONFLICT (key) "
            "DO UPDATE SET value = excluded.value",
            [key, int(value)],
        )

    @property
    def horizon(self) -> int:
        """Raw samples before this instant (ns) were downsampled into rollups and removed."""
        return self.meta(HORIZON_KEY)

    # ---- writes ------------------------------------------------------------------------------

    def write(self, table: pa.Table) -> WriteResult:
        """Store a batch in :data:`~shopfloor.samples.SAMPLE_SCHEMA`; durable when it returns."""
        with self.lock:
            batch = prepare(table, self.registry)
            if batch.rows == 0:
                return WriteResult(0, batch.duplicates, 0)
            b = self.backend
            with b.transaction():
                summary = b.summarise(batch.table)
                b.put("hist_tagsum", summary.tags)
                state = b.rows(
                    "SELECT s.tag_id, s.min_ts, l.ts, "
                    f"(SELECT value FROM hist_meta WHERE key = '{HORIZON_KEY}'), "
                    "(SELECT max(day) FROM hist_archive) "
                    "FROM hist_tagsum s LEFT JOIN hist_latest l ON l.tag_id = s.tag_id"
                )
                check_horizon(batch, int(state[0][3] or 0))
                late = sorted(int(t) for t, f, n, *_ in state if n is not None and f <= n)
                newest = {int(t): int(n) for t, f, n, *_ in state if n is not None and f > n}
                lo, hi = summary.min_ts, summary.max_ts
                if late:
                    mask = pc.is_in(batch.table.column("tag_id"), pa.array(late, pa.uint32()))
                    b.put("hist_late", batch.table.select(["tag_id", "ts"]).filter(mask))
                    b.execute(
                        f"DELETE FROM hist_raw WHERE ts BETWEEN {lo} AND {hi} "
                        f"AND tag_id IN {id_list(late)} AND EXISTS (SELECT 1 FROM hist_late k "
                        "WHERE k.tag_id = hist_raw.tag_id AND k.ts = hist_raw.ts)"
                    )
                b.append_raw(batch.table, lo, hi)
                self._merge(summary.parts, late, newest)
                if late:
                    self._recompute(late, lo, hi)
                b.execute(
                    upsert_latest("SELECT tag_id, max_ts, value, text, quality FROM hist_tagsum")
                )
                archived = state[0][4]
                if archived is not None and int(archived) >= floor_to(lo, NS_PER_DAY):
                    b.execute(f"DELETE FROM hist_archive WHERE day >= {floor_to(lo, NS_PER_DAY)}")
            return WriteResult(batch.rows, batch.duplicates, len(late))

    def write_samples(self, samples: Iterable[Sample]) -> WriteResult:
        """Store samples given by tag id string (registered tags only)."""
        items = list(samples)
        ids = np.array([self.registry.id_of(s.tag) for s in items], dtype=np.uint32)
        values = np.array([_number(s.value) for s in items], dtype=np.float64)
        text = [_text(s.value) for s in items]
        return self.write(
            samples_table(
                ids,
                np.array([s.ts_ns for s in items], dtype=np.int64),
                values,
                np.array([int(s.quality) for s in items], dtype=np.uint8),
                text,
            )
        )

    def _merge(self, parts: pa.Table, late: Sequence[int], newest: dict[int, int]) -> None:
        """Fast path: combine the batch's partials into every level (tags not late).

        ``newest`` holds the newest stored instant of the fast tags that have stored data. A
        stored rollup row can only meet the batch in the bucket holding that instant: those
        partials are combined into it, all others are appended.
        """
        if late:
            keep = pc.invert(pc.is_in(parts.column("tag_id"), pa.array(late, pa.uint32())))
            parts = parts.filter(keep)
        if parts.num_rows == 0:
            return
        b = self.backend
        for level in LEVELS:
            w = level.width_ns
            coarse = parts if w == LEVELS[0].width_ns else coarsen(parts, w)
            tags = coarse.column("tag_id").to_pylist()
            stored = np.array([floor_to(newest.get(t, -w), w) for t in tags], dtype=np.int64)
            meets = coarse.column("bucket").to_numpy() == stored
            fresh = coarse.filter(pa.array(~meets)) if meets.any() else coarse
            if meets.any():
                onto = coarse.filter(pa.array(meets))
                name = f"hist_onto_{level.name}"
                b.put(name, onto)
                found = set(b.rows(combine_partials(level.table, name, *_span(onto))))
                missing = [(t, k) not in found for t, k in _keys(onto)]
                if any(missing):  # the stored bucket held no good sample: no row to combine
                    fresh = pa.concat_tables([fresh, onto.filter(pa.array(missing))])
            if fresh.num_rows:
                name = f"hist_fresh_{level.name}"
                b.put(name, fresh)
                b.execute(insert_partials(level.table, name))

    def _recompute(self, late: Sequence[int], lo: int, hi: int) -> None:
        """Slow path: rebuild the buckets of late tags touched by the batch, finest first."""
        b, ids = self.backend, id_list(late)
        below = ""
        for level in LEVELS:
            w = level.width_ns
            first, last = floor_to(lo, w), floor_to(hi, w)
            keys = f"SELECT DISTINCT tag_id, ts - ts % {w} AS bucket FROM hist_late"
            if not below:
                where = (
                    f"tag_id IN {ids} AND ts BETWEEN {first} AND {last + w - 1} AND EXISTS "
                    f"(SELECT 1 FROM ({keys}) AS k WHERE k.tag_id = hist_raw.tag_id "
                    f"AND k.bucket = hist_raw.ts - hist_raw.ts % {w})"
                )
                select = from_samples(b.dialect, "hist_raw", w, where)
            else:
                where = (
                    f"tag_id IN {ids} AND bucket BETWEEN {first} AND {last + w - 1} AND EXISTS "
                    f"(SELECT 1 FROM ({keys}) AS k WHERE k.tag_id = {below}.tag_id "
                    f"AND k.bucket = {below}.bucket - {below}.bucket % {w})"
                )
                select = from_partials(b.dialect, below, w, where)
            for statement in replace_buckets(level.table, keys, select, first, last):
                b.execute(statement)
            below = level.table


def _span(parts: pa.Table) -> tuple[int, int]:
    buckets = parts.column("bucket").to_numpy()
    return int(buckets.min()), int(buckets.max())


def _keys(parts: pa.Table) -> list[tuple[int, int]]:
    return list(
        zip(parts.column("tag_id").to_pylist(), parts.column("bucket").to_pylist(), strict=True)
    )


def _number(value: float | str | bool | None) -> float:
    if value is None:
        return float("nan")
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, str):
        return float("nan")
    return float(value)


def _text(value: float | str | bool | None) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else None
