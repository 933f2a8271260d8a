"""Tables of equipment: PackML state, state history, downtime, alarms and alarm history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shopfloor.mes.models.base import ID_LEN, PATH_LEN, STATUS_LEN, Base, BigId, row_dict


class EquipmentState(Base):
    """The current PackML state of one equipment, as its events reported it."""

    __tablename__ = "mes_equipment_state"

    equipment: Mapped[str] = mapped_column(String(PATH_LEN), primary_key=True)
    state: Mapped[str] = mapped_column(String(STATUS_LEN))
    reason: Mapped[str] = mapped_column(String(200), default="")
    #: ISO 22400 time element of the state (APT, ASUT, ADET, ADOT, PDOT).
    element: Mapped[str] = mapped_column(String(8))
    since_ns: Mapped[int] = mapped_column(BigInteger)

    def to_dict(self) -> dict[str, Any]:
        return row_dict(self)


class StateSegment(Base):
    """One stretch of time an equipment spent in one state (``end_ns`` None: still in it)."""

    __tablename__ = "mes_state_history"
    __table_args__ = (Index("ix_mes_state_history_when", "equipment", "start_ns"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    equipment: Mapped[str] = mapped_column(String(PATH_LEN))
    state: Mapped[str] = mapped_column(String(STATUS_LEN))
    reason: Mapped[str] = mapped_column(String(200), default="")
    element: Mapped[str] = mapped_column(String(8))
    start_ns: Mapped[int] = mapped_column(BigInteger)
    end_ns: Mapped[int | None] = mapped_column(BigInteger)

    def to_dict(self) -> dict[str, Any]:
        return row_dict(self, exclude=("id",))


class Downtime(Base):
    """A downtime of one equipment; ``reason`` is a reason-tree code, None while unexplained."""

    __tablename__ = "mes_downtime"
    __table_args__ = (Index("ix_mes_downtime_when", "equipment", "start_ns"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    equipment: Mapped[str] = mapped_column(String(PATH_LEN))
    start_ns: Mapped[int] = mapped_column(BigInteger)
    end_ns: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(String(200))
    planned: Mapped[bool | None] = mapped_column(Boolean)
    #: What the machine said (its own reason and category), kept as it came.
    machine_reason: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[str] = mapped_column(String(64), default="")
    #: machine (an event), operator (entered by hand) or plan (the plant file).
    source: Mapped[str] = mapped_column(String(STATUS_LEN))
    who: Mapped[str] = mapped_column(String(ID_LEN), default="")
    note: Mapped[str] = mapped_column(Text, default="")

    def to_dict(self) -> dict[str, Any]:
        return row_dict(self)


class Alarm(Base):
    """One alarm occurrence, from raised until back to normal (ISA-18.2 state)."""

    __tablename__ = "mes_alarm"
    __table_args__ = (Index("ix_mes_alarm_key", "equipment", "code", "state"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    equipment: Mapped[str] = mapped_column(String(PATH_LEN))
    code: Mapped[str] = mapped_column(String(ID_LEN))
    text: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[int] = mapped_column(Integer, default=500)
    #: machine (an event) or spc (a rule violation on a control chart).
    source: Mapped[str] = mapped_column(String(STATUS_LEN))
    #: What raised it, for sources that must not raise the same thing twice (SPC).
    ref: Mapped[str | None] = mapped_column(String(200), index=True)
    #: unack_active, ack_active, unack_cleared or normal.
    state: Mapped[str] = mapped_column(String(STATUS_LEN))
    shelved_until_ns: Mapped[int | None] = mapped_column(BigInteger)
    shelved_by: Mapped[str] = mapped_column(String(ID_LEN), default="")
    raised_ns: Mapped[int] = mapped_column(BigInteger)
    cleared_ns: Mapped[int | None] = mapped_column(BigInteger)
    acked_ns: Mapped[int | None] = mapped_column(BigInteger)
    acked_by: Mapped[str] = mapped_column(String(ID_LEN), default="")

    def to_dict(self) -> dict[str, Any]:
        return row_dict(self)


class AlarmTransition(Base):
    """Every action on an alarm (raise, clear, ack, shelve, unshelve, re-raise): who and when."""

    __tablename__ = "mes_alarm_history"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    alarm_id: Mapped[int] = mapped_column(
        ForeignKey("mes_alarm.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(STATUS_LEN))
    from_state: Mapped[str | None] = mapped_column(String(STATUS_LEN))
    to_state: Mapped[str] = mapped_column(String(STATUS_LEN))
    who: Mapped[str] = mapped_column(String(ID_LEN), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    ts_ns: Mapped[int] = mapped_column(BigInteger)

    def to_dict(self) -> dict[str, Any]:
        return row_dict(self, exclude=("id",))
