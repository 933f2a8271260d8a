"""Checking and de-duplicating one write batch before it reaches a backend.

The rule for duplicates is **last write wins** per (tag, ts): inside a batch the later row wins;
across batches the later batch wins (the store replaces the stored sample, see ``store.py``).
Everything here is vectorised: a batch already in a usual shape (each tag's rows together, or
rows in time order) costs a few passes over its columns and no sort.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from shopfloor.errors import BadInput, NotFound
from shopfloor.historian.partials import tag_runs
from shopfloor.historian.registry import TagRegistry
from shopfloor.samples import SAMPLE_SCHEMA, Quality

#: The batch as stored: the sample schema with ``ts`` as int64 ns (a zero-copy view).
STAGE_SCHEMA = pa.schema(
    [
        pa.field("tag_id", pa.uint32()),
        pa.field("ts", pa.int64()),
        pa.field("value", pa.float64()),
        pa.field("text", pa.string()),
        pa.field("quality", pa.uint8()),
    ]
)


@dataclass(frozen=True, slots=True)
class Batch:
    """A checked batch: unique (tag, ts), every tag registered, ts as int64 ns."""

    table: pa.Table
    tag_ids: np.ndarray
    ts: np.ndarray
    duplicates: int

    @property
    def rows(self) -> int:
        return self.table.num_rows

    @property
    def min_ts(self) -> int:
        return int(self.ts.min())

    @property
    def max_ts(self) -> int:
        return int(self.ts.max())


def check_schema(table: object) -> pa.Table:
    """Return ``table`` as a ``pa.Table`` in the sample schema's column order, or raise."""
    if isinstance(table, pa.RecordBatch):
        table = pa.Table.from_batches([table])
    if not isinstance(table, pa.Table):
        raise BadInput(
            f"write expects a pyarrow Table in the sample schema, got {type(table).__name__}",
            field="table",
        )
    names = set(table.schema.names)
    for field in SAMPLE_SCHEMA:
        if field.name not in names:
            raise BadInput(f"samples table has no column {field.name!r}", field=field.name)
        got = table.schema.field(field.name).type
        if got != field.type:
            raise BadInput(
                f"samples column {field.name!r} has type {got}, expected {field.type}",
                field=field.name,
            )
    extra = sorted(names - set(SAMPLE_SCHEMA.names))
    if extra:
        raise BadInput(f"samples table has unexpected column(s) {extra}", field=extra[0])
    for name in ("tag_id", "ts", "quality"):
        column = table.column(name)
        if column.null_count:
            row = _first_null(column)
            raise BadInput(f"samples column {name!r} is null at row {row}", field=name, row=row)
    return table.select(SAMPLE_SCHEMA.names)


def prepare(table: object, registry: TagRegistry) -> Batch:
    """Check a write and drop in-batch duplicates (the later row wins)."""
    checked = check_schema(table)
    tag_ids = _numpy(checked.column("tag_id"))
    ts = _numpy(checked.column("ts").cast(pa.int64()))
    quality = _numpy(checked.column("quality"))
    if len(ts) and int(quality.max()) > max(Quality):
        row = int(np.argmax(quality > max(Quality)))
        raise BadInput(
            f"quality {int(quality[row])} at row {row} is not 0 (good), 1 (uncertain) or 2 (bad)",
            field="quality",
            row=row,
        )
    if len(ts) and int(ts.min()) < 0:
        row = int(np.argmin(ts))
        raise BadInput(
            f"sample at row {row} is before 1970 (ts={int(ts[row])} ns)", field="ts", row=row
        )
    unknown = registry.unknown_ids(tag_ids)
    if len(unknown):
        shown = ", ".join(str(int(i)) for i in unknown[:10])
        raise NotFound(
            f"unknown tag id(s) {shown}{' ...' if len(unknown) > 10 else ''}: register tags "
            "before writing their samples",
            field="tag_id",
            tag_ids=[int(i) for i in unknown[:10]],
        )
    stage = pa.Table.from_arrays(
        [checked.column(0), checked.column(1).cast(pa.int64()), *checked.columns[2:]],
        schema=STAGE_SCHEMA,
    )
    keep = _last_of_each_key(tag_ids, ts)
    if keep is None:
        return Batch(stage, tag_ids, ts, 0)
    return Batch(stage.take(keep), tag_ids[keep], ts[keep], len(ts) - len(keep))


def check_horizon(batch: Batch, horizon_ns: int) -> None:
    """Refuse a batch reaching before the raw retention horizon."""
    if batch.rows and batch.min_ts < horizon_ns:
        raise BadInput(
            f"a sample at ts={batch.min_ts} ns is older than the raw retention horizon "
            f"({horizon_ns} ns): that span was downsampled into rollups and is closed to writes",
            field="ts",
        )


def _last_of_each_key(tag_ids: np.ndarray, ts: np.ndarray) -> np.ndarray | None:
    """Row indices that survive de-duplication, or None when every (tag, ts) is unique."""
    if len(ts) < 2 or _plainly_unique(tag_ids, ts):
        return None
    order = np.lexsort((ts, tag_ids))  # stable: equal keys keep their batch order
    t, s = tag_ids[order], ts[order]
    last = np.ones(len(order), dtype=bool)
    last[:-1] = (t[1:] != t[:-1]) | (s[1:] != s[:-1])
    if last.all():
        return None
    return np.sort(order[last])


def _plainly_unique(tag_ids: np.ndarray, ts: np.ndarray) -> bool:
    """True when the batch's shape proves (tag, ts) unique without sorting it.

    Two shapes qualify: each tag's rows form one run with rising timestamps (blocks per tag),
    or rows in time order with the tags of equal timestamps in rising order (snapshots).
    """
    if tag_runs(tag_ids, ts) is not None:
        return True
    later = ts[1:] > ts[:-1]
    return bool(np.all(later | ((ts[1:] == ts[:-1]) & (tag_ids[1:] > tag_ids[:-1]))))


def _numpy(column: pa.ChunkedArray) -> np.ndarray:
    return column.to_numpy()


def _first_null(column: pa.ChunkedArray) -> int:
    offset = 0
    for chunk in column.chunks:
        if chunk.null_count:
            mask = chunk.is_null().to_numpy(zero_copy_only=False)
            return offset + int(np.argmax(mask))
        offset += len(chunk)
    return -1
