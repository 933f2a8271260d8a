"""Scheduling benchmarks, mounted under ``shopfloor bench`` by :func:`register`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from shopfloor.schedule.benchmark import run_benchmark
from shopfloor.schedule.repair_bench import run_repair_benchmark

#: Where the shared benchmark data sits when commands run from the repository root.
SHARED_JSSP = Path("..") / "shared" / "data" / "jssp"


def schedule_bench(
    instances: Path = typer.Option(
        SHARED_JSSP / "instances", "--instances", help="Folder of instance files."
    ),
    bounds: Path = typer.Option(
        SHARED_JSSP / "bounds.csv",
        "--bounds",
        help="Best-known bounds (CSV or JSON with name, upper_bound).",
    ),
    time_limit: float = typer.Option(10.0, "--time-limit", help="Seconds per solver run."),
    threads: int = typer.Option(2, "--threads", help="Threads for every solver."),
    pattern: str | None = typer.Option(None, "--filter", help="Regex on instance names."),
    as_json: bool = typer.Option(False, "--json", help="Print the JSON object only."),
) -> None:
    """Gap to the best known: our default solver, the best dispatching rule and plain CP-SAT,
    same time and threads, per instance and per group."""
    progress = None if as_json else typer.echo
    out = run_benchmark(instances, bounds, time_limit, threads, pattern, progress=progress)
    typer.echo(json.dumps(out, indent=None if as_json else 2))


def schedule_repair_bench(
    instance: Path = typer.Option(
        SHARED_JSSP / "instances" / "ta20.txt",
        "--instance",
        help="Instance file to solve and disrupt.",
    ),
    solve_time: float = typer.Option(10.0, "--solve-time", help="Seconds for the first plan."),
    repair_time: float = typer.Option(10.0, "--time-limit", help="Seconds for the repair."),
    threads: int = typer.Option(2, "--threads", help="Threads for every solver."),
    as_json: bool = typer.Option(False, "--json", help="Print compact JSON."),
) -> None:
    """Breakdown on the busiest machine mid-plan: time to the first feasible repair, the
    improved one, makespans and moved dispatched operations; plain CP-SAT as the peer."""
    out = run_repair_benchmark(
        instance, solve_time=solve_time, repair_time=repair_time, threads=threads
    )
    typer.echo(json.dumps(out, indent=None if as_json else 2))


def register(app: typer.Typer) -> None:
    """Add ``schedule`` and ``schedule-repair`` to the ``shopfloor bench`` command group."""
    app.command("schedule")(schedule_bench)
    app.command("schedule-repair")(schedule_repair_bench)
