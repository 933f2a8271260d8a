"""What every ``shopfloor mes`` command shares: ``--db``, ``--plant``, ``--json``, time options,
opening MES and printing results (JSON for machines, aligned text for people)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import typer

from shopfloor.clock import from_ns, parse_instant, to_ns
from shopfloor.config import settings
from shopfloor.errors import BadInput
from shopfloor.mes.service import MesService, open_mes
from shopfloor.plant import Plant, load_plant
from shopfloor.plantclock import PlantClock
from shopfloor.textgrid import align

DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: sqlite under Settings().data_dir)"),
]
PlantOpt = Annotated[
    str | None, typer.Option("--plant", help="Plant example name or YAML file (default: settings)")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]
ByOpt = Annotated[str, typer.Option("--by", help="Who does it (operator or user name)")]


@lru_cache(maxsize=8)
def _plant(name: str, stamp: float) -> Plant:
    return load_plant(name)


def plant_named(name: str | None) -> Plant:
    """The plant file or example ``name`` (default: the settings' plant), parsed once per
    process as long as the file does not change."""
    name = name or settings().plant
    p = Path(name)
    return _plant(name, p.stat().st_mtime if p.is_file() else 0.0)


def plant_clock(db: str | None = None, plant: str | None = None) -> PlantClock:
    """The plant's clock for a command (see :mod:`shopfloor.plantclock`): a service running on
    the settings' ``data_dir``, else the plant's recorded time in the MES at ``db``."""
    s = settings()

    def recorded() -> int | None:
        mes = open_mes(db, plant=plant_named(plant))
        try:
            return mes.recorded_until()
        finally:
            mes.close()

    return PlantClock(s.data_dir, s.plant_clock, recorded)


@contextmanager
def mes_at(db: str | None, plant: str | None) -> Iterator[MesService]:
    """MES on the plant's clock (what it plans and stamps is in the plant's time)."""
    clock = plant_clock(db, plant)
    mes = open_mes(db, plant=plant_named(plant), clock=clock)
    clock.recorded = mes.recorded_until  # (this MES: no second connection)
    try:
        yield mes
    finally:
        mes.close()


def instant_ns(option: str, text: str | None) -> int | None:
    """``--from 2025-01-06T06:00:00Z`` -> ns; :class:`BadInput` naming the option."""
    if text is None:
        return None
    try:
        return to_ns(parse_instant(text))
    except ValueError as exc:
        raise BadInput(
            f"{option}: {text!r} is not an ISO 8601 instant with a time zone ({exc})"
        ) from None


def jsonable(obj: Any) -> Any:
    """Plain JSON values; ``x_ns`` integers become ISO 8601 ``x`` strings (UTC)."""
    if isinstance(obj, dict):
        out: dict[str, Any] = {}
        for k, v in obj.items():
            if isinstance(k, str) and k.endswith("_ns") and (v is None or isinstance(v, int)):
                out[k[:-3]] = (
                    from_ns(v).isoformat().replace("+00:00", "Z") if v is not None else None
                )
            else:
                out[str(k)] = jsonable(v)
        return out
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if hasattr(obj, "to_dict"):
        return jsonable(obj.to_dict())
    return obj


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """Aligned text columns (after :func:`jsonable`)."""
    data = [[_cell(jsonable(r).get(c)) for c in columns] for r in rows]
    return "\n".join(align(columns, data))


def _flat(v: Any) -> bool:
    return not isinstance(v, dict | list)


def _cell(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, list) and all(_flat(x) for x in v):
        return ",".join(_cell(x) for x in v) if v else "-"
    if isinstance(v, list | dict):
        return json.dumps(v, separators=(",", ":"), ensure_ascii=False)
    return str(v)


def emit(obj: Any, as_json: bool, columns: Sequence[str] | None = None) -> None:
    """Print ``obj``: JSON, a table of rows, or ``key: value`` lines."""
    data = jsonable(obj)
    if as_json:
        typer.echo(json.dumps(data, indent=2, sort_keys=False, default=str))
    elif columns is not None and isinstance(data, list):
        typer.echo(table(data, columns) if data else "(none)")
    elif isinstance(data, dict):
        nested = []
        for k, v in data.items():
            if isinstance(v, list) and v and all(isinstance(r, dict) for r in v):
                nested.append((k, v))  # records: a table below the fields
            elif (
                isinstance(v, dict)
                and v
                and not any(isinstance(x, dict | list) for x in v.values())
            ):
                typer.echo(f"{k}: " + ", ".join(f"{a}={_cell(b)}" for a, b in v.items()))
            else:
                typer.echo(f"{k}: {_cell(v)}")
        for k, rows in nested:
            cols = list(dict.fromkeys(c for r in rows for c in r))
            data = [[_cell(jsonable(r).get(c)) for c in cols] for r in rows]
            typer.echo(f"\n{k} ({len(rows)}):")
            typer.echo("\n".join(align(cols, data, indent="  ")))
    else:
        typer.echo(str(data))
