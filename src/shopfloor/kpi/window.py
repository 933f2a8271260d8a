"""A time window [start, end) in ns since the epoch; either end may be open (None).

Intervals (a state held from one event to the next) are clipped at the window's edges; point
events (a part completed, a failure) count when start <= ts < end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shopfloor.clock import from_ns, to_ns
from shopfloor.errors import BadInput


@dataclass(frozen=True, slots=True)
class Window:
    start_ns: int | None = None
    end_ns: int | None = None

    def __post_init__(self) -> None:
        for name in ("start_ns", "end_ns"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, int) or isinstance(v, bool)):
                raise BadInput(f"window {name} must be integer ns since the epoch, not {v!r}")
        if self.start_ns is not None and self.end_ns is not None and self.end_ns <= self.start_ns:
            raise BadInput(
                f"window end {from_ns(self.end_ns).isoformat()} must be after its start "
                f"{from_ns(self.start_ns).isoformat()}"
            )

    @classmethod
    def between(cls, start: datetime | None, end: datetime | None) -> Window:
        """A window from aware datetimes (None: open on that side)."""
        for name, dt in (("start", start), ("end", end)):
            if dt is not None and dt.tzinfo is None:
                raise BadInput(f"window {name} {dt.isoformat()} needs a time zone (UTC)")
        return cls(None if start is None else to_ns(start), None if end is None else to_ns(end))

    def contains(self, ts_ns: int) -> bool:
        return (self.start_ns is None or ts_ns >= self.start_ns) and (
            self.end_ns is None or ts_ns < self.end_ns
        )

    def clip(self, a: int, b: int) -> int:
        """Nanoseconds of [a, b) inside the window."""
        if self.start_ns is not None and a < self.start_ns:
            a = self.start_ns
        if self.end_ns is not None and b > self.end_ns:
            b = self.end_ns
        return b - a if b > a else 0

    def to_dict(self) -> dict[str, str | None]:
        return {
            "start": None if self.start_ns is None else from_ns(self.start_ns).isoformat(),
            "end": None if self.end_ns is None else from_ns(self.end_ns).isoformat(),
        }
