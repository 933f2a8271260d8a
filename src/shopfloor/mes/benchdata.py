"""A realistic genealogy of many serials for the trace benchmark, bulk-loaded.

Half the serials are pump housings (four operations: turn, mill, wash, measure), half are pumps
(six operations: press, assemble, screw, test, vision, pack), and every pump contains one housing.
Component lots are consumed in order, each by thousands of units: a casting lot by 2,000
housings, a bearing lot (two per pump) by 2,500 pumps, shaft 2,500, impeller 1,000, seal 2,000.
Rows go in with the driver's ``executemany`` (SQLite) or ``COPY`` (PostgreSQL), in chunks, with
the secondary indexes dropped during the load and built again after it; never through the ORM.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Table, func, select

from shopfloor.mes.models import Base, Genealogy, Lot, Unit, UnitOperation

START_NS = 1_736_143_200_000_000_000  # 2025-01-06T06:00:00Z
NS = 1_000_000_000
CHUNK = 50_000

#: consumed by, material, units of it per housing or pump, housings or pumps per lot, supplier
LOTS: tuple[tuple[str, str, int, int, str], ...] = (
    ("housing", "casting-a", 1, 2000, "Suzhou Foundry"),
    ("pump", "bearing", 2, 2500, "SKF"),
    ("pump", "shaft", 1, 2500, "Wuxi Shafts"),
    ("pump", "impeller", 1, 1000, "Ningbo Castings"),
    ("pump", "seal", 1, 2000, "EagleBurgmann"),
)
HOUSING_OPS = (
    ("turn", 10, ("lathe-01", "lathe-02")),
    ("mill", 20, ("vmc-01", "vmc-02", "vmc-03")),
    ("wash", 30, ("washer-01",)),
    ("measure", 40, ("cmm-01",)),
)
PUMP_OPS = (
    ("press", 10, ("press-01",)),
    ("assemble", 20, ("asm-01", "asm-02")),
    ("screw", 30, ("robot-02",)),
    ("test", 40, ("test-01",)),
    ("vision", 50, ("vision-01",)),
    ("pack", 60, ("pack-01",)),
)
OPERATORS = ("wang.fang", "li.na", "zhang.wei", "liu.yang", "chen.jie", "yang.min")
TABLES = ("mes_unit", "mes_unit_op", "mes_genealogy", "mes_lot")


def housing(i: int) -> str:
    return f"HA-{i:07d}"


def pump(i: int) -> str:
    return f"PA-{i:07d}"


def lot_id(material: str, k: int) -> str:
    return f"{material.upper()}-L{k:05d}"


def lot_ids(serials: int) -> dict[str, list[str]]:
    """The lot ids of each material for a dataset of ``serials`` serials."""
    n = serials // 2
    return {m: [lot_id(m, k) for k in range(-(-n // size) or 1)] for _k, m, _p, size, _s in LOTS}


class Loader:
    """Bulk inserts through the DB-API driver: executemany (SQLite) or COPY (PostgreSQL)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"

    def load(self, table: Table, columns: Sequence[str], rows: Iterator[tuple[Any, ...]]) -> int:
        raw: Any = self.conn.connection.driver_connection
        names = ", ".join(columns)
        count = 0
        if self.pg:
            with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({names}) FROM STDIN") as cp:
                for row in rows:
                    cp.write_row(row)
                    count += 1
            return count
        sql = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(columns))})"
        cur = raw.cursor()
        chunk: list[tuple[Any, ...]] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) == CHUNK:
                cur.executemany(sql, chunk)
                count += len(chunk)
                chunk.clear()
        cur.executemany(sql, chunk)
        cur.close()
        return count + len(chunk)


def _units(n: int, rng: random.Random) -> Iterator[tuple[Any, ...]]:
    for i in range(n):
        t = START_NS + i * 60 * NS
        yield (housing(i), "housing-a", None, "complete", None, t, t + 3600 * NS)
        yield (pump(i), "pump-a", None, "complete", None, t + 7200 * NS, t + 9000 * NS)


def _ops(n: int, rng: random.Random, paths: dict[str, str]) -> Iterator[tuple[Any, ...]]:
    for i in range(n):
        t = START_NS + i * 60 * NS
        who = OPERATORS[(i // 400) % len(OPERATORS)]
        for serial, ops, t0 in ((housing(i), HOUSING_OPS, t), (pump(i), PUMP_OPS, t + 7200 * NS)):
            for k, (op, seq, eqs) in enumerate(ops):
                eq = eqs[rng.randrange(len(eqs))]
                process = None
                if op in ("turn", "mill"):
                    process = json.dumps(
                        {
                            "spindle_speed": round(rng.gauss(6000, 25), 1),
                            "feed_rate": round(rng.gauss(1200, 8), 1),
                        }
                    )
                elif op == "press":
                    process = json.dumps({"press_force": round(rng.gauss(12, 0.3), 3)})
                a = t0 + k * 600 * NS
                manual = who if eq in ("asm-02", "pack-01") else None
                yield (
                    serial,
                    None,
                    seq,
                    op,
                    paths[eq],
                    manual,
                    a,
                    a + 300 * NS,
                    True,
                    process,
                    None,
                )


def _edges(n: int, rng: random.Random, paths: dict[str, str]) -> Iterator[tuple[Any, ...]]:
    order = list(range(n))
    for b in range(0, n, 1000):  # housings reach assembly roughly in order
        block = order[b : b + 1000]
        rng.shuffle(block)
        order[b : b + 1000] = block
    for i in range(n):
        t = START_NS + i * 60 * NS + 7200 * NS
        for kind, material, per, size, _sup in LOTS:
            parent = housing(i) if kind == "housing" else pump(i)
            eq, seq = (paths["lathe-01"], 10) if kind == "housing" else (paths["press-01"], 10)
            lot = lot_id(material, i // size)
            yield (parent, lot, "lot", material, float(per), eq, seq, t, "")
        yield (pump(i), housing(order[i]), "serial", "housing-a", 1.0, paths["asm-01"], 20, t, "")


def _lots(serials: int) -> Iterator[tuple[Any, ...]]:
    for _kind, material, per, size, supplier in LOTS:
        for lot in lot_ids(serials)[material]:
            yield (lot, material, float(size * per), float(size * per), supplier, START_NS)


def count_units(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(Unit)) or 0)


def build(engine: Engine, serials: int, paths: dict[str, str], seed: int = 1) -> dict[str, int]:
    """Fill an empty MES database (migrated to head) with ``serials`` serials and their data.

    ``paths`` maps the demo plant's equipment ids to their ISA-95 paths.
    """
    n = serials // 2
    rng = random.Random(seed)
    tables = {name: Base.metadata.tables[name] for name in TABLES}
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":  # no crash safety needed while building
            conn.connection.driver_connection.execute("PRAGMA synchronous=OFF")  # type: ignore[union-attr]
        conn.begin()
        for t in tables.values():
            for ix in t.indexes:
                ix.drop(conn)
        loader = Loader(conn)
        counts["units"] = loader.load(
            tables["mes_unit"], [c.name for c in Unit.__table__.columns], _units(n, rng)
        )
        counts["unit_operations"] = loader.load(
            tables["mes_unit_op"],
            [c.name for c in UnitOperation.__table__.columns][1:],
            _ops(n, rng, paths),
        )
        counts["genealogy_edges"] = loader.load(
            tables["mes_genealogy"],
            [c.name for c in Genealogy.__table__.columns][1:],
            _edges(n, rng, paths),
        )
        counts["lots"] = loader.load(
            tables["mes_lot"], [c.name for c in Lot.__table__.columns], _lots(serials)
        )
        for t in tables.values():
            for ix in t.indexes:
                ix.create(conn)
        conn.commit()
    with engine.connect() as conn:
        # statistics for the planner; on PostgreSQL also the visibility map (index-only scans)
        auto = conn.execution_options(isolation_level="AUTOCOMMIT")
        auto.exec_driver_sql("VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE")
    return counts
