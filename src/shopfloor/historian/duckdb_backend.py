"""The DuckDB backend: one embedded file, owned by one process (DuckDB's file lock).

Raw samples go to one append-only table without an index: batches are appended straight from
Arrow (zero-copy scan) and DuckDB's per-row-group min/max (zone maps) keep time-range reads and
the range-bounded rollup merges cheap. Durable means committed: DuckDB writes its WAL (or the
data blocks of a large insert) and syncs before ``COMMIT`` returns.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from shopfloor.errors import NotFound
from shopfloor.historian.backend import (
    NEIGHBOUR_SCHEMA,
    StoreBusy,
    instants_table,
    upsert_tag_rows,
)
from shopfloor.historian.partials import Summary, summarise
from shopfloor.historian.spans import LEVELS, NS_PER_DAY
from shopfloor.historian.sql import DUCKDB, GOOD, id_list, schema_statements

_names = itertools.count()


class DuckDBBackend:
    dialect = DUCKDB

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self._path = Path(path)
        if read_only and not self._path.exists():
            raise NotFound(f"no historian store at {self._path}", store=str(self._path))
        try:
            self._con = duckdb.connect(str(self._path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise StoreBusy(
                    f"the historian store {self._path} is held by another process; "
                    "query it through that process (its API) instead",
                    store=str(self._path),
                ) from None
            raise
        self._con.execute("SET enable_progress_bar = false")
        self._temps: list[str] = []
        if not read_only:
            for statement in schema_statements(DUCKDB, [lv.name for lv in LEVELS]):
                self._con.execute(statement)

    @property
    def url(self) -> str:
        return str(self._path)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._con.begin()
        try:
            yield
        except BaseException:
            self._con.rollback()
            raise
        else:
            self._con.commit()
        finally:
            while self._temps:
                self._con.unregister(self._temps.pop())

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._con.execute(sql, list(params))

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._con.execute(sql, list(params)).fetchall()

    def arrow(self, sql: str, schema: pa.Schema) -> pa.Table:
        return self._con.sql(sql).to_arrow_table().cast(schema)

    def put(self, name: str, table: pa.Table) -> None:
        self._con.register(name, table)
        self._temps.append(name)

    def summarise(self, stage: pa.Table) -> Summary:
        return summarise(self._con, stage)

    def append_raw(self, stage: pa.Table, min_ts: int, max_ts: int) -> None:
        name = f"hist_append_{next(_names)}"
        self.put(name, stage)
        self._con.execute(
            f"INSERT INTO hist_raw SELECT tag_id, ts, value, text, quality FROM {name}"
        )

    def drop_raw_before(self, cutoff: int) -> None:
        self._con.execute(f"DELETE FROM hist_raw WHERE ts < {int(cutoff)}")

    def raw_days(self) -> list[int]:
        day = NS_PER_DAY
        rows = self.rows(f"SELECT DISTINCT ts - ts % {day} FROM hist_raw ORDER BY 1")
        return [int(r[0]) for r in rows]

    def neighbours(self, tag_ids: Sequence[int], instants: Sequence[int]) -> pa.Table:
        name = f"hist_instants_{next(_names)}"
        self._con.register(name, instants_table(tag_ids, instants))
        good = (
            f"SELECT tag_id, ts, value FROM hist_raw WHERE tag_id IN {id_list(tag_ids)} AND {GOOD}"
        )
        try:
            return self.arrow(
                f"WITH g AS ({good}), "
                f"b AS (SELECT i.tag_id, i.at_ns, g.ts, g.value FROM {name} i "
                "ASOF LEFT JOIN g ON i.tag_id = g.tag_id AND g.ts <= i.at_ns), "
                f"a AS (SELECT i.tag_id, i.at_ns, g.ts, g.value FROM {name} i "
                "ASOF LEFT JOIN g ON i.tag_id = g.tag_id AND g.ts >= i.at_ns) "
                "SELECT b.tag_id, b.at_ns, b.ts AS before_ts, b.value AS before_value, "
                "a.ts AS after_ts, a.value AS after_value FROM b JOIN a USING (tag_id, at_ns) "
                "ORDER BY b.tag_id, b.at_ns",
                NEIGHBOUR_SCHEMA,
            )
        finally:
            self._con.unregister(name)

    def load_tags(self) -> list[tuple[int, str, str, str]]:
        return [
            (int(i), str(n), str(u), str(d))
            for i, n, u, d in self.rows(
                "SELECT tag_id, name, unit, data_type FROM hist_tags ORDER BY tag_id"
            )
        ]

    def upsert_tags(self, rows: Sequence[tuple[str, str, str]]) -> None:
        with self.transaction():
            upsert_tag_rows(self, rows)

    def close(self) -> None:
        self._con.close()
