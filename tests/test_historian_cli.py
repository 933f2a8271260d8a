"""``shopfloor query`` (the historian's CLI), result formats, and the batch helpers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from shopfloor.historian import open_store
from shopfloor.historian.batch import STAGE_SCHEMA, _last_of_each_key
from shopfloor.historian.cli import app
from shopfloor.historian.partials import _summarise_sql, summarise, tag_runs
from shopfloor.historian.spans import parse_duration, serving_level
from tests.test_historian import EQ, T0, TAGS, table

FROM, TO = "2025-01-06T06:00:00Z", "2025-01-06T06:02:00Z"


def filled(url: str | Path) -> None:
    with open_store(url) as h:
        a, b, _ = h.registry.ensure(TAGS)
        s = 10**9
        h.write(table([a, a, a, b], [T0, T0 + 30 * s, T0 + 60 * s, T0], [1.0, 3.0, 5.0, 7.0]))


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_query_command_formats(tmp_path: Path) -> None:
    store = tmp_path / "h.duckdb"
    filled(store)
    code, out = run(
        EQ,
        "--from",
        FROM,
        "--to",
        TO,
        "--bucket",
        "1m",
        "--agg",
        "avg,count",
        "--store",
        str(store),
        "--format",
        "json",
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["source"] == "rollup_1m"
    assert doc["rows"] == [
        {"tag": TAGS[0], "bucket": "2025-01-06T06:00:00Z", "avg": 2.0, "count": 2},
        {"tag": TAGS[0], "bucket": "2025-01-06T06:01:00Z", "avg": 5.0, "count": 1},
        {"tag": TAGS[1], "bucket": "2025-01-06T06:00:00Z", "avg": 7.0, "count": 1},
    ]
    code, out = run(TAGS[0], "--from", FROM, "--to", TO, "--store", str(store), "--format", "csv")
    assert out.splitlines()[:2] == [
        '"tag","ts","value","text","quality"',
        f'"{TAGS[0]}","2025-01-06T06:00:00Z",1,,0',
    ]
    code, out = run(TAGS[0], "--from", FROM, "--to", TO, "--store", str(store))
    assert "(3 rows from raw)" in out and out.splitlines()[0].split() == [
        "tag",
        "ts",
        "value",
        "text",
        "quality",
    ]


def test_query_command_on_postgres(postgres_url: str) -> None:
    filled(postgres_url)
    _code, out = run(
        EQ,
        "--from",
        FROM,
        "--to",
        TO,
        "--bucket",
        "2m",
        "--agg",
        "max",
        "--store",
        postgres_url,
        "--format",
        "json",
    )
    assert [r["max"] for r in json.loads(out)["rows"]] == [5.0, 7.0]


def test_query_command_bad_input(tmp_path: Path) -> None:
    store = tmp_path / "h.duckdb"
    filled(store)
    from shopfloor.errors import BadInput

    with pytest.raises(BadInput, match="unknown format 'xml'"):
        run(EQ, "--from", FROM, "--to", TO, "--store", str(store), "--format", "xml")
    with pytest.raises(BadInput, match="must be after start"):
        run(EQ, "--from", TO, "--to", FROM, "--store", str(store))
    with pytest.raises(BadInput, match="no historian store"):
        run(EQ, "--from", FROM, "--to", TO, "--store", str(tmp_path / "none.duckdb"))


def test_a_held_duckdb_file_gives_a_clear_error(tmp_path: Path) -> None:
    store = tmp_path / "h.duckdb"
    filled(store)
    code = (
        "import sys\nfrom shopfloor.historian import open_store, StoreBusy\n"
        "try:\n    open_store(sys.argv[1], read_only=True)\n"
        "except StoreBusy as exc:\n    print(exc.code)\n"
    )
    with open_store(store):
        done = subprocess.run(
            [sys.executable, "-c", code, str(store)], capture_output=True, text=True, timeout=120
        )
    assert done.stdout.strip() == "historian.busy", done.stderr


def test_results_as_pandas_and_arrow(tmp_path: Path) -> None:
    from shopfloor.historian import query

    store = tmp_path / "h.duckdb"
    filled(store)
    with open_store(store) as h:
        result = query(h, EQ, FROM, TO, "1m", ["min", "max"])
    frame = result.to_pandas()
    assert list(frame.columns) == ["tag", "bucket", "min", "max"]
    assert str(frame["bucket"].dtype) == "datetime64[ns, UTC]"
    assert result.to_arrow().schema.field("bucket").type == pa.timestamp("ns", tz="UTC")


def test_numpy_and_sql_summaries_agree() -> None:
    rng = np.random.default_rng(5)
    tags, per = 7, 500
    tag_col = np.repeat(np.arange(1, tags + 1, dtype=np.uint32), per)
    ts = T0 + np.tile(np.cumsum(rng.integers(1, 10**8, per)), tags)
    value = rng.normal(size=tags * per)
    value[::13] = np.nan
    quality = (rng.random(tags * per) < 0.1).astype(np.uint8) * 2
    stage = pa.Table.from_arrays(
        [
            pa.array(tag_col),
            pa.array(ts),
            pa.array(value),
            pa.nulls(tags * per, pa.string()),
            pa.array(quality),
        ],
        schema=STAGE_SCHEMA,
    )
    con = duckdb.connect()
    assert tag_runs(tag_col, ts) is not None
    fast, slow = summarise(con, stage), _summarise_sql(con, stage)
    order = [("tag_id", "ascending"), ("bucket", "ascending")]
    left, right = fast.parts.sort_by(order).to_pylist(), slow.parts.sort_by(order).to_pylist()
    assert len(left) == len(right) > tags
    for x, y in zip(left, right, strict=True):
        assert x == {k: pytest.approx(v) if isinstance(v, float) else v for k, v in y.items()}
    tag_order = [("tag_id", "ascending")]
    assert fast.tags.sort_by(tag_order).to_pylist() == slow.tags.sort_by(tag_order).to_pylist()


def test_dedup_keeps_the_last_row_of_each_key() -> None:
    tag = np.array([1, 2, 1, 2, 1], dtype=np.uint32)
    ts = np.array([5, 5, 5, 6, 4], dtype=np.int64)
    assert list(_last_of_each_key(tag, ts)) == [1, 2, 3, 4]
    snapshot_tags = np.array([1, 2, 3, 1, 2, 3], dtype=np.uint32)
    snapshot_ts = np.array([1, 1, 1, 2, 2, 2], dtype=np.int64)
    assert _last_of_each_key(snapshot_tags, snapshot_ts) is None


def test_durations_and_serving_levels() -> None:
    assert [parse_duration(x) for x in ("500ms", "1s", "15m", "2h", "1d")] == [
        5 * 10**8,
        10**9,
        900 * 10**9,
        7200 * 10**9,
        86400 * 10**9,
    ]
    minute = 60 * 10**9
    assert serving_level(15 * minute, 0, 60 * minute).name == "1m"
    assert serving_level(2 * 3600 * 10**9, 0, 3600 * 10**9 * 4).name == "1h"
    assert serving_level(minute, 1, minute) is None
    assert serving_level(5 * 10**8, 0, minute) is None
