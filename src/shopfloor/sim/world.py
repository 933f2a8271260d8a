"""What every simulated equipment shares: the environment, clock, parameters, truth and crews."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import simpy

from shopfloor.clock import NS_PER_S
from shopfloor.errors import BadInput
from shopfloor.plant.model import Plant, Product
from shopfloor.sim.resolve import SimParams
from shopfloor.sim.tracker import Emitter
from shopfloor.sim.truth import Truth

ProcessOverrides = Mapping[str, Mapping[str, float]]


def check_overrides(plant: Plant, overrides: ProcessOverrides) -> dict[str, dict[str, float]]:
    """Validate ``{product id: {setting: value}}`` against the products' nominal settings."""
    out: dict[str, dict[str, float]] = {}
    for pid, settings in overrides.items():
        product = plant.product_by_id.get(pid)
        if product is None:
            raise BadInput(f"process_overrides: unknown product {pid!r}")
        for key, value in settings.items():
            if key not in product.process:
                raise BadInput(
                    f"process_overrides.{pid}.{key}: product {pid!r} has no process setting "
                    f"{key!r} (it has {', '.join(sorted(product.process)) or 'none'})"
                )
            if not isinstance(value, int | float) or not value == value or isinstance(value, bool):
                raise BadInput(f"process_overrides.{pid}.{key}: {value!r} is not a number")
        out[pid] = {k: float(v) for k, v in settings.items()}
    return out


@dataclass
class World:
    env: simpy.Environment
    params: SimParams
    seed: int
    start: datetime
    start_ns: int
    emitter: Emitter
    truth: Truth
    technicians: simpy.Resource
    #: Line path -> operators on shift (None = the line has no operators).
    operators: dict[str, simpy.Resource | None]
    overrides: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def plant(self) -> Plant:
        return self.params.plant

    def now_ns(self) -> int:
        return self.start_ns + round(self.env.now * NS_PER_S)

    def ns(self, t_s: float) -> int:
        return self.start_ns + round(t_s * NS_PER_S)

    def setpoints(self, product: Product) -> dict[str, float]:
        """The product's process settings in force (nominal, with this run's overrides)."""
        return {**product.process, **self.overrides.get(product.id, {})}
