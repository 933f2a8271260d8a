"""The order plan of the live floor: which orders the floor service creates and how many it keeps
released per line.

In the demo nobody types orders, so the floor service stands in for the ERP: it keeps a small
backlog of created orders per line (products drawn from the plant file's ``sim.orders.mix``,
quantities uniform in ``sim.orders.size``, both as the plant runs them on its own) and releases
from it whenever fewer than ``wip_per_line`` orders of that line are on the floor. With
``generate=False`` it only releases orders somebody else created (ERP import, CLI, API).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from shopfloor.errors import BadInput, ConfigError
from shopfloor.plant.model import Plant

#: Hours from creation to the due date of a generated order.
DUE_AFTER_H = 8.0


@dataclass
class OrderPlan:
    """How the floor service keeps the plant busy (see the module doc)."""

    #: Product id -> weight; empty means every product of the plant, equally.
    mix: dict[str, float] = field(default_factory=dict)
    size: tuple[int, int] = (10, 40)
    #: Orders of one line on the floor at once (released, not yet through its last reported op).
    wip_per_line: int = 2
    #: Created (not released) orders kept waiting per line while ``generate`` is on.
    backlog_per_line: int = 2
    generate: bool = True
    seed: int = 1

    def validate(self, plant: Plant) -> OrderPlan:
        """Check the plan against ``plant``; a :class:`ConfigError` names the bad field."""
        unknown = sorted(p for p in self.mix if p not in plant.product_by_id)
        if unknown:
            known = ", ".join(sorted(plant.product_by_id)) or "none"
            raise ConfigError(f"order plan mix: unknown product(s) {', '.join(unknown)} ({known})")
        bad = sorted(p for p, w in self.mix.items() if not w > 0)
        if bad:
            raise ConfigError(f"order plan mix: weights must be > 0 for {', '.join(bad)}")
        lo, hi = self.size
        if lo < 1 or hi < lo:
            raise ConfigError(f"order plan size must be [min, max] with 1 <= min <= max: {lo, hi}")
        for name in ("wip_per_line", "backlog_per_line"):
            if getattr(self, name) < 1:
                raise ConfigError(f"order plan {name} must be >= 1, not {getattr(self, name)}")
        if self.generate and not plant.products:
            raise ConfigError(f"plant {plant.name!r} has no products to make orders of")
        return self

    @classmethod
    def from_plant(
        cls, plant: Plant, *, seed: int = 1, wip_per_line: int | None = None
    ) -> OrderPlan:
        """The plan the plant file describes for its own order generator (``sim.orders``)."""
        from shopfloor.sim.params import PlantSim

        try:
            orders = PlantSim.model_validate(plant.sim).orders
        except ValueError as exc:
            raise ConfigError(f"plant {plant.name!r} sim.orders: {exc}") from None
        return cls(
            mix=dict(orders.mix),
            size=orders.size,
            wip_per_line=wip_per_line or orders.max_open_per_line,
            seed=seed,
        ).validate(plant)


class OrderSource:
    """Draws the product and quantity of the next generated order of a line."""

    def __init__(self, plant: Plant, plan: OrderPlan) -> None:
        self.plant, self.plan = plant, plan
        self.rng = random.Random(plan.seed)
        self.line_of_product: dict[str, str] = {}
        for p in plant.products:
            routing = plant.routing_by_id[p.routing]
            last = plant.resolve(routing.operations[-1].eligible[0])
            self.line_of_product[p.id] = plant.line_of[last]
        weights = plan.mix or {p.id: 1.0 for p in plant.products}
        self.by_line: dict[str, list[tuple[str, float]]] = {}
        for product, w in sorted(weights.items()):
            self.by_line.setdefault(self.line_of_product[product], []).append((product, w))

    def lines(self) -> list[str]:
        """Lines that have products to make, in a stable order."""
        return sorted(self.by_line)

    def line(self, product: str) -> str:
        line = self.line_of_product.get(product)
        if line is None:
            raise BadInput(f"product: unknown product {product!r} in plant {self.plant.name!r}")
        return line

    def draw(self, line: str) -> tuple[str, int]:
        """(product, quantity) of a new order for ``line``."""
        choices = self.by_line.get(line)
        if not choices:
            raise BadInput(f"line {line!r} has no products in the order plan")
        products, weights = zip(*choices, strict=True)
        product = self.rng.choices(products, weights)[0]
        lo, hi = self.plan.size
        return product, self.rng.randint(lo, hi)
