"""``shopfloor plant``: show and validate plant files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from shopfloor.plant.loader import load_plant
from shopfloor.plant.model import Plant

app = typer.Typer(no_args_is_help=True)


def plant_to_dict(plant: Plant) -> dict[str, Any]:
    """The hierarchy as JSON-friendly data, with each equipment's path and tag ids."""
    out: dict[str, Any] = {
        "enterprise": plant.enterprise.model_dump(),
        "site": plant.site.model_dump(),
        "areas": [],
    }
    for a in plant.areas:
        area: dict[str, Any] = {"id": a.id, "name": a.name, "lines": []}
        for ln in a.lines:
            line: dict[str, Any] = {
                "id": ln.id,
                "name": ln.name,
                "kind": ln.kind,
                "path": f"{plant.site.id}/{a.id}/{ln.id}",
                "cells": [],
            }
            for c in ln.cells:
                cell: dict[str, Any] = {"id": c.id, "name": c.name, "equipment": []}
                for e in c.equipment:
                    path = f"{plant.site.id}/{a.id}/{ln.id}/{c.id}/{e.id}"
                    d = e.model_dump(mode="json", by_alias=True, exclude={"sim"})
                    d["path"] = path
                    d["networked"] = e.networked
                    for t in d["tags"]:
                        t["id"] = f"{path}/{t['name']}"
                    cell["equipment"].append(d)
                line["cells"].append(cell)
            area["lines"].append(line)
        out["areas"].append(area)
    return out


@app.command("show")
def show(
    plant: str = typer.Option("demo", "--plant", help="Example plant name or plant YAML file."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a tree."),
) -> None:
    """Print the plant hierarchy (enterprise > site > area > line > cell > equipment)."""
    p = load_plant(plant)
    if as_json:
        typer.echo(json.dumps(plant_to_dict(p), indent=2, ensure_ascii=False))
        return
    typer.echo(f"{p.enterprise.name} [{p.enterprise.id}]")
    typer.echo(f"└── {p.site.name} [{p.site.id}]")
    for ai, a in enumerate(p.areas):
        a_last = ai == len(p.areas) - 1
        typer.echo(f"    {'└' if a_last else '├'}── {a.name} [{a.id}]")
        ap = "    " + ("    " if a_last else "│   ")
        for li, ln in enumerate(a.lines):
            l_last = li == len(a.lines) - 1
            typer.echo(f"{ap}{'└' if l_last else '├'}── {ln.name} [{ln.id}]")
            lp = ap + ("    " if l_last else "│   ")
            for ci, c in enumerate(ln.cells):
                c_last = ci == len(ln.cells) - 1
                typer.echo(f"{lp}{'└' if c_last else '├'}── {c.name} [{c.id}]")
                cp = lp + ("    " if c_last else "│   ")
                for ei, e in enumerate(c.equipment):
                    e_last = ei == len(c.equipment) - 1
                    flags = ",".join(
                        f for f, on in (("cnc", e.cnc), ("key", e.key), ("auto", e.automated)) if on
                    )
                    typer.echo(
                        f"{cp}{'└' if e_last else '├'}── {e.name} [{e.id}] {e.cls.value} "
                        f"{e.protocol.value}/{e.connectivity.value} {len(e.tags)} tags"
                        + (f" ({flags})" if flags else "")
                    )
    n_eq = len(p.walk())
    typer.echo(f"\n{n_eq} equipment, {len(p.tag_ids())} tags, {len(p.products)} products")


@app.command("validate")
def validate(file: Path = typer.Argument(..., help="Plant YAML file to check.")) -> None:
    """Exit 0 if the plant file is valid, else exit 2 listing every error by its path."""
    p = load_plant(file)
    typer.echo(f"{file}: valid ({len(p.walk())} equipment, {len(p.tag_ids())} tags)")


@app.command("discover")
def discover(
    sources: list[str] = typer.Argument(
        ...,
        help="What to discover: opc.tcp://host:port (browse an OPC UA server), mqtt://broker:port "
        "(listen to Sparkplug B births), FILE.csv (a Modbus register map).",
    ),
    seconds: float = typer.Option(
        10.0, "--seconds", min=0.1, help="How long to listen to a broker for births."
    ),
    out: Path | None = typer.Option(None, "--out", help="Write the draft here (default stdout)."),
    site: str = typer.Option("site", "--site", help="Site name of the draft."),
) -> None:
    """Write a draft plant file for the devices found, each with its own endpoint; machines laid
    out as PackML or OPC UA for Machine Tools get their preset. Review names and classes, then
    `shopfloor serve --plant FILE`."""
    import asyncio

    import yaml

    from shopfloor.connect.registry import registry
    from shopfloor.errors import BadInput
    from shopfloor.plant.draft import draft_plant
    from shopfloor.plant.loader import parse_plant

    rows = registry()
    plan = []
    for src in sources:
        row = next((r for r in rows.values() if r.claims(src)), None)
        if row is None:
            known = "opc.tcp://..., mqtt://..., FILE.csv"
            raise BadInput(f"{src!r}: no connector discovers this (known: {known})")
        plan.append((src, row))

    async def run() -> tuple[list[dict[str, Any]], list[str]]:
        found = await asyncio.gather(*(row.discover(src, seconds) for src, row in plan))
        return [d for docs, _n in found for d in docs], [n for _d, notes in found for n in notes]

    equipment, notes = asyncio.run(run())
    doc = draft_plant(equipment, site=site)
    parse_plant(doc)  # the draft must load as it is; a failure here is ours, said in full
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
    for note in notes:
        typer.echo(note, err=True)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"{out}: draft with {len(equipment)} equipment", err=True)
