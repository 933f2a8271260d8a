"""Turning decoded Sparkplug metrics into sample rows, events and command results (host side).

A device's DBIRTH becomes a table of :class:`Slot` (one per metric: what it is and which tag it
feeds), kept by alias and by name. :func:`read_metrics` walks the metrics of a birth or a DATA
message through those slots, as :mod:`~.points` lays them out:

- numeric, Boolean and String scalars -> one row each (Booleans as 1.0 / 0.0 with text
  ``true`` / ``false``, strings as text);
- ``is_null`` -> a row without value whose quality is the ``quality`` property, else BAD (in a
  birth, a null without ``quality`` means "no value yet" and gives no row);
- numeric arrays with ``rate_hz`` (Double) and ``start_ns`` (UInt64) -> one row per element at
  ``start_ns + round(i * 1e9 / rate_hz)``, built with numpy, no per-element Python; without
  ``start_ns`` the metric timestamp is the start, without ``rate_hz`` the birth's;
- ``event`` -> :class:`~shopfloor.events.MachineEvent`; ``Command/Result`` -> (command, ok,
  message); other ``Command/...`` metrics are ours to write and are skipped.

What cannot be used is not delivered and is reported as a :class:`Problem` (the host parks the
payload with it): non-finite values (NaN or infinity: a legal protobuf Float/Double, but not a
measurement; bad quality travels as ``is_null``), times beyond the tolerances, a bad ``quality``
property, an event that does not decode or names another equipment, unsupported datatypes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from shopfloor.connect.sink import Rows
from shopfloor.connect.sparkplug.arrays import NUMERIC_DTYPES
from shopfloor.connect.sparkplug.codec import DataType, Metric
from shopfloor.connect.sparkplug.datatypes import SIGNED_BITS, STRING_TYPES, UNSIGNED_BITS
from shopfloor.connect.sparkplug.host_names import DeviceNames
from shopfloor.connect.sparkplug.points import EVENT, RESULT
from shopfloor.errors import DecodeError
from shopfloor.events import MachineEvent
from shopfloor.samples import Quality

_NUMBERS = frozenset({*SIGNED_BITS, *UNSIGNED_BITS, DataType.Float, DataType.Double})
_ARRAYS = frozenset(t for t in NUMERIC_DTYPES if t is not DataType.DateTimeArray)
_BAD = int(Quality.BAD)
_QUALITIES = frozenset(int(q) for q in Quality)


class Kind(Enum):
    NUMBER = "number"
    BOOLEAN = "boolean"
    TEXT = "text"
    ARRAY = "array"
    EVENT = "event"
    RESULT = "result"
    SKIP = "skip"
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True, slots=True)
class Slot:
    kind: Kind
    name: str
    datatype: DataType | None
    tag: int = -1  # index in the host's tag dictionary (-1: not a tag)
    rate_hz: float | None = None


@dataclass(frozen=True, slots=True)
class Problem:
    reason: str  # the counted category
    detail: str


def slots_from_birth(
    metrics: Iterable[Metric], names: DeviceNames, tag_index: Callable[[str], int]
) -> dict[str, Slot]:
    """Metric name -> slot for every metric of a DBIRTH."""
    slots = {}
    for m in metrics:
        name, dt = m.name or "", m.datatype
        kind = _kind(name, dt)
        tag = tag_index(names.tag_id(name)) if kind in _TAG_KINDS else -1
        slots[name] = Slot(kind, name, dt, tag, _double(m, "rate_hz"))
    return slots


def _kind(name: str, dt: DataType | None) -> Kind:
    if name == EVENT:
        return Kind.EVENT
    if name == RESULT:
        return Kind.RESULT
    if name.startswith("Command/"):
        return Kind.SKIP
    if dt in _NUMBERS:
        return Kind.NUMBER
    if dt is DataType.Boolean:
        return Kind.BOOLEAN
    if dt in STRING_TYPES:
        return Kind.TEXT
    if dt in _ARRAYS:
        return Kind.ARRAY
    return Kind.UNSUPPORTED


_TAG_KINDS = frozenset({Kind.NUMBER, Kind.BOOLEAN, Kind.TEXT, Kind.ARRAY})


def _double(m: Metric, key: str) -> float | None:
    pv = m.properties.get(key) if m.properties is not None else None
    if pv is None or pv.is_null or isinstance(pv.value, bool):
        return None
    return float(pv.value) if isinstance(pv.value, int | float) else None


def _int(m: Metric, key: str) -> int | None:
    pv = m.properties.get(key) if m.properties is not None else None
    if pv is None or pv.is_null or isinstance(pv.value, bool) or not isinstance(pv.value, int):
        return None
    return pv.value


@dataclass
class Outcome:
    """What one message yielded besides rows."""

    events: list[MachineEvent] = field(default_factory=list)
    results: list[tuple[str, bool, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    samples: int = 0


def read_metrics(
    metrics: Iterable[Metric],
    slots: Callable[[Metric], Slot | None],
    names: DeviceNames,
    payload_ms: int | None,
    window: tuple[int, int],
    rows: Rows,
    *,
    birth: bool = False,
) -> Outcome:
    """Rows, events and results of ``metrics``; ``window`` is the accepted (min, max) ns."""
    out = Outcome()
    lo, hi = window
    before = rows.count
    for m in metrics:
        slot = slots(m)
        if slot is None or slot.kind is Kind.SKIP:
            continue
        ms = m.timestamp if m.timestamp is not None else payload_ms
        ts = (ms if ms is not None else 0) * 1_000_000
        what = f"metric {slot.name!r}"
        if slot.kind is Kind.ARRAY:
            ts = _int(m, "start_ns") or ts
        if not (m.is_null and birth) and not lo <= ts <= hi:
            why = "future timestamp" if ts > hi else "past timestamp"
            out.problems.append(Problem(why, f"{what}: time {ts} ns is outside [{lo}, {hi}]"))
            continue
        quality = _BAD
        q = _int(m, "quality")
        if q is not None:
            if q not in _QUALITIES:
                out.problems.append(Problem("bad quality", f"{what}: quality {q} is not 0..2"))
                continue
            quality = q
        if slot.kind is Kind.EVENT:
            _event(m, names, out, what)
        elif slot.kind is Kind.RESULT:
            _result(m, out, what)
        elif slot.kind is Kind.UNSUPPORTED:
            out.problems.append(Problem("unsupported datatype", f"{what}: {slot.datatype}"))
        elif m.is_null:
            if not birth or q is not None:
                rows.scalar(slot.tag, ts, math.nan, quality)
        elif slot.kind is Kind.ARRAY:
            _array(m, slot, ts, q, rows, out, what, hi)
        else:
            _scalar(m, slot, ts, q, rows, out, what)
    out.samples = rows.count - before
    return out


def _scalar(
    m: Metric, slot: Slot, ts: int, q: int | None, rows: Rows, out: Outcome, what: str
) -> None:
    quality = int(Quality.GOOD) if q is None else q
    v = m.value
    if slot.kind is Kind.NUMBER and isinstance(v, int | float) and not isinstance(v, bool):
        f = float(v)
        if math.isfinite(f):
            rows.scalar(slot.tag, ts, f, quality)
        else:
            out.problems.append(Problem("non-finite value", f"{what}: value {f}"))
    elif slot.kind is Kind.BOOLEAN and isinstance(v, bool):
        rows.scalar(slot.tag, ts, 1.0 if v else 0.0, quality, "true" if v else "false")
    elif slot.kind is Kind.TEXT and isinstance(v, str):
        rows.scalar(slot.tag, ts, math.nan, quality, v)
    else:
        out.problems.append(
            Problem(
                "wrong type", f"{what}: {slot.kind.value} metric holds {type(v).__name__} {v!r:.40}"
            )
        )


def _array(
    m: Metric, slot: Slot, start: int, q: int | None, rows: Rows, out: Outcome, what: str, hi: int
) -> None:
    rate = _double(m, "rate_hz") or slot.rate_hz
    if rate is None or not (math.isfinite(rate) and rate > 0):
        out.problems.append(Problem("bad array", f"{what}: rate_hz {rate} is missing or not > 0"))
        return
    values = np.asarray(m.value, dtype=np.float64)
    ts = start + np.round(np.arange(len(values)) * (1e9 / rate)).astype(np.int64)
    if len(ts) and ts[-1] > hi:
        out.problems.append(Problem("future timestamp", f"{what}: block ends at {ts[-1]} ns"))
        return
    finite = np.isfinite(values)
    if not finite.all():
        bad = int((~finite).sum())
        out.problems.append(
            Problem(
                "non-finite value", f"{what}: {bad} of {len(values)} samples are NaN or infinite"
            )
        )
        ts, values = ts[finite], values[finite]
    rows.block(slot.tag, ts, values, int(Quality.GOOD) if q is None else q)


def _event(m: Metric, names: DeviceNames, out: Outcome, what: str) -> None:
    if m.is_null:
        return
    try:
        if not isinstance(m.value, str):
            raise DecodeError(f"event metric holds {type(m.value).__name__}, not String")
        event = MachineEvent.from_bytes(m.value.encode())
    except DecodeError as exc:
        out.problems.append(Problem("bad event", f"{what}: {exc.message}"))
        return
    if names.in_plant and event.equipment != names.equipment:
        out.problems.append(
            Problem(
                "bad event", f"{what}: event of {event.equipment} sent by device {names.equipment}"
            )
        )
        return
    out.events.append(event)


def _result(m: Metric, out: Outcome, what: str) -> None:
    if m.is_null:
        return
    try:
        doc = json.loads(m.value) if isinstance(m.value, str) else None
    except json.JSONDecodeError:
        doc = None
    if not isinstance(doc, dict):
        doc = {}
    command, ok, message = doc.get("command"), doc.get("ok"), doc.get("message", "")
    if isinstance(command, str) and isinstance(ok, bool) and isinstance(message, str):
        out.results.append((command, ok, message))
    else:
        out.problems.append(Problem("bad command result", f"{what}: {m.value!r:.80}"))
