"""Samples: one Arrow schema for every time-series value in the platform.

A sample is (tag, time, value, quality). Numbers go in ``value`` (float64); strings and booleans
go in ``text`` (with ``value`` = 1.0/0.0 for booleans, NaN for strings). ``tag_id`` is the
historian's integer for the tag id (see :mod:`shopfloor.ids`). Quality follows OPC UA's three
classes. High-rate tags travel as arrays (start time + rate) and are expanded to rows here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import pyarrow as pa

SCHEMA_VERSION = 1


class Quality(IntEnum):
    GOOD = 0
    UNCERTAIN = 1
    BAD = 2

    @classmethod
    def from_opcua(cls, status_code: int) -> Quality:
        """Map an OPC UA StatusCode (its two top bits) to our quality class."""
        severity = (status_code >> 30) & 0b11
        return {0: cls.GOOD, 1: cls.UNCERTAIN}.get(severity, cls.BAD)


SAMPLE_SCHEMA = pa.schema(
    [
        pa.field("tag_id", pa.uint32(), nullable=False),
        pa.field("ts", pa.timestamp("ns", tz="UTC"), nullable=False),
        pa.field("value", pa.float64()),
        pa.field("text", pa.string()),
        pa.field("quality", pa.uint8(), nullable=False),
    ],
    metadata={"shopfloor.schema": "samples", "shopfloor.version": str(SCHEMA_VERSION)},
)


@dataclass(frozen=True, slots=True)
class Sample:
    tag: str
    ts_ns: int
    value: float | str | bool | None
    quality: Quality = Quality.GOOD


def samples_table(
    tag_ids: np.ndarray,
    ts_ns: np.ndarray,
    values: np.ndarray,
    quality: np.ndarray | None = None,
    text: list[str | None] | None = None,
) -> pa.Table:
    """Build a table in :data:`SAMPLE_SCHEMA` from column arrays (no per-row Python work)."""
    n = len(ts_ns)
    q = np.zeros(n, dtype=np.uint8) if quality is None else quality.astype(np.uint8, copy=False)
    return pa.Table.from_arrays(
        [
            pa.array(tag_ids.astype(np.uint32, copy=False)),
            pa.array(ts_ns.astype(np.int64, copy=False), type=pa.timestamp("ns", tz="UTC")),
            pa.array(values.astype(np.float64, copy=False)),
            pa.array(text if text is not None else [None] * n, type=pa.string()),
            pa.array(q),
        ],
        schema=SAMPLE_SCHEMA,
    )


def expand_array(
    tag_id: int, start_ns: int, rate_hz: float, values: np.ndarray, quality: Quality = Quality.GOOD
) -> pa.Table:
    """Rows for a high-rate block sampled at ``rate_hz`` starting at ``start_ns``."""
    n = len(values)
    step = 1e9 / rate_hz
    ts = start_ns + np.round(np.arange(n) * step).astype(np.int64)
    return samples_table(
        np.full(n, tag_id, dtype=np.uint32),
        ts,
        np.asarray(values, dtype=np.float64),
        np.full(n, int(quality), dtype=np.uint8),
    )
