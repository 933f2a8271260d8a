"""``shopfloor bench trace``: genealogy trace latency on a million serials.

Builds (or reuses, when it holds the same number of serials) a database with a realistic
genealogy (:mod:`shopfloor.mes.benchdata`), then times backward traces of random pumps and
housings and forward traces of random component lots, each through :class:`Tracer` (one
recursive-CTE statement per trace). The peer measured in the same run is the naive forward trace
that asks the database once per node, level by level.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import Engine, select

from shopfloor.config import settings
from shopfloor.mes.benchdata import build, count_units, housing, lot_ids, pump
from shopfloor.mes.db import make_engine, migrate
from shopfloor.mes.models import Genealogy
from shopfloor.mes.service import open_mes
from shopfloor.plant import load_plant

TARGET_MS = 100.0


def _stats(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    return {
        "p50": round(statistics.median(ordered), 2),
        "p95": round(ordered[max(0, round(0.95 * len(ordered)) - 1)], 2),
        "max": round(ordered[-1], 2),
    }


def _timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return (time.perf_counter() - t0) * 1000, out


def naive_forward(engine: Engine, item: str, kind: str) -> set[str]:
    """The peer: walk up the genealogy with one query per node."""
    found: set[str] = set()
    frontier = [(item, kind)]
    with engine.connect() as conn:
        while frontier:
            node, k = frontier.pop()
            q = select(Genealogy.parent).where(Genealogy.child == node, Genealogy.child_kind == k)
            for parent in conn.scalars(q):
                if parent not in found:
                    found.add(parent)
                    frontier.append((parent, "serial"))
    return found


def run(url: str, serials: int, samples: int, rebuild: bool, seed: int) -> dict[str, Any]:
    plant = load_plant("demo")
    engine = make_engine(url)
    migrate(engine)
    have = count_units(engine)
    build_s: float | None = None
    counts: dict[str, int] = {}
    if have != serials or rebuild:
        if have:
            raise typer.BadParameter(
                f"{url} holds {have} serials, not {serials}; give an empty --db or remove it"
            )
        t0 = time.perf_counter()
        counts = build(engine, serials, plant.path_of, seed)
        build_s = round(time.perf_counter() - t0, 1)
    engine.dispose()
    rng = random.Random(seed + 1)
    n = serials // 2
    lots = [lot for ids in lot_ids(serials).values() for lot in ids]
    with open_mes(url, plant=plant) as mes:
        for _ in range(5):  # warm the caches
            mes.trace.trace(pump(rng.randrange(n)))
        back: list[float] = []
        depth_ok = True
        for i in range(samples):
            serial = pump(rng.randrange(n)) if i % 4 else housing(rng.randrange(n))
            ms, out = _timed(mes.trace.trace, serial, direction="backward")
            back.append(ms)
            depth_ok &= len(out["lots"]) >= 1
        fwd: list[float] = []
        sizes: list[int] = []
        for _ in range(samples):
            lot = rng.choice(lots)
            ms, out = _timed(mes.trace.trace, lot, direction="forward")
            fwd.append(ms)
            sizes.append(len(out["units"]))
        naive: list[float] = []
        for _ in range(min(20, samples)):
            lot = rng.choice(lots)
            ms, _out = _timed(naive_forward, mes.ctx.db.engine, lot, "lot")
            naive.append(ms)
        backend = mes.ctx.db.backend
    result: dict[str, Any] = {
        "bench": "trace",
        "backend": backend,
        "serials": serials,
        "lots": len(lots),
        "built_s": build_s,
        "rows": counts or None,
        "samples": samples,
        "backward_ms": _stats(back),
        "forward_ms": _stats(fwd),
        "forward_units": {"mean": round(statistics.fmean(sizes), 1), "max": max(sizes)},
        "peer_naive_forward_ms": _stats(naive),
        "target_ms": TARGET_MS,
        "cpus": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }
    result["ok"] = bool(
        depth_ok
        and result["backward_ms"]["p95"] < TARGET_MS
        and result["forward_ms"]["p95"] < TARGET_MS
    )
    return result


def trace(
    serials: Annotated[int, typer.Option("--serials", help="Serials in the dataset")] = 1_000_000,
    samples: Annotated[int, typer.Option("--samples", help="Random targets per direction")] = 300,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Database URL (default: cached SQLite under <data_dir>/bench)"),
    ] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Build even if cached")] = False,
    seed: Annotated[int, typer.Option("--seed")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="One line of JSON")] = False,
) -> None:
    """Genealogy trace latency (p50/p95, backward and forward) on a million serials."""
    if serials < 2 or samples < 1:
        raise typer.BadParameter("--serials must be >= 2 and --samples >= 1")
    if db is None:
        folder = Path(settings().data_dir) / "bench"
        file = folder / f"trace-{serials}.sqlite"
        if rebuild and file.exists():
            file.unlink()
        db = f"sqlite:///{file}"
    typer.echo(json.dumps(run(db, serials, samples, rebuild, seed), indent=None if as_json else 2))


def register(app: typer.Typer) -> None:
    app.command("trace")(trace)
