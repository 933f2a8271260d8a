"""Maintenance work orders: what predictive maintenance (or a person) asks the floor to do."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shopfloor.mes.models.base import ID_LEN, PATH_LEN, STATUS_LEN, Base, row_dict


class MaintenanceOrder(Base):
    """A maintenance work order on one equipment, with the evidence that motivated it."""

    __tablename__ = "mes_maintenance_order"

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    equipment: Mapped[str] = mapped_column(String(PATH_LEN), index=True)
    #: ``predictive`` (from a model), ``corrective`` or ``preventive``.
    kind: Mapped[str] = mapped_column(String(STATUS_LEN))
    #: ``open`` or ``closed``.
    status: Mapped[str] = mapped_column(String(STATUS_LEN))
    priority: Mapped[int] = mapped_column(Integer, default=500)
    reason: Mapped[str] = mapped_column(Text, default="")
    due_ns: Mapped[int | None] = mapped_column(BigInteger)
    alarm_id: Mapped[int | None] = mapped_column(BigInteger)
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_ns: Mapped[int] = mapped_column(BigInteger)
    closed_ns: Mapped[int | None] = mapped_column(BigInteger)
    who: Mapped[str] = mapped_column(String(ID_LEN), default="")
    note: Mapped[str] = mapped_column(Text, default="")

    def to_dict(self) -> dict[str, Any]:
        return row_dict(self)
