"""Parquet archive of closed days: ``<root>/date=YYYY-MM-DD/equipment=<id>/part-0.parquet``.

A day is closed when it ended before ``until``; each closed day with raw samples is written once
(a later write into that day marks it for export again, and the export overwrites its files).
Files hold ``tag`` (the tag id string), ``ts`` as Parquet ``TIMESTAMP(MICROS, isAdjustedToUTC)``
(Spark, Dask, DuckDB and pandas read it as UTC instants as it is; nanoseconds are truncated to
microseconds), ``value``, ``text`` and ``quality`` (int16). ``<id>`` is the equipment's id, the
last segment of its path (unique in a plant). Days that retention already thinned are skipped.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from shopfloor.clock import from_ns
from shopfloor.historian.query import read_raw
from shopfloor.historian.spans import NS_PER_DAY, to_instant
from shopfloor.historian.store import Historian

ARCHIVE_SCHEMA = pa.schema(
    [
        pa.field("tag", pa.string()),
        pa.field("ts", pa.timestamp("us", tz="UTC")),
        pa.field("value", pa.float64()),
        pa.field("text", pa.string()),
        pa.field("quality", pa.int16()),
    ]
)
FILE_NAME = "part-0.parquet"


def export_parquet(store: Historian, root: str | Path, until: int | datetime | str) -> list[Path]:
    """Write every closed, not yet exported day before ``until``; returns the files written."""
    end = to_instant(until, "until")
    root = Path(root)
    b = store.backend
    written: list[Path] = []
    with store.lock:
        horizon = store.horizon
        done = {int(r[0]) for r in b.rows("SELECT day FROM hist_archive")}
        days = [d for d in b.raw_days() if d + NS_PER_DAY <= end and d >= horizon and d not in done]
        groups: dict[str, list[int]] = {}
        for tag in store.registry:
            groups.setdefault(tag.equipment.rsplit("/", 1)[-1], []).append(tag.tag_id)
        for day in days:
            date = from_ns(day).date().isoformat()
            for equipment, ids in sorted(groups.items()):
                table = read_raw(store, ids, day, day + NS_PER_DAY)
                if table.num_rows:
                    path = root / f"date={date}" / f"equipment={equipment}" / FILE_NAME
                    _write(_archive_table(table), path)
                    written.append(path)
            with b.transaction():
                b.execute(f"INSERT INTO hist_archive VALUES ({day}) ON CONFLICT DO NOTHING")
    return written


def _archive_table(raw: pa.Table) -> pa.Table:
    return pa.table(
        [
            raw.column("tag").cast(pa.string()),
            raw.column("ts").cast(pa.timestamp("us", tz="UTC"), safe=False),
            raw.column("value"),
            raw.column("text"),
            raw.column("quality").cast(pa.int16()),
        ],
        schema=ARCHIVE_SCHEMA,
    )


def _write(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp, version="2.6", coerce_timestamps="us")
    os.replace(tmp, path)
