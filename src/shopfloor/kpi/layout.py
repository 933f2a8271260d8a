"""What KPIs need of the plant's master data: lines, their work units and meters, routings.

A line's KPIs are defined as follows (the simulator's :class:`~shopfloor.sim.truth.LineTruth`
uses the same definitions):

* **Work units** of a line: the equipment eligible for an operation of a routing that ends on
  the line (a routing belongs to the line of its last operation's first eligible equipment).
  The line's time elements, PRU x PQ, failures and restorations are the sums over its work
  units: line availability = sum APT / sum PBT, effectiveness = sum PRU x PQ / sum APT.
* **Output** of a line: units leaving its routings, good when they complete the routing's last
  operation good, scrap when they fail any operation (PQ = GQ + SQ). Quality ratio = GQ / PQ.
* **Energy** of a line: its main energy meter's readings when it has one that reports
  (``line_kwh`` of the meter's ``energy`` events, or samples of the meter's cumulative energy
  tag, the one in ``kW.h``), otherwise the sum over its metered equipment (then equipment
  without a meter is missing).
"""

from __future__ import annotations

from dataclasses import dataclass

from shopfloor.plant.model import Plant

#: The UCUM-style unit of cumulative energy tags.
ENERGY_UNIT = "kW.h"


@dataclass(frozen=True)
class LineLayout:
    path: str
    equipment: tuple[str, ...]
    work_units: tuple[str, ...]
    meter: str | None


@dataclass(frozen=True)
class Layout:
    lines: dict[str, LineLayout]
    line_of_equipment: dict[str, str]
    #: Product id -> the line its routing ends on.
    product_line: dict[str, str]
    #: Product id -> operation id of the routing's last operation.
    last_operation: dict[str, str]
    #: Product id -> ids of the operations that inspect (``inspect`` is not empty).
    inspections: dict[str, frozenset[str]]
    unit_value: dict[str, float]
    #: Tag id of a line meter's cumulative energy (unit ``kW.h``) -> the line.
    meter_tags: dict[str, str]
    #: Line -> the equipment its output leaves from (eligible for its routings' last step).
    outputs: dict[str, frozenset[str]]

    @classmethod
    def from_plant(cls, plant: Plant) -> Layout:
        line_of_routing = {
            r.id: plant.line_of[plant.resolve(r.operations[-1].eligible[0])] for r in plant.routings
        }
        units: dict[str, set[str]] = {}
        for r in plant.routings:
            for op in r.operations:
                units.setdefault(line_of_routing[r.id], set()).update(
                    plant.resolve(e) for e in op.eligible
                )
        lines = {}
        for path, ln in plant.lines():
            members = tuple(p for p in plant.equipment_by_path if plant.line_of[p] == path)
            lines[path] = LineLayout(
                path,
                members,
                tuple(p for p in members if p in units.get(path, set())),
                plant.resolve(ln.energy_meter) if ln.energy_meter else None,
            )
        routings = plant.routing_by_id
        meter_tags = {
            f"{ln.meter}/{t.name}": p
            for p, ln in lines.items()
            if ln.meter is not None
            for t in plant.equipment_by_path[ln.meter].tags
            if t.unit == ENERGY_UNIT
        }
        return cls(
            lines=lines,
            line_of_equipment=dict(plant.line_of),
            product_line={p.id: line_of_routing[p.routing] for p in plant.products},
            last_operation={p.id: routings[p.routing].operations[-1].id for p in plant.products},
            inspections={
                p.id: frozenset(o.id for o in routings[p.routing].operations if o.inspect)
                for p in plant.products
            },
            unit_value={p.id: p.unit_value for p in plant.products},
            meter_tags=meter_tags,
            outputs={
                path: frozenset(
                    plant.resolve(e)
                    for r in plant.routings
                    if line_of_routing[r.id] == path
                    for e in r.operations[-1].eligible
                )
                for path in lines
            },
        )

    def meter_line(self, equipment: str) -> str | None:
        """The line whose main meter ``equipment`` is (None: not a line meter)."""
        for ln in self.lines.values():
            if ln.meter == equipment:
                return ln.path
        return None
