"""Retention by downsampling and the Parquet archive, on every backend."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from shopfloor.errors import BadInput
from shopfloor.historian import Historian, downsample, export_parquet, query
from shopfloor.historian.spans import NS_PER_DAY, NS_PER_H, NS_PER_S
from tests.test_historian import EQ, T0, TAGS, ids, store, table  # noqa: F401

HOUR = NS_PER_H


def test_retention_downsamples_old_raw_into_rollups(store: Historian) -> None:  # noqa: F811
    a, b, _ = ids(store)
    ts = T0 + np.arange(0, 3 * HOUR, 10 * NS_PER_S, dtype=np.int64)
    for tag in (a, b):
        store.write(table([tag] * len(ts), list(ts), list(np.sin(ts / 1e12))))
    before = query(store, EQ, T0, T0 + 3 * HOUR, "1m", "avg,min,max,count,first,last").table
    result = downsample(store, T0 + 2 * HOUR + 17 * NS_PER_S)
    assert (result.horizon, result.removed) == (T0 + 2 * HOUR, 2 * 2 * 360)
    assert store.horizon == T0 + 2 * HOUR
    after = query(store, EQ, T0, T0 + 3 * HOUR, "1m", "avg,min,max,count,first,last")
    assert after.source == "rollup_1m"
    assert after.table.num_rows == before.num_rows == 2 * 180
    for got, want in zip(after.table.to_pylist(), before.to_pylist(), strict=True):
        assert got == {k: pytest.approx(v) if isinstance(v, float) else v for k, v in want.items()}
    assert query(store, EQ, T0, T0 + 2 * HOUR).table.num_rows == 0
    assert query(store, EQ, T0 + 2 * HOUR, T0 + 3 * HOUR).table.num_rows == 2 * 360
    assert downsample(store, T0).removed == 0
    with pytest.raises(BadInput, match="retention horizon"):
        store.write(table([a], [T0 + HOUR], [1.0]))
    with pytest.raises(BadInput, match="downsampled"):
        query(store, EQ, T0 + 1, T0 + 3 * HOUR, "1m", "avg")


def test_parquet_export_of_closed_days(store: Historian, tmp_path: Path) -> None:  # noqa: F811
    a, b, c = ids(store)
    day1 = T0 - T0 % NS_PER_DAY
    ts = np.array([day1 + HOUR, day1 + 2 * HOUR + 1234, day1 + NS_PER_DAY + HOUR])
    store.write(table([a, b, c], list(ts), [1.0, 2.0, 3.0]))
    store.write(table([c], [int(ts[0])], [4.0]))
    root = tmp_path / "archive"
    files = export_parquet(store, root, day1 + NS_PER_DAY + 5 * HOUR)  # day 2 still open
    assert sorted(str(f.relative_to(root)) for f in files) == [
        "date=2025-01-06/equipment=lathe-01/part-0.parquet",
        "date=2025-01-06/equipment=lathe-02/part-0.parquet",
    ]
    assert export_parquet(store, root, day1 + NS_PER_DAY + 5 * HOUR) == []
    ts_type = pq.read_schema(files[0]).field("ts").type
    assert ts_type == pa.timestamp("us", tz="UTC")
    logical = pq.ParquetFile(files[0]).metadata.schema.column(1).logical_type
    meaning = json.loads(logical.to_json())
    assert (meaning["Type"], meaning["isAdjustedToUTC"], meaning["timeUnit"]) == (
        "Timestamp",
        True,
        "microseconds",
    )
    dataset = ds.dataset(root, format="parquet", partitioning="hive").to_table()
    assert sorted(dataset.column("value").to_pylist()) == [1.0, 2.0, 4.0]
    assert set(dataset.column("equipment").to_pylist()) == {"lathe-01", "lathe-02"}
    con = duckdb.connect()
    rows = con.execute(
        "SELECT tag, epoch_us(ts), value, CAST(date AS VARCHAR), equipment, typeof(ts) "
        f"FROM read_parquet('{root}/**/*.parquet', hive_partitioning = true) WHERE value = 2"
    ).fetchall()
    assert rows[0] == (
        TAGS[1],
        (int(ts[1]) // 1000),
        2.0,
        "2025-01-06",
        "lathe-01",
        "TIMESTAMP WITH TIME ZONE",
    )
    store.write(table([a], [day1 + 3 * HOUR], [9.0]))  # a late sample reopens day 1
    again = export_parquet(store, root, day1 + 2 * NS_PER_DAY)
    assert len(again) == 3
    reread = ds.dataset(root, format="parquet", partitioning="hive").to_table()
    assert sorted(reread.column("value").to_pylist()) == [1.0, 2.0, 3.0, 4.0, 9.0]
