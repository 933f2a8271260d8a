"""Tables of material: lots, lots loaded at work units, serialised units and genealogy."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shopfloor.mes.models.base import ID_LEN, PATH_LEN, STATUS_LEN, Base, BigId, row_dict


class Lot(Base):
    """A lot of one material (castings, bearings...), received with a quantity."""

    __tablename__ = "mes_lot"

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    material: Mapped[str] = mapped_column(String(ID_LEN), index=True)
    quantity: Mapped[float] = mapped_column(Float)
    consumed: Mapped[float] = mapped_column(Float, default=0.0)
    supplier: Mapped[str] = mapped_column(String(200), default="")
    received_ns: Mapped[int] = mapped_column(BigInteger)

    def to_dict(self) -> dict[str, Any]:
        return row_dict(self)


class LotLoad(Base):
    """A lot loaded at a work unit from ``loaded_ns`` until ``unloaded_ns`` (None: still there)."""

    __tablename__ = "mes_lot_load"
    __table_args__ = (Index("ix_mes_lot_load_where", "equipment", "material", "unloaded_ns"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    equipment: Mapped[str] = mapped_column(String(PATH_LEN))
    material: Mapped[str] = mapped_column(String(ID_LEN))
    lot_id: Mapped[str] = mapped_column(String(ID_LEN))
    loaded_ns: Mapped[int] = mapped_column(BigInteger)
    unloaded_ns: Mapped[int | None] = mapped_column(BigInteger)
    who: Mapped[str] = mapped_column(String(ID_LEN), default="")

    def to_dict(self) -> dict[str, Any]:
        return row_dict(self)


class Unit(Base):
    """A serialised unit (a housing, a pump) and where it stands."""

    __tablename__ = "mes_unit"

    serial: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    product: Mapped[str] = mapped_column(String(ID_LEN))
    order_id: Mapped[str | None] = mapped_column(String(ID_LEN), index=True)
    #: in_process, complete or scrapped.
    status: Mapped[str] = mapped_column(String(STATUS_LEN))
    defect: Mapped[str | None] = mapped_column(String(200))
    created_ns: Mapped[int] = mapped_column(BigInteger)
    ended_ns: Mapped[int | None] = mapped_column(BigInteger)

    def to_dict(self) -> dict[str, Any]:
        return row_dict(self)


class UnitOperation(Base):
    """One operation a unit went through: where, by whom, when, its result and process values."""

    __tablename__ = "mes_unit_op"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    serial: Mapped[str] = mapped_column(String(ID_LEN), index=True)
    order_id: Mapped[str | None] = mapped_column(String(ID_LEN))
    seq: Mapped[int | None] = mapped_column(Integer)
    op_id: Mapped[str] = mapped_column(String(ID_LEN))
    equipment: Mapped[str] = mapped_column(String(PATH_LEN))
    operator: Mapped[str | None] = mapped_column(String(ID_LEN))
    started_ns: Mapped[int | None] = mapped_column(BigInteger)
    ended_ns: Mapped[int | None] = mapped_column(BigInteger)
    good: Mapped[bool | None] = mapped_column(Boolean)
    #: Process values and measurements reported with the completion.
    process: Mapped[dict[str, Any] | None]
    #: Lot-tracked BOM materials that had no lot loaded when the unit completed here.
    missing: Mapped[list[Any] | None]

    def to_dict(self) -> dict[str, Any]:
        return row_dict(self, exclude=("id",))


class Genealogy(Base):
    """An edge of the genealogy: ``parent`` (a serial) consumed ``child`` (a lot or a serial)."""

    __tablename__ = "mes_genealogy"
    #: Covering index of the forward trace: child -> parent without touching the table.
    __table_args__ = (Index("ix_mes_genealogy_child", "child", "child_kind", "parent"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    parent: Mapped[str] = mapped_column(String(ID_LEN), index=True)
    child: Mapped[str] = mapped_column(String(ID_LEN))
    #: "lot" or "serial".
    child_kind: Mapped[str] = mapped_column(String(8))
    material: Mapped[str] = mapped_column(String(ID_LEN))
    quantity: Mapped[float] = mapped_column(Float, default=1.0)
    equipment: Mapped[str | None] = mapped_column(String(PATH_LEN))
    seq: Mapped[int | None] = mapped_column(Integer)
    ts_ns: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(Text, default="")

    def to_dict(self) -> dict[str, Any]:
        return row_dict(self, exclude=("id",))
