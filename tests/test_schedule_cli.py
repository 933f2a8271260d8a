"""``shopfloor schedule solve`` and the scheduling benchmarks' commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import typer
from typer.testing import CliRunner

from shopfloor.schedule import bench
from shopfloor.schedule.benchmark import group_of, load_bounds
from shopfloor.schedule.cli import app

runner = CliRunner()


def test_solve_prints_the_json_contract(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / "jssp" / "instances" / "ft06.txt"
    gantt = tmp_path / "ft06.html"
    res = runner.invoke(
        app,
        [
            "solve",
            str(path),
            "--time-limit",
            "2",
            "--json",
            "--gantt",
            str(gantt),
            "--threads",
            "2",
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert {"makespan", "lower_bound", "status", "solver", "wall_s", "schedule"} <= set(out)
    assert out["makespan"] == 55 and out["solver"] == "default"
    rows = out["schedule"]
    assert len(rows) == 36 and rows[0] == {**rows[0], "job": 0, "op": 0, "machine": 2}
    assert {r["machine"] for r in rows} == set(range(6))
    assert gantt.read_text(encoding="utf-8").count("<rect") >= 36


def test_solve_text_output_and_solver_list(shared_data: Path) -> None:
    path = shared_data / "jssp" / "instances" / "la01.txt"
    res = runner.invoke(app, ["solve", str(path), "--time-limit", "1", "--solver", "mwkr"])
    assert res.exit_code == 0 and "makespan" in res.output and "solver mwkr" in res.output
    listed = runner.invoke(app, ["solvers", "--json"])
    assert "cpsat-plain" in json.loads(listed.output)


def test_bad_input_exits_2_with_the_reason(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("2 2\n0 3 1 2\n1 4 0\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "shopfloor.cli", "schedule", "solve", str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert "bad.txt: line 3" in proc.stderr


def _bench_app() -> typer.Typer:
    app_ = typer.Typer()
    bench.register(app_)
    return app_


def test_bench_schedule_reports_gaps_per_instance_and_group(shared_data: Path) -> None:
    jssp = shared_data / "jssp"
    res = runner.invoke(
        _bench_app(),
        [
            "schedule",
            "--instances",
            str(jssp / "instances"),
            "--bounds",
            str(jssp / "bounds.json"),
            "--time-limit",
            "0.5",
            "--threads",
            "1",
            "--filter",
            "^(ft06|la01)$",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    s = out["summary"]
    assert s["instances"] == 2 and s["ours_mean_gap_pct"] == 0.0
    assert {"plain_cpsat_mean_gap_pct", "best_rule_mean_gap_pct"} <= set(s)
    assert set(out["groups"]) == {"ft", "la"}
    names = [r["name"] for r in out["instances"]]
    assert names == ["ft06", "la01"] and out["instances"][0]["best_rule"]["gap_pct"] > 0


def test_bench_schedule_repair_meets_its_targets(shared_data: Path) -> None:
    inst = shared_data / "jssp" / "instances" / "la01.txt"
    res = runner.invoke(
        _bench_app(),
        [
            "schedule-repair",
            "--instance",
            str(inst),
            "--solve-time",
            "1",
            "--time-limit",
            "1.5",
            "--threads",
            "1",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert all(out["checks"].values()), out["checks"]
    assert out["first"]["seconds"] < 1 and out["dispatched_operations"] > 0
    assert out["improved"]["objective"] <= out["first"]["objective"]


def test_groups_and_bounds(shared_data: Path, tmp_path: Path) -> None:
    assert [group_of(n) for n in ("ta17", "ta01", "ta20", "la05", "ft10", "abz7")] == [
        "ta11-20",
        "ta01-10",
        "ta11-20",
        "la",
        "ft",
        "abz",
    ]
    csv_bounds = load_bounds(shared_data / "jssp" / "bounds.csv")
    assert csv_bounds == load_bounds(shared_data / "jssp" / "bounds.json")
    assert csv_bounds["ta01"] == 1231
    broken = tmp_path / "b.json"
    broken.write_text("[{", encoding="utf-8")
    res = runner.invoke(
        _bench_app(), ["schedule", "--bounds", str(broken), "--instances", str(tmp_path)]
    )
    assert res.exit_code != 0
