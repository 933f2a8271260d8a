"""The PostgreSQL backend: raw samples in a table partitioned by time (one partition per UTC day,
created on demand), rollups with primary keys, bulk moves through ``COPY``.

Batches go in with ``COPY ... FROM STDIN`` (CSV written by Arrow's C++ writer: no per-row
Python); query results come back with ``COPY (SELECT ...) TO STDOUT`` read by Arrow's CSV
reader. Raw partitions carry a (tag_id, ts) b-tree so per-tag reads, as-of look-ups and the
replacement of repeated samples stay cheap. Retention drops whole day partitions.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg.conninfo import conninfo_to_dict

from shopfloor.historian.backend import (
    NEIGHBOUR_SCHEMA,
    HistorianError,
    instants_table,
    upsert_tag_rows,
)
from shopfloor.historian.partials import Summary, summarise
from shopfloor.historian.spans import LEVELS, NS_PER_DAY, floor_to
from shopfloor.historian.sql import GOOD, POSTGRES, id_list, schema_statements

_PG_TYPES = {
    pa.uint8(): "SMALLINT",
    pa.int16(): "SMALLINT",
    pa.uint32(): "BIGINT",
    pa.int32(): "INTEGER",
    pa.int64(): "BIGINT",
    pa.float64(): "DOUBLE PRECISION",
    pa.string(): "VARCHAR",
}
_CSV_OUT = pacsv.WriteOptions(include_header=False, quoting_style="all_valid")


def safe_url(url: str) -> str:
    """``url`` without its password (for messages and ``Historian.url``)."""
    try:
        info = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://?"
    host, port = info.get("host", ""), info.get("port", "")
    return f"postgresql://{info.get('user', '')}@{host}{':' + str(port) if port else ''}/" + str(
        info.get("dbname", "")
    )


class PostgresBackend:
    dialect = POSTGRES

    def __init__(self, url: str, *, read_only: bool = False) -> None:
        self._url = safe_url(url)
        try:
            self._con = psycopg.connect(url, autocommit=True)
        except psycopg.OperationalError as exc:
            raise HistorianError(f"cannot connect to PostgreSQL at {self._url}: {exc}") from None
        self._engine = duckdb.connect()
        self._days: set[int] = set()
        if read_only:
            self._con.execute("SET default_transaction_read_only = on")
            return
        with self._con.transaction():
            self._con.execute("SELECT pg_advisory_xact_lock(hashtext('shopfloor.historian'))")
            for statement in schema_statements(POSTGRES, [lv.name for lv in LEVELS]):
                self._con.execute(statement)
            self._con.execute("CREATE INDEX IF NOT EXISTS hist_raw_tag_ts ON hist_raw (tag_id, ts)")
        self._days = set(self.raw_days())

    @property
    def url(self) -> str:
        return self._url

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._con.transaction():
            yield

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._con.execute(sql, list(params) if params else None)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._con.execute(sql, list(params) if params else None).fetchall()

    def arrow(self, sql: str, schema: pa.Schema) -> pa.Table:
        buf = io.BytesIO()
        with self._con.cursor() as cur, cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as cp:
            for block in cp:
                buf.write(block)
        if buf.tell() == 0:
            return schema.empty_table()
        buf.seek(0)
        return pacsv.read_csv(
            buf,
            read_options=pacsv.ReadOptions(column_names=schema.names),
            convert_options=pacsv.ConvertOptions(
                column_types=schema,
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        ).cast(schema)

    def put(self, name: str, table: pa.Table) -> None:
        columns = ", ".join(f"{f.name} {_PG_TYPES[f.type]}" for f in table.schema)
        self._con.execute(f"CREATE TEMP TABLE {name} ({columns}) ON COMMIT DROP")
        self._copy_in(name, table)

    def summarise(self, stage: pa.Table) -> Summary:
        return summarise(self._engine, stage)

    def append_raw(self, stage: pa.Table, min_ts: int, max_ts: int) -> None:
        for day in range(floor_to(min_ts, NS_PER_DAY), max_ts + 1, NS_PER_DAY):
            if day not in self._days:
                self._con.execute(
                    f"CREATE TABLE IF NOT EXISTS hist_raw_d{day // NS_PER_DAY} PARTITION OF "
                    f"hist_raw FOR VALUES FROM ({day}) TO ({day + NS_PER_DAY})"
                )
        self._copy_in("hist_raw", stage)
        self._days.update(range(floor_to(min_ts, NS_PER_DAY), max_ts + 1, NS_PER_DAY))

    def drop_raw_before(self, cutoff: int) -> None:
        for day in self.raw_days():
            if day + NS_PER_DAY <= cutoff:
                self._con.execute(f"DROP TABLE hist_raw_d{day // NS_PER_DAY}")
                self._days.discard(day)
        self._con.execute(f"DELETE FROM hist_raw WHERE ts < {int(cutoff)}")

    def raw_days(self) -> list[int]:
        rows = self.rows(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'hist_raw'::regclass"
        )
        days = [int(str(r[0]).removeprefix("hist_raw_d")) * NS_PER_DAY for r in rows]
        return sorted(days)

    def neighbours(self, tag_ids: Sequence[int], instants: Sequence[int]) -> pa.Table:
        side = (
            "SELECT ts, value FROM hist_raw r WHERE r.tag_id = i.tag_id AND r.ts {op} i.at_ns "
            f"AND tag_id IN {id_list(tag_ids)} AND {GOOD} ORDER BY ts {{order}} LIMIT 1"
        )
        with self.transaction():
            self.put("hist_instants", instants_table(tag_ids, instants))
            return self.arrow(
                "SELECT i.tag_id, i.at_ns, b.ts, b.value, a.ts, a.value FROM hist_instants i "
                f"LEFT JOIN LATERAL ({side.format(op='<=', order='DESC')}) b ON TRUE "
                f"LEFT JOIN LATERAL ({side.format(op='>=', order='ASC')}) a ON TRUE "
                "ORDER BY i.tag_id, i.at_ns",
                NEIGHBOUR_SCHEMA,
            )

    def load_tags(self) -> list[tuple[int, str, str, str]]:
        return [
            (int(i), str(n), str(u), str(d))
            for i, n, u, d in self.rows(
                "SELECT tag_id, name, unit, data_type FROM hist_tags ORDER BY tag_id"
            )
        ]

    def upsert_tags(self, rows: Sequence[tuple[str, str, str]]) -> None:
        with self.transaction():
            self._con.execute("LOCK TABLE hist_tags IN SHARE ROW EXCLUSIVE MODE")
            upsert_tag_rows(self, rows)

    def close(self) -> None:
        self._con.close()
        self._engine.close()

    def _copy_in(self, name: str, table: pa.Table) -> None:
        buf = io.BytesIO()
        pacsv.write_csv(table, buf, _CSV_OUT)
        columns = ", ".join(table.schema.names)
        with (
            self._con.cursor() as cur,
            cur.copy(f"COPY {name} ({columns}) FROM STDIN (FORMAT csv)") as cp,
        ):
            cp.write(buf.getbuffer())
