"""Build one SimPy model of a plant from the plant model, and drive it.

:class:`PlantModel` is the same under both clocks: virtual time (:func:`run_virtual` steps its
environment as fast as possible) and wall time (:class:`~shopfloor.sim.paced.VirtualPlant`
steps it against the wall clock). Only who calls :meth:`PlantModel.run_until` differs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

import simpy

from shopfloor.clock import DEFAULT_EPOCH, to_ns
from shopfloor.errors import BadInput
from shopfloor.plant.model import EquipmentClass as C
from shopfloor.plant.model import Plant
from shopfloor.sim.asset import Asset
from shopfloor.sim.condition import ConditionLog
from shopfloor.sim.flow import OpKey, WorkPool
from shopfloor.sim.jobs import job_command
from shopfloor.sim.orders import OrderBook, OrderSpec
from shopfloor.sim.outlet import Command, CommandResult, PlantOutlet
from shopfloor.sim.resolve import sim_params
from shopfloor.sim.sampler import TagSampler
from shopfloor.sim.station import Station
from shopfloor.sim.support import Instrument, Tender
from shopfloor.sim.tracker import Emitter
from shopfloor.sim.transport import Agv, AgvFleet, Conveyor, Transport
from shopfloor.sim.truth import Truth
from shopfloor.sim.world import ProcessOverrides, World, check_overrides

#: Where orders come from: the plant's own generator, MES jobs only, or a given list.
OrderSource = Literal["own", "external"] | Sequence[OrderSpec]
INSTRUMENTS = frozenset({C.ENERGY_METER, C.ENVIRONMENTAL_SENSOR})


class PlantModel:
    """A plant as a SimPy model: equipment processes, work pool, orders, truth, outlet."""

    def __init__(
        self,
        plant: Plant,
        seed: int,
        *,
        start: datetime | None = None,
        outlet: PlantOutlet | None = None,
        orders: OrderSource = "own",
        process_overrides: ProcessOverrides | None = None,
        emit_values: bool = True,
    ) -> None:
        params = sim_params(plant)
        start = start or DEFAULT_EPOCH
        if start.tzinfo is None:
            raise BadInput(f"start {start.isoformat()} needs a time zone (UTC)")
        env = simpy.Environment()
        start_ns = to_ns(start)
        self.env = env
        self.plant = plant
        self.world = World(
            env=env,
            params=params,
            seed=seed,
            start=start,
            start_ns=start_ns,
            emitter=Emitter(outlet),
            truth=Truth(seed, start_ns, start_ns),
            technicians=simpy.Resource(env, params.sim.technicians),
            operators={
                ln: simpy.Resource(env, n) if n > 0 else None for ln, n in params.operators.items()
            },
            overrides=check_overrides(plant, process_overrides or {}),
        )
        eligible: dict[OpKey, list[str]] = {}
        capacity: dict[OpKey, int | None] = {}
        for r in plant.routings:
            for i, op in enumerate(r.operations):
                paths = [plant.resolve(x) for x in op.eligible]
                eligible[(r.id, op.seq)] = paths
                capacity[(r.id, op.seq)] = (
                    None if i == 0 else sum(params.equipment[p].input_buffer for p in paths)
                )
        self.pool = WorkPool(env, eligible, capacity)
        self.book = OrderBook(self.world, self.pool)
        self.assets: dict[str, Asset] = {}
        fleets: dict[str, AgvFleet] = {}
        conveyors: dict[str, Conveyor] = {}
        tenders: dict[str, Tender] = {}
        for path, p in params.equipment.items():
            cls = p.equipment.cls
            if cls is C.AGV:
                fleet = fleets.setdefault(p.line, AgvFleet(env))
                self.assets[path] = Agv(self.world, p, fleet)
            elif cls is C.CONVEYOR:
                self.assets[path] = conveyor = Conveyor(self.world, p)
                conveyors.setdefault(p.line, conveyor)
            elif cls in INSTRUMENTS:
                self.assets[path] = Instrument(self.world, p)
            elif p.tends:
                self.assets[path] = tender = Tender(self.world, p)
                tenders.update(dict.fromkeys(p.tends, tender))
        self.transport = Transport(self.world, self.pool, fleets, conveyors)
        for path, p in params.equipment.items():
            if path not in self.assets:
                self.assets[path] = Station(
                    self.world, p, self.pool, self.book, self.transport, tenders.get(path)
                )
        self.assets = {path: self.assets[path] for path in params.equipment}  # plant order
        for line_path, ln in plant.lines():
            meter = self.assets.get(plant.resolve(ln.energy_meter)) if ln.energy_meter else None
            if isinstance(meter, Instrument):
                meter.line_trackers = [
                    a.tracker for a in self.assets.values() if a.p.line == line_path
                ]
        for a in self.assets.values():
            a.start()
        if orders == "own":
            self.book.generate()
        elif orders != "external":
            self.book.schedule(list(orders))
        self.condition = ConditionLog(self.world, list(self.assets.values()))
        self.condition.start()
        self.sampler: TagSampler | None = None
        if outlet is not None and emit_values:
            self.sampler = TagSampler(self.world, self.assets, outlet)
            self.sampler.start()
        self._finished = False

    @property
    def now_s(self) -> float:
        return float(self.env.now)

    def now_ns(self) -> int:
        return self.world.now_ns()

    def run_until(self, t_s: float) -> None:
        """Advance virtual time to ``t_s`` seconds after the start."""
        if self._finished:
            raise BadInput("the model has finished; build a new one")
        if t_s > self.env.now:
            self.env.run(until=t_s)

    def finish(self) -> Truth:
        """Close the books at the current virtual time and return the ground truth."""
        if not self._finished:
            if self.sampler is not None:
                self.sampler.flush()
            end_ns = self.world.now_ns()
            truth = self.world.truth
            for a in self.assets.values():
                a.tracker.finish(end_ns)
            for a in self.assets.values():
                if isinstance(a, Instrument):
                    a.line_reading(end_ns)
            truth.end_ns = end_ns
            for ln in truth.lines.values():
                eqs = [t for t in truth.equipment.values() if t.line == ln.path]
                ln.energy_kwh = sum(t.energy_kwh for t in eqs)
                ln.failures = sum(len(t.failures) for t in eqs)
            self._finished = True
        return self.world.truth

    def command(self, equipment: str, command: Command, args: dict[str, Any]) -> CommandResult:
        """Apply a command at the current virtual instant (the caller serialises access)."""
        if self._finished:
            return CommandResult(False, "the simulation has finished")
        try:
            path = self.plant.resolve(equipment)
        except KeyError:
            return CommandResult(False, f"unknown equipment {equipment!r}")
        if command is Command.JOB:
            return job_command(self.book, path, args)
        return self.assets[path].command(command)
