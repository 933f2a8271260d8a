"""The declarative base shared by every MES table, and the column types they use.

Every MES table name starts with ``mes_`` so that MES can share a PostgreSQL database with other
packages. Constraint names follow one convention so that Alembic migrations name them the same
on SQLite and PostgreSQL. Instants are integers: nanoseconds since the Unix epoch, UTC, as on the
platform's hot path; they become ``datetime`` only at the edges (CLI, API).
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, Integer, MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: A 64-bit integer key that is still SQLite's rowid (INTEGER PRIMARY KEY) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")

#: Lengths of the string columns.
ID_LEN = 64  # order ids, product ids, serials, lot ids
PATH_LEN = 255  # ISA-95 equipment paths
STATUS_LEN = 16


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


def row_dict(obj: Base, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """Column values of one row as a plain dict (for JSON output)."""
    return {c.key: getattr(obj, c.key) for c in obj.__table__.columns if c.key not in exclude}
