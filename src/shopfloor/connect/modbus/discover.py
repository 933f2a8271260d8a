"""A Modbus register map from CSV (``shopfloor plant discover press.csv``).

Modbus has no browse service: the register map comes from the device's manual or a PLC export.
One row per tag, columns (header names; only the first four are required)::

    equipment,url,name,address,unit_id,table,type,word_order,scale,offset,unit,data_type,description
    press-02,modbus+tcp://10.0.3.18:502,state,0,1,input,uint16,,,,,int,State code

``url`` may be replaced by ``host`` (and ``port``); ``table`` is ``holding`` (default),
``input``, ``coil`` or ``discrete``; ``data_type`` defaults to ``bool`` for coils and discrete
inputs and ``double`` otherwise. Rows of one equipment make one device of its own
(``connectivity: native``). A bad row is refused naming its line and column; nothing is written.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from shopfloor.errors import BadInput
from shopfloor.plant.draft import seg_id

REQUIRED = ("equipment", "name", "address")
COLUMNS = (
    "equipment", "url", "host", "port", "name", "address", "unit_id", "table", "type",
    "word_order", "scale", "offset", "unit", "data_type", "description",
)  # fmt: skip


def _number(row: dict[str, str], key: str, line: int, kind: type[int] | type[float]) -> Any:
    text = (row.get(key) or "").strip()
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        raise BadInput(f"line {line}, column {key}: {text!r} is not a number", field=key) from None


def discover_modbus_csv(path: str | Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Equipment documents from the register map at ``path``, and notes for the user."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise BadInput(f"{p}: cannot read the register map: {exc.strerror}") from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing or not ({"url", "host"} & set(header)):
        need = missing + ([] if {"url", "host"} & set(header) else ["url or host"])
        raise BadInput(f"{p}: the header lacks column(s) {', '.join(need)}")
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise BadInput(f"{p}: unknown column(s) {', '.join(unknown)} (known: {', '.join(COLUMNS)})")
    by_eq: dict[str, dict[str, Any]] = {}
    for line, raw in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
        for c in REQUIRED:
            if not row.get(c):
                raise BadInput(f"{p}: line {line}, column {c}: empty", field=c)
        eq = by_eq.get(row["equipment"])
        if eq is None:
            url = row.get("url") or None
            host = row.get("host") or None
            if url is None and host is None:
                raise BadInput(f"{p}: line {line}: give url or host", field="url")
            endpoint: dict[str, Any] = {"url": url} if url else {"host": host}
            if not url and row.get("port"):
                endpoint["port"] = _number(row, "port", line, int)
            unit = _number(row, "unit_id", line, int)
            if unit is not None:
                endpoint["unit_id"] = unit
            eq = by_eq[row["equipment"]] = {
                "id": seg_id(row["equipment"], "device"),
                "name": row["equipment"],
                "class": "assembly_station",
                "connectivity": "native",
                "protocol": "modbus",
                "endpoint": endpoint,
                "tags": [],
            }
        table = row.get("table") or "holding"
        register: dict[str, Any] = {"address": _number(row, "address", line, int), "table": table}
        if table not in ("coil", "discrete"):
            for key in ("type", "word_order"):
                if row.get(key):
                    register[key] = row[key]
            for key in ("scale", "offset"):
                value = _number(row, key, line, float)
                if value is not None:
                    register[key] = value
        default = "bool" if table in ("coil", "discrete") else "double"
        tag: dict[str, Any] = {"name": row["name"], "data_type": row.get("data_type") or default}
        for key in ("unit", "description"):
            if row.get(key):
                tag[key] = row[key]
        tag["modbus"] = register
        eq["tags"].append(tag)
    docs = list(by_eq.values())
    return docs, [f"{p}: {len(docs)} Modbus device(s), {sum(len(d['tags']) for d in docs)} tags"]
