"""Build a scheduling problem from production orders and the plant model.

MES calls :func:`problem_from_orders` with its released orders (until MES exists, any list of
:class:`OrderRecord`) and the plant (``shopfloor.plant.load_plant``). The plant owns the master
data: each order becomes one job following its product's routing; an operation may run on any
of its eligible work units for ``standard_time_s * quantity``; a work unit that switches to
another product needs that operation's ``setup_time_s`` (no setup between orders of the same
product). Shift calendars and planned downtime become unavailable windows
(:mod:`~shopfloor.schedule.plant_time`). Time is whole seconds since ``origin``; machines are the
eligible work units' ISA-95 paths, in plant order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shopfloor.errors import ValidationFailed
from shopfloor.plant.model import Calendar, Plant
from shopfloor.schedule.model import Downtime, Job, Mode, Objective, Operation, Problem, SetupMatrix
from shopfloor.schedule.plant_time import off_shift_windows, planned_downtime, seconds


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """A production order as MES holds it."""

    order_id: str
    product_id: str
    quantity: float
    release: datetime
    due: datetime | None = None
    #: Weight of the order's tardiness (its priority).
    priority: int = 1


@dataclass(frozen=True)
class PlantProblem:
    """The problem plus what maps it back to the plant: time origin and orders by job."""

    problem: Problem
    origin: datetime
    orders: tuple[OrderRecord, ...] = field(default=())

    def at(self, t: int) -> datetime:
        return self.origin + timedelta(seconds=t)


def problem_from_orders(
    orders: list[OrderRecord],
    plant: Plant,
    origin: datetime,
    *,
    now: datetime | None = None,
    calendar: str | None = None,
    horizon: timedelta = timedelta(days=14),
    objective: Objective | None = None,
) -> PlantProblem:
    """One job per order. ``calendar`` names the plant calendar that limits working time (by
    default the plant's only calendar, none if it has several); ``now`` defaults to ``origin``.
    The default objective is makespan plus weighted tardiness."""
    errors: list[tuple[str, str]] = []
    if origin.tzinfo is None:
        errors.append(("origin", "needs a time zone"))
    if not orders:
        errors.append(("orders", "at least one order is needed"))
    cal = _calendar(plant, calendar, errors)
    routes = []
    for i, o in enumerate(orders):
        product = plant.product_by_id.get(o.product_id)
        if product is None or product.routing not in plant.routing_by_id:
            errors.append((f"orders[{i}].product_id", f"unknown product {o.product_id!r}"))
            continue
        if not o.quantity > 0:
            errors.append((f"orders[{i}].quantity", "must be > 0"))
        for name, t in (("release", o.release), ("due", o.due)):
            if t is not None and t.tzinfo is None:
                errors.append((f"orders[{i}].{name}", "needs a time zone"))
        if o.due is not None and o.due.tzinfo and o.release.tzinfo and o.due < o.release:
            errors.append((f"orders[{i}].due", "is before the release"))
        if o.priority < 0:
            errors.append((f"orders[{i}].priority", "must be >= 0"))
        routes.append(plant.routing_by_id[product.routing])
    if errors:
        raise ValidationFailed("orders for scheduling", errors)
    machines = [
        p
        for p, *_r in plant.walk()
        if any(
            plant.resolve(ref) == p for r in routes for op in r.operations for ref in op.eligible
        )
    ]
    index = {p: i for i, p in enumerate(machines)}
    products = sorted({o.product_id for o in orders})
    family = {p: i for i, p in enumerate(products)}
    setup_to: dict[int, list[int]] = {}  # machine -> setup time into each family
    jobs = []
    for o, route in zip(orders, routes, strict=True):
        ops = []
        for op in route.operations:
            modes = tuple(
                Mode(index[plant.resolve(ref)], math.ceil(op.standard_time_s * o.quantity))
                for ref in op.eligible
            )
            for mode in modes:
                row = setup_to.setdefault(mode.machine, [0] * len(products))
                row[family[o.product_id]] = max(
                    row[family[o.product_id]], math.ceil(op.setup_time_s)
                )
            ops.append(Operation(modes, family=family[o.product_id], name=op.id))
        due = None if o.due is None else max(0, seconds(origin, o.due))
        jobs.append(
            Job(
                tuple(ops),
                release=max(0, seconds(origin, o.release)),
                due=due,
                weight=o.priority,
                name=o.order_id,
            )
        )
    n_f = len(products)
    setups = tuple(
        SetupMatrix(
            m, tuple(tuple(0 if f == g else row[g] for g in range(n_f)) for f in range(n_f))
        )
        for m, row in sorted(setup_to.items())
        if any(row)
    )
    horizon_s = int(horizon.total_seconds())
    off = off_shift_windows(cal, origin, horizon_s) if cal else []
    downtimes = [Downtime(m, a, b, "off_shift") for m in range(len(machines)) for a, b in off]
    downtimes += [
        Downtime(m, a, b, "planned_downtime")
        for m, (a, b) in planned_downtime(plant, origin, machines)
    ]
    problem = Problem(
        jobs=tuple(jobs),
        machines=tuple(machines),
        setups=setups,
        downtimes=tuple(downtimes),
        now=max(0, seconds(origin, now)) if now is not None else 0,
        objective=objective or Objective(makespan=1, tardiness=1),
        name=plant.name,
    )
    return PlantProblem(problem, origin, tuple(orders))


def _calendar(plant: Plant, name: str | None, errors: list[tuple[str, str]]) -> Calendar | None:
    if name is None:
        return plant.calendars[0] if len(plant.calendars) == 1 else None
    for c in plant.calendars:
        if c.id == name:
            return c
    errors.append(("calendar", f"the plant has no calendar {name!r}"))
    return None
