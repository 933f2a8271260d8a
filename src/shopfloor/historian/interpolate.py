"""Step and linear interpolation from the good samples around each instant (vectorised).

``step``: the value of the last good sample at or before the instant (null before the first).
``linear``: the sample's value when one sits exactly on the instant, else the straight line
between the last good sample before and the first good sample after; null when either side is
missing (no extrapolation).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def interpolate_table(around: pa.Table, method: str) -> pa.Table:
    """``around`` in the backend's neighbour schema -> (tag_id, at, value)."""
    at = _ints(around, "at_ns")
    b_ts, b_ok = _masked(around, "before_ts")
    b_v, _ = _masked(around, "before_value")
    if method == "step":
        value, ok = b_v, b_ok
    else:
        a_ts, a_ok = _masked(around, "after_ts")
        a_v, _ = _masked(around, "after_value")
        span = (a_ts - b_ts).astype(np.float64)
        exact = b_ok & (b_ts == at)
        both = b_ok & a_ok & ~exact
        frac = np.divide(
            (at - b_ts).astype(np.float64), span, out=np.zeros(len(at)), where=both & (span > 0)
        )
        value = np.where(exact, b_v, b_v + (a_v - b_v) * frac)
        ok = exact | both
    return pa.table(
        {
            "tag_id": around.column("tag_id"),
            "at_ns": around.column("at_ns"),
            "value": pa.array(value, pa.float64(), mask=~ok),
        }
    )


def _ints(table: pa.Table, name: str) -> np.ndarray:
    return table.column(name).to_numpy(zero_copy_only=False).astype(np.int64)


def _masked(table: pa.Table, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Column values with nulls filled by 0, and the validity mask."""
    col = table.column(name)
    valid = col.is_valid().to_numpy(zero_copy_only=False)
    values = col.fill_null(0).to_numpy(zero_copy_only=False)
    return values, valid
