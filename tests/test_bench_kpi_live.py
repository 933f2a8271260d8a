"""Smoke run of ``shopfloor bench kpi-live``: two processes, serve killed -9 and restarted (the
figures are not judged here; docs/benchmarks.md has the measured ones)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from shopfloor.bench.cli import app


def test_kpi_live_bench_kills_serve_and_loses_no_acknowledged_event() -> None:
    args = ["kpi-live", "--hours", "0.02", "--speed", "10", "--lead-s", "15", "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout.strip().splitlines()[-1])
    kill = doc["kill"]
    assert kill["events_acknowledged_before"] > 0 and kill["events_lost"] == 0
    assert doc["events_journalled"] >= kill["events_acknowledged_before"]
    assert doc["window"]["start"] == "2025-01-06T06:00:00Z"
    lathe = doc["equipment"]["suzhou/machining/line1/turning/lathe-01"]
    assert lathe["availability"]["truth"] is not None
    assert lathe["availability"]["rel_error"] is not None
    assert set(doc["worst"]) == {"lines", "equipment"}


def test_keep_must_be_a_new_or_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("an earlier run")
    result = CliRunner().invoke(app, ["kpi-live", "--keep", str(tmp_path)])
    assert result.exit_code != 0 and "give a new or empty folder" in str(result.exception)
