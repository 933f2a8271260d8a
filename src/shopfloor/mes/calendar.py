"""Shift calendars and planned downtime, read from the plant file (never copied into MES).

:func:`shift_windows` unrolls a calendar's shifts over a period in the calendar's time zone
(a shift may cross midnight); :func:`planned_windows` lists the plant file's planned downtime
that applies to one equipment (named by id or path, or through its line).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from shopfloor.clock import from_ns, to_ns
from shopfloor.errors import BadInput
from shopfloor.plant.model import WEEKDAYS, Calendar, Plant


@dataclass(frozen=True, slots=True)
class Window:
    start_ns: int
    end_ns: int
    name: str  # shift name, or the planned downtime's reason
    breaks_min: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "start": from_ns(self.start_ns).isoformat(),
            "end": from_ns(self.end_ns).isoformat(),
            "breaks_min": self.breaks_min,
        }


def calendar_for(plant: Plant, calendar: str | None = None) -> Calendar:
    """The named calendar; without a name, the plant's only (or first) calendar."""
    if not plant.calendars:
        raise BadInput(f"calendar: plant {plant.name!r} has no calendars")
    if calendar is None:
        return plant.calendars[0]
    for c in plant.calendars:
        if c.id == calendar:
            return c
    raise BadInput(
        f"calendar: unknown calendar {calendar!r} (known: "
        f"{', '.join(c.id for c in plant.calendars)})"
    )


def shift_windows(cal: Calendar, start_ns: int, end_ns: int) -> list[Window]:
    """The shifts of ``cal`` that overlap [start, end), clipped to it, in time order."""
    if end_ns <= start_ns:
        raise BadInput("to: must be after from")
    tz = ZoneInfo(cal.timezone)
    day = from_ns(start_ns).astimezone(tz).date() - timedelta(days=1)
    last = from_ns(end_ns).astimezone(tz).date()
    out: list[Window] = []
    while day <= last:
        for sh in cal.shifts:
            if WEEKDAYS[day.weekday()] not in sh.days:
                continue
            begin = datetime.combine(day, sh.start, tzinfo=tz)
            a = to_ns(begin)
            b = a + round(sh.duration_s) * 1_000_000_000
            if b > start_ns and a < end_ns:
                out.append(Window(max(a, start_ns), min(b, end_ns), sh.name, sh.breaks_min))
        day += timedelta(days=1)
    return sorted(out, key=lambda w: w.start_ns)


def planned_windows(plant: Plant, equipment: str, start_ns: int, end_ns: int) -> list[Window]:
    """Planned downtime of the plant file for ``equipment`` (a path) overlapping [start, end)."""
    eq = plant.equipment_by_path[equipment]
    line_path = plant.line_of[equipment]
    targets = {equipment, eq.id, line_path, line_path.rsplit("/", 1)[-1]}
    out = []
    for d in plant.planned_downtime:
        if d.target not in targets:
            continue
        a, b = to_ns(d.start), to_ns(d.end)
        if b > start_ns and a < end_ns:
            out.append(Window(a, b, d.reason))
    return sorted(out, key=lambda w: w.start_ns)
