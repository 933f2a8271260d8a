"""Moving units between cells: AGVs (a fleet per line), a conveyor, or a fixed transfer time.

Units stay put inside a cell. Between cells, the line's transport mode decides: ``agv`` sends a
job to the line's AGV fleet (an AGV drives to the pickup, loads, drives, unloads), ``conveyor``
puts the unit on the line's conveyor (it moves only while the belt runs), ``direct`` takes
``sim.transfer_s``. The place in the next operation's queue was reserved before the move.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import simpy

from shopfloor.plant.states import PackMLState as S
from shopfloor.sim.asset import Asset, Proc
from shopfloor.sim.calendar import EPS_S
from shopfloor.sim.flow import Unit, WorkPool
from shopfloor.sim.resolve import EquipmentParams
from shopfloor.sim.rng import stream
from shopfloor.sim.world import World

Point = tuple[float, float]
HANDLE_S = 10.0  # loading or unloading an AGV
DRAIN_PCT_S = 100.0 / (6 * 3600)  # battery use while working
CHARGE_PCT_S = 100.0 / (1.5 * 3600)


def distance(a: Point, b: Point) -> float:
    return abs(a[0] - b[0]) + abs(a[1] - b[1])


@dataclass(eq=False)
class TransportJob:
    unit: Unit
    src: Point
    dst: Point
    deliver: Callable[[], None]


class AgvFleet:
    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self.jobs: list[TransportJob] = []
        self._ev = env.event()

    def submit(self, job: TransportJob) -> None:
        self.jobs.append(job)
        ev, self._ev = self._ev, self.env.event()
        ev.succeed()

    def arrival(self) -> simpy.Event:
        return self._ev


class Agv(Asset):
    def __init__(self, world: World, p: EquipmentParams, fleet: AgvFleet) -> None:
        super().__init__(world, p)
        self.fleet = fleet
        rng = stream(world.seed, p.path, "agv")
        self.pos: Point = p.position
        self.battery = float(rng.uniform(60, 95))
        self._bat_t = 0.0
        self._bat_rate = 0.0
        self.loaded = False
        self.speed = 0.0
        self.trip: tuple[float, Point, Point, float] | None = None

    def battery_at(self, t: float) -> float:
        return min(100.0, max(0.0, self.battery + self._bat_rate * (t - self._bat_t)))

    def set_state(self, state: S, reason: str = "") -> None:
        now = self.env.now
        self.battery, self._bat_t = self.battery_at(now), now
        self._bat_rate = (
            -DRAIN_PCT_S if state is S.EXECUTE else CHARGE_PCT_S if reason == "charging" else 0.0
        )
        super().set_state(state, reason)

    def position_at(self, t: float) -> Point:
        if self.trip is None:
            return self.pos
        t0, a, b, dur = self.trip
        along = min(max((t - t0) / dur, 0.0), 1.0) * distance(a, b)
        dx = abs(b[0] - a[0])
        if along <= dx:
            return (a[0] + along * (1 if b[0] >= a[0] else -1), a[1])
        return (b[0], a[1] + (along - dx) * (1 if b[1] >= a[1] else -1))

    def main(self) -> Proc:
        while True:
            yield from self.wait_ready()
            if self.battery_at(self.env.now) < 25.0:
                need = (90.0 - self.battery_at(self.env.now)) / CHARGE_PCT_S
                yield from self.run(need, S.IDLE, "charging")
                continue
            if not self.fleet.jobs:
                self.set_state(S.IDLE, "waiting")
                _ok, until, _r = self.avail.status(self.env.now)
                yield self.fleet.arrival() | self.env.timeout(until - self.env.now) | self._wake
                continue
            job = self.fleet.jobs.pop(0)
            self.serial, self.order_id = job.unit.serial, job.unit.order.order_id
            yield from self.drive(job.src, "to_pickup")
            yield from self.run(HANDLE_S, S.EXECUTE, "loading", operating=True)
            self.loaded = True
            yield from self.drive(job.dst, "transport")
            yield from self.run(HANDLE_S, S.EXECUTE, "unloading", operating=True)
            self.loaded = False
            self.truth.cycles += 1
            self.serial = self.order_id = None
            job.deliver()

    def drive(self, dst: Point, reason: str) -> Proc:
        dur = distance(self.pos, dst) / self.p.travel_speed_m_s
        if dur <= EPS_S:
            return
        self.trip = (self.env.now, self.pos, dst, dur)
        self.speed = self.p.travel_speed_m_s
        yield from self.run(dur, S.EXECUTE, reason, operating=True)
        self.pos, self.trip, self.speed = dst, None, 0.0


@dataclass(eq=False)
class Carrier:
    remaining_s: float  # belt running time until it arrives
    deliver: Callable[[], None]


class Conveyor(Asset):
    """A belt between the cells of a line: carriers advance only while it runs."""

    def __init__(self, world: World, p: EquipmentParams) -> None:
        super().__init__(world, p)
        self.carriers: list[Carrier] = []

    def carry(self, length_m: float, deliver: Callable[[], None]) -> None:
        self.carriers.append(Carrier(length_m / self.p.belt_speed_m_s, deliver))
        self.poke()

    def main(self) -> Proc:
        while True:
            yield from self.wait_ready()
            if not self.carriers:
                self.set_state(S.IDLE, "empty")
                _ok, until, _r = self.avail.status(self.env.now)
                yield self._wake | self.env.timeout(until - self.env.now)
                continue
            step = min(c.remaining_s for c in self.carriers)
            done = yield from self.run(
                step, S.EXECUTE, "carrying", operating=True, until_woken=True
            )
            arrived = []
            for c in self.carriers:
                c.remaining_s -= done
                if c.remaining_s <= EPS_S:
                    arrived.append(c)
            for c in arrived:
                self.carriers.remove(c)
                self.truth.cycles += 1
                c.deliver()


class Transport:
    def __init__(
        self,
        world: World,
        pool: WorkPool,
        fleets: dict[str, AgvFleet],
        conveyors: dict[str, Conveyor],
    ) -> None:
        self.world = world
        self.pool = pool
        self.fleets = fleets
        self.conveyors = conveyors

    def move(self, unit: Unit, src: Asset) -> None:
        """Carry ``unit`` from ``src`` to the cell of its (next) operation."""
        dst: EquipmentParams = self.world.params.equipment[self.pool.eligible[unit.key][0]]
        pool = self.pool

        def deliver() -> None:
            pool.put(unit, reserved=True)

        if dst.cell == src.p.cell and dst.line == src.p.line:
            deliver()
            return
        mode = self.world.params.transport.get(dst.line, "direct")
        if mode == "agv" and dst.line in self.fleets:
            self.fleets[dst.line].submit(TransportJob(unit, src.p.position, dst.position, deliver))
        elif mode == "conveyor" and dst.line in self.conveyors:
            self.conveyors[dst.line].carry(distance(src.p.position, dst.position), deliver)
        else:
            self.world.env.process(self._direct(deliver))

    def _direct(self, deliver: Callable[[], None]) -> Proc:
        yield self.world.env.timeout(self.world.params.sim.transfer_s)
        deliver()
