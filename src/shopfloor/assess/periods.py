"""The baseline and current periods: KPI reports of two windows, recorded or simulated.

Recorded windows (``--baseline FROM/TO --current FROM/TO``, ISO 8601 intervals) take the
machine events of the platform (a JSON Lines file of :class:`~shopfloor.events.MachineEvent`,
one wire-form event per line, as they travel on the UNS) and feed them to a
:class:`~shopfloor.kpi.KpiBook` for each window.

Without windows both periods are simulated on the plant's twin, events only, with the same
seed, length and order mix; only the process settings differ (settings ``simulate``):

* **baseline**: the legacy settings: each product's nominal process setting times its
  ``baseline_factors`` entry plus its ``baseline_offsets`` entry (e.g. feed rate x 0.85,
  spindle speed x 0.90, coolant +3 K), then ``baseline_overrides``;
* **current**: the nominal settings (what the platform's process optimisation holds), with
  ``current_overrides``; it starts ``gap_days`` after the baseline, so both see the same
  shifts of the calendar.

Either way the KPIs are the :mod:`shopfloor.kpi` book's over the events of the window:
nothing here computes a KPI.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from shopfloor.assess.options import Simulate
from shopfloor.clock import NS_PER_S, from_ns, parse_instant, to_ns
from shopfloor.errors import BadInput, DecodeError, NotFound, ValidationFailed
from shopfloor.events import MachineEvent
from shopfloor.kpi import EnergySettings, KpiBook, Report, Window
from shopfloor.plant.model import Plant
from shopfloor.sim import Recorder, build_model

STEP_S = 900.0
_DURATION = re.compile(
    r"^P(?:(?P<w>\d+(?:\.\d+)?)W)?(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


@dataclass
class PeriodResult:
    name: str
    start_ns: int
    end_ns: int
    report: Report
    synthetic: bool
    source: str
    settings: dict[str, dict[str, float]] = field(default_factory=dict)
    events: int = 0
    rejected: int = 0
    event_kinds: dict[str, int] = field(default_factory=dict)
    #: Events per equipment class, and the distinct serials seen (traceability proof).
    event_classes: dict[str, int] = field(default_factory=dict)
    serials: int = 0

    @property
    def hours(self) -> float:
        return (self.end_ns - self.start_ns) / NS_PER_S / 3600

    def window(self) -> dict[str, str | None]:
        return {
            "start": from_ns(self.start_ns).isoformat(),
            "end": from_ns(self.end_ns).isoformat(),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "window": self.window(),
            "hours": self.hours,
            "synthetic": self.synthetic,
            "source": self.source,
            "process_settings": self.settings,
            "events": self.events,
            "events_by_kind": self.event_kinds,
            "events_by_class": self.event_classes,
            "serials": self.serials,
            "rejected_events": self.rejected,
        }


class _Tally:
    """Counts what proofs need of a window's events: kinds, equipment classes, serials."""

    def __init__(self, plant: Plant) -> None:
        self.cls = {p: e.cls.value for p, e in plant.equipment_by_path.items()}
        self.kinds: Counter[str] = Counter()
        self.classes: Counter[str] = Counter()
        self.serials: set[str] = set()

    def add(self, ev: MachineEvent) -> None:
        self.kinds[str(ev.kind)] += 1
        self.classes[self.cls.get(ev.equipment, "line")] += 1
        if ev.serial is not None:
            self.serials.add(ev.serial)

    def fill(self, result: PeriodResult) -> PeriodResult:
        result.events = sum(self.kinds.values())
        result.event_kinds = dict(self.kinds)
        result.event_classes = dict(self.classes)
        result.serials = len(self.serials)
        return result


def parse_duration(text: str) -> timedelta:
    m = _DURATION.match(text)
    if m is None or text in {"P", "PT"} or text.endswith("T"):
        raise BadInput(f"{text!r} is not an ISO 8601 duration (e.g. PT8H, P7D)")
    parts = {k: float(v) for k, v in m.groupdict().items() if v is not None}
    return timedelta(
        weeks=parts.get("w", 0),
        days=parts.get("d", 0),
        hours=parts.get("h", 0),
        minutes=parts.get("m", 0),
        seconds=parts.get("s", 0),
    )


def parse_interval(text: str, what: str) -> tuple[datetime, datetime]:
    """An ISO 8601 interval: ``start/end``, ``start/duration`` or ``duration/end``."""
    a, sep, b = text.partition("/")
    if not sep:
        raise BadInput(f"{what}: {text!r} is not an ISO 8601 interval FROM/TO")
    try:
        if a.startswith("P"):
            end = parse_instant(b)
            start = end - parse_duration(a)
        else:
            start = parse_instant(a)
            end = start + parse_duration(b) if b.startswith("P") else parse_instant(b)
    except ValueError as exc:
        raise BadInput(f"{what}: {exc}") from None
    except BadInput as exc:
        raise BadInput(f"{what}: {exc.message}") from None
    if end <= start:
        raise BadInput(f"{what}: the interval ends ({end.isoformat()}) before it starts")
    return start, end


def read_events(path: str | Path) -> list[MachineEvent]:
    """Machine events from a JSON Lines file; every bad line is reported with its number."""
    p = Path(path)
    if not p.is_file():
        raise NotFound(f"events file {p} does not exist")
    events: list[MachineEvent] = []
    errors: list[tuple[str, str]] = []
    with p.open("rb") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                events.append(MachineEvent.from_bytes(line))
            except DecodeError as exc:
                errors.append((f"line {n}", exc.message))
    if errors:
        raise ValidationFailed(f"events file {p}", errors[:50])
    events.sort(key=lambda e: e.ts_ns)
    return events


def recorded(
    plant: Plant, name: str, start: datetime, end: datetime, events: Iterable[MachineEvent]
) -> PeriodResult:
    """The KPI book of the window [start, end) over recorded events."""
    window = Window.between(start, end)
    book = KpiBook(plant, window, EnergySettings())
    tally = _Tally(plant)
    for ev in events:
        if ev.ts_ns >= to_ns(end):
            break
        book.feed(ev)
        if window.contains(ev.ts_ns):
            tally.add(ev)
    result = PeriodResult(
        name,
        to_ns(start),
        to_ns(end),
        book.report(until_ns=to_ns(end)),
        synthetic=False,
        source="recorded machine events",
        rejected=book.rejected_count,
    )
    return tally.fill(result)


def legacy_settings(plant: Plant, sim: Simulate) -> dict[str, dict[str, float]]:
    """Product id -> the baseline's process settings (only products whose settings change)."""
    out: dict[str, dict[str, float]] = {}
    for product in plant.products:
        changed = {
            k: v * sim.baseline_factors.get(k, 1.0) + sim.baseline_offsets.get(k, 0.0)
            for k, v in product.process.items()
            if k in sim.baseline_factors or k in sim.baseline_offsets
        }
        changed.update(sim.baseline_overrides.get(product.id, {}))
        if changed:
            out[product.id] = changed
    return out


def nominal_settings(
    plant: Plant, overrides: Mapping[str, Mapping[str, float]]
) -> dict[str, dict[str, float]]:
    return {p.id: {**p.process, **overrides.get(p.id, {})} for p in plant.products if p.process}


def simulate(
    plant: Plant,
    name: str,
    start: datetime,
    hours: float,
    seed: int,
    overrides: Mapping[str, Mapping[str, float]],
) -> PeriodResult:
    """Run the twin (events only) and feed its events to the KPI book of the run's window."""
    rec = Recorder(values=False)
    model = build_model(
        plant, seed, start=start, outlet=rec, process_overrides=overrides, emit_values=False
    )
    end = start + timedelta(hours=hours)
    book = KpiBook(plant, Window.between(start, end), EnergySettings())
    tally = _Tally(plant)

    def drain() -> None:
        for ev in rec.events:
            book.feed(ev)
            tally.add(ev)
        rec.events.clear()

    horizon, t = hours * 3600.0, 0.0
    while t < horizon:
        t = min(t + STEP_S, horizon)
        model.run_until(t)
        drain()
    truth = model.finish()
    drain()
    settings = {
        p.id: {**p.process, **dict(overrides.get(p.id, {}))} for p in plant.products if p.process
    }
    result = PeriodResult(
        name,
        truth.start_ns,
        truth.end_ns,
        book.report(until_ns=truth.end_ns),
        synthetic=True,
        source=f"digital twin, seed {seed}, {hours:g} h virtual time, events only",
        settings=settings,
        rejected=book.rejected_count,
    )
    return tally.fill(result)
