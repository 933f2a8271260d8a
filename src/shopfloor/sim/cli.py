"""``shopfloor sim``: run the plant simulation in virtual time."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer

from shopfloor.clock import parse_instant
from shopfloor.errors import BadInput
from shopfloor.sim.recorder import Recorder
from shopfloor.sim.run import run_virtual

app = typer.Typer(no_args_is_help=True)


@app.command("run")
def run(
    plant: str = typer.Option("demo", "--plant", help="Example plant name or plant YAML file."),
    hours: float = typer.Option(8.0, "--hours", help="Virtual hours to simulate."),
    seed: int = typer.Option(1, "--seed", help="Random seed (same seed, same run)."),
    as_json: bool = typer.Option(False, "--json", help="Print the JSON summary."),
    start: str | None = typer.Option(
        None, "--start", help="Virtual start, ISO 8601 with zone (default 2025-01-06T06:00:00Z)."
    ),
    events: Path | None = typer.Option(
        None, "--events", help="Also write the machine events here, one JSON object a line."
    ),
) -> None:
    """Run the plant in virtual time and print per line and per equipment ground truth
    (``--events``: and write its machine events as JSON lines, e.g. for ``pdm score``)."""
    try:
        begin = parse_instant(start) if start else None
    except ValueError as exc:
        raise BadInput(f"--start: {exc}") from None
    if events is not None and not events.parent.is_dir():
        raise BadInput(f"--events: folder {events.parent} does not exist")
    rec = Recorder(values=False) if events is not None else None
    t0 = time.perf_counter()
    result = run_virtual(plant, hours, seed, start=begin, outlet=rec, emit_values=False)
    wall = time.perf_counter() - t0
    if rec is not None and events is not None:
        with events.open("w", encoding="utf-8") as f:
            for ev in rec.events:
                f.write(json.dumps(ev.to_dict(), separators=(",", ":"), ensure_ascii=False))
                f.write("\n")
    summary = result.to_json()
    summary["wall_s"] = round(wall, 3)
    if as_json:
        typer.echo(json.dumps(summary, indent=2, ensure_ascii=False))
        return
    typer.echo(f"{plant}: {hours:g} h virtual in {wall:.2f} s (seed {seed})")
    for path, ln in summary["lines"].items():
        typer.echo(
            f"  line {path}: {ln['good']} good, {ln['scrap']} scrap, "
            f"{ln['energy_kwh']:.1f} kWh, {ln['failures']} failures"
        )
    for path, eq in summary["equipment"].items():
        if not eq["produced"] and not eq["failures"]:
            continue
        apt = eq["time_elements_s"]["APT"] / 3600
        typer.echo(
            f"  {path.rsplit('/', 1)[1]:<12} produced {eq['produced']:>5} "
            f"good {eq['good']:>5} scrap {eq['scrap']:>3}  APT {apt:6.2f} h  "
            f"{eq['energy_kwh']:8.1f} kWh  failures {len(eq['failures'])}"
        )
    for problem in summary["problems"]:
        typer.echo(f"  PROBLEM: {problem}", err=True)
