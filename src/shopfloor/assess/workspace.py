"""The application workspace: the materials of the chosen gradient level and their state.

A workspace file (YAML) names the level applied for, the deadline, the applicant's basics and,
per material (default list: ``data/materials.yaml``, inferred), the owning department, due
date, status (``todo``, ``in_progress``, ``done``, ``not_applicable``) and attached files, plus
the certification prerequisites (ISO 9001, ISO 50001, ISO 27001, MLPS 2.0)::

    schema: shopfloor.assess.workspace/v1
    level: advanced
    deadline: 2026-03-31
    applicant: {name: ACME Pumps Co., Ltd., credit_code: 91320500MA1XXXXXX}
    materials:
      business_licence: {owner: 法务部, due: 2026-03-01, status: done, files: [licence.pdf]}
    certifications:
      iso9001: {status: valid, certificate: "01 100 1234", expires: 2027-05-01}

Items the evidence pack generates (networking list, KPI and benefit tables, the interconnection
test...) are done by this assessment. Completeness = required items done / required items; the
items still missing are listed with the days left before the deadline.
"""

from __future__ import annotations

import hashlib
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from shopfloor.assess.options import GRADES
from shopfloor.errors import NotFound, ValidationFailed

WORKSPACE_SCHEMA = "shopfloor.assess.workspace/v1"
STATUSES = ("todo", "in_progress", "done", "not_applicable")
CERT_STATUSES = ("valid", "expired", "planned", "none")


@cache
def catalogue() -> dict[str, Any]:
    text = resources.files("shopfloor.assess.data").joinpath("materials.yaml").read_text("utf-8")
    doc: dict[str, Any] = yaml.safe_load(text)
    return doc


def _date(value: Any, path: str, errors: list[tuple[str, str]]) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors.append((path, f"{value!r} is not a date (YYYY-MM-DD)"))
        return None


def _files(raw: Any, base: Path, path: str, errors: list[tuple[str, str]]) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        errors.append((path, "must be a list of file paths"))
        return []
    out = []
    for i, ref in enumerate(raw):
        f = Path(str(ref))
        f = f if f.is_absolute() else base / f
        if not f.is_file():
            errors.append((f"{path}[{i}]", f"file {f} does not exist"))
            continue
        data = f.read_bytes()
        out.append(
            {"path": str(ref), "file": str(f), "size": len(data),
             "sha256": hashlib.sha256(data).hexdigest()}
        )  # fmt: skip
    return out


def _entry(raw: Any, allowed: set[str], path: str, errors: list[tuple[str, str]]) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        errors.append((path, "must be a mapping"))
        return {}
    for k in sorted(set(raw) - allowed):
        errors.append((f"{path}.{k}", "unknown field"))
    return raw


def parse_workspace(
    doc: Any, base: Path, today: date, source: str = "<workspace>"
) -> dict[str, Any]:
    """Validate a workspace document; the workspace state as a JSON-ready mapping."""
    errors: list[tuple[str, str]] = []
    if not isinstance(doc, dict):
        raise ValidationFailed(f"workspace {source}", [("", "must be a mapping")])
    for k in sorted(
        set(doc) - {"schema", "level", "deadline", "applicant", "materials", "certifications"}
    ):
        errors.append((k, "unknown field"))
    if doc.get("schema", WORKSPACE_SCHEMA) != WORKSPACE_SCHEMA:
        errors.append(("schema", f"unsupported schema; this version reads {WORKSPACE_SCHEMA}"))
    level = doc.get("level")
    if level not in GRADES:
        errors.append(("level", f"must be one of {', '.join(GRADES)}, not {level!r}"))
    deadline = _date(doc.get("deadline"), "deadline", errors)
    applicant = doc.get("applicant") or {}
    if not isinstance(applicant, dict):
        errors.append(("applicant", "must be a mapping of fields"))
        applicant = {}
    cat = catalogue()
    known = {m["id"]: m for m in cat["materials"]}
    raw_materials = doc.get("materials") or {}
    if not isinstance(raw_materials, dict):
        errors.append(("materials", "must map material ids to their state"))
        raw_materials = {}
    for mid in sorted(set(raw_materials) - set(known)):
        errors.append((f"materials.{mid}", f"unknown material (known: {', '.join(known)})"))
    materials = []
    for mid, m in known.items():
        where = f"materials.{mid}"
        e = _entry(
            raw_materials.get(mid), {"owner", "due", "status", "files", "note"}, where, errors
        )
        status = e.get("status", "done" if m.get("generated") else "todo")
        if status not in STATUSES:
            errors.append((f"{where}.status", f"must be one of {', '.join(STATUSES)}"))
        due = _date(e.get("due"), f"{where}.due", errors) or deadline
        materials.append({
            "id": mid, "name": m["zh"], "name_en": m["en"], "category": m["category"],
            "owner": e.get("owner", m.get("owner", "")),
            "due": None if due is None else due.isoformat(),
            "status": status, "required": level in m["levels"],
            "generated": bool(m.get("generated")),
            "files": _files(e.get("files"), base, f"{where}.files", errors),
            "note": e.get("note", ""),
            "overdue": due is not None and due < today and status not in ("done", "not_applicable"),
        })  # fmt: skip
    certs_raw = doc.get("certifications") or {}
    certs = []
    for c in cat["certifications"]:
        where = f"certifications.{c['id']}"
        e = _entry(certs_raw.get(c["id"]) if isinstance(certs_raw, dict) else None,
                   {"status", "certificate", "expires", "files"}, where, errors)  # fmt: skip
        status = e.get("status", "none")
        if status not in CERT_STATUSES:
            errors.append((f"{where}.status", f"must be one of {', '.join(CERT_STATUSES)}"))
        expires = _date(e.get("expires"), f"{where}.expires", errors)
        if status == "valid" and expires is not None and expires < today:
            status = "expired"
        certs.append({
            "id": c["id"], "name": c["zh"], "name_en": c["en"], "status": status,
            "certificate": str(e.get("certificate", "")),
            "expires": None if expires is None else expires.isoformat(),
            "files": _files(e.get("files"), base, f"{where}.files", errors),
        })  # fmt: skip
    if errors:
        raise ValidationFailed(f"workspace {source}", errors)
    required = [m for m in materials if m["required"] and m["status"] != "not_applicable"]
    done = [m for m in required if m["status"] == "done"]
    return {
        "level": level,
        "deadline": None if deadline is None else deadline.isoformat(),
        "days_left": None if deadline is None else (deadline - today).days,
        "applicant": {str(k): str(v) for k, v in applicant.items()},
        "materials": materials,
        "certifications": certs,
        "required": len(required),
        "done": len(done),
        "completeness": len(done) / len(required) if required else 1.0,
        "missing": [m["id"] for m in required if m["status"] != "done"],
        "inferred": bool(cat.get("inferred", True)),
    }


def load_workspace(path: str | Path, today: date) -> dict[str, Any]:
    p = Path(path)
    if not p.is_file():
        raise NotFound(f"workspace file {p} does not exist")
    try:
        doc = yaml.safe_load(p.read_text("utf-8"))
    except yaml.YAMLError as exc:
        raise ValidationFailed(f"workspace {p}", [("", f"not valid YAML: {exc}")]) from None
    return parse_workspace(doc, p.parent, today, str(p))
