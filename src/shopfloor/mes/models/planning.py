"""Schedules proposed for the open orders: the plan per work unit, kept until applied or not."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from shopfloor.mes.models.base import ID_LEN, STATUS_LEN, Base, row_dict


class ScheduleProposal(Base):
    """A schedule the scheduler proposed for a set of orders, and whether it was applied.

    Times inside ``orders`` and ``units`` are ns since the epoch (``*_ns`` keys); ``makespan_s``,
    ``lower_bound``, ``objective`` and ``weighted_tardiness`` are in seconds (weighted) from
    ``created_ns``, the plan's time origin.
    """

    __tablename__ = "mes_schedule"

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    created_ns: Mapped[int] = mapped_column(BigInteger, index=True)
    who: Mapped[str] = mapped_column(String(ID_LEN), default="")
    solver: Mapped[str] = mapped_column(String(ID_LEN))
    #: ``proposed`` or ``applied``.
    status: Mapped[str] = mapped_column(String(STATUS_LEN))
    #: ``optimal`` or ``feasible`` (what the solver proved).
    solver_status: Mapped[str] = mapped_column(String(STATUS_LEN))
    time_limit_s: Mapped[float] = mapped_column(Float)
    wall_s: Mapped[float] = mapped_column(Float)
    makespan_s: Mapped[int] = mapped_column(BigInteger)
    lower_bound: Mapped[int] = mapped_column(BigInteger)
    objective: Mapped[int] = mapped_column(BigInteger)
    weighted_tardiness: Mapped[int] = mapped_column(BigInteger)
    #: One row per order: id, product, quantity, priority, due, planned end, lateness.
    orders: Mapped[list[Any]] = mapped_column(default=list)
    #: Work unit path -> its entries in order: order, operation, start, end, state.
    units: Mapped[dict[str, Any]] = mapped_column(default=dict)
    applied_ns: Mapped[int | None] = mapped_column(BigInteger)
    applied_by: Mapped[str] = mapped_column(String(ID_LEN), default="")
    #: Dispatch entries that changed place when it was applied.
    moved: Mapped[int | None] = mapped_column(Integer)

    def to_dict(self, *, full: bool = True) -> dict[str, Any]:
        """Every column; without ``full``, the units' entries become counts per unit."""
        d = row_dict(self)
        if not full:
            d["units"] = {path: len(entries) for path, entries in self.units.items()}
        return d
