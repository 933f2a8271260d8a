"""Time arguments of the historian: instants, durations, rollup levels and aggregations.

Instants are integers (ns since the Unix epoch, UTC) inside the historian; callers may pass an
``int``, a timezone-aware ``datetime`` or an ISO 8601 string. Durations are written ``<n><unit>``
with the units ``ms``, ``s``, ``m`` (minute), ``h`` and ``d``. Buckets are aligned to the epoch:
a sample at ``ts`` falls in the bucket starting at ``ts - ts % bucket``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from shopfloor.clock import NS_PER_S, parse_instant, to_ns
from shopfloor.errors import BadInput

NS_PER_MS = 1_000_000
NS_PER_MIN = 60 * NS_PER_S
NS_PER_H = 60 * NS_PER_MIN
NS_PER_DAY = 24 * NS_PER_H

_UNITS = {"ms": NS_PER_MS, "s": NS_PER_S, "m": NS_PER_MIN, "h": NS_PER_H, "d": NS_PER_DAY}
_DURATION_RE = re.compile(r"^\s*(\d+)\s*(ms|s|m|h|d)\s*$")

#: Aggregations a bucket query can ask for. ``first``/``last`` are the values of the earliest and
#: latest good sample in the bucket.
AGGREGATIONS = ("avg", "min", "max", "count", "sum", "first", "last")
#: Interpolations a grid query can ask for (value at each bucket start).
INTERPOLATIONS = ("step", "linear")


@dataclass(frozen=True, slots=True)
class Level:
    """A rollup level: a name used in table names and its bucket width."""

    name: str
    width_ns: int

    @property
    def table(self) -> str:
        return f"hist_rollup_{self.name}"


#: Rollup levels maintained on ingest, finest first. Each is a multiple of the one before.
LEVELS = (Level("1s", NS_PER_S), Level("1m", NS_PER_MIN), Level("1h", NS_PER_H))


def parse_duration(text: str | int | timedelta, what: str = "bucket") -> int:
    """``"1m"`` -> 60_000_000_000; an ``int`` is taken as ns; a ``timedelta`` is converted."""
    if isinstance(text, timedelta):
        ns = round(text.total_seconds() * NS_PER_S)
    elif isinstance(text, int):
        ns = text
    else:
        m = _DURATION_RE.match(text)
        if m is None:
            raise BadInput(
                f"invalid {what} {text!r}: write a whole number and a unit, e.g. 500ms, 1s, "
                "10s, 1m, 15m, 1h or 1d (m is minutes)",
                field=what,
            )
        ns = int(m.group(1)) * _UNITS[m.group(2)]
    if ns <= 0:
        raise BadInput(f"invalid {what} {text!r}: it must be longer than zero", field=what)
    return ns


def format_duration(ns: int) -> str:
    """The shortest ``<n><unit>`` spelling of ``ns`` (inverse of :func:`parse_duration`)."""
    for unit in ("d", "h", "m", "s", "ms"):
        if ns % _UNITS[unit] == 0:
            return f"{ns // _UNITS[unit]}{unit}"
    return f"{ns}ns"


def to_instant(value: int | datetime | str, what: str = "instant") -> int:
    """Coerce an instant to ns since the epoch (UTC); naive datetimes are refused."""
    if isinstance(value, bool):
        raise BadInput(f"{what}: expected an instant, got a boolean", field=what)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            value = parse_instant(value)
        except ValueError as exc:
            raise BadInput(f"{what}: {exc}", field=what) from None
    if isinstance(value, datetime):
        try:
            return to_ns(value)
        except ValueError as exc:
            raise BadInput(f"{what}: {exc}", field=what) from None
    raise BadInput(f"{what}: expected an instant, got {type(value).__name__}", field=what)


def check_range(start: int, end: int) -> None:
    if end <= start:
        raise BadInput(
            f"end ({end}) must be after start ({start}): the range is [start, end)",
            field="end",
        )


def check_aggregations(aggs: str | Sequence[str]) -> tuple[str, ...]:
    """Normalise ``"avg,max"``, ``"avg"`` or a sequence into a checked tuple."""
    items = aggs.split(",") if isinstance(aggs, str) else list(aggs)
    out = tuple(a.strip().lower() for a in items if a.strip())
    if not out:
        raise BadInput("no aggregation given; use one of " + ", ".join(AGGREGATIONS), field="agg")
    for a in out:
        if a not in AGGREGATIONS:
            raise BadInput(
                f"unknown aggregation {a!r}; use one of {', '.join(AGGREGATIONS)} "
                f"(or {' / '.join(INTERPOLATIONS)} for interpolation)",
                field="agg",
            )
    if len(set(out)) != len(out):
        raise BadInput(f"aggregation listed twice in {aggs!r}", field="agg")
    return out


def serving_level(bucket_ns: int, start: int, end: int) -> Level | None:
    """The coarsest rollup level that answers a bucket query exactly, or None for raw.

    A level serves when the bucket width and both ends of the range are multiples of it: then
    every level bucket lies inside one query bucket and inside the range.
    """
    for level in reversed(LEVELS):
        w = level.width_ns
        if bucket_ns % w == 0 and start % w == 0 and end % w == 0:
            return level
    return None


def floor_to(ns: int, width: int) -> int:
    return ns - ns % width
