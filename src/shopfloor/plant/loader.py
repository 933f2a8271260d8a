"""Load and validate a plant file, reporting every error by its path in the file."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from shopfloor.errors import NotFound, PlantError, ValidationFailed
from shopfloor.plant.model import Plant, plant_reference_errors

EXAMPLES_PACKAGE = "shopfloor.plant.examples"


def example_names() -> list[str]:
    """Names of the example plants shipped inside the package."""
    return sorted(
        p.name.removesuffix(".yaml")
        for p in resources.files(EXAMPLES_PACKAGE).iterdir()
        if p.name.endswith(".yaml")
    )


def format_loc(loc: tuple[int | str, ...]) -> str:
    """``('areas', 0, 'lines', 1, 'rate_hz')`` -> ``areas[0].lines[1].rate_hz``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith("function-") or part in {"tagged-union"}:
            continue
        else:
            out += ("." if out else "") + str(part)
    return out


def _message(err: dict[str, Any]) -> str:
    msg = str(err["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    if err["type"] == "extra_forbidden":
        return "unknown field"
    if err["type"] == "missing":
        return "required field is missing"
    return msg


def _expand_templates(doc: dict[str, Any], errors: list[tuple[str, str]]) -> dict[str, Any]:
    """Equipment may say ``template: NAME`` to take fields and tags from ``templates:``.

    The equipment's own fields win; its tags are added after the template's (same name wins).
    """
    templates = doc.pop("templates", None) or {}
    if not isinstance(templates, dict):
        errors.append(("templates", "must be a mapping of template name to equipment fields"))
        return doc
    for i, area in enumerate(doc.get("areas") or []):
        for j, line in enumerate((area or {}).get("lines") or [] if isinstance(area, dict) else []):
            if not isinstance(line, dict):
                continue
            for k, cell in enumerate(line.get("cells") or []):
                if not isinstance(cell, dict):
                    continue
                eqs = cell.get("equipment") or []
                for m, eq in enumerate(eqs):
                    if not isinstance(eq, dict) or "template" not in eq:
                        continue
                    name = eq.pop("template")
                    where = f"areas[{i}].lines[{j}].cells[{k}].equipment[{m}].template"
                    if name not in templates:
                        errors.append((where, f"unknown template {name!r}"))
                        continue
                    merged = dict(templates[name])
                    own_tags = eq.pop("tags", None) or []
                    merged.update(eq)
                    by_name = {t.get("name"): t for t in merged.get("tags") or []}
                    for t in own_tags:
                        by_name[t.get("name")] = t
                    merged["tags"] = list(by_name.values())
                    eqs[m] = merged
    return doc


def parse_plant(doc: Any, source: str = "<plant>") -> Plant:
    """Validate a parsed plant document; raise :class:`ValidationFailed` listing every error."""
    if not isinstance(doc, dict):
        raise ValidationFailed(f"plant file {source}", [("", "must be a YAML mapping")])
    errors: list[tuple[str, str]] = []
    doc = _expand_templates(dict(doc), errors)
    try:
        plant = Plant.model_validate(doc)
    except ValidationError as exc:
        raw = exc.errors()
        locs = [tuple(e["loc"]) for e in raw]
        for e in raw:
            loc = tuple(e["loc"])
            # "too short after validation" only echoes a failed item below it: say that item once.
            if e["type"] == "too_short" and any(o[: len(loc)] == loc and o != loc for o in locs):
                continue
            errors.append((format_loc(loc), _message(dict(e))))
        raise ValidationFailed(f"plant file {source}", errors) from None
    errors += plant_reference_errors(plant)
    if errors:
        raise ValidationFailed(f"plant file {source}", errors)
    return plant


def load_plant(name_or_path: str | Path) -> Plant:
    """Load an example plant by name (``demo``) or a plant file by path."""
    path = Path(name_or_path)
    if path.suffix in {".yaml", ".yml"} or path.exists():
        if not path.exists():
            raise NotFound(f"plant file {path} does not exist")
        text = path.read_text(encoding="utf-8")
        source = str(path)
    else:
        name = str(name_or_path)
        if name not in example_names():
            raise NotFound(
                f"no example plant {name!r}; choose one of {', '.join(example_names())} "
                "or give a path to a plant YAML file"
            )
        text = resources.files(EXAMPLES_PACKAGE).joinpath(f"{name}.yaml").read_text("utf-8")
        source = f"example:{name}"
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise PlantError(f"plant file {source} is not valid YAML ({where}): {exc}") from None
    return parse_plant(doc, source)
