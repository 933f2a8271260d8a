"""Tables of job orders, their operations (the routing cached at release), history and dispatch."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shopfloor.mes.models.base import ID_LEN, PATH_LEN, STATUS_LEN, Base, BigId, row_dict


class JobOrder(Base):
    """An ISA-95 job order: make ``quantity`` units of ``product`` by ``due_ns``."""

    __tablename__ = "mes_order"

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    product: Mapped[str] = mapped_column(String(ID_LEN))
    quantity: Mapped[int] = mapped_column(Integer)
    due_ns: Mapped[int | None] = mapped_column(BigInteger)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(STATUS_LEN), index=True)
    #: Routing id and bill of material, copied from the plant file at release.
    routing: Mapped[str | None] = mapped_column(String(ID_LEN))
    bom: Mapped[list[Any]] = mapped_column(default=list)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_ns: Mapped[int] = mapped_column(BigInteger)
    released_ns: Mapped[int | None] = mapped_column(BigInteger)
    started_ns: Mapped[int | None] = mapped_column(BigInteger)
    ended_ns: Mapped[int | None] = mapped_column(BigInteger)
    good: Mapped[int] = mapped_column(Integer, default=0)
    scrap: Mapped[int] = mapped_column(Integer, default=0)

    operations: Mapped[list[OrderOperation]] = relationship(
        back_populates="order", order_by="OrderOperation.seq", cascade="all, delete-orphan"
    )

    def to_dict(self, *, operations: bool = False) -> dict[str, Any]:
        d = row_dict(self)
        if operations:
            d["operations"] = [o.to_dict() for o in self.operations]
        return d


class OrderOperation(Base):
    """One operation of a released order: the routing step copied at release, and its progress."""

    __tablename__ = "mes_order_op"

    order_id: Mapped[str] = mapped_column(
        ForeignKey("mes_order.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    op_id: Mapped[str] = mapped_column(String(ID_LEN))
    name: Mapped[str] = mapped_column(String(200), default="")
    #: Equipment paths that may run it.
    eligible: Mapped[list[Any]] = mapped_column(default=list)
    standard_time_s: Mapped[float]
    setup_time_s: Mapped[float] = mapped_column(default=0.0)
    inspect: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(STATUS_LEN))
    equipment: Mapped[str | None] = mapped_column(String(PATH_LEN))
    good: Mapped[int] = mapped_column(Integer, default=0)
    scrap: Mapped[int] = mapped_column(Integer, default=0)
    started_ns: Mapped[int | None] = mapped_column(BigInteger)
    ended_ns: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text, default="")

    order: Mapped[JobOrder] = relationship(back_populates="operations")

    def to_dict(self) -> dict[str, Any]:
        return row_dict(self)


class OrderTransition(Base):
    """Every status change of an order (``seq`` None) or of one of its operations."""

    __tablename__ = "mes_order_history"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(String(ID_LEN), index=True)
    seq: Mapped[int | None] = mapped_column(Integer)
    from_status: Mapped[str | None] = mapped_column(String(STATUS_LEN))
    to_status: Mapped[str] = mapped_column(String(STATUS_LEN))
    reason: Mapped[str] = mapped_column(Text, default="")
    who: Mapped[str] = mapped_column(String(ID_LEN), default="")
    ts_ns: Mapped[int] = mapped_column(BigInteger)

    def to_dict(self) -> dict[str, Any]:
        return row_dict(self)


class DispatchEntry(Base):
    """A place on a work unit's dispatch list: (order, operation) at ``position``."""

    __tablename__ = "mes_dispatch"
    __table_args__ = (UniqueConstraint("order_id", "seq"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    equipment: Mapped[str] = mapped_column(String(PATH_LEN), index=True)
    position: Mapped[int] = mapped_column(Integer)
    order_id: Mapped[str] = mapped_column(String(ID_LEN))
    seq: Mapped[int] = mapped_column(Integer)
    #: queued (waits its turn), sent (the machine accepted the job), refused (it did not).
    status: Mapped[str] = mapped_column(String(STATUS_LEN), default="queued")
    sent_ns: Mapped[int | None] = mapped_column(BigInteger)
    message: Mapped[str] = mapped_column(Text, default="")

    def to_dict(self) -> dict[str, Any]:
        return row_dict(self, exclude=("id",))


class ProductionReport(Base):
    """Counts entered by an operator for equipment that is not networked."""

    __tablename__ = "mes_report"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    equipment: Mapped[str] = mapped_column(String(PATH_LEN), index=True)
    order_id: Mapped[str | None] = mapped_column(String(ID_LEN))
    seq: Mapped[int | None] = mapped_column(Integer)
    good: Mapped[int] = mapped_column(Integer)
    scrap: Mapped[int] = mapped_column(Integer)
    operator: Mapped[str] = mapped_column(String(ID_LEN), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    ts_ns: Mapped[int] = mapped_column(BigInteger)

    def to_dict(self) -> dict[str, Any]:
        return row_dict(self)


class SeenEvent(Base):
    """Machine events already applied, by (equipment, seq): a redelivered one is skipped."""

    __tablename__ = "mes_event_seen"

    equipment: Mapped[str] = mapped_column(String(PATH_LEN), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32))
    ts_ns: Mapped[int] = mapped_column(BigInteger)


class ParkedEvent(Base):
    """A machine event MES could not apply (malformed payload, unknown equipment), kept whole."""

    __tablename__ = "mes_event_parked"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    equipment: Mapped[str] = mapped_column(String(PATH_LEN))
    seq: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    ts_ns: Mapped[int] = mapped_column(BigInteger)
    error: Mapped[str] = mapped_column(Text)
    event: Mapped[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return row_dict(self)
