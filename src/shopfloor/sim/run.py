"""Virtual-time runs: the digital twin as fast as possible, with its ground truth."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shopfloor.errors import BadInput
from shopfloor.plant.loader import load_plant
from shopfloor.plant.model import Plant
from shopfloor.sim.condition import ConditionSeries
from shopfloor.sim.model import OrderSource, PlantModel
from shopfloor.sim.outlet import PlantOutlet
from shopfloor.sim.truth import Truth
from shopfloor.sim.world import ProcessOverrides


@dataclass
class SimResult:
    """The outcome of a run: ground truth, condition log and the orders that ran."""

    truth: Truth
    condition: dict[str, ConditionSeries]
    orders: list[dict[str, Any]]
    values_emitted: int = 0

    def to_json(self) -> dict[str, Any]:
        """The summary ``shopfloor sim run --json`` prints (per line and per equipment)."""
        t = self.truth
        return {
            "seed": t.seed,
            "start_ns": t.start_ns,
            "end_ns": t.end_ns,
            "horizon_h": t.horizon_ns / 3.6e12,
            "lines": {p: ln.to_dict() for p, ln in t.lines.items()},
            "equipment": {p: e.to_dict() for p, e in t.equipment.items()},
            "orders": {
                "released": len(self.orders),
                "completed": sum(1 for o in self.orders if o["done"]),
            },
            "problems": t.problems(),
        }


def run_virtual(
    plant: Plant | str,
    hours: float,
    seed: int,
    *,
    outlet: PlantOutlet | None = None,
    start: datetime | None = None,
    orders: OrderSource = "own",
    process_overrides: ProcessOverrides | None = None,
    emit_values: bool = True,
) -> SimResult:
    """Run ``plant`` for ``hours`` of virtual time as fast as possible.

    ``plant`` is a :class:`Plant` or an example name / plant file path. ``orders`` is ``"own"``
    (the plant's order generator), ``"external"`` (none) or a list of
    :class:`~shopfloor.sim.orders.OrderSpec`. ``process_overrides`` maps product ids to process
    settings that replace the product's nominal ones (what-if runs, optimisation). With an
    ``outlet``, events are emitted, and tag values too unless ``emit_values`` is False.
    """
    if not hours > 0:
        raise BadInput(f"hours must be > 0, not {hours!r}")
    p = plant if isinstance(plant, Plant) else load_plant(plant)
    model = PlantModel(
        p,
        seed,
        start=start,
        outlet=outlet,
        orders=orders,
        process_overrides=process_overrides,
        emit_values=emit_values,
    )
    model.run_until(hours * 3600.0)
    truth = model.finish()
    return SimResult(
        truth=truth,
        condition=model.condition.series,
        orders=[
            {
                "order_id": o.order_id,
                "product": o.product.id,
                "quantity": o.quantity,
                "line": o.line,
                "released_s": o.released_s,
                "good": o.good,
                "scrap": o.scrap,
                "done": o.done,
            }
            for o in model.book.orders.values()
        ],
        values_emitted=model.sampler.values_emitted if model.sampler else 0,
    )
