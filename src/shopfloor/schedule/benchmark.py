"""The job-shop benchmark: our default solver, the best dispatching rule and plain CP-SAT, each
with the same time limit and threads, on every instance, in the same run.

Gaps are ``100 * (makespan - best_known) / best_known`` against the best-known upper bound of
the bounds file. Groups: the family (``ft``, ``la``...) and Taillard by tens (``ta01-10``...).
"""

from __future__ import annotations

import csv
import json
import os
import platform
import re
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from statistics import mean
from typing import Any

from shopfloor.errors import BadInput, NotFound
from shopfloor.schedule.formats import read_instance
from shopfloor.schedule.solve import solve

#: (JSON key, solver name) of the peers measured on every instance, in run order.
PEERS: tuple[tuple[str, str], ...] = (
    ("best_rule", "rules"),
    ("ours", "default"),
    ("plain_cpsat", "cpsat-plain"),
)

INSTANCE_SUFFIXES = (".txt", ".jss", ".fjs")


def load_bounds(path: str | Path) -> dict[str, int]:
    """Instance name -> best-known makespan (``upper_bound``, else ``optimum``), CSV or JSON."""
    p = Path(path)
    if not p.is_file():
        raise NotFound(f"bounds file {str(p)!r} does not exist")
    text = p.read_text(encoding="utf-8")
    try:
        rows: list[dict[str, Any]] = (
            json.loads(text) if p.suffix == ".json" else list(csv.DictReader(text.splitlines()))
        )
    except json.JSONDecodeError as exc:
        raise BadInput(f"{p.name}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    out: dict[str, int] = {}
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or "name" not in row:
            raise BadInput(f"{p.name}: row {i + 1} has no 'name'")
        best = row.get("upper_bound") or row.get("optimum")
        if best in (None, ""):
            continue
        try:
            out[str(row["name"])] = int(best)
        except ValueError:
            raise BadInput(
                f"{p.name}: row {i + 1}: best known {best!r} is not an integer"
            ) from None
    return out


def group_of(name: str) -> str:
    """``ta17`` -> ``ta11-20``; ``la05`` -> ``la``; ``ft10`` -> ``ft``."""
    m = re.fullmatch(r"([a-z]+)(\d+)", name)
    if m is None:
        return name
    family, number = m.group(1), int(m.group(2))
    if family != "ta":
        return family
    lo = (number - 1) // 10 * 10 + 1
    return f"ta{lo:02d}-{lo + 9:02d}"


def instance_files(directory: str | Path, pattern: str | None) -> list[Path]:
    d = Path(directory)
    if not d.is_dir():
        raise NotFound(f"instance folder {str(d)!r} does not exist")
    try:
        rx = re.compile(pattern) if pattern else None
    except re.error as exc:
        raise BadInput(f"--filter {pattern!r} is not a regular expression: {exc}") from None
    files = sorted(p for p in d.iterdir() if p.suffix in INSTANCE_SUFFIXES)
    return [p for p in files if rx is None or rx.search(p.stem)]


def gap_pct(value: int, best: int) -> float:
    return round(100.0 * (value - best) / best, 3)


def run_benchmark(
    directory: str | Path,
    bounds_file: str | Path,
    time_limit: float,
    threads: int,
    pattern: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    bounds = load_bounds(bounds_file)
    files = [p for p in instance_files(directory, pattern) if p.stem in bounds]
    if not files:
        raise BadInput(
            "no instance has both a file and a best-known bound"
            + (f" (filter {pattern!r})" if pattern else "")
        )
    rows = []
    for path in files:
        problem = read_instance(path)
        best = bounds[path.stem]
        row: dict[str, Any] = {
            "name": path.stem,
            "group": group_of(path.stem),
            "jobs": len(problem.jobs),
            "machines": problem.n_machines,
            "best_known": best,
        }
        for key, solver in PEERS:
            res = solve(problem, solver, time_limit=time_limit, threads=threads)
            row[key] = {
                "makespan": res.makespan,
                "gap_pct": gap_pct(res.makespan, best),
                "lower_bound": res.lower_bound,
                "status": res.status,
                "wall_s": round(res.wall_s, 2),
            }
            if solver == "rules":
                row[key]["rule"] = res.stats.get("rule")
        rows.append(row)
        if progress is not None:
            progress(
                f"{path.stem}: " + ", ".join(f"{k} {row[k]['gap_pct']:.2f}%" for k, _s in PEERS)
            )
    return {
        "settings": _settings(time_limit, threads, pattern),
        "summary": _summary(rows),
        "groups": _groups(rows),
        "instances": rows,
    }


def _means(rows: list[dict[str, Any]]) -> dict[str, float]:
    return {
        f"{key}_mean_gap_pct": round(mean(r[key]["gap_pct"] for r in rows), 3)
        for key, _solver in PEERS
    }


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    means = _means(rows)
    out: dict[str, Any] = {
        "instances": len(rows),
        "ours_mean_gap_pct": means["ours_mean_gap_pct"],
        "plain_cpsat_mean_gap_pct": means["plain_cpsat_mean_gap_pct"],
        "best_rule_mean_gap_pct": means["best_rule_mean_gap_pct"],
    }
    plain = means["plain_cpsat_mean_gap_pct"]
    out["ours_over_plain"] = round(means["ours_mean_gap_pct"] / plain, 3) if plain > 0 else None
    ta = [r for r in rows if r["group"].startswith("ta")]
    if ta:
        out["taillard"] = {"instances": len(ta), **_means(ta)}
    out["ours_better"] = sum(r["ours"]["makespan"] < r["plain_cpsat"]["makespan"] for r in rows)
    out["plain_better"] = sum(r["ours"]["makespan"] > r["plain_cpsat"]["makespan"] for r in rows)
    return out


def _groups(rows: list[dict[str, Any]]) -> dict[str, Any]:
    names = sorted({r["group"] for r in rows})
    return {
        g: {
            "instances": sum(r["group"] == g for r in rows),
            **_means([r for r in rows if r["group"] == g]),
        }
        for g in names
    }


def _settings(time_limit: float, threads: int, pattern: str | None) -> dict[str, Any]:
    return {
        "time_limit_s": time_limit,
        "threads": threads,
        "filter": pattern,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "ortools": version("ortools"),
        "peers": {key: solver for key, solver in PEERS},
    }
