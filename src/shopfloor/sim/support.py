"""Equipment that supports production without processing parts: tending robots, instruments."""

from __future__ import annotations

from dataclasses import dataclass

import simpy

from shopfloor.events import EventKind
from shopfloor.plant.states import PackMLState as S
from shopfloor.sim.asset import Asset, Proc
from shopfloor.sim.resolve import EquipmentParams
from shopfloor.sim.rng import lognormal, stream
from shopfloor.sim.tracker import StateTracker
from shopfloor.sim.world import World


@dataclass(eq=False)
class HandlingRequest:
    station: str
    started: simpy.Event
    done: simpy.Event


class Tender(Asset):
    """A robot that loads and unloads the machines it tends (``sim.tends``), one at a time."""

    def __init__(self, world: World, p: EquipmentParams) -> None:
        super().__init__(world, p)
        self.rng = stream(world.seed, p.path, "handling")
        self.queue: list[HandlingRequest] = []
        self._arrival = self.env.event()
        self.serving: str | None = None

    def request(self, station: str) -> HandlingRequest:
        req = HandlingRequest(station, self.env.event(), self.env.event())
        self.queue.append(req)
        ev, self._arrival = self._arrival, self.env.event()
        ev.succeed()
        return req

    def main(self) -> Proc:
        while True:
            yield from self.wait_ready()
            if not self.queue:
                self.set_state(S.IDLE, "waiting")
                _ok, until, _r = self.avail.status(self.env.now)
                yield self._arrival | self.env.timeout(until - self.env.now) | self._wake
                continue
            req = self.queue.pop(0)
            self.serving = req.station
            req.started.succeed()
            yield from self.run(
                lognormal(self.rng, self.p.load_s, self.p.cycle_cv),
                S.EXECUTE,
                "handling",
                operating=True,
            )
            self.truth.cycles += 1
            self.serving = None
            req.done.succeed()


class Instrument(Asset):
    """Meters and sensors: they measure around the clock (Execute) and take no commands.

    A line's main energy meter (``line.energy_meter``) is given the trackers of its line's
    equipment (:attr:`line_trackers`); with an outlet it then emits an ``energy`` event at the
    start, every ``sim.energy_event_s`` and at the end (:meth:`line_reading`), carrying its own
    reading (``kwh``, ``kw``) like every metered equipment plus the line's cumulative import
    (``line_kwh``) and power (``line_kw``): the line's energy includes equipment without meters
    of their own (manual benches, AGVs), so events alone give energy per unit of the line.
    """

    commandable = False
    line_trackers: list[StateTracker] | None = None

    def main(self) -> Proc:
        self.set_state(S.EXECUTE, "measuring")
        if self.line_trackers is None or not self.world.emitter.active:
            return
        every = self.world.params.sim.energy_event_s
        while True:
            self.line_reading(self.world.now_ns())
            yield self.env.timeout(every)

    def line_reading(self, ts_ns: int) -> None:
        """Emit the meter's reading of its line (a no-op unless it is a line's main meter)."""
        if self.line_trackers is None:
            return
        self.world.emitter.emit(
            EventKind.ENERGY,
            self.path,
            ts_ns,
            kwh=self.tracker.kwh_at(ts_ns),
            kw=self.tracker.power_kw,
            line=self.p.line,
            line_kwh=sum(t.kwh_at(ts_ns) for t in self.line_trackers),
            line_kw=sum(t.power_kw for t in self.line_trackers),
        )
