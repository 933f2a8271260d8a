"""The historian suite, run against every backend (DuckDB file, PostgreSQL on a temp cluster)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from shopfloor.clock import DEFAULT_EPOCH, to_ns
from shopfloor.errors import BadInput, NotFound
from shopfloor.historian import Historian, interpolate, last_value, open_store, query
from shopfloor.historian.spans import NS_PER_S
from shopfloor.samples import SAMPLE_SCHEMA, Quality, Sample, samples_table

T0 = to_ns(DEFAULT_EPOCH)  # 2025-01-06T06:00:00Z, a whole day + 6 h
EQ = "suzhou/machining/line1/turning/lathe-01"
TAGS = [f"{EQ}/spindle_speed", f"{EQ}/spindle_load", f"{EQ.replace('01', '02')}/spindle_speed"]


@pytest.fixture(params=["duckdb", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Historian]:
    if request.param == "duckdb":
        url: str | Path = tmp_path / "historian.duckdb"
    else:
        url = request.getfixturevalue("postgres_url")
    with open_store(url) as historian:
        historian.registry.ensure(TAGS)
        yield historian


def table(tag: list[int], ts: list[int], value: list[float], quality: list[int] | None = None):
    q = np.array(quality if quality is not None else [0] * len(ts), dtype=np.uint8)
    return samples_table(
        np.array(tag, dtype=np.uint32), np.array(ts, dtype=np.int64), np.array(value), q
    )


def ids(store: Historian) -> list[int]:
    return [store.registry.id_of(t) for t in TAGS]


def raw_values(store: Historian, path: str, start: int = T0, end: int = T0 + 10**13):
    t = query(store, path, start, end).table
    return [(r["tag"], r["ts"], r["value"]) for r in t.to_pylist()]


def test_round_trip_keeps_every_column(store: Historian) -> None:
    a, b, _ = ids(store)
    result = store.write_samples(
        [
            Sample(TAGS[0], T0 + 1, 1.5),
            Sample(TAGS[0], T0 + 2, 'RUN,"x"', Quality.UNCERTAIN),
            Sample(TAGS[1], T0 + 3, True, Quality.BAD),
        ]
    )
    assert (result.rows, result.duplicates, result.late_tags) == (3, 0, 0)
    got = query(store, EQ, T0, T0 + 10).table
    rows = got.to_pylist()
    ts = got.column("ts").cast(pa.int64()).to_pylist()
    assert [(r["tag"], t, r["text"], r["quality"]) for r, t in zip(rows, ts, strict=True)] == [
        (TAGS[0], T0 + 1, None, 0),
        (TAGS[0], T0 + 2, 'RUN,"x"', 1),
        (TAGS[1], T0 + 3, "true", 2),
    ]
    assert rows[0]["value"] == 1.5 and np.isnan(rows[1]["value"]) and rows[2]["value"] == 1.0
    assert (
        query(store, EQ, T0, T0 + 10).table.schema.field("ts").type
        == SAMPLE_SCHEMA.field("ts").type
    )
    assert (a, b) == (store.registry.id_of(TAGS[0]), store.registry.id_of(TAGS[1]))


def test_duplicates_in_a_batch_last_row_wins(store: Historian) -> None:
    a, b, _ = ids(store)
    result = store.write(table([a, b, a, a], [T0, T0, T0, T0 + 1], [1.0, 2.0, 3.0, 4.0]))
    assert (result.rows, result.duplicates) == (3, 1)
    assert [v for *_, v in raw_values(store, TAGS[0])] == [3.0, 4.0]
    assert [v for *_, v in raw_values(store, TAGS[1])] == [2.0]


def test_later_batch_replaces_stored_samples_and_rollups(store: Historian) -> None:
    a, *_ = ids(store)
    s = NS_PER_S
    store.write(table([a] * 4, [T0, T0 + s // 2, T0 + s, T0 + 2 * s], [1.0, 2.0, 3.0, 4.0]))
    result = store.write(table([a, a], [T0 + s // 2, T0 + 3 * s], [20.0, 5.0]))
    assert result.late_tags == 1
    assert [v for *_, v in raw_values(store, TAGS[0])] == [1.0, 20.0, 3.0, 4.0, 5.0]
    one_s = query(store, TAGS[0], T0, T0 + 4 * s, "1s", "sum,count,last").table.to_pylist()
    assert [(r["sum"], r["count"], r["last"]) for r in one_s] == [
        (21.0, 2, 20.0),
        (3.0, 1, 3.0),
        (4.0, 1, 4.0),
        (5.0, 1, 5.0),
    ]
    hour = query(store, TAGS[0], T0, T0 + 3600 * s, "1h", "sum,count,first,last")
    assert hour.source == "rollup_1h"
    row = hour.table.to_pylist()[0]
    assert [row[k] for k in ("sum", "count", "first", "last")] == [33.0, 5, 1.0, 5.0]


def test_out_of_order_batches_give_the_same_store(store: Historian) -> None:
    a, b, _ = ids(store)
    rng = np.random.default_rng(7)
    ts = T0 + np.arange(400, dtype=np.int64) * (NS_PER_S // 10)
    tags = np.where(np.arange(400) % 2 == 0, a, b)
    values = rng.normal(size=400)
    order = rng.permutation(400)
    for chunk in np.array_split(order, 5):
        store.write(table(list(tags[chunk]), list(ts[chunk]), list(values[chunk])))
    got = query(store, TAGS[0], T0, T0 + 100 * NS_PER_S).table
    assert np.allclose(got.column("value").to_numpy(), values[tags == a])
    check_rollups_match_raw(store, EQ, T0, T0 + 3600 * NS_PER_S)


def check_rollups_match_raw(store: Historian, path: str, start: int, end: int) -> None:
    """Every level's answer equals the same aggregate computed from raw (offset by 1 ns)."""
    aggs = "avg,min,max,count,sum,first,last"
    for bucket in ("1s", "1m", "1h"):
        rolled = query(store, path, start, end, bucket, aggs)
        assert rolled.source.startswith("rollup_")
        from_raw = query(store, path, start - 1, end, bucket, aggs)
        assert from_raw.source == "raw"
        left, right = rolled.table.to_pylist(), from_raw.table.to_pylist()
        assert len(left) == len(right)
        for x, y in zip(left, right, strict=True):
            assert x.keys() == y.keys()
            for k in x:
                want = pytest.approx(y[k]) if isinstance(y[k], float) else y[k]
                assert x[k] == want, (bucket, k)


def test_rollups_equal_aggregates_from_raw(store: Historian) -> None:
    a, b, c = ids(store)
    rng = np.random.default_rng(3)
    n = 3000
    ts = T0 + np.sort(rng.integers(0, 2 * 3600 * NS_PER_S, n))
    tags = rng.choice([a, b, c], n)
    values = rng.normal(size=n)
    values[::97] = np.nan
    quality = np.where(rng.random(n) < 0.05, 2, 0)
    for part in np.array_split(np.arange(n), 3):
        store.write(
            table(list(tags[part]), list(ts[part]), list(values[part]), list(quality[part]))
        )
    late = rng.choice(n, 50, replace=False)
    store.write(table(list(tags[late]), list(ts[late]), list(values[late] + 100)))
    check_rollups_match_raw(store, "suzhou", T0, T0 + 2 * 3600 * NS_PER_S)
    counts = query(store, "suzhou", T0, T0 + 3 * 3600 * NS_PER_S, "1h", "count").table
    good = (quality == 0) & ~np.isnan(values)
    good[late] = ~np.isnan(values[late])
    assert sum(counts.column("count").to_pylist()) == int(good.sum())


def test_bucket_aggregates(store: Historian) -> None:
    a, *_ = ids(store)
    s = NS_PER_S
    store.write(
        table(
            [a] * 6,
            [T0, T0 + s, T0 + 2 * s, T0 + 60 * s, T0 + 61 * s, T0 + 62 * s],
            [4.0, 1.0, 7.0, 10.0, 99.0, 20.0],
            [0, 0, 0, 0, 2, 0],
        )
    )
    result = query(
        store, TAGS[0], T0, T0 + 120 * s, "1m", ["avg", "min", "max", "count", "first", "last"]
    )
    assert result.source == "rollup_1m"
    rows = [{k: v for k, v in r.items() if k != "tag"} for r in result.table.to_pylist()]
    assert [r.pop("bucket") for r in rows] == [DEFAULT_EPOCH, DEFAULT_EPOCH.replace(minute=1)]
    assert rows == [
        {"avg": 4.0, "min": 1.0, "max": 7.0, "count": 3, "first": 4.0, "last": 7.0},
        {"avg": 15.0, "min": 10.0, "max": 20.0, "count": 2, "first": 10.0, "last": 20.0},
    ]
    assert query(store, TAGS[0], T0 + 1, T0 + 120 * s, "1m", "count").source == "raw"


def test_interpolation_step_and_linear(store: Historian) -> None:
    a, *_ = ids(store)
    s = NS_PER_S
    store.write(
        table(
            [a] * 4,
            [T0, T0 + 10 * s, T0 + 15 * s, T0 + 20 * s],
            [0.0, 100.0, -1.0, 50.0],
            [0, 0, 2, 0],
        )
    )
    at = [T0 - s, T0, T0 + 5 * s, T0 + 15 * s, T0 + 20 * s, T0 + 30 * s]
    linear = interpolate(store, TAGS[0], at, "linear").table.column("value").to_pylist()
    assert linear == [None, 0.0, 50.0, 75.0, 50.0, None]
    step = interpolate(store, TAGS[0], at, "step").table.column("value").to_pylist()
    assert step == [None, 0.0, 0.0, 100.0, 50.0, 50.0]
    gridded = query(store, TAGS[0], T0, T0 + 21 * s, "10s", "linear").table
    assert gridded.column("value").to_pylist() == [0.0, 100.0, 50.0]


def test_last_value_per_tag(store: Historian) -> None:
    a, b, c = ids(store)
    store.write(table([a, a, b], [T0, T0 + 5, T0 + 1], [1.0, 2.0, 3.0]))
    store.write(table([a, b], [T0 + 5, T0], [9.0, 4.0], [2, 0]))
    got = last_value(store, EQ).table
    ts = [t - T0 for t in got.column("ts").cast(pa.int64()).to_pylist()]
    rows = [
        (r["tag"], t, r["value"], r["quality"]) for r, t in zip(got.to_pylist(), ts, strict=True)
    ]
    assert rows == [(TAGS[0], 5, 9.0, 2), (TAGS[1], 1, 3.0, 0)]
    assert c not in (a, b)


def test_selection_by_path_prefix(store: Historian) -> None:
    a, b, c = ids(store)
    store.write(table([a, b, c], [T0, T0, T0], [1.0, 2.0, 3.0]))
    line = "suzhou/machining/line1"
    assert {r["tag"] for r in query(store, line, T0, T0 + 1).table.to_pylist()} == set(TAGS)
    assert [r["tag"] for r in query(store, EQ, T0, T0 + 1).table.to_pylist()] == TAGS[:2]
    assert [r["tag"] for r in query(store, TAGS[2], T0, T0 + 1).table.to_pylist()] == TAGS[2:]
    with pytest.raises(NotFound, match="no tag matches"):
        query(store, "suzhou/machining/line1/turning/lathe-0", T0, T0 + 1)


def test_registry_keeps_ids_units_and_types_from_the_plant(tmp_path: Path) -> None:
    from shopfloor.plant import load_plant

    path = tmp_path / "h.duckdb"
    with open_store(path) as h:
        first = h.registry.ensure(TAGS)
        assert h.registry.register_plant(load_plant("demo")) == 241
    with open_store(path) as h:
        assert h.registry.ensure(TAGS) == first
        info = h.registry.info(h.registry.id_of(f"{EQ}/spindle_temp"))
        assert (info.unit, info.data_type, info.equipment) == ("Cel", "double", EQ)
        assert len(h.registry) == 241


def test_bad_inputs_name_what_is_wrong(store: Historian) -> None:
    a, *_ = ids(store)
    good = table([a], [T0], [1.0])
    with pytest.raises(NotFound, match="unknown tag id"):
        store.write(table([999], [T0], [1.0]))
    with pytest.raises(NotFound, match="no tag matches"):
        query(store, "nowhere/x", T0, T0 + 1)
    with pytest.raises(BadInput, match="must be after start"):
        query(store, TAGS[0], T0 + 1, T0)
    with pytest.raises(BadInput, match="invalid bucket '5 minutes'"):
        query(store, TAGS[0], T0, T0 + 1, "5 minutes")
    with pytest.raises(BadInput, match="unknown aggregation 'median'"):
        query(store, TAGS[0], T0, T0 + 1, "1m", "median")
    with pytest.raises(BadInput, match="no column 'quality'"):
        store.write(good.drop_columns(["quality"]))
    with pytest.raises(BadInput, match="'value' has type int64"):
        store.write(good.set_column(2, "value", pa.array([1], pa.int64())))
    with pytest.raises(BadInput, match="unexpected column"):
        store.write(good.append_column("extra", pa.array([1])))
    with pytest.raises(BadInput, match="pyarrow Table"):
        store.write([1, 2, 3])  # type: ignore[arg-type]
    with pytest.raises(BadInput, match="quality 7 at row 0"):
        store.write(table([a], [T0], [1.0], [7]))
    with pytest.raises(BadInput, match="no time zone"):
        query(store, TAGS[0], "2025-01-06T06:00:00", "2025-01-06T07:00:00Z")
    assert query(store, TAGS[0], T0, T0 + 10).table.num_rows == 0


def test_a_bucket_that_held_only_bad_samples_gets_its_first_good_one(store: Historian) -> None:
    a, *_ = ids(store)
    s = NS_PER_S
    store.write(table([a, a], [T0, T0 + s // 4], [1.0, 2.0], [2, 2]))
    store.write(table([a, a], [T0 + s // 2, T0 + 2 * s], [5.0, 6.0]))
    rows = query(store, TAGS[0], T0, T0 + 3 * s, "1s", "count,first").table.to_pylist()
    assert [(r["count"], r["first"]) for r in rows] == [(1, 5.0), (1, 6.0)]
    check_rollups_match_raw(store, TAGS[0], T0, T0 + 3600 * s)
