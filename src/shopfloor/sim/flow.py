"""Orders, units and the work pool: what waits for which operation, and who may take it.

Each operation of a routing has a queue. A unit that finished operation *k* reserves a place in
the queue of operation *k+1* (its capacity is the sum of the input buffers of the eligible
equipment; the first operation draws from unlimited raw material) and is then carried there.
Equipment pulls work from the queues of the operations it is eligible for, preferring the
product and operation it is set up for (no changeover), then the oldest unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import simpy

from shopfloor.plant.model import Operation, Product, Routing

OpKey = tuple[str, int]  # (routing id, operation seq)


@dataclass(eq=False)
class Order:
    order_id: str
    product: Product
    routing: Routing
    quantity: int
    line: str  # path of the line the routing ends on
    released_s: float
    #: Operation seq -> equipment path the order is dispatched to (by MES).
    pins: dict[int, str] = field(default_factory=dict)
    #: Operation seq -> units not yet done at that operation.
    remaining: dict[int, int] = field(default_factory=dict)
    finished: int = 0
    good: int = 0
    scrap: int = 0

    @property
    def done(self) -> bool:
        return self.finished >= self.quantity


@dataclass(eq=False)
class Unit:
    serial: str
    order: Order
    seq: int  # global creation order (FIFO tie-break)
    index: int = 0  # index of the current operation in the routing
    latent: bool = False  # carries a defect not caught yet
    dev: float = 0.0  # accumulated process deviation (standardised), shows in measurements

    @property
    def op(self) -> Operation:
        return self.order.routing.operations[self.index]

    @property
    def key(self) -> OpKey:
        return (self.order.routing.id, self.op.seq)

    @property
    def last(self) -> bool:
        return self.index == len(self.order.routing.operations) - 1


class WorkPool:
    def __init__(
        self,
        env: simpy.Environment,
        eligible: dict[OpKey, list[str]],
        capacity: dict[OpKey, int | None],
    ) -> None:
        self.env = env
        self.eligible = eligible
        self.capacity = capacity
        self.queues: dict[OpKey, list[Unit]] = {k: [] for k in eligible}
        self.reserved: dict[OpKey, int] = dict.fromkeys(eligible, 0)
        self.keys_of: dict[str, list[OpKey]] = {}
        for key, paths in eligible.items():
            for p in paths:
                self.keys_of.setdefault(p, []).append(key)
        #: Equipment path -> (product id, operation id) it is set up for.
        self.setup: dict[str, tuple[str, str]] = {}
        self._work: dict[str, simpy.Event] = {}
        self._space: dict[OpKey, simpy.Event] = {}

    def has_space(self, key: OpKey) -> bool:
        cap = self.capacity[key]
        return cap is None or len(self.queues[key]) + self.reserved[key] < cap

    def reserve(self, key: OpKey) -> None:
        self.reserved[key] += 1

    def space(self, key: OpKey) -> simpy.Event:
        """An event that fires when a place in ``key``'s queue may have freed."""
        ev = self._space.get(key)
        if ev is None or ev.triggered:
            ev = self._space[key] = self.env.event()
        return ev

    def work(self, path: str) -> simpy.Event:
        """An event that fires when work for ``path`` may have arrived (or orders changed)."""
        ev = self._work.get(path)
        if ev is None or ev.triggered:
            ev = self._work[path] = self.env.event()
        return ev

    def _notify(self, path: str) -> None:
        ev = self._work.pop(path, None)
        if ev is not None and not ev.triggered:
            ev.succeed()

    def put(self, unit: Unit, reserved: bool) -> None:
        key = unit.key
        self.queues[key].append(unit)
        if reserved:
            self.reserved[key] -= 1
        want = (unit.order.product.id, unit.op.id)
        paths = self.eligible[key]
        for p in sorted(paths, key=lambda p: self.setup.get(p) != want):
            self._notify(p)

    def recheck(self) -> None:
        """Wake every waiting equipment (orders were released or finished)."""
        for p in list(self._work):
            self._notify(p)

    def take(self, path: str) -> Unit | None:
        best: Unit | None = None
        best_rank: tuple[bool, int] = (True, 0)
        setup = self.setup.get(path)
        for key in self.keys_of.get(path, ()):
            for u in self.queues[key]:
                pin = u.order.pins.get(key[1])
                if pin is not None and pin != path:
                    continue
                rank = ((u.order.product.id, u.op.id) != setup, u.seq)
                if best is None or rank < best_rank:
                    best, best_rank = u, rank
                break
        if best is None:
            return None
        self.queues[best.key].remove(best)
        ev = self._space.pop(best.key, None)
        if ev is not None and not ev.triggered:
            ev.succeed()
        return best

    def wip(self) -> int:
        return sum(len(q) for q in self.queues.values())
