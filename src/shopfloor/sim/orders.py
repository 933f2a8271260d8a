"""Orders: released by the plant's own order generator (alone) or received as jobs (connected).

Alone, orders for each line arrive as a Poisson stream while the line is on shift, at a rate
that loads the line's bottleneck to ``sim.orders.load``; products follow ``sim.orders.mix`` and
sizes are uniform in ``sim.orders.size``. At most ``max_open_per_line`` orders are on the floor
at once; the rest wait in the backlog. Connected, only the jobs MES dispatches run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shopfloor.errors import BadInput
from shopfloor.events import EventKind
from shopfloor.plant.model import Product
from shopfloor.sim.asset import Proc
from shopfloor.sim.calendar import Availability
from shopfloor.sim.flow import Order, Unit, WorkPool
from shopfloor.sim.rng import stream
from shopfloor.sim.truth import LineTruth
from shopfloor.sim.world import World


@dataclass(frozen=True)
class OrderSpec:
    """An order to run: released at ``release_s`` virtual seconds after the start."""

    order_id: str
    product: str
    quantity: int
    release_s: float = 0.0


class OrderBook:
    def __init__(self, world: World, pool: WorkPool) -> None:
        self.world = world
        self.pool = pool
        self.plant = world.plant
        self.orders: dict[str, Order] = {}
        self.open: list[Order] = []
        self.backlog: dict[str, list[tuple[str, Product, int]]] = {}
        self._serial = 0
        self._unit_seq = 0
        self._order_n = 0
        self.line_of_routing: dict[str, str] = {}
        for r in self.plant.routings:
            last = r.operations[-1].eligible[0]
            self.line_of_routing[r.id] = self.plant.line_of[self.plant.resolve(last)]
        for path, _ln in self.plant.lines():
            world.truth.lines[path] = LineTruth(path)

    # ---- release and progress -----------------------------------------------------------------

    def check(self, order_id: str, product: str, quantity: object) -> Product:
        if not order_id or not isinstance(order_id, str):
            raise BadInput("order_id must be a non-empty string")
        if order_id in self.orders:
            raise BadInput(f"order {order_id!r} exists already")
        p = self.plant.product_by_id.get(product)
        if p is None:
            raise BadInput(f"unknown product {product!r}")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            raise BadInput(f"quantity must be a positive integer, not {quantity!r}")
        return p

    def release(
        self, order_id: str, product: Product, quantity: int, pins: dict[int, str] | None = None
    ) -> Order:
        routing = self.plant.routing_by_id[product.routing]
        line = self.line_of_routing[routing.id]
        order = Order(
            order_id,
            product,
            routing,
            quantity,
            line,
            self.world.env.now,
            pins=dict(pins or {}),
            remaining={o.seq: quantity for o in routing.operations},
        )
        self.orders[order_id] = order
        self.open.append(order)
        self.world.truth.lines[line].orders_released += 1
        for _ in range(quantity):
            self._serial += 1
            self._unit_seq += 1
            serial = f"{product.id.upper()}-{self._serial:07d}"
            self.pool.put(Unit(serial, order, self._unit_seq), reserved=False)
        self._status(order, "released")
        self.pool.recheck()
        return order

    def _status(self, order: Order, status: str) -> None:
        self.world.emitter.emit(
            EventKind.ORDER_STATUS,
            order.line,
            self.world.now_ns(),
            order_id=order.order_id,
            status=status,
            product=order.product.id,
            quantity=order.quantity,
            good=order.good,
            scrap=order.scrap,
        )

    def op_done(self, unit: Unit, good: bool) -> None:
        """Unit ``unit`` finished its current operation, good or scrapped."""
        order = unit.order
        seqs = [o.seq for o in order.routing.operations[unit.index :]]
        emptied = False
        for seq in seqs if not good else seqs[:1]:
            order.remaining[seq] -= 1
            emptied = emptied or order.remaining[seq] == 0
        if emptied:
            self.pool.recheck()
        line = self.world.truth.lines[order.line]
        if not good:
            order.scrap += 1
            line.scrap += 1
        elif unit.last:
            order.good += 1
            line.good += 1
        else:
            return
        order.finished += 1
        line.produced += 1
        if order.done:
            self.open.remove(order)
            line.orders_completed += 1
            self._status(order, "complete")
            self._release_backlog(order.line)
            self.pool.recheck()

    def upstream_work(self, path: str) -> bool:
        """Whether an open order still has work for ``path`` (it is starved, not idle)."""
        for routing_id, seq in self.pool.keys_of.get(path, ()):
            for o in self.open:
                if o.routing.id == routing_id and o.remaining[seq] > 0:
                    pin = o.pins.get(seq)
                    if pin is None or pin == path:
                        return True
        return False

    # ---- the order generator (alone) ----------------------------------------------------------

    def _release_backlog(self, line: str) -> None:
        cap = self.world.params.sim.orders.max_open_per_line
        queue = self.backlog.get(line, [])
        while queue and sum(1 for o in self.open if o.line == line) < cap:
            oid, product, qty = queue.pop(0)
            self.release(oid, product, qty)

    def _next_id(self) -> str:
        self._order_n += 1
        return f"ORD-{self._order_n:06d}"

    def generate(self) -> None:
        """Start the order generator: one arrival process per line that has products."""
        by_line: dict[str, list[Product]] = {}
        for pid in self.world.params.mix:
            p = self.plant.product_by_id[pid]
            by_line.setdefault(self.line_of_routing[p.routing], []).append(p)
        for line, products in by_line.items():
            self.world.env.process(self._arrivals(line, products))

    def _rate_per_s(self, products: Sequence[Product]) -> float:
        """Arrivals per on-shift second that load the line's bottleneck to ``load``."""
        o = self.world.params.sim.orders
        mix = self.world.params.mix
        total = sum(mix[p.id] for p in products)
        work = 0.0
        for p in products:
            ops = self.plant.routing_by_id[p.routing].operations
            work += mix[p.id] / total * max(op.standard_time_s / len(op.eligible) for op in ops)
        mean_size = (o.size[0] + o.size[1]) / 2
        return o.load / (mean_size * work * 1.08)

    def _arrivals(self, line: str, products: Sequence[Product]) -> Proc:
        w = self.world
        env = w.env
        o = w.params.sim.orders
        rng = stream(w.seed, line, "orders")
        weights = [w.params.mix[p.id] for p in products]
        probs = [x / sum(weights) for x in weights]
        shifts = Availability(w.params.calendar, w.start, [], breaks=False)
        rate = self._rate_per_s(products)

        def arrive() -> None:
            product = products[int(rng.choice(len(products), p=probs))]
            qty = int(rng.integers(o.size[0], o.size[1] + 1))
            self.backlog.setdefault(line, []).append((self._next_id(), product, qty))
            self._release_backlog(line)

        for _ in range(o.initial_per_line):
            arrive()
        while True:
            gap = float(rng.exponential(1 / rate))
            while gap > 0:  # the gap elapses in on-shift time only
                ok, until, _r = shifts.status(env.now)
                if not ok:
                    yield env.timeout(until - env.now)
                    continue
                step = min(gap, until - env.now)
                yield env.timeout(step)
                gap -= step
            arrive()

    def schedule(self, specs: Sequence[OrderSpec]) -> None:
        """Release the given orders at their release times (instead of the generator)."""
        checked = []
        seen: set[str] = set()
        for s in specs:
            if s.order_id in seen:
                raise BadInput(f"order {s.order_id!r} is given twice")
            seen.add(s.order_id)
            checked.append((s, self.check(s.order_id, s.product, s.quantity)))
            if s.release_s < 0:
                raise BadInput(f"order {s.order_id!r}: release_s must be >= 0")
        for s, p in sorted(checked, key=lambda x: x[0].release_s):
            self.world.env.process(self._release_at(s, p))

    def _release_at(self, spec: OrderSpec, product: Product) -> Proc:
        yield self.world.env.timeout(spec.release_s)
        self.release(spec.order_id, product, spec.quantity)
