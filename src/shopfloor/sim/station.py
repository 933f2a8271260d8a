"""A work unit that processes parts: pull work, change over, load, execute, judge, hand off.

Stations are the equipment that routings name as eligible for operations: machine tools,
presses, washers, assembly, inspection and test stations, and manual benches (which need an
operator from the line's crew for every part).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shopfloor.events import EventKind
from shopfloor.plant.model import EquipmentClass
from shopfloor.plant.states import PackMLState as S
from shopfloor.sim.asset import Asset, Proc
from shopfloor.sim.degradation import Tool
from shopfloor.sim.flow import Unit, WorkPool
from shopfloor.sim.quality import QualityModel, factors
from shopfloor.sim.resolve import EquipmentParams
from shopfloor.sim.rng import lognormal, stream
from shopfloor.sim.world import World

if TYPE_CHECKING:
    from shopfloor.sim.orders import OrderBook
    from shopfloor.sim.support import Tender
    from shopfloor.sim.transport import Transport

INSPECTING = frozenset({EquipmentClass.INSPECTION_STATION, EquipmentClass.TEST_BENCH})


class Station(Asset):
    def __init__(
        self,
        world: World,
        p: EquipmentParams,
        pool: WorkPool,
        book: OrderBook,
        transport: Transport,
        tender: Tender | None,
    ) -> None:
        super().__init__(world, p)
        self.pool, self.book, self.transport, self.tender = pool, book, transport, tender
        self.rng_cycle = stream(world.seed, p.path, "cycle")
        self.rng_quality = stream(world.seed, p.path, "quality")
        if p.tool_life_parts:
            self.tool = Tool(p.tool_life_parts, stream(world.seed, p.path, "tool"))
        routings = world.plant.routing_by_id
        keys = pool.keys_of.get(p.path, [])
        names = {t.name for t in self.eq.tags if t.signal == "measurement"} | {
            c for r, seq in keys for o in routings[r].operations if o.seq == seq for c in o.inspect
        }
        self.quality = QualityModel.build(p, sorted(names), self.eq.cls in INSPECTING)
        self.measured = {n: c.nominal for n, c in self.quality.characteristics.items()}
        self.operators = world.operators.get(p.line)
        #: Actual process values of the last part (served by tags such as screw_torque).
        self.last_process: dict[str, float] = {}
        self.setup: tuple[str, str] | None = None
        if keys:  # set up for something when the run starts
            r, seq = keys[int(self.rng_cycle.integers(len(keys)))]
            products = [q.id for q in world.plant.products if q.routing == r]
            op = next(o for o in routings[r].operations if o.seq == seq)
            if products:
                self.setup = (products[0], op.id)
                pool.setup[p.path] = self.setup

    def main(self) -> Proc:
        while True:
            yield from self.wait_ready()
            unit = yield from self.next_unit()
            if unit is not None:
                yield from self.work_on(unit)

    def next_unit(self) -> Proc:
        """Take the next unit, Idle (no order) or Suspended (starved) until there is one."""
        while True:
            unit = self.pool.take(self.path)
            if unit is not None:
                return unit
            starved = self.book.upstream_work(self.path)
            self.set_state(S.SUSPENDED if starved else S.IDLE, "starved" if starved else "no_order")
            ok, until, _r = self.avail.status(self.env.now)
            if not ok or self.commanded is not None:
                return None
            ev = self.pool.work(self.path)
            yield ev | self.env.timeout(max(until - self.env.now, 0.0)) | self._wake
            if not ev.triggered:
                return None

    def work_on(self, unit: Unit) -> Proc:
        op, order = unit.op, unit.order
        product = order.product
        w = self.world
        self.setpoints = {k: v for k, v in w.setpoints(product).items() if k in self.p.process_keys}
        t_f, wear_f, kw_f = factors(self.setpoints, product.process)
        psim = w.params.sim.products.get(product.id)
        self.wear_rate = wear_f * (psim.wear_factor if psim else 1.0)
        self.vib_factor = psim.vibration_factor if psim else 1.0
        self.exec_kw_factor = kw_f
        self.product, self.op, self.order_id, self.serial = product, op, order.order_id, unit.serial
        want = (product.id, op.id)
        if self.setup != want:
            if op.setup_time_s > 0:
                yield from self.changeover(op.setup_time_s)
            self.setup = self.pool.setup[self.path] = want
        em = w.emitter
        em.emit(
            EventKind.PART_START,
            self.path,
            w.now_ns(),
            unit.serial,
            order.order_id,
            product=product.id,
            operation=op.id,
            seq=op.seq,
        )
        if self.tender is not None:
            req = self.tender.request(self.path)
            yield from self.wait_for(req.started, S.SUSPENDED, "waiting_robot")
            yield from self.wait_for(req.done, S.EXECUTE, "producing")
        crew = None
        if self.p.manual:
            crew = yield from self.operator()
        cycle = (
            op.standard_time_s
            * self.p.speed_factor
            * t_f
            * lognormal(self.rng_cycle, 1.0, self.p.cycle_cv)
        )
        yield from self.run(cycle, S.EXECUTE, "producing", operating=True)
        if crew is not None and self.operators is not None:
            self.operators.release(crew)
        self.last_cycle_s = cycle
        tool_wear = self.tool.wear if self.tool else 0.0
        res = self.quality.judge(
            self.rng_quality, unit, self.setpoints, product.process, self.wear_now(), tool_wear
        )
        self.measured.update(res.measurements)
        self.last_process = res.process
        t = self.truth
        t.produced += 1
        t.pru_s += op.standard_time_s
        if res.good:
            t.good += 1
        else:
            t.scrap += 1
        now_ns = w.now_ns()
        em.emit(
            EventKind.PART_COMPLETE,
            self.path,
            now_ns,
            unit.serial,
            order.order_id,
            product=product.id,
            operation=op.id,
            seq=op.seq,
            good=res.good,
            standard_time_s=op.standard_time_s,
            cycle_time_s=round(cycle, 3),
            process={k: round(v, 4) for k, v in res.process.items()},
            measurements={k: round(v, 5) for k, v in res.measurements.items()},
            tool_wear=round(tool_wear, 4),
            last=unit.last,
        )
        if not res.good:
            em.emit(
                EventKind.PART_SCRAP,
                self.path,
                now_ns,
                unit.serial,
                order.order_id,
                product=product.id,
                operation=op.id,
                defect=res.defect,
            )
        self.book.op_done(unit, res.good)
        if self.tool is not None:
            self.tool.add_part(self.wear_rate)
            if self.tool.due:
                yield from self.tool_change()
        if res.good and not unit.last:
            yield from self.hand_off(unit)
        self.serial = None

    def operator(self) -> Proc:
        """An operator of the line's crew (Suspended until one is free); None if no crew."""
        if self.operators is None:
            yield from self.wait_for(self.env.event(), S.SUSPENDED, "no_operator")
            return None
        req = self.operators.request()
        yield from self.wait_for(req, S.SUSPENDED, "no_operator")
        return req

    def changeover(self, setup_s: float) -> Proc:
        req = None
        if self.operators is not None and not self.p.manual:
            req = self.operators.request()
            yield from self.wait_for(req, S.SUSPENDED, "no_operator")
        elif self.p.manual:
            req = yield from self.operator()
        yield from self.run(lognormal(self.rng_cycle, setup_s, 0.15), S.STARTING, "changeover")
        if req is not None and self.operators is not None:
            self.operators.release(req)
        self.truth.setups += 1

    def tool_change(self) -> Proc:
        assert self.tool is not None
        t0_ns = self.world.now_ns()
        yield from self.run(
            lognormal(self.rng_cycle, self.p.tool_change_s, 0.2), S.HELD, "tool_change"
        )
        self.tool.change()
        self.truth.tool_changes += 1
        self.world.emitter.emit(
            EventKind.DOWNTIME,
            self.path,
            self.world.now_ns(),
            reason="tool_change",
            category="tool_change",
            planned=False,
            start_ns=t0_ns,
            end_ns=self.world.now_ns(),
        )

    def hand_off(self, unit: Unit) -> Proc:
        """Reserve a place at the next operation (Suspended while blocked), then send it."""
        nxt = (unit.order.routing.id, unit.order.routing.operations[unit.index + 1].seq)
        while not self.pool.has_space(nxt):
            yield from self.wait_for(self.pool.space(nxt), S.SUSPENDED, "blocked")
        self.pool.reserve(nxt)
        unit.index += 1
        self.transport.move(unit, self)
