"""When an equipment may run: shift windows, minus breaks (manual stations), minus planned downtime.

Times are virtual seconds since the run's start instant. Windows are generated lazily, a few
weeks at a time, so a paced virtual plant can run for as long as it is left running.
"""

from __future__ import annotations

import bisect
import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from shopfloor.plant.model import WEEKDAYS, Calendar, Plant

DAY_S = 86400.0
#: Boundaries closer than this are the same instant (float noise of summed durations).
EPS_S = 1e-6

Interval = tuple[float, float]


def _subtract(spans: list[Interval], cuts: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for s, e in spans:
        pieces = [(s, e)]
        for cs, ce in cuts:
            nxt: list[Interval] = []
            for ps, pe in pieces:
                if ce <= ps or cs >= pe:
                    nxt.append((ps, pe))
                    continue
                if cs > ps:
                    nxt.append((ps, cs))
                if ce < pe:
                    nxt.append((ce, pe))
            pieces = nxt
        out.extend(p for p in pieces if p[1] - p[0] > EPS_S)
    return out


def _merge(spans: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1] + EPS_S:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


class Availability:
    """Answers "may this equipment run at ``t``, and until when?" for one equipment."""

    def __init__(
        self,
        calendar: Calendar | None,
        start: datetime,
        downtime: list[tuple[datetime, datetime, str]],
        breaks: bool,
    ) -> None:
        self.calendar = calendar
        self.start = start
        self.breaks = breaks
        self.downtime = sorted(
            ((a - start).total_seconds(), (b - start).total_seconds(), r) for a, b, r in downtime
        )
        self._hi = 0.0
        self._open: list[Interval] = []
        self._starts: list[float] = []
        self._break_spans: list[Interval] = []
        self._closures: list[Interval] = []

    def _generate(self, hi: float) -> None:
        assert self.calendar is not None
        tz = ZoneInfo(self.calendar.timezone)
        first = (self.start.astimezone(tz) - timedelta(days=1)).date()
        shifts: list[Interval] = []
        breaks: list[Interval] = []
        for n in range(int(hi // DAY_S) + 3):
            day = first + timedelta(days=n)
            for sh in self.calendar.shifts:
                if WEEKDAYS[day.weekday()] not in sh.days:
                    continue
                local = datetime.combine(day, sh.start, tzinfo=tz)
                s = (local - self.start).total_seconds()
                e = s + sh.duration_s
                shifts.append((s, e))
                if self.breaks and sh.breaks_min > 0:
                    mid = (s + e) / 2
                    breaks.append((mid - sh.breaks_min * 30, mid + sh.breaks_min * 30))
        cuts = breaks + [(a, b) for a, b, _r in self.downtime]
        self._open = _subtract(_merge(shifts), sorted(cuts))
        self._starts = [s for s, _e in self._open]
        self._break_spans = breaks
        self._closures = sorted(cuts)
        self._hi = hi

    def _ensure(self, t: float) -> None:
        if t + 2 * DAY_S >= self._hi:
            self._generate(max(2 * self._hi, t + 21 * DAY_S))

    def status(self, t: float) -> tuple[bool, float, str]:
        """``(True, until, "")`` while available, else ``(False, until, reason)``."""
        if self.calendar is None:
            for a, b, reason in self.downtime:
                if a - EPS_S <= t < b - EPS_S:
                    return False, b, reason
            nxt = [a for a, _b, _r in self.downtime if a > t + EPS_S]
            return True, (min(nxt) if nxt else math.inf), ""
        self._ensure(t)
        i = bisect.bisect_right(self._starts, t + EPS_S) - 1
        if i >= 0 and t < self._open[i][1] - EPS_S:
            return True, min(self._open[i][1], self._hi - DAY_S), ""
        until = self._open[i + 1][0] if i + 1 < len(self._open) else self._hi - DAY_S
        for a, b in self._closures:  # the reason changes when a closure starts or ends
            if a > until:
                break
            if a - EPS_S <= t < b - EPS_S:
                until = min(until, b)
            elif a > t + EPS_S:
                until = min(until, a)
        return False, until, self._reason(t)

    def _reason(self, t: float) -> str:
        for a, b, reason in self.downtime:
            if a - EPS_S <= t < b - EPS_S:
                return reason
        for a, b in self._break_spans:
            if a - EPS_S <= t < b - EPS_S:
                return "break"
        return "off_shift"

    def available_seconds(self, t0: float, t1: float) -> float:
        """Seconds of availability in ``[t0, t1)`` (used to check the ground truth)."""
        if self.calendar is None:
            cut = _subtract([(t0, t1)], [(a, b) for a, b, _r in self.downtime])
            return sum(e - s for s, e in cut)
        self._ensure(t1)
        return sum(max(0.0, min(e, t1) - max(s, t0)) for s, e in self._open)


def downtime_for(plant: Plant, path: str) -> list[tuple[datetime, datetime, str]]:
    """Planned downtime windows that apply to the equipment at ``path`` (itself or its line)."""
    eq_id = path.rsplit("/", 1)[1]
    line_path = plant.line_of[path]
    line_id = line_path.rsplit("/", 1)[1]
    targets = {eq_id, path, line_id, line_path}
    return [(d.start, d.end, d.reason) for d in plant.planned_downtime if d.target in targets]
