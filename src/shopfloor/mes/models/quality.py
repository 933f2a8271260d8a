"""Tables of quality: specifications, inspection results and non-conformance records."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shopfloor.mes.models.base import ID_LEN, PATH_LEN, STATUS_LEN, Base, BigId, row_dict


class QualitySpec(Base):
    """The specification of one characteristic of one product: nominal and limits."""

    __tablename__ = "mes_quality_spec"

    product: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    characteristic: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    nominal: Mapped[float | None] = mapped_column(Float)
    lsl: Mapped[float | None] = mapped_column(Float)
    usl: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(32), default="")

    def to_dict(self) -> dict[str, Any]:
        return row_dict(self)


class Inspection(Base):
    """One measured value of one characteristic of one unit."""

    __tablename__ = "mes_inspection"
    __table_args__ = (Index("ix_mes_inspection_series", "product", "characteristic", "ts_ns"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    serial: Mapped[str | None] = mapped_column(String(ID_LEN), index=True)
    product: Mapped[str] = mapped_column(String(ID_LEN))
    characteristic: Mapped[str] = mapped_column(String(ID_LEN))
    value: Mapped[float] = mapped_column(Float)
    #: None when no specification is known for the characteristic.
    in_spec: Mapped[bool | None] = mapped_column(Boolean)
    equipment: Mapped[str | None] = mapped_column(String(PATH_LEN))
    seq: Mapped[int | None] = mapped_column(Integer)
    ts_ns: Mapped[int] = mapped_column(BigInteger)

    def to_dict(self) -> dict[str, Any]:
        return row_dict(self)


class NonConformance(Base):
    """A non-conformance record (NCR) and its disposition."""

    __tablename__ = "mes_ncr"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    serial: Mapped[str | None] = mapped_column(String(ID_LEN), index=True)
    lot: Mapped[str | None] = mapped_column(String(ID_LEN))
    product: Mapped[str | None] = mapped_column(String(ID_LEN))
    characteristic: Mapped[str | None] = mapped_column(String(ID_LEN))
    description: Mapped[str] = mapped_column(Text)
    #: open, dispositioned, closed.
    status: Mapped[str] = mapped_column(String(STATUS_LEN), index=True)
    #: rework, scrap or use_as_is once dispositioned.
    disposition: Mapped[str | None] = mapped_column(String(STATUS_LEN))
    raised_by: Mapped[str] = mapped_column(String(ID_LEN), default="")
    created_ns: Mapped[int] = mapped_column(BigInteger)
    updated_ns: Mapped[int] = mapped_column(BigInteger)

    def to_dict(self) -> dict[str, Any]:
        return row_dict(self)


class NcrTransition(Base):
    """Every change of an NCR, with who and when."""

    __tablename__ = "mes_ncr_history"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ncr_id: Mapped[int] = mapped_column(BigInteger, index=True)
    from_status: Mapped[str | None] = mapped_column(String(STATUS_LEN))
    to_status: Mapped[str] = mapped_column(String(STATUS_LEN))
    disposition: Mapped[str | None] = mapped_column(String(STATUS_LEN))
    who: Mapped[str] = mapped_column(String(ID_LEN), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    ts_ns: Mapped[int] = mapped_column(BigInteger)

    def to_dict(self) -> dict[str, Any]:
        return row_dict(self, exclude=("id",))
