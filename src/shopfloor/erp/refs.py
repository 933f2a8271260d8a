"""ERP's own tables, kept in the MES database so that an import is one transaction.

``erp_ref`` keeps each ERP id beside the local id it was imported as (products, materials,
lots, and job orders with their schedule id and segment requirement ids), so that exports and
webhooks speak the ERP's ids. ``erp_delivery`` records which completed orders each webhook has
received. The tables belong to this package: MES never reads them, and ERP reads MES only
through its public API.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
)
from sqlalchemy.orm import Session

from shopfloor.erp.planning import RefRow

metadata = MetaData()

erp_ref = Table(
    "erp_ref",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("local_id", String(64), primary_key=True),
    Column("erp_id", String(255), nullable=False),
    Column("data", JSON, nullable=False),
    Column("source", String(255), nullable=False, default=""),
    Column("imported_ns", BigInteger, nullable=False),
    Index("ix_erp_ref_erp_id", "kind", "erp_id"),
)

erp_delivery = Table(
    "erp_delivery",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("hook", String(255), primary_key=True),
    #: delivered, or failed (tried again at the next poll).
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=False, default=""),
    Column("updated_ns", BigInteger, nullable=False),
)


def ensure_tables(engine: Engine) -> None:
    """Create the ERP tables when they are not there yet."""
    metadata.create_all(engine, checkfirst=True)


@dataclass(frozen=True)
class Reference:
    erp_id: str
    data: dict[str, Any]


class RefStore:
    """Reads and writes ``erp_ref``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        ensure_tables(engine)

    def known(self) -> dict[tuple[str, str], str]:
        """(kind, ERP id) -> local id, for the resolver."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(erp_ref.c.kind, erp_ref.c.erp_id, erp_ref.c.local_id))
            return {(k, e): loc for k, e, loc in rows}

    def of_kind(self, kind: str) -> dict[str, Reference]:
        """Local id -> its ERP reference, for one kind."""
        q = select(erp_ref.c.local_id, erp_ref.c.erp_id, erp_ref.c.data).where(
            erp_ref.c.kind == kind
        )
        with self.engine.connect() as conn:
            return {loc: Reference(e, dict(d or {})) for loc, e, d in conn.execute(q)}

    @staticmethod
    def put(s: Session, rows: Iterable[RefRow], source: str, now_ns: int) -> None:
        """Write ``rows`` in the caller's transaction (replacing earlier rows of the same ids)."""
        rows = list(rows)
        for r in rows:
            s.execute(
                delete(erp_ref).where(erp_ref.c.kind == r.kind, erp_ref.c.local_id == r.local_id)
            )
        if rows:
            s.execute(
                insert(erp_ref),
                [
                    {
                        "kind": r.kind,
                        "local_id": r.local_id,
                        "erp_id": r.erp_id,
                        "data": r.data,
                        "source": source[:255],
                        "imported_ns": now_ns,
                    }
                    for r in rows
                ],
            )
