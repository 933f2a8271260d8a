"""All KPI scopes of one plant over one window, fed event by event: the :class:`KpiBook`.

Feed it every :class:`~shopfloor.events.MachineEvent` as it comes (live) or a whole list
(batch: the same calls, the same result). It keeps one
:class:`~shopfloor.kpi.accumulator.Accumulator` per equipment, the output of every line and
order, first-pass yield per equipment, line and order, and each line meter's readings;
:meth:`KpiBook.report` turns them into :class:`~shopfloor.kpi.report.Report` baskets per
equipment, line, order and product (definitions in :mod:`shopfloor.kpi.layout`).

A line meter that reports as a tag rather than in events is fed with :meth:`KpiBook.feed_sample`
(samples of the meter's cumulative ``kW.h`` tag; feed a meter one way, not both).

An event the book cannot use (unknown equipment, a bad payload, out of time order) is counted
and kept in :attr:`KpiBook.rejected` with the reason; the events around it still count.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from shopfloor.errors import BadInput
from shopfloor.events import EventKind, MachineEvent
from shopfloor.kpi import payload
from shopfloor.kpi.accumulator import Accumulator
from shopfloor.kpi.energy import EnergySettings
from shopfloor.kpi.inspection import FirstPass
from shopfloor.kpi.layout import Layout
from shopfloor.kpi.meter import Meter
from shopfloor.kpi.report import OrderInfo, Output, Report, build_report
from shopfloor.kpi.window import Window
from shopfloor.plant.model import Plant
from shopfloor.samples import Quality, Sample

KEEP_REJECTED = 100
_PART_EVENTS = (EventKind.PART_START, EventKind.PART_COMPLETE, EventKind.PART_SCRAP)


@dataclass
class _Order:
    product: str | None
    line: str | None
    first_ns: int
    last_out_ns: int | None = None


class KpiBook:
    def __init__(
        self, plant: Plant, window: Window | None = None, energy: EnergySettings | None = None
    ) -> None:
        self.layout = Layout.from_plant(plant)
        self.window = window or Window()
        self.energy = energy or EnergySettings()
        self.equipment = {p: Accumulator(p, self.window) for p in plant.equipment_by_path}
        self.line_meters = {p: Meter(self.window) for p in self.layout.lines}
        self.line_output = {p: Output() for p in self.layout.lines}
        self.order_output: dict[str, Output] = {}
        self.orders: dict[str, _Order] = {}
        self.fpy: dict[str, FirstPass] = {}  # by equipment path, line path or order id
        self.last_ns: int | None = None
        self.accepted = 0
        self.rejected_count = 0
        self.rejected: deque[tuple[MachineEvent | Sample, str]] = deque(maxlen=KEEP_REJECTED)

    # ---- feeding -----------------------------------------------------------------------------

    def feed(self, ev: MachineEvent) -> bool:
        """Use one event; False (and counted in :attr:`rejected`) when it cannot be used."""
        try:
            self._feed(ev)
        except BadInput as exc:
            self.rejected_count += 1
            self.rejected.append((ev, exc.message))
            return False
        self._accepted(ev.ts_ns)
        return True

    def _accepted(self, ts_ns: int) -> None:
        self.accepted += 1
        if self.last_ns is None or ts_ns > self.last_ns:
            self.last_ns = ts_ns

    def feed_sample(self, sample: Sample) -> bool:
        """Use a sample of a line meter's cumulative energy tag; False for any other tag, a
        sample of bad or uncertain quality, or one the book rejects (counted)."""
        line = self.layout.meter_tags.get(sample.tag)
        if line is None or sample.quality != Quality.GOOD:
            return False
        v = sample.value
        try:
            if isinstance(v, bool) or not isinstance(v, int | float) or not v >= 0:
                raise BadInput(f"sample of {sample.tag} at {sample.ts_ns}: {v!r} is no kWh reading")
            self._meter_reading(line, sample.tag, sample.ts_ns, float(v), None)
        except BadInput as exc:
            self.rejected_count += 1
            self.rejected.append((sample, exc.message))
            return False
        self._accepted(sample.ts_ns)
        return True

    def feed_many(self, events: Iterable[MachineEvent]) -> int:
        """Use events in order; returns how many were rejected."""
        return sum(not self.feed(ev) for ev in events)

    def _feed(self, ev: MachineEvent) -> None:
        if ev.kind is EventKind.ORDER_STATUS and ev.equipment in self.layout.lines:
            return  # order progress is rebuilt from the parts themselves
        acc = self.equipment.get(ev.equipment)
        if acc is None:
            raise BadInput(f"{payload.where(ev)}: unknown equipment {ev.equipment!r}")
        # check what the book reads before anything is counted: an event applies whole or not
        line_reading = self._line_reading(ev) if ev.kind is EventKind.ENERGY else None
        if ev.kind in _PART_EVENTS:
            payload.text(ev, "product")
            payload.text(ev, "operation")
            payload.flag(ev, "last", required=False)
        acc.feed(ev)
        if line_reading is not None:
            self._meter_reading(*line_reading)
        elif ev.kind is EventKind.PART_START and ev.order_id is not None:
            self._order(ev)
        elif ev.kind is EventKind.PART_COMPLETE:
            self._completed(ev)
        elif ev.kind is EventKind.PART_SCRAP and not acc.scrap_confirmed:
            self._leaves(ev, good=False)

    def _line_reading(self, ev: MachineEvent) -> tuple[str, str, int, float, float | None] | None:
        """The line reading of a line meter's ``energy`` event (None: not a line reading)."""
        line = self.layout.meter_line(ev.equipment)
        kwh = payload.number(ev, "line_kwh", required=False)
        if line is None or kwh is None:
            return None
        kw = payload.number(ev, "line_kw", required=False)
        meter = self.line_meters[line]
        if meter.last_ts is not None and ev.ts_ns < meter.last_ts:
            raise BadInput(
                f"{payload.where(ev)} is older than the line meter's last reading ({meter.last_ts})"
            )
        return line, ev.equipment, ev.ts_ns, kwh, kw

    def _meter_reading(
        self, line: str, source: str, ts_ns: int, kwh: float, kw: float | None
    ) -> None:
        meter = self.line_meters[line]
        if meter.last_ts is not None:
            if ts_ns < meter.last_ts:
                raise BadInput(
                    f"reading of {source} at {ts_ns} is older than the line meter's last "
                    f"reading ({meter.last_ts})"
                )
            meter.occupy(None, meter.last_ts, ts_ns)
        meter.reading(ts_ns, kwh, kw)

    def _order(self, ev: MachineEvent) -> _Order:
        assert ev.order_id is not None
        order = self.orders.get(ev.order_id)
        if order is None:
            product = payload.text(ev, "product")
            line = self.layout.product_line.get(product or "")
            line = line or self.layout.line_of_equipment.get(ev.equipment)
            order = self.orders[ev.order_id] = _Order(product, line, ev.ts_ns)
        return order

    def _completed(self, ev: MachineEvent) -> None:
        good = payload.flag(ev, "good")
        product = payload.text(ev, "product") or ""
        operation = payload.text(ev, "operation") or ""
        inspections = self.layout.inspections.get(product)
        inspects = (
            operation in inspections
            if inspections is not None
            else bool(ev.payload.get("measurements"))
        )
        if inspects:
            for scope in self._scopes(ev):
                fp = self.fpy.get(scope)
                if fp is None:
                    fp = self.fpy[scope] = FirstPass(self.window)
                fp.result(ev.serial, operation, ev.ts_ns, good)
        last = self.layout.last_operation.get(product)
        is_last = (
            operation == last if last is not None else payload.flag(ev, "last", required=False)
        )
        if not good or is_last:
            self._leaves(ev, good=good)

    def _scopes(self, ev: MachineEvent) -> list[str]:
        out = [ev.equipment]
        line = self._line_of(ev)
        if line is not None:
            out.append(line)
        if ev.order_id is not None:
            out.append(ev.order_id)
        return out

    def _line_of(self, ev: MachineEvent) -> str | None:
        product = ev.payload.get("product")
        line = self.layout.product_line.get(product) if isinstance(product, str) else None
        return line or self.layout.line_of_equipment.get(ev.equipment)

    def _leaves(self, ev: MachineEvent, good: bool) -> None:
        """A unit leaves its line: good out of the last operation, or scrapped."""
        for scope in self._scopes(ev):
            fp = self.fpy.get(scope)
            if fp is not None:
                fp.forget(ev.serial)
        product = payload.text(ev, "product")
        value = self.layout.unit_value.get(product or "", 0.0) if good else 0.0
        outputs = []
        line = self._line_of(ev)
        if line is not None:
            outputs.append(self.line_output[line])
        if ev.order_id is not None:
            self._order(ev).last_out_ns = ev.ts_ns
            outputs.append(self.order_output.setdefault(ev.order_id, Output()))
        if self.window.contains(ev.ts_ns):
            for out in outputs:
                out.add(good, value)

    # ---- reading -----------------------------------------------------------------------------

    def report(self, until_ns: int | None = None) -> Report:
        """Baskets of every scope; open intervals count up to ``until_ns`` (default: the last
        event's time)."""
        until = self.last_ns if until_ns is None else until_ns
        orders = {
            oid: OrderInfo(o.product, o.line, o.first_ns, o.last_out_ns)
            for oid, o in self.orders.items()
        }
        return build_report(
            layout=self.layout,
            window=self.window,
            until_ns=until,
            snapshots={p: a.snapshot(until) for p, a in self.equipment.items()},
            line_meters={p: m.kwh for p, m in self.line_meters.items()},
            line_output=self.line_output,
            order_output=self.order_output,
            orders=orders,
            fpy={k: (f.ip, f.gp) for k, f in self.fpy.items()},
            energy=self.energy,
            rejected=self.rejected_count,
        )
