"""SQL shared by both backends: tables, partial aggregates and their merges.

Both backends keep the same tables. Timestamps are ``BIGINT`` ns since the epoch (the sample
contract's precision; neither ``TIMESTAMPTZ`` keeps nanoseconds). A rollup row is a *partial
aggregate* of the good samples of one tag in one bucket: count, sum, min, max and the first and
last (ts, value). Partials combine exactly, so a coarser bucket is computed from finer ones.
Only integers are ever formatted into SQL text (ids, instants, widths); strings go as parameters.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: A sample counts in aggregates and interpolation when this holds (quality good, a number).
GOOD = "quality = 0 AND value IS NOT NULL AND value <> CAST('NaN' AS DOUBLE PRECISION)"

PARTIAL_COLUMNS = (
    "tag_id",
    "bucket",
    "n",
    "total",
    "vmin",
    "vmax",
    "first_ts",
    "first_value",
    "last_ts",
    "last_value",
)


@dataclass(frozen=True, slots=True)
class Dialect:
    """What differs between DuckDB and PostgreSQL in the shared statements."""

    name: str
    #: Parameter placeholder.
    param: str
    #: Table suffix of ``hist_raw`` (PostgreSQL: ``PARTITION BY RANGE (ts)``).
    raw_suffix: str
    #: Whether rollup tables carry a primary key (DuckDB merges by range-pruned joins instead).
    rollup_key: bool
    #: Column definitions of ``hist_raw``.
    raw_columns: str

    def first(self, value: str, ts: str) -> str:
        if self.name == "duckdb":
            return f"arg_min({value}, {ts})"
        return f"(array_agg({value} ORDER BY {ts}))[1]"

    def last(self, value: str, ts: str) -> str:
        if self.name == "duckdb":
            return f"arg_max({value}, {ts})"
        return f"(array_agg({value} ORDER BY {ts} DESC))[1]"


_SAMPLE_COLUMNS = (
    "tag_id INTEGER NOT NULL, ts BIGINT NOT NULL, value DOUBLE PRECISION, text VARCHAR, "
    "quality SMALLINT NOT NULL"
)
#: DuckDB picks each column's codec itself by trying candidates on every row group, which costs
#: about 40 % of a bulk insert. The raw columns name theirs: run lengths for tag and quality,
#: frame-of-reference bit packing for time, and doubles as they are (raw is the hot tier that
#: retention keeps short; rollups and the Parquet archive hold the long term).
_DUCKDB_RAW = (
    "tag_id INTEGER NOT NULL USING COMPRESSION rle, "
    "ts BIGINT NOT NULL USING COMPRESSION bitpacking, "
    "value DOUBLE PRECISION USING COMPRESSION uncompressed, text VARCHAR, "
    "quality SMALLINT NOT NULL USING COMPRESSION rle"
)
DUCKDB = Dialect("duckdb", "?", "", rollup_key=False, raw_columns=_DUCKDB_RAW)
POSTGRES = Dialect(
    "postgres", "%s", " PARTITION BY RANGE (ts)", rollup_key=True, raw_columns=_SAMPLE_COLUMNS
)


def schema_statements(d: Dialect, levels: Iterable[str]) -> list[str]:
    """``CREATE TABLE IF NOT EXISTS`` for every historian table."""
    partial_cols = (
        "tag_id INTEGER NOT NULL, bucket BIGINT NOT NULL, n BIGINT NOT NULL, "
        "total DOUBLE PRECISION, vmin DOUBLE PRECISION, vmax DOUBLE PRECISION, "
        "first_ts BIGINT, first_value DOUBLE PRECISION, last_ts BIGINT, last_value DOUBLE PRECISION"
    )
    key = ", PRIMARY KEY (tag_id, bucket)" if d.rollup_key else ""
    out = [
        "CREATE TABLE IF NOT EXISTS hist_meta (key VARCHAR PRIMARY KEY, value BIGINT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS hist_tags (tag_id INTEGER PRIMARY KEY, "
        "name VARCHAR NOT NULL UNIQUE, unit VARCHAR NOT NULL, data_type VARCHAR NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS hist_raw ({d.raw_columns}){d.raw_suffix}",
        "CREATE TABLE IF NOT EXISTS hist_latest (tag_id INTEGER PRIMARY KEY, ts BIGINT NOT NULL, "
        "value DOUBLE PRECISION, text VARCHAR, quality SMALLINT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS hist_archive (day BIGINT PRIMARY KEY)",
    ]
    out += [f"CREATE TABLE IF NOT EXISTS hist_rollup_{lv} ({partial_cols}{key})" for lv in levels]
    return out


def id_list(tag_ids: Iterable[int]) -> str:
    """``(1,2,3)`` from integers (each coerced with ``int``)."""
    return "(" + ",".join(str(int(i)) for i in tag_ids) + ")"


_NO_EDGES = (
    "CAST(NULL AS BIGINT) AS first_ts, CAST(NULL AS DOUBLE PRECISION) AS first_value, "
    "CAST(NULL AS BIGINT) AS last_ts, CAST(NULL AS DOUBLE PRECISION) AS last_value"
)


def _edges(d: Dialect, first: tuple[str, str], last: tuple[str, str], wanted: bool) -> str:
    """The first/last (ts, value) aggregates from (value, ts) columns, or typed NULLs."""
    if not wanted:
        return _NO_EDGES
    (fv, ft), (lv, lt) = first, last
    return (
        f"min({ft}) AS first_ts, {d.first(fv, ft)} AS first_value, "
        f"max({lt}) AS last_ts, {d.last(lv, lt)} AS last_value"
    )


def from_samples(d: Dialect, src: str, width: int, where: str = "TRUE", edges: bool = True) -> str:
    """Partials of the good samples in ``src`` per tag and ``width``-ns bucket.

    ``edges=False`` leaves first/last out (NULL): the costly part when nobody asks for them.
    """
    w = int(width)
    sample = ("value", "ts")
    return (
        f"SELECT tag_id, ts - ts % {w} AS bucket, count(*) AS n, sum(value) AS total, "
        f"min(value) AS vmin, max(value) AS vmax, {_edges(d, sample, sample, edges)} "
        f"FROM {src} WHERE {GOOD} AND ({where}) GROUP BY 1, 2"
    )


def from_partials(
    d: Dialect, src: str, width: int, where: str = "TRUE", edges: bool = True, level: int = 0
) -> str:
    """Partials in ``src`` combined into ``width``-ns buckets.

    When ``width`` equals the source's own bucket width (``level``), rows are taken as they are.
    """
    w = int(width)
    if w == level:
        columns = ", ".join(PARTIAL_COLUMNS if edges else (*PARTIAL_COLUMNS[:6], _NO_EDGES))
        return f"SELECT {columns} FROM {src} WHERE n > 0 AND ({where})"
    return (
        f"SELECT tag_id, bucket - bucket % {w} AS bucket, sum(n) AS n, sum(total) AS total, "
        f"min(vmin) AS vmin, max(vmax) AS vmax, "
        f"{_edges(d, ('first_value', 'first_ts'), ('last_value', 'last_ts'), edges)} "
        f"FROM {src} WHERE n > 0 AND ({where}) GROUP BY 1, 2"
    )


def insert_partials(table: str, src: str) -> str:
    """Append the partials of relation ``src`` to ``table`` (buckets not stored yet)."""
    columns = ", ".join(PARTIAL_COLUMNS)
    return f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {src}"


def combine_partials(table: str, src: str, lo: int, hi: int) -> str:
    """Combine the partials of ``src`` into the stored rows of the same (tag, bucket); returns
    the keys it found. Valid only for samples disjoint from the stored ones (the fast path).
    The bucket range ``[lo, hi]`` bounds the scan of a table without an index."""
    return (
        f"UPDATE {table} AS r SET n = r.n + p.n, total = r.total + p.total, "
        "vmin = least(r.vmin, p.vmin), vmax = greatest(r.vmax, p.vmax), "
        "first_value = CASE WHEN p.first_ts < r.first_ts THEN p.first_value "
        "ELSE r.first_value END, first_ts = least(r.first_ts, p.first_ts), "
        "last_value = CASE WHEN p.last_ts > r.last_ts THEN p.last_value ELSE r.last_value END, "
        f"last_ts = greatest(r.last_ts, p.last_ts) FROM {src} AS p "
        f"WHERE r.tag_id = p.tag_id AND r.bucket = p.bucket "
        f"AND r.bucket BETWEEN {int(lo)} AND {int(hi)} RETURNING r.tag_id, r.bucket"
    )


def replace_buckets(table: str, keys: str, select: str, lo: int, hi: int) -> list[str]:
    """Delete the (tag_id, bucket) rows of ``keys`` from ``table`` and insert ``select``."""
    near = f"{table}.bucket BETWEEN {int(lo)} AND {int(hi)}"
    return [
        f"DELETE FROM {table} WHERE {near} AND EXISTS (SELECT 1 FROM ({keys}) AS k "
        f"WHERE k.tag_id = {table}.tag_id AND k.bucket = {table}.bucket)",
        f"INSERT INTO {table} ({', '.join(PARTIAL_COLUMNS)}) {select}",
    ]


def upsert_latest(select: str) -> str:
    """Keep the newest sample per tag; a sample at the same instant replaces (last write wins)."""
    return (
        f"INSERT INTO hist_latest AS l (tag_id, ts, value, text, quality) {select} "
        "ON CONFLICT (tag_id) DO UPDATE SET ts = excluded.ts, value = excluded.value, "
        "text = excluded.text, quality = excluded.quality WHERE excluded.ts >= l.ts"
    )
