"""Time: every component takes an injected :class:`Clock` (ns since the Unix epoch, UTC).

Virtual time starts at a configured instant (default 2025-01-06T06:00:00Z), never at "now", so
seeded runs reproduce exactly. Wall time is only used when pacing the virtual plant or talking to
real devices.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from shopfloor.errors import ConfigError

NS_PER_S = 1_000_000_000
DEFAULT_EPOCH = datetime(2025, 1, 6, 6, 0, 0, tzinfo=UTC)


def to_ns(dt: datetime) -> int:
    if dt.tzinfo is None:
        raise ValueError(f"naive datetime {dt.isoformat()} : timestamps must be timezone-aware")
    return int(dt.timestamp()) * NS_PER_S + dt.microsecond * 1000


def from_ns(ns: int) -> datetime:
    return datetime.fromtimestamp(ns // NS_PER_S, tz=UTC).replace(
        microsecond=(ns % NS_PER_S) // 1000
    )


def parse_instant(text: str) -> datetime:
    """Parse ISO 8601; a trailing ``Z`` is UTC; a naive value is refused."""
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone; write it as UTC, e.g. 2025-01-06T06:00:00Z")
    return dt.astimezone(UTC)


@runtime_checkable
class Clock(Protocol):
    def now_ns(self) -> int: ...


class WallClock:
    """The real UTC clock."""

    def now_ns(self) -> int:
        return time.time_ns()


class VirtualClock:
    """A clock that moves only when told (the simulation drives it)."""

    def __init__(self, start: datetime | int = DEFAULT_EPOCH) -> None:
        self._ns = start if isinstance(start, int) else to_ns(start)
        self.start_ns = self._ns

    def now_ns(self) -> int:
        return self._ns

    def set_ns(self, ns: int) -> None:
        if ns < self._ns:
            raise ValueError("virtual time cannot go backwards")
        self._ns = ns

    def advance_s(self, seconds: float) -> None:
        self.set_ns(self._ns + round(seconds * NS_PER_S))


class LinearClock:
    """A clock another process keeps, carried over here: it read ``anchor_ns`` when the wall
    clock read ``wall_ns``, and runs ``rate`` times as fast as the wall clock (a paced virtual
    plant at speed ``rate``). Picklable, for child processes."""

    def __init__(self, anchor_ns: int, wall_ns: int, rate: float = 1.0) -> None:
        self.anchor_ns, self.wall_ns, self.rate = anchor_ns, wall_ns, rate

    @classmethod
    def following(cls, clock: Clock, rate: float = 1.0) -> LinearClock:
        return cls(clock.now_ns(), time.time_ns(), rate)

    def now_ns(self) -> int:
        return self.anchor_ns + round((time.time_ns() - self.wall_ns) * self.rate)

    def to_dict(self) -> dict[str, float | int | str]:
        return {
            "anchor": from_ns(self.anchor_ns).isoformat().replace("+00:00", "Z"),
            "anchor_ns": self.anchor_ns,
            "wall_ns": self.wall_ns,
            "rate": self.rate,
        }

    def write(self, path: Path, **extra: int | str) -> None:
        """Write the clock to ``path`` (JSON, with ``extra`` fields), for other processes
        (:func:`read_clock_file`)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        doc = self.to_dict() | extra
        tmp.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        tmp.replace(path)


def read_clock_file(path: Path) -> LinearClock:
    """The plant clock another process wrote to ``path`` (``shopfloor sim serve`` writes
    ``data_dir/plant-clock.json``); errors name the file and what is wrong."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"plant_clock: {path} does not exist; start the plant that writes it first "
            "(shopfloor sim serve writes <its data_dir>/plant-clock.json)",
            field="plant_clock",
        ) from None
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"plant_clock: {path} is not a clock file ({exc})", field="plant_clock"
        ) from None
    try:
        anchor, wall, rate = int(doc["anchor_ns"]), int(doc["wall_ns"]), float(doc["rate"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(
            f"plant_clock: {path} needs anchor_ns, wall_ns and rate ({exc!r} is wrong)",
            field="plant_clock",
        ) from None
    if not rate > 0:
        raise ConfigError(f"plant_clock: {path}: rate must be > 0, not {rate}", field="plant_clock")
    return LinearClock(anchor, wall, rate)


class OffsetClock:
    """Virtual seconds since ``start`` mapped onto ns since the epoch (sim env -> clock)."""

    def __init__(self, start_ns: int, seconds: SecondsSource) -> None:
        self.start_ns = start_ns
        self._seconds = seconds

    def now_ns(self) -> int:
        return self.start_ns + round(self._seconds.now * NS_PER_S)


class SecondsSource(Protocol):
    @property
    def now(self) -> float: ...
