"""One equipment's time elements, quantities, energy and failures, built from its events.

An :class:`Accumulator` consumes the equipment's :class:`~shopfloor.events.MachineEvent` in time
order, one at a time (live) or all at once (batch: the same calls), and keeps a
:class:`~shopfloor.kpi.basket.Basket` for one :class:`~shopfloor.kpi.window.Window`:

* ``state_change``: the state held since the previous change is an interval of its ISO 22400
  time element, clipped at the window's edges. The interval still open is counted, by
  :meth:`Accumulator.snapshot`, up to the instant the caller gives (the last event time).
* ``part_complete``: PQ + 1, GQ or SQ + 1 by ``good``, PRU x PQ + ``standard_time_s``, RQ + 1
  when ``rework`` is true. With ``reclassified`` true (a counter rule's reject that came after
  its part was counted good) the part is already produced: GQ - 1, SQ + 1. ``part_scrap``
  gives the defect of the failing completion just before it; a ``part_scrap`` on its own is a
  unit produced and scrapped (PQ + 1, SQ + 1).
* ``energy``: cumulative meter readings, differenced (:class:`~shopfloor.kpi.meter.Meter`).
* ``failure`` / ``repair``: failures in the window; the time to restoration (failure to repair
  event, or the repair's ``duration_s``) counts in the window of its failure.

Attribution to orders: time and energy between a ``part_start`` and its ``part_complete``
belong to that order; setup time (ASUT) with no unit in work waits for the next order started
and is charged to it; everything else (idle, starved, blocked) belongs to no order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable

from shopfloor.errors import BadInput
from shopfloor.events import EventKind, MachineEvent
from shopfloor.kpi import payload
from shopfloor.kpi.basket import Basket
from shopfloor.kpi.meter import Meter
from shopfloor.kpi.window import Window
from shopfloor.plant.states import TimeElement

#: Meter key of setup time waiting for the next order (a tuple never clashes with an order id).
SETUP: tuple[str] = ("setup",)


class Accumulator:
    def __init__(self, equipment: str, window: Window | None = None) -> None:
        self.equipment = equipment
        self.window = window or Window()
        self.basket = Basket()
        #: Time and energy attributed to each order at this equipment (and its PRU x PQ).
        self.orders: dict[str, Basket] = {}
        self.defects: Counter[str] = Counter()
        self.meter = Meter(self.window)
        self.element: TimeElement | None = None
        self.since_ns = 0
        self.last_ns: int | None = None
        self.order: str | None = None
        self._setup = Basket()
        self._failure_ns: int | None = None
        self._failed: tuple[str | None, str | None] | None = None
        #: Whether the last ``part_scrap`` confirmed the failing completion just before it.
        self.scrap_confirmed = True

    # ---- feeding -----------------------------------------------------------------------------

    def feed(self, ev: MachineEvent) -> None:
        if ev.equipment != self.equipment:
            raise BadInput(f"{payload.where(ev)} fed to the accumulator of {self.equipment}")
        if self.last_ns is not None and ev.ts_ns < self.last_ns:
            raise BadInput(
                f"{payload.where(ev)} is older than the event before it (ts_ns {self.last_ns}): "
                "events of one equipment must come in time order"
            )
        handler = _HANDLERS.get(ev.kind)
        if handler is not None:
            handler(self, ev)
        self.last_ns = ev.ts_ns

    def _key(self) -> Hashable:
        if self.order is not None:
            return self.order
        return SETUP if self.element is TimeElement.ASUT else None

    def _target(self, key: Hashable) -> Basket | None:
        if key is SETUP:
            return self._setup
        if isinstance(key, str):
            return self.orders.setdefault(key, Basket())
        return None

    def _advance(self, ts_ns: int) -> None:
        """Close the interval held since the last boundary at ``ts_ns``."""
        if self.element is not None and ts_ns > self.since_ns:
            key = self._key()
            ns = self.window.clip(self.since_ns, ts_ns)
            if ns:
                self.basket.element_ns[self.element] += ns
                target = self._target(key)
                if target is not None:
                    target.element_ns[self.element] += ns
            self.meter.occupy(key, self.since_ns, ts_ns)
        self.since_ns = ts_ns

    def _state_change(self, ev: MachineEvent) -> None:
        element = payload.element(ev)
        self._advance(ev.ts_ns)
        self.element = element

    def _part_start(self, ev: MachineEvent) -> None:
        self._advance(ev.ts_ns)
        self.order = ev.order_id
        if ev.order_id is not None:
            self.orders.setdefault(ev.order_id, Basket()).add(self._setup)
            self._setup = Basket()
            self.meter.rename(SETUP, ev.order_id)

    def _part_complete(self, ev: MachineEvent) -> None:
        good = payload.flag(ev, "good")
        standard_s = payload.number(ev, "standard_time_s", required=False)
        rework = payload.flag(ev, "rework", required=False)
        self._advance(ev.ts_ns)
        if payload.flag(ev, "reclassified", required=False):
            if self.window.contains(ev.ts_ns) and not good:
                self.basket.gq -= 1
                self.basket.sq += 1
            return
        if self.window.contains(ev.ts_ns):
            b = self.basket
            b.pq += 1
            b.gq += 1 if good else 0
            b.sq += 0 if good else 1
            b.rq += 1 if rework else 0
            order = self.orders.setdefault(ev.order_id, Basket()) if ev.order_id else None
            if standard_s is None:  # no standard time known: effectiveness stays undefined
                b.unrated += 1
                if order is not None:
                    order.unrated += 1
            else:
                b.pru_s += standard_s
                if order is not None:
                    order.pru_s += standard_s
        self._failed = None if good else (ev.serial, payload.text(ev, "operation"))
        self.order = None

    def _part_scrap(self, ev: MachineEvent) -> None:
        defect = payload.text(ev, "defect") or "unspecified"
        confirms = self._failed == (ev.serial, payload.text(ev, "operation"))
        self._failed = None
        self.scrap_confirmed = confirms
        if not self.window.contains(ev.ts_ns):
            return
        self.defects[defect] += 1
        if not confirms:
            self.basket.pq += 1
            self.basket.sq += 1

    def _energy(self, ev: MachineEvent) -> None:
        kwh = payload.number(ev, "kwh")
        kw = payload.number(ev, "kw", required=False)
        assert kwh is not None
        self._advance(ev.ts_ns)
        for key, e in self.meter.reading(ev.ts_ns, kwh, kw, self._key()).items():
            target = self._target(key)
            if target is not None:
                target.kwh = (target.kwh or 0.0) + e
        self.basket.kwh = self.meter.kwh

    def _failure(self, ev: MachineEvent) -> None:
        self._failure_ns = ev.ts_ns
        if self.window.contains(ev.ts_ns):
            self.basket.failures += 1

    def _repair(self, ev: MachineEvent) -> None:
        duration_s = payload.number(ev, "duration_s", required=False)
        if self._failure_ns is not None:
            ttr_s = (ev.ts_ns - self._failure_ns) / 1e9
        elif duration_s is not None:
            ttr_s = duration_s
        else:
            raise BadInput(f"{payload.where(ev)}: a repair without its failure needs duration_s")
        self._failure_ns = None
        if self.window.contains(ev.ts_ns - round(ttr_s * 1e9)):
            self.basket.repairs += 1
            self.basket.ttr_s += ttr_s

    # ---- reading -----------------------------------------------------------------------------

    def snapshot(self, until_ns: int | None = None) -> tuple[Basket, dict[str, Basket]]:
        """The basket and the order shares, with the open interval counted up to ``until_ns``
        (default: this equipment's last event)."""
        basket = self.basket.copy()
        orders = {k: v.copy() for k, v in self.orders.items()}
        end = self.last_ns if until_ns is None else until_ns
        if self.element is not None and end is not None:
            ns = self.window.clip(self.since_ns, end)
            if ns:
                basket.element_ns[self.element] += ns
                if self.order is not None:
                    orders.setdefault(self.order, Basket()).element_ns[self.element] += ns
        return basket, orders


_HANDLERS = {
    EventKind.STATE_CHANGE: Accumulator._state_change,
    EventKind.PART_START: Accumulator._part_start,
    EventKind.PART_COMPLETE: Accumulator._part_complete,
    EventKind.PART_SCRAP: Accumulator._part_scrap,
    EventKind.ENERGY: Accumulator._energy,
    EventKind.FAILURE: Accumulator._failure,
    EventKind.REPAIR: Accumulator._repair,
}
