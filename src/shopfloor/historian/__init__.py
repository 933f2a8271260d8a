"""The historian: raw samples, rollups, retention by downsampling, Parquet archive, queries.

One interface (:class:`Historian`) over two backends: DuckDB (embedded default, one file owned
by one process) and PostgreSQL (daily partitions). See ``docs/historian.md``.
"""

from shopfloor.historian.archive import ARCHIVE_SCHEMA, export_parquet
from shopfloor.historian.backend import HistorianError, StoreBusy
from shopfloor.historian.query import grid, interpolate, last_value, query
from shopfloor.historian.registry import TagInfo, TagRegistry
from shopfloor.historian.results import QueryResult
from shopfloor.historian.retention import RetentionResult, downsample, keep_raw_for
from shopfloor.historian.store import Historian, WriteResult
from shopfloor.historian.stores import open_store

__all__ = [
    "ARCHIVE_SCHEMA",
    "Historian",
    "HistorianError",
    "QueryResult",
    "RetentionResult",
    "StoreBusy",
    "TagInfo",
    "TagRegistry",
    "WriteResult",
    "downsample",
    "export_parquet",
    "grid",
    "interpolate",
    "keep_raw_for",
    "last_value",
    "open_store",
    "query",
]
