"""Plant time -> problem time: shift calendars and planned downtime as unavailable windows.

Problem time is whole seconds since an ``origin`` instant. A calendar's shifts are the only time
a machine works; everything else within the horizon is a window of unavailability (after the
horizon machines are taken as available, so the horizon should cover the plan). Breaks inside
shifts are not modelled.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shopfloor.errors import BadInput
from shopfloor.plant.model import WEEKDAYS, Calendar, Plant

Window = tuple[int, int]


def seconds(origin: datetime, t: datetime) -> int:
    """Whole seconds from ``origin`` to ``t`` (rounded down)."""
    if t.tzinfo is None:
        raise BadInput(f"time {t.isoformat()} needs a time zone", code="schedule.bad_time")
    return int((t - origin).total_seconds() // 1)


def shift_windows(calendar: Calendar, origin: datetime, horizon_s: int) -> list[Window]:
    """Working time of ``calendar`` within ``[0, horizon_s)``, merged, in problem seconds."""
    try:
        tz = ZoneInfo(calendar.timezone)
    except ZoneInfoNotFoundError:
        raise BadInput(
            f"calendar {calendar.id!r}: unknown time zone {calendar.timezone!r}",
            code="schedule.bad_time",
        ) from None
    first = origin.astimezone(tz).date() - timedelta(days=1)
    last = (origin + timedelta(seconds=horizon_s)).astimezone(tz).date()
    spans: list[Window] = []
    day = first
    while day <= last:
        weekday = WEEKDAYS[day.weekday()]
        for shift in calendar.shifts:
            if weekday not in shift.days:
                continue
            start = _local(day, shift.start, tz)
            end = start + timedelta(seconds=shift.duration_s)
            a, b = max(0, seconds(origin, start)), min(horizon_s, seconds(origin, end))
            if a < b:
                spans.append((a, b))
        day += timedelta(days=1)
    return _merge(spans)


def off_shift_windows(calendar: Calendar, origin: datetime, horizon_s: int) -> list[Window]:
    """The complement of :func:`shift_windows` within ``[0, horizon_s)``."""
    out: list[Window] = []
    t = 0
    for a, b in shift_windows(calendar, origin, horizon_s):
        if a > t:
            out.append((t, a))
        t = max(t, b)
    if t < horizon_s:
        out.append((t, horizon_s))
    return out


def planned_downtime(
    plant: Plant, origin: datetime, machines: list[str]
) -> list[tuple[int, Window]]:
    """Planned downtime of the plant as ``(machine index, window)``; a line's applies to all its
    machines. Windows that ended before ``origin`` are dropped."""
    out: list[tuple[int, Window]] = []
    index = {path: i for i, path in enumerate(machines)}
    for d in plant.planned_downtime:
        a, b = max(0, seconds(origin, d.start)), seconds(origin, d.end)
        if b <= a:
            continue
        targets = _targets(plant, d.target)
        out.extend((index[p], (a, b)) for p in targets if p in index)
    return out


def _targets(plant: Plant, target: str) -> list[str]:
    if target in plant.path_of or target in plant.equipment_by_path:
        return [plant.resolve(target)]
    lines = {p: p for p, _ln in plant.lines()} | {ln.id: p for p, ln in plant.lines()}
    line = lines.get(target)
    return [p for p, lp in plant.line_of.items() if lp == line] if line else []


def _local(day: date, t: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, t, tzinfo=tz).astimezone(UTC)


def _merge(spans: list[Window]) -> list[Window]:
    out: list[Window] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out
