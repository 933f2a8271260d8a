"""The discrete-event model of a plant: digital twin (virtual time) and virtual plant (paced).

One SimPy model is built from the plant model (:mod:`shopfloor.plant`): routings, processing
and changeover times, buffers, AGVs and conveyors, operators and shifts, wear-driven and random
failures with repair, degradation signals, quality as a function of process settings and wear,
and energy per machine state. It keeps its own ground truth (ISO 22400 time elements and
quantities per equipment and line, true energy, failures) to check everything computed later
from the data stream.

Public API:

- :func:`run_virtual` ``(plant, hours, seed, *, outlet=None, start=None, orders="own",
  process_overrides=None, emit_values=True) -> SimResult``: virtual time, as fast as possible.
  ``SimResult.truth`` is the :class:`Truth` (``.equipment[path]``, ``.lines[path]``,
  ``.problems()``), ``SimResult.condition`` the condition log per wearing equipment,
  ``SimResult.to_json()`` the summary ``shopfloor sim run --json`` prints.
- :class:`PlantModel` ``(plant, seed, *, start, outlet, orders, process_overrides,
  emit_values)``: the model itself (``run_until(t_s)``, ``command(...)``, ``finish()``), for
  callers that step it themselves; :func:`build_model` is the same as a function.
- :class:`VirtualPlant` ``(plant, *, seed, speed, start, connected, process_overrides)``: the
  model paced to the wall clock; ``attach(outlet)``, ``await start()`` / ``await stop()`` or
  ``start_thread()`` / ``stop_thread()``, ``command(equipment, command, args)``
  (:class:`~shopfloor.sim.outlet.PlantControl`), ``now_ns()``, ``health()``, ``truth()``.
- :class:`OrderSpec`: an order to run (``orders=[OrderSpec(...)]``).
- :class:`Recorder`: an outlet that keeps values, blocks and events in memory.
- :func:`sim_params`: validate a plant's ``sim:`` blocks (errors carry their path).

Determinism: one seed gives one run. Every equipment draws from its own random streams, keyed
by its path, so attaching an outlet (sensor noise has streams of its own) leaves the production
outcome unchanged.
"""

from datetime import datetime

from shopfloor.plant.model import Plant
from shopfloor.sim.model import OrderSource, PlantModel
from shopfloor.sim.orders import OrderSpec
from shopfloor.sim.outlet import PlantOutlet
from shopfloor.sim.paced import VirtualPlant
from shopfloor.sim.recorder import Recorder
from shopfloor.sim.resolve import EquipmentParams, SimParams, sim_params
from shopfloor.sim.run import SimResult, run_virtual
from shopfloor.sim.truth import EquipmentTruth, FailureRecord, LineTruth, Truth
from shopfloor.sim.world import ProcessOverrides


def build_model(
    plant: Plant,
    seed: int,
    *,
    start: datetime | None = None,
    outlet: PlantOutlet | None = None,
    orders: OrderSource = "own",
    process_overrides: ProcessOverrides | None = None,
    emit_values: bool = True,
) -> PlantModel:
    """Build the SimPy model of ``plant``; step it with ``run_until``, close it with ``finish``."""
    return PlantModel(
        plant,
        seed,
        start=start,
        outlet=outlet,
        orders=orders,
        process_overrides=process_overrides,
        emit_values=emit_values,
    )


__all__ = [
    "EquipmentParams",
    "EquipmentTruth",
    "FailureRecord",
    "LineTruth",
    "OrderSource",
    "OrderSpec",
    "PlantModel",
    "ProcessOverrides",
    "Recorder",
    "SimParams",
    "SimResult",
    "Truth",
    "VirtualPlant",
    "build_model",
    "run_virtual",
    "sim_params",
]
