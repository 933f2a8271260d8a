"""``shopfloor run``: simulation + MES + KPIs in virtual time, in one process, no network.

The virtual plant's events travel over the in-memory UNS to MES and the KPI book
(:mod:`shopfloor.runtime.run_pipeline`); the KPIs computed from them are printed next to the
simulator's ground truth (:mod:`shopfloor.runtime.run_truth`), per line and per equipment,
with the KPIs per product and per shift of the plant calendar::

    {"lines": {ID: {"kpi": {...}, "truth": {...}}}, "equipment": {ID: {...}},
     "products": {ID: {"kpi": {...}}}, "shifts": {KEY: {"lines": {ID: {"kpi": {...}}}}}, ...}

KPI values are fractions (not percent) or the unit of their registry row, not rounded.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import typer

from shopfloor.clock import DEFAULT_EPOCH, NS_PER_S, from_ns, parse_instant, to_ns
from shopfloor.config import load_settings
from shopfloor.errors import BadInput
from shopfloor.kpi import EmissionFactor, EnergySettings, evaluate
from shopfloor.kpi.energy import CN_GRID_2022
from shopfloor.kpi.layout import Layout
from shopfloor.mes.calendar import Window, calendar_for, shift_windows
from shopfloor.plant.loader import load_plant
from shopfloor.plant.model import Plant
from shopfloor.runtime.run_pipeline import RunOutcome, run_pipeline
from shopfloor.runtime.run_truth import truth_entries
from shopfloor.sim import OrderSource

COMPARED = ("oee", "availability", "effectiveness", "quality_ratio", "kwh_per_unit")


def summary(plant: Plant, hours: float, seed: int, outcome: RunOutcome) -> dict[str, Any]:
    """The JSON ``shopfloor run --json`` prints."""
    layout = Layout.from_plant(plant)
    truth = truth_entries(outcome.truth, layout)
    rep = outcome.report
    return {
        "plant": plant.name,
        "seed": seed,
        "hours": hours,
        "start": from_ns(outcome.truth.start_ns).isoformat(),
        "end": from_ns(outcome.truth.end_ns).isoformat(),
        "lines": {
            p: {
                "kpi": evaluate(b),
                "truth": truth["lines"][p],
                "kwh_source": rep.line_kwh_source[p],
            }
            for p, b in rep.lines.items()
        },
        "equipment": {
            p: {"kpi": evaluate(b), "truth": truth["equipment"][p]}
            for p, b in rep.equipment.items()
        },
        "products": {p: {"kpi": evaluate(b)} for p, b in rep.products.items()},
        "orders": {
            oid: {"product": rep.order_info[oid].product, "kpi": evaluate(b)}
            for oid, b in rep.orders.items()
        },
        "shifts": {
            key: {"lines": {p: {"kpi": evaluate(b)} for p, b in r.lines.items()}}
            for key, r in outcome.periods.items()
        },
        "emission_factor": rep.emission_factor.to_dict(),
        "kpi_rejected_events": rep.rejected,
        "bus": outcome.bus.to_dict(),
        "mes": outcome.mes,
    }


def shifts(plant: Plant, start: datetime, hours: float) -> list[Window]:
    """The shifts of the plant's (first) calendar during the run (none without a calendar)."""
    if not plant.calendars:
        return []
    a = to_ns(start)
    return shift_windows(calendar_for(plant), a, a + round(hours * 3600 * NS_PER_S))


def _fmt(v: float | None) -> str:
    return "   -   " if v is None else f"{v:7.4f}"


def _print_table(doc: dict[str, Any], wall_s: float) -> None:
    typer.echo(
        f"{doc['plant']}: {doc['hours']:g} h virtual in {wall_s:.2f} s (seed {doc['seed']}); "
        f"{doc['bus']['published']} events over the bus"
    )
    typer.echo(f"{'':<24}" + "".join(f"{k[:13]:>17}" for k in COMPARED))
    typer.echo(f"{'':<24}" + "   kpi  / truth   " * len(COMPARED))
    for group in ("lines", "equipment"):
        for path, entry in doc[group].items():
            if not entry["truth"]["pq"]:
                continue
            cells = "".join(f" {_fmt(entry['kpi'][k])}/{_fmt(entry['truth'][k])}" for k in COMPARED)
            typer.echo(f"{path.rsplit('/', 1)[1]:<24}{cells}")
    if doc["mes"] is not None:
        m = doc["mes"]
        typer.echo(f"MES: {m['applied']} applied, {m['parked']} parked")


def run_command(
    plant: str = typer.Option("demo", "--plant", help="Example plant name or plant YAML file."),
    hours: float = typer.Option(24.0, "--hours", help="Virtual hours to simulate."),
    seed: int = typer.Option(1, "--seed", help="Random seed (same seed, same run)."),
    as_json: bool = typer.Option(False, "--json", help="Print the JSON summary."),
    orders: Path | None = typer.Option(
        None,
        "--orders",
        help="Run the orders of this B2MML (.xml) or CSV file instead of generated ones.",
    ),
    start: str | None = typer.Option(
        None, "--start", help="Virtual start, ISO 8601 with zone (default 2025-01-06T06:00:00Z)."
    ),
    mes_db: str = typer.Option(
        "sqlite://", "--mes-db", help="MES database URL (default: in memory, gone at exit)."
    ),
    with_mes: bool = typer.Option(True, "--mes/--no-mes", help="Run MES on the events."),
    emission_factor: float = typer.Option(
        CN_GRID_2022.kg_per_kwh, "--emission-factor", help="Grid emission factor, kg CO2e/kWh."
    ),
    emission_source: str = typer.Option(
        CN_GRID_2022.source, "--emission-source", help="Where the emission factor comes from."
    ),
    emission_year: int | None = typer.Option(
        None, "--emission-year", help="The year the emission factor is for."
    ),
) -> None:
    """Simulate, run MES and compute KPIs from the events; print KPIs next to ground truth."""
    if not 0 < hours < math.inf:
        raise BadInput(f"--hours must be > 0 and finite, not {hours!r}")
    try:
        begin: datetime | None = parse_instant(start) if start else None
    except ValueError as exc:
        raise BadInput(f"--start: {exc}") from None
    p = load_plant(plant)
    order_source: OrderSource = "own"
    if orders is not None:  # shopfloor.erp (lxml, the schemas) is loaded only when asked for
        from shopfloor.runtime.run_orders import imported_orders

        p, order_source = imported_orders(plant, orders, load_settings().b2mml_schema_dir)
    given = (emission_factor, emission_source, emission_year)
    default = (CN_GRID_2022.kg_per_kwh, CN_GRID_2022.source, None)
    factor = CN_GRID_2022 if given == default else EmissionFactor(*given)
    t0 = time.perf_counter()
    outcome = asyncio.run(
        run_pipeline(
            p,
            hours,
            seed,
            start=begin,
            orders=order_source,
            mes_url=mes_db if with_mes else None,
            energy=EnergySettings(factor),
            periods=shifts(p, begin or DEFAULT_EPOCH, hours),
        )
    )
    doc = summary(p, hours, seed, outcome)
    if as_json:
        typer.echo(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        _print_table(doc, time.perf_counter() - t0)
