"""PostgreSQL binary ``COPY`` for sample batches, encoded with numpy (no per-row Python).

The benchmark's peer: the same Arrow batches the historian ingests, written block-wise with
psycopg 3 ``COPY ... FROM STDIN (FORMAT BINARY)`` into a plain table (``tag_id int4,
ts timestamptz, value float8, text text, quality int2``) without indexes. The fixed layout needs
``tag_id``, ``ts`` and ``quality`` non-null, ``value`` non-null and ``text`` all null, which is
what the benchmark's batches hold; anything else is refused rather than mis-encoded.
"""

from __future__ import annotations

import numpy as np
import psycopg
import pyarrow as pa

from shopfloor.errors import BadInput

HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"
#: Microseconds between the Unix epoch and PostgreSQL's (2000-01-01).
PG_EPOCH_US = 946_684_800_000_000

PEER_TABLE = (
    "CREATE TABLE {name} (tag_id int4 NOT NULL, ts timestamptz NOT NULL, value float8, "
    "text text, quality int2 NOT NULL)"
)

_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("tag_len", ">i4"),
        ("tag_id", ">i4"),
        ("ts_len", ">i4"),
        ("ts", ">i8"),
        ("value_len", ">i4"),
        ("value", ">f8"),
        ("text_len", ">i4"),
        ("quality_len", ">i4"),
        ("quality", ">i2"),
    ]
)


def encode(batch: pa.Table) -> bytes:
    """The rows of a sample batch in COPY BINARY row format (without header and trailer)."""
    for name in ("tag_id", "ts", "value", "quality"):
        if batch.column(name).null_count:
            raise BadInput(f"binary COPY encoder: column {name!r} has nulls", field=name)
    if batch.column("text").null_count != batch.num_rows:
        raise BadInput("binary COPY encoder: column 'text' must be all null", field="text")
    rows = np.empty(batch.num_rows, dtype=_ROW)
    rows["fields"] = 5
    rows["tag_len"] = 4
    rows["tag_id"] = batch.column("tag_id").to_numpy()
    rows["ts_len"] = 8
    rows["ts"] = batch.column("ts").cast(pa.int64()).to_numpy() // 1000 - PG_EPOCH_US
    rows["value_len"] = 8
    rows["value"] = batch.column("value").to_numpy()
    rows["text_len"] = -1
    rows["quality_len"] = 2
    rows["quality"] = batch.column("quality").to_numpy()
    return rows.tobytes()


def copy_batch(con: psycopg.Connection, table: str, batch: pa.Table, block: int = 8 << 20) -> None:
    """Encode and ``COPY`` one batch in one transaction, fed to the server in blocks."""
    data = memoryview(encode(batch))
    statement = f"COPY {table} FROM STDIN (FORMAT BINARY)"
    with con.transaction(), con.cursor() as cur, cur.copy(statement) as cp:
        cp.write(HEADER)
        for i in range(0, len(data), block):
            cp.write(data[i : i + block])
        cp.write(TRAILER)
