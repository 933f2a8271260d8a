"""Simulation, MES and KPIs in one process, in virtual time, talking over the in-memory bus.

The simulator runs in steps of virtual time; after each step its events are serialized
(:meth:`MachineEvent.to_bytes <shopfloor.events.MachineEvent.to_bytes>`) and published on the
in-memory UNS (:class:`~shopfloor.bus.memory.MemoryHub`, topics from
:mod:`shopfloor.bus.topics`), and the step ends when every subscriber has handled them. MES and
the KPI book subscribe to the event topics and consume only what crossed the bus; nothing of
the simulator's internals reaches them. Equipment with tag-to-event rules is a plain device
(:mod:`shopfloor.sim.plain`): it reports tag values only, and its events are those the rules
make of them, as ingest would (:class:`~shopfloor.connect.rules.PlantRules`). Events the UNS
has no topic for (``order_status`` names its line, not an equipment) are counted per kind in
:attr:`BusStats.unroutable`.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shopfloor.bus.memory import MemoryHub, MemoryTransport
from shopfloor.bus.topics import EVENT_QOS, TopicKind, event_topic, subscription_filter
from shopfloor.connect.rules import PlantRules
from shopfloor.errors import BadInput, DecodeError
from shopfloor.events import MachineEvent
from shopfloor.kpi import EnergySettings, KpiBook, PeriodBooks, Report
from shopfloor.kpi.grouping import Period
from shopfloor.mes import MesService, open_mes
from shopfloor.plant.model import Plant
from shopfloor.sim import OrderSource, Recorder, Truth, build_model
from shopfloor.sim.plain import PlainDevices, PlainOutlet

log = logging.getLogger(__name__)

#: Virtual seconds simulated between two deliveries over the bus.
STEP_S = 900.0


@dataclass
class BusStats:
    published: int = 0
    unroutable: Counter[str] = field(default_factory=Counter)
    received: Counter[str] = field(default_factory=Counter)  # by subscriber
    undecodable: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {
            "published": self.published,
            "unroutable": dict(self.unroutable),
            "received": dict(self.received),
            "undecodable": dict(self.undecodable),
        }


class _Subscriber(ABC):
    """Decodes the events it receives from the bus; what it does with them is its own."""

    def __init__(self, name: str, stats: BusStats) -> None:
        self.name = name
        self.stats = stats

    def handle(self, topic: str, data: bytes) -> None:
        self.stats.received[self.name] += 1
        try:
            ev = MachineEvent.from_bytes(data)
        except DecodeError as exc:
            self.stats.undecodable[self.name] += 1
            log.warning("%s: %s: %s", self.name, topic, exc.message)
            return
        self.use(ev)

    @abstractmethod
    def use(self, ev: MachineEvent) -> None:
        """Do the subscriber's work with one decoded event."""


class KpiSubscriber(_Subscriber):
    """Feeds the run's book and the books of its periods (shifts)."""

    def __init__(self, book: KpiBook, periods: PeriodBooks, stats: BusStats) -> None:
        super().__init__("kpi", stats)
        self.book = book
        self.periods = periods

    def use(self, ev: MachineEvent) -> None:
        self.book.feed(ev)
        self.periods.feed(ev)


class MesSubscriber(_Subscriber):
    """Collects events and applies them to MES in one transaction per step."""

    def __init__(self, mes: MesService, stats: BusStats) -> None:
        super().__init__("mes", stats)
        self.mes = mes
        self.pending: list[MachineEvent] = []
        self.totals: Counter[str] = Counter()
        self.errors: list[str] = []

    def use(self, ev: MachineEvent) -> None:
        self.pending.append(ev)

    def flush(self) -> None:
        if not self.pending:
            return
        result = self.mes.apply_many(self.pending)
        self.pending = []
        self.totals.update(applied=result.applied, duplicates=result.duplicates)
        self.totals["parked"] += result.parked
        self.errors.extend(result.errors[: max(0, 20 - len(self.errors))])

    def to_dict(self) -> dict[str, Any]:
        counts = {k: self.totals[k] for k in ("applied", "duplicates", "parked")}
        return {**counts, "errors": self.errors}


@dataclass
class RunOutcome:
    truth: Truth
    report: Report
    #: Reports per period (shift), by :func:`~shopfloor.kpi.period_key`.
    periods: dict[str, Report]
    bus: BusStats
    mes: dict[str, Any] | None


async def run_pipeline(
    plant: Plant,
    hours: float,
    seed: int,
    *,
    start: datetime | None = None,
    orders: OrderSource = "own",
    mes_url: str | None = "sqlite://",
    energy: EnergySettings | None = None,
    periods: Sequence[Period] = (),
    step_s: float = STEP_S,
) -> RunOutcome:
    """Run ``plant`` for ``hours`` of virtual time with MES (unless ``mes_url`` is None) and
    KPIs, for the whole run and for each of ``periods``."""
    if not hours > 0:
        raise BadInput(f"--hours must be > 0, not {hours!r}")
    stats = BusStats()
    hub = MemoryHub()
    book = KpiBook(plant, energy=energy)
    period_books = PeriodBooks(plant, periods, energy)
    kpi = KpiSubscriber(book, period_books, stats)
    rec = Recorder(values=True)  # only the plain devices' tag reports: no periodic values
    plain = PlainOutlet(rec)
    model = build_model(plant, seed, start=start, outlet=plain, orders=orders, emit_values=False)
    plain.bind(PlainDevices(model.world, model.assets, plant))
    rules = PlantRules(plant)
    publisher = MemoryTransport(hub, "sim")
    subscribers: list[tuple[MemoryTransport, _Subscriber]] = [(MemoryTransport(hub, "kpi"), kpi)]
    mes_sub: MesSubscriber | None = None
    if mes_url is not None:
        mes_sub = MesSubscriber(open_mes(mes_url, plant=plant, clock=model), stats)
        subscribers.append((MemoryTransport(hub, "mes"), mes_sub))
    try:
        for transport, sub in subscribers:
            await transport.subscribe(subscription_filter(TopicKind.EVENT), sub.handle, EVENT_QOS)
            await transport.connect()
        await publisher.connect()

        async def deliver() -> None:
            events = rec.events
            if rec.values:  # what ingest's rules make of the plain devices' tags
                rows = ((v.tag, v.ts_ns, v.value) for v in rec.values if v.value is not None)
                events = sorted([*events, *rules.events(rows)], key=lambda e: e.ts_ns)
                rec.values.clear()
            for ev in events:
                try:
                    topic = event_topic(ev.equipment, ev.kind)
                except BadInput:
                    stats.unroutable[str(ev.kind)] += 1
                    continue
                await publisher.publish(topic, ev.to_bytes(), EVENT_QOS)
                stats.published += 1
            rec.events.clear()
            await hub.settle()
            if mes_sub is not None:
                mes_sub.flush()

        horizon = hours * 3600.0
        t = 0.0
        while t < horizon:
            t = min(t + step_s, horizon)
            model.run_until(t)
            await deliver()
        truth = model.finish()
        await deliver()
    finally:
        await publisher.close()
        for transport, _sub in subscribers:
            await transport.close()
        if mes_sub is not None:
            mes_sub.mes.close()
    return RunOutcome(
        truth=truth,
        report=book.report(until_ns=truth.end_ns),
        periods=period_books.reports(until_ns=truth.end_ns),
        bus=stats,
        mes=None if mes_sub is None else mes_sub.to_dict(),
    )
