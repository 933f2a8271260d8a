"""KPIs per period: one :class:`~shopfloor.kpi.book.KpiBook` per window, fed the same events.

Periods are anything with ``name``, ``start_ns`` and ``end_ns``: the shifts of the plant
calendar (``shopfloor.mes.calendar.shift_windows(calendar, start_ns, end_ns)`` unrolls them),
hours, days. Each period's book sees every event, so the state held when a period starts and
the meter reading after it ends are known; its intervals are clipped to the period. Orders and
products are grouped inside each period as in any report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from shopfloor.clock import NS_PER_S, from_ns
from shopfloor.errors import BadInput
from shopfloor.events import MachineEvent
from shopfloor.kpi.book import KpiBook
from shopfloor.kpi.energy import EnergySettings
from shopfloor.kpi.report import Report
from shopfloor.kpi.window import Window
from shopfloor.plant.model import Plant


class Period(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def start_ns(self) -> int: ...

    @property
    def end_ns(self) -> int: ...


@dataclass(frozen=True)
class Span:
    name: str
    start_ns: int
    end_ns: int


def period_key(p: Period) -> str:
    """``2025-01-06T06:00:00+00:00 early``: start instant and name."""
    return f"{from_ns(p.start_ns).isoformat()} {p.name}"


class PeriodBooks:
    """Books for a set of periods, fed together (live or batch)."""

    def __init__(
        self, plant: Plant, periods: Sequence[Period], energy: EnergySettings | None = None
    ) -> None:
        self.books: dict[str, KpiBook] = {}
        for p in periods:
            key = period_key(p)
            if key in self.books:
                raise BadInput(f"period {key!r} is given twice")
            self.books[key] = KpiBook(plant, Window(p.start_ns, p.end_ns), energy)

    def feed(self, ev: MachineEvent) -> None:
        for book in self.books.values():
            book.feed(ev)

    def feed_many(self, events: Iterable[MachineEvent]) -> None:
        for ev in events:
            self.feed(ev)

    def reports(self, until_ns: int | None = None) -> dict[str, Report]:
        return {key: book.report(until_ns) for key, book in self.books.items()}


def energy_points(reports: Mapping[str, Report], line: str) -> list[tuple[float, float]]:
    """(units, kWh) of ``line`` in each period that has energy: the points a baseline
    (:func:`~shopfloor.kpi.energy.fit_linear`) is fitted on."""
    out = []
    for r in reports.values():
        b = r.lines.get(line)
        if b is None:
            raise BadInput(f"unknown line {line!r}; lines: {', '.join(r.lines)}")
        if b.kwh is not None:
            out.append((float(b.pq), b.kwh))
    return out


def hours(start_ns: int, end_ns: int, step_h: float = 1.0) -> list[Span]:
    """Consecutive periods of ``step_h`` hours covering [start, end) (the last may be shorter)."""
    if not step_h > 0:
        raise BadInput(f"step_h must be > 0, not {step_h!r}")
    if end_ns <= start_ns:
        raise BadInput("end must be after start")
    step = round(step_h * 3600 * NS_PER_S)
    return [Span(f"{step_h:g}h", a, min(a + step, end_ns)) for a in range(start_ns, end_ns, step)]
