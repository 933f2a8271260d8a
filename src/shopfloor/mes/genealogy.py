"""Genealogy: backward trace (what went into serial X) and forward trace (what contains lot Y).

Each trace is one SQL statement: a recursive CTE walks ``mes_genealogy`` (parent unit ->
consumed lot or unit) down or up, and the same statement joins what is known about each node:
for units their operations (machine, operator, times, result, process values), for lots their
material and supplier. Indexes on ``parent`` and ``(child, child_kind)`` keep each step an index
lookup, so a trace costs what it returns, not the size of the table.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Connection, select, text

from shopfloor.mes.context import MesContext
from shopfloor.mes.lifecycle import MesNotFound
from shopfloor.mes.models import Lot, Unit

MAX_DEPTH = 32

BACKWARD = text("""
WITH RECURSIVE tree(item, kind, parent, material, quantity, equipment, seq, ts_ns, depth) AS (
  SELECT CAST(:root AS VARCHAR(64)), CAST(:kind AS VARCHAR(8)), CAST(NULL AS VARCHAR(64)),
         CAST(NULL AS VARCHAR(64)), CAST(NULL AS FLOAT), CAST(NULL AS VARCHAR(255)),
         CAST(NULL AS INTEGER), CAST(NULL AS BIGINT), 0
  UNION ALL
  SELECT g.child, g.child_kind, g.parent, g.material, g.quantity, g.equipment, g.seq, g.ts_ns,
         t.depth + 1
  FROM mes_genealogy g JOIN tree t ON g.parent = t.item
  WHERE t.kind = 'serial' AND t.depth < :max_depth
)
SELECT t.item, t.kind, t.parent, t.material, t.quantity, t.equipment, t.seq, t.ts_ns, t.depth,
       u.product, u.status, u.order_id, u.defect,
       o.op_id, o.seq AS op_seq, o.equipment AS op_equipment, o.operator, o.started_ns,
       o.ended_ns, o.good, o.process, o.missing,
       l.material AS lot_material, l.supplier
FROM tree t
LEFT JOIN mes_unit u ON t.kind = 'serial' AND u.serial = t.item
LEFT JOIN mes_unit_op o ON t.kind = 'serial' AND o.serial = t.item
LEFT JOIN mes_lot l ON t.kind = 'lot' AND l.id = t.item
ORDER BY t.depth, t.item, o.started_ns, o.id
""").columns(ts_ns=BigInteger, good=Boolean, process=JSON, missing=JSON)

FORWARD = text("""
WITH RECURSIVE tree(item, kind, via, depth) AS (
  SELECT CAST(:root AS VARCHAR(64)), CAST(:kind AS VARCHAR(8)), CAST(NULL AS VARCHAR(64)), 0
  UNION ALL
  SELECT g.parent, CAST('serial' AS VARCHAR(8)), g.child, t.depth + 1
  FROM mes_genealogy g JOIN tree t ON g.child = t.item AND g.child_kind = t.kind
  WHERE t.depth < :max_depth
)
SELECT t.item, t.via, t.depth, u.product, u.status, u.order_id, u.ended_ns
FROM tree t LEFT JOIN mes_unit u ON u.serial = t.item
WHERE t.depth > 0
ORDER BY t.depth, t.item
""")


def kind_of(conn: Connection, item: str) -> str:
    """``serial`` or ``lot``; :class:`MesNotFound` when MES knows neither."""
    if conn.scalar(select(Unit.serial).where(Unit.serial == item)) is not None:
        return "serial"
    if conn.scalar(select(Lot.id).where(Lot.id == item)) is not None:
        return "lot"
    raise MesNotFound(f"trace: {item!r} is neither a known serial nor a known lot", item=item)


def backward(conn: Connection, item: str, kind: str) -> dict[str, Any]:
    """Lots, units, machines, operators and process values that went into ``item``."""
    units: dict[str, dict[str, Any]] = {}
    lots: list[dict[str, Any]] = []
    machines: set[str] = set()
    operators: set[str] = set()
    for r in conn.execute(BACKWARD, {"root": item, "kind": kind, "max_depth": MAX_DEPTH}):
        m = r._mapping
        if m["kind"] == "lot":
            lots.append(
                {
                    "lot": m["item"],
                    "material": m["material"] or m["lot_material"],
                    "supplier": m["supplier"],
                    "quantity": m["quantity"],
                    "into": m["parent"],
                    "equipment": m["equipment"],
                    "seq": m["seq"],
                    "ts_ns": m["ts_ns"],
                    "depth": m["depth"],
                }
            )
            continue
        u = units.get(m["item"])
        if u is None:
            u = units[m["item"]] = {
                "serial": m["item"],
                "product": m["product"],
                "status": m["status"],
                "order_id": m["order_id"],
                "defect": m["defect"],
                "into": m["parent"],
                "depth": m["depth"],
                "operations": [],
            }
        if m["op_id"] is not None:
            u["operations"].append(
                {
                    "op_id": m["op_id"],
                    "seq": m["op_seq"],
                    "equipment": m["op_equipment"],
                    "operator": m["operator"],
                    "started_ns": m["started_ns"],
                    "ended_ns": m["ended_ns"],
                    "good": m["good"],
                    "process": m["process"],
                    "missing": m["missing"],
                }
            )
            machines.add(m["op_equipment"])
            if m["operator"]:
                operators.add(m["operator"])
    return {
        "root": item,
        "kind": kind,
        "direction": "backward",
        "units": list(units.values()),
        "lots": lots,
        "machines": sorted(machines),
        "operators": sorted(operators),
    }


def forward(conn: Connection, item: str, kind: str) -> dict[str, Any]:
    """Every unit that contains ``item`` (directly or through sub-assemblies).

    The walk follows every parent edge of every unit it reaches, so a unit is *finished* (not
    built into anything else) exactly when no row of the walk came up through it.
    """
    units: dict[str, dict[str, Any]] = {}
    inside: set[str] = set()
    rows = conn.execute(FORWARD, {"root": item, "kind": kind, "max_depth": MAX_DEPTH})
    for serial, via, depth, product, status, order_id, ended_ns in rows:
        inside.add(via)
        if serial not in units:
            units[serial] = {
                "serial": serial,
                "product": product,
                "status": status,
                "order_id": order_id,
                "ended_ns": ended_ns,
                "via": via,
                "depth": depth,
                "finished": True,
            }
    for serial in inside & units.keys():
        units[serial]["finished"] = False
    found = list(units.values())
    return {
        "root": item,
        "kind": kind,
        "direction": "forward",
        "units": found,
        "finished": [u["serial"] for u in found if u["finished"]],
    }


class Tracer:
    """Trace serials and lots (each call is one read transaction)."""

    def __init__(self, ctx: MesContext) -> None:
        self.ctx = ctx

    def trace(self, item: str, *, direction: str = "backward") -> dict[str, Any]:
        if direction not in ("backward", "forward"):
            raise ValueError(f"direction must be backward or forward, not {direction!r}")
        with self.ctx.db.engine.connect() as conn:
            kind = kind_of(conn, item)
            return (backward if direction == "backward" else forward)(conn, item, kind)
