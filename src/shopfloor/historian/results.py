"""Query results as Arrow, pandas, JSON, CSV or a text table.

Every query returns a :class:`QueryResult`: an Arrow table whose first column is ``tag`` (the tag
id string), whose time column (``ts`` or ``bucket``) is ``timestamp[ns, UTC]``, plus ``source``:
where the answer came from (``raw``, ``rollup_1s``, ``rollup_1m``, ``rollup_1h`` or ``latest``).
JSON and CSV write instants in ISO 8601 UTC (``...Z``) with as many fractional digits as the
data needs; NaN and infinities become ``null`` in JSON.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

if TYPE_CHECKING:
    import pandas as pd

FORMATS = ("json", "csv", "table")


@dataclass(frozen=True, slots=True)
class QueryResult:
    table: pa.Table
    source: str

    def __len__(self) -> int:
        return self.table.num_rows

    def to_arrow(self) -> pa.Table:
        return self.table

    def to_pandas(self) -> pd.DataFrame:
        return self.table.to_pandas()

    def to_records(self) -> list[dict[str, Any]]:
        """Rows as dicts of JSON-ready values (instants as ISO strings)."""
        columns = {name: _plain(self.table.column(name)) for name in self.table.column_names}
        names = list(columns)
        return [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]

    def to_json(self) -> str:
        return json.dumps({"source": self.source, "rows": self.to_records()}, separators=(",", ":"))

    def to_csv(self) -> str:
        table = pa.table(
            {
                name: _iso(col) if pa.types.is_timestamp(col.type) else _flat(col)
                for name, col in zip(self.table.column_names, self.table.columns, strict=True)
            }
        )
        out = io.BytesIO()
        pacsv.write_csv(table, out)
        return out.getvalue().decode()

    def to_text(self, limit: int = 1000) -> str:
        """An aligned text table (the first ``limit`` rows)."""
        records = self.to_records()[:limit]
        names = self.table.column_names
        cells = [[_cell(r[n]) for n in names] for r in records]
        widths = [max([len(n)] + [len(c[i]) for c in cells]) for i, n in enumerate(names)]
        lines = ["  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True))]
        lines.append("  ".join("-" * w for w in widths))
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
        if self.table.num_rows > limit:
            lines.append(f"... {self.table.num_rows - limit} more rows")
        lines.append(f"({self.table.num_rows} rows from {self.source})")
        return "\n".join(lines)

    def render(self, fmt: str) -> str:
        if fmt == "json":
            return self.to_json()
        if fmt == "csv":
            return self.to_csv()
        if fmt == "table":
            return self.to_text()
        from shopfloor.errors import BadInput

        raise BadInput(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}", field="format")


def _flat(col: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_dictionary(col.type):
        return col.cast(col.type.value_type)
    return col


def _iso(col: pa.ChunkedArray) -> pa.Array:
    """ISO 8601 strings for a timestamp column, with the fewest fractional digits that fit."""
    ns = col.cast(pa.int64()).to_numpy(zero_copy_only=False)
    unit = "s"
    for candidate, step in (("s", 10**9), ("ms", 10**6), ("us", 10**3), ("ns", 1)):
        unit = candidate
        if np.all(ns % step == 0):
            break
    text = np.datetime_as_string(ns.astype("datetime64[ns]"), unit=unit)  # type: ignore[call-overload]
    mask = col.is_null().to_numpy(zero_copy_only=False) if col.null_count else None
    return pa.array(np.char.add(text, "Z").tolist(), pa.string(), mask=mask)


def _plain(col: pa.ChunkedArray) -> list[Any]:
    if pa.types.is_timestamp(col.type):
        return _iso(col).to_pylist()
    values = _flat(col).to_pylist()
    if pa.types.is_floating(col.type):
        return [None if v is None or not math.isfinite(v) else v for v in values]
    return values


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
