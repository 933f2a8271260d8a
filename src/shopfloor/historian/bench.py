"""Historian benchmarks: ``shopfloor bench ingest --json`` and ``shopfloor bench query --json``.

``ingest``: 1,000 tags at 1 kHz (1 s of data = 1M rows per write call) through the historian's
public write path into DuckDB (validation, de-duplication, rollups, committed when the call
returns), and the same batches through psycopg 3 ``COPY ... (FORMAT BINARY)`` into a plain
PostgreSQL table without indexes, alternating batch by batch so both see the same machine load.
``query``: load 100 tags at 10 Hz for 24 h, then time 1-minute avg/min/max of all of them over
the day. ``ingest`` also runs the end-to-end MQTT figures (``mqtt_points_per_s``, ``mqtt_lost``,
array and scalar Sparkplug B payloads through a real Mosquitto into the historian, see
:mod:`shopfloor.runtime.ingest_bench`). Only the measured calls are timed;
generating the data is not. Each prints one JSON object; new keys may be added later.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import psycopg
import pyarrow as pa
import typer

from shopfloor.clock import DEFAULT_EPOCH, to_ns
from shopfloor.historian.pgcopy import PEER_TABLE, copy_batch
from shopfloor.historian.pgtemp import TempPostgres
from shopfloor.historian.query import query
from shopfloor.historian.spans import NS_PER_DAY, NS_PER_S
from shopfloor.historian.store import Historian
from shopfloor.historian.stores import open_store
from shopfloor.samples import samples_table

#: The peer's server settings when the benchmark starts its own cluster (durable commits).
PEER_SETTINGS = {"shared_buffers": "1GB", "max_wal_size": "16GB", "checkpoint_timeout": "30min"}
_REPORTED = (
    "fsync",
    "synchronous_commit",
    "full_page_writes",
    "wal_level",
    "shared_buffers",
    "max_wal_size",
    "wal_buffers",
    "checkpoint_timeout",
    "server_version",
)
T0 = to_ns(DEFAULT_EPOCH)


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest_command)
    app.command("query")(query_command)


def tag_names(count: int) -> list[str]:
    """``bench/area/line/cell/eqNNN/tNNNN``: ten tags per equipment."""
    return [f"bench/area/line/cell/eq{i // 10:03d}/t{i:04d}" for i in range(count)]


def batches(ids: np.ndarray, rate_hz: int, seconds: int, per_write_s: int) -> Iterator[pa.Table]:
    """Blocks of ``per_write_s`` seconds: each tag's samples together (as arrays arrive)."""
    rng = np.random.default_rng(1)
    n = rate_hz * per_write_s
    step = NS_PER_S // rate_hz
    wave = np.sin(np.linspace(0, 2 * np.pi * per_write_s, n))
    tag_col = np.repeat(ids.astype(np.uint32), n)
    quality = np.zeros(len(tag_col), dtype=np.uint8)
    for block in range(seconds // per_write_s):
        start = T0 + block * per_write_s * NS_PER_S
        ts = np.tile(start + np.arange(n, dtype=np.int64) * step, len(ids))
        values = np.tile(wave, len(ids)) + rng.normal(0.0, 0.05, len(tag_col))
        yield samples_table(tag_col, ts, values, quality)


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


@contextmanager
def workdir(path: Path | None) -> Iterator[Path]:
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    tmp = Path(tempfile.mkdtemp(prefix="shopfloor-bench-"))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def ingest_command(
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
    tags: int = typer.Option(1000, help="Number of tags."),
    rate_hz: int = typer.Option(1000, "--rate-hz", help="Samples per second per tag."),
    seconds: int = typer.Option(60, help="Seconds of data (one write call per second)."),
    postgres_url: str | None = typer.Option(
        None, "--postgres-url", help="Use this server for the peer instead of a temporary one."
    ),
    dir_: Path | None = typer.Option(None, "--dir", help="Work folder (default: a temp folder)."),
    mqtt_seconds: int = typer.Option(
        10, "--mqtt-seconds", help="Seconds of 100 x 1 kHz data sent over MQTT (0 skips)."
    ),
    mqtt_window: int = typer.Option(
        400_000, "--mqtt-window", help="MQTT samples sent but not yet stored, at most."
    ),
) -> None:
    """Samples/s into the DuckDB historian vs PostgreSQL COPY BINARY, same data, same run;
    then end to end from a Sparkplug B edge through Mosquitto into the historian."""
    out: dict[str, Any] = {"benchmark": "historian.ingest", "tags": tags, "rate_hz": rate_hz}
    out |= {"seconds": seconds, "rows": tags * rate_hz * seconds, "rows_per_write": tags * rate_hz}
    with workdir(dir_) as folder, contextlib.ExitStack() as stack:
        store = stack.enter_context(open_store(folder / "bench.duckdb"))
        if postgres_url is None:
            postgres_url = stack.enter_context(TempPostgres(PEER_SETTINGS)).url
        con = stack.enter_context(psycopg.connect(postgres_url, autocommit=True))
        con.execute("DROP TABLE IF EXISTS bench_peer")
        con.execute(PEER_TABLE.format(name="bench_peer"))
        ids = np.array(store.registry.ensure(tag_names(tags)), dtype=np.int64)
        ours = peer = 0.0
        for batch in batches(ids, rate_hz, seconds, 1):
            began = time.perf_counter()
            store.write(batch)
            ours += time.perf_counter() - began
            began = time.perf_counter()
            copy_batch(con, "bench_peer", batch)
            peer += time.perf_counter() - began
        out["postgres"] = _peer_report(con, out["rows"])
        store.close()
        out["store_bytes"] = sum(p.stat().st_size for p in folder.glob("bench.duckdb*"))
    out["duckdb_version"] = duckdb.__version__
    out["batch_points_per_s"] = round(out["rows"] / ours)
    out["postgres_copy_points_per_s"] = round(out["rows"] / peer)
    out["ratio_vs_postgres_copy"] = round(
        out["batch_points_per_s"] / out["postgres_copy_points_per_s"], 2
    )
    if mqtt_seconds > 0:
        from shopfloor.runtime.ingest_bench import mqtt_ingest

        out |= mqtt_ingest(seconds=mqtt_seconds, window=mqtt_window)
    out["peak_rss_mb"] = peak_rss_mb()
    out["cpu_count"] = os.cpu_count()
    _emit(out, json_out)


def _peer_report(con: psycopg.Connection[Any], rows: int) -> dict[str, Any]:
    """Check the peer stored every row, then drop its table; returns the server settings."""
    stored = con.execute("SELECT count(*) FROM bench_peer").fetchone()
    if stored is None or int(stored[0]) != rows:
        raise RuntimeError(f"the PostgreSQL peer stored {stored} rows, expected {rows}")
    settings = dict(
        con.execute(
            "SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY(%s)",
            [list(_REPORTED)],
        ).fetchall()
    )
    con.execute("DROP TABLE bench_peer")
    return {"settings": settings, "table": PEER_TABLE.format(name="bench_peer")}


def query_command(
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
    tags: int = typer.Option(100, help="Number of tags."),
    rate_hz: int = typer.Option(10, "--rate-hz", help="Samples per second per tag."),
    hours: int = typer.Option(24, help="Hours of data loaded before querying."),
    repeat: int = typer.Option(5, help="Timed repetitions (median reported)."),
    dir_: Path | None = typer.Option(None, "--dir", help="Work folder (default: a temp folder)."),
) -> None:
    """1-minute avg/min/max of every tag over the loaded span (rollups), and the same from raw."""
    rows = tags * rate_hz * hours * 3600
    out: dict[str, Any] = {"benchmark": "historian.query", "tags": tags, "rate_hz": rate_hz}
    out |= {"hours": hours, "rows_loaded": rows}
    with workdir(dir_) as folder:
        path = folder / "bench-query.duckdb"
        with open_store(path) as store:
            ids = np.array(store.registry.ensure(tag_names(tags)), dtype=np.int64)
            spent = 0.0
            for batch in batches(ids, rate_hz, hours * 3600, 600):
                began = time.perf_counter()
                store.write(batch)
                spent += time.perf_counter() - began
        out["load_points_per_s"] = round(rows / spent)
        end = T0 + hours * 3600 * NS_PER_S
        with open_store(path, read_only=True) as store:
            out |= _time_queries(store, T0, end, repeat)
    out["peak_rss_mb"] = peak_rss_mb()
    out["cpu_count"] = os.cpu_count()
    _emit(out, json_out)


def _time_queries(store: Historian, start: int, end: int, repeat: int) -> dict[str, Any]:
    def run(s: int) -> tuple[float, str, int]:
        began = time.perf_counter()
        result = query(store, "bench", s, end, "1m", "avg,min,max")
        return (time.perf_counter() - began) * 1000, result.source, len(result)

    first_ms, source, returned = run(start)
    times = [run(start)[0] for _ in range(repeat)]
    raw_ms, raw_source, raw_rows = run(start - 1)  # a range off the 1 s grid is served from raw
    return {
        "query_bucket_1m_ms": round(statistics.median(times), 1),
        "query_bucket_1m_first_ms": round(first_ms, 1),
        "query_source": source,
        "rows_returned": returned,
        "query_bucket_1m_raw_ms": round(raw_ms, 1),
        "raw_rows_returned": raw_rows if raw_source == "raw" else None,
        "span_days": (end - start) / NS_PER_DAY,
    }


def _emit(out: dict[str, Any], json_out: bool) -> None:
    if json_out:
        typer.echo(json.dumps(out, sort_keys=True))
    else:
        for key, value in sorted(out.items()):
            typer.echo(f"{key}: {value}")


if __name__ == "__main__":  # python -m shopfloor.historian.bench ingest --json
    _app = typer.Typer(no_args_is_help=True)
    register(_app)
    _app()
