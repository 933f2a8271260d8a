"""What a historian backend provides: a connection that runs the shared SQL, plus the few things
that differ between engines (how a batch is staged and appended, time partitions, as-of joins).

The :class:`~shopfloor.historian.store.Historian` holds one backend and owns every rule (dedup,
rollups, retention, archive); a backend owns no rule, only the engine-specific mechanics.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

import numpy as np
import pyarrow as pa

from shopfloor.errors import ShopfloorError
from shopfloor.historian.partials import Summary
from shopfloor.historian.sql import Dialect

#: Columns of :meth:`Backend.neighbours`: the good samples at or before and at or after each
#: (tag, instant).
NEIGHBOUR_SCHEMA = pa.schema(
    [
        pa.field("tag_id", pa.int64()),
        pa.field("at_ns", pa.int64()),
        pa.field("before_ts", pa.int64()),
        pa.field("before_value", pa.float64()),
        pa.field("after_ts", pa.int64()),
        pa.field("after_value", pa.float64()),
    ]
)


class HistorianError(ShopfloorError):
    """The historian's store failed (not the caller's input)."""

    code = "historian.error"


class StoreBusy(HistorianError):
    """Another process owns the DuckDB file (DuckDB allows one writer process)."""

    code = "historian.busy"


class Backend(Protocol):
    dialect: Dialect

    @property
    def url(self) -> str:
        """Where the data lives (path or URL without password)."""
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """One atomic, durable unit: committed when the block exits, rolled back on error."""
        ...

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def arrow(self, sql: str, schema: pa.Schema) -> pa.Table:
        """The result of ``sql`` (no parameters) as a table cast to ``schema``."""
        ...

    def put(self, name: str, table: pa.Table) -> None:
        """Make ``table`` readable as relation ``name`` until the transaction ends."""
        ...

    def summarise(self, stage: pa.Table) -> Summary: ...

    def append_raw(self, stage: pa.Table, min_ts: int, max_ts: int) -> None:
        """Append a checked batch (stage schema) to ``hist_raw``."""
        ...

    def drop_raw_before(self, cutoff: int) -> None: ...

    def raw_days(self) -> list[int]:
        """Start (ns) of every UTC day that may hold raw rows, ascending."""
        ...

    def neighbours(self, tag_ids: Sequence[int], instants: Sequence[int]) -> pa.Table:
        """For each (tag, instant) the last good sample at or before and the first at or after
        it (:data:`NEIGHBOUR_SCHEMA`)."""
        ...

    def load_tags(self) -> list[tuple[int, str, str, str]]: ...

    def upsert_tags(self, rows: Sequence[tuple[str, str, str]]) -> None: ...

    def close(self) -> None: ...


def instants_table(tag_ids: Sequence[int], instants: Sequence[int]) -> pa.Table:
    """Every (tag, instant) pair as a two-column table."""
    ids = np.asarray(tag_ids, dtype=np.int64)
    at = np.asarray(instants, dtype=np.int64)
    return pa.table({"tag_id": np.repeat(ids, len(at)), "at_ns": np.tile(at, len(ids))})


def upsert_tag_rows(backend: Backend, rows: Sequence[tuple[str, str, str]]) -> None:
    """Give new names the next free integers and update unit/type of known ones.

    Runs inside the caller's transaction; the caller keeps other writers of ``hist_tags`` out.
    """
    p = backend.dialect.param
    known = {str(n): int(i) for i, n in backend.rows("SELECT tag_id, name FROM hist_tags")}
    fresh = max(known.values(), default=0)
    for name, unit, data_type in rows:
        if name in known:
            backend.execute(
                f"UPDATE hist_tags SET unit = {p}, data_type = {p} WHERE tag_id = {p}",
                [unit, data_type, known[name]],
            )
        else:
            fresh += 1
            known[name] = fresh
            backend.execute(
                f"INSERT INTO hist_tags VALUES ({p}, {p}, {p}, {p})", [fresh, name, unit, data_type]
            )
