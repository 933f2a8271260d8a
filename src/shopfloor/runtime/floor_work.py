"""One pass of the live floor over MES: confirm, release, route, dispatch (synchronous).

:class:`FloorWork` holds no state MES does not have, apart from counters; each :meth:`step` reads
the open orders and does, in this order:

1. **Confirm.** An operation whose work units report no part events (all of its eligible
   equipment lacks a reporting channel) is completed when the next operation that does report is
   complete: the units it measured went through it (milestone confirmation). Such an operation
   with nothing reported after it waits for operator entry.
2. **Release.** Per line, while fewer than ``wip_per_line`` orders are on the floor (released or
   running, some reported operation still open), the next created order of that line is
   released (priority, then due date, then id), and one is created from the
   :class:`~.floor_orders.OrderPlan` when none waits and the plan generates orders; the backlog is
   then topped up to ``backlog_per_line``.
3. **Route.** A queued operation moves to the eligible work unit with the shortest dispatch list
   (queued and sent jobs) among those a channel reaches (:meth:`Dispatch.apply_sequence
   <shopfloor.mes.dispatch.Dispatch.apply_sequence>`, appended after what is queued there): work
   spreads over the machines, and a job never waits on a work unit no job can reach (Modbus
   gateway, operator-run) while a reachable one could do it, so the machine MES sees does it.
   A job the schedule applied last (:meth:`Planning.apply
   <shopfloor.mes.planning.Planning.apply>`) placed on a reachable unit stays there: the
   schedule chose its unit and its place.
4. **Dispatch.** Every queued job of an active order goes to its machine
   (:meth:`Dispatch.send_next <shopfloor.mes.dispatch.Dispatch.send_next>`), work units of earlier
   operations first, so a machine knows an order's later operations before its first unit
   arrives there. A machine that cannot be reached keeps its jobs queued for the next pass.

Orders that were on the floor before this start (jobs sent by an earlier run) are left as they
are and do not count towards ``wip_per_line``: hold, abort or complete them from the CLI or API.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable

from shopfloor.clock import Clock
from shopfloor.errors import ConnectorError, ShopfloorError
from shopfloor.mes import MesService
from shopfloor.mes.lifecycle import OP_OPEN, ORDER_ACTIVE, OpStatus, OrderStatus
from shopfloor.mes.models import JobOrder, OrderOperation
from shopfloor.runtime.floor_channels import Channels
from shopfloor.runtime.floor_orders import DUE_AFTER_H, OrderPlan, OrderSource

log = logging.getLogger(__name__)

WHO = "floor"
NS_PER_H = 3_600 * 10**9
ACTIVE_LIMIT = 100_000


class FloorWork:
    """The synchronous floor pass over ``mes`` (see the module doc); not thread-safe."""

    def __init__(
        self,
        mes: MesService,
        channels: Channels,
        plan: OrderPlan,
        reporting: Iterable[str],
        clock: Clock,
    ) -> None:
        self.mes, self.channels, self.plan, self.clock = mes, channels, plan, clock
        self.plant = mes.plant
        self.source = OrderSource(self.plant, plan)
        #: Equipment paths whose part events reach MES.
        self.reporting = set(reporting)
        self.stats: Counter[str] = Counter()
        self.stale: set[str] = set()
        self._down: set[str] = set()  # equipment whose channel failed (logged once)
        rank: dict[str, int] = {}
        movable: set[str] = set()
        for r in self.plant.routings:
            for i, op in enumerate(r.operations):
                paths = [self.plant.resolve(e) for e in op.eligible]
                reached = [p for p in paths if channels.reaches(p)]
                for p in reached:
                    rank[p] = min(rank.get(p, i), i)
                if reached and len(paths) > 1:
                    movable.update(paths)
        #: Work units a job can reach, earliest operation first.
        self.dispatchable = sorted(rank, key=lambda p: (rank[p], p))
        #: Work units whose queued jobs may move to another (reachable) one.
        self.movable = sorted(movable)

    # ---- the pass ----------------------------------------------------------------------------

    def begin(self) -> None:
        """Note the orders an earlier run left on the floor (they do not count as WIP)."""
        for order in self._active():
            if any(o.status != OpStatus.PENDING for o in order.operations):
                self.stale.add(order.id)
        if self.stale:
            log.info(
                "floor: %d order(s) were on the floor before this start and stay as they are",
                len(self.stale),
            )

    def step(self) -> None:
        active = self._active()
        self.confirm(active)
        self.release(active)
        self.route()
        self.dispatch()
        self.stats["passes"] += 1

    def _active(self) -> list[JobOrder]:
        status = [OrderStatus.RELEASED, OrderStatus.RUNNING]
        return self.mes.orders.list(status=status, limit=ACTIVE_LIMIT)

    def _reports(self, op: OrderOperation) -> bool:
        return any(p in self.reporting for p in op.eligible)

    # ---- 3. route ----------------------------------------------------------------------------

    def route(self) -> None:
        dispatch = self.mes.dispatch
        lists = {p: dispatch.list(p) for p in self.movable}
        planned = self.mes.planning.placed()
        for path in self.movable:
            for entry in [e for e in lists[path] if e["status"] == "queued"]:
                if (entry["order_id"], entry["seq"], path) in planned and self.channels.reaches(
                    path
                ):
                    continue
                order = self.mes.orders.get(entry["order_id"])
                op = next(o for o in order.operations if o.seq == entry["seq"])
                targets = [p for p in op.eligible if self.channels.reaches(p)]
                if not targets:
                    continue
                for p in targets:
                    lists.setdefault(p, dispatch.list(p))
                load = {p: len(lists[p]) - (p == path) for p in targets}
                target = min(targets, key=lambda p: (load[p], p != path, targets.index(p)))
                if target == path:
                    continue
                queued = [
                    (e["order_id"], e["seq"]) for e in lists[target] if e["status"] == "queued"
                ]
                lists[target] = dispatch.apply_sequence(
                    target, [*queued, (order.id, op.seq)], who=WHO
                )
                lists[path] = dispatch.list(path)
                self.stats["routed"] += 1

    # ---- 1. confirm --------------------------------------------------------------------------

    def confirm(self, active: list[JobOrder]) -> None:
        for order in active:
            ops = order.operations
            for i, op in enumerate(ops):
                if op.status not in OP_OPEN or self._reports(op):
                    continue
                nxt = next((o for o in ops[i + 1 :] if self._reports(o)), None)
                if nxt is None or nxt.status != OpStatus.COMPLETE:
                    continue
                reason = (
                    f"confirmed by operation {nxt.seq} ({nxt.op_id}): "
                    f"{', '.join(op.eligible)} report no part events"
                )
                self.mes.orders.operation_action(
                    order.id, op.seq, "complete", reason=reason, who=WHO
                )
                self.stats["confirmed"] += 1

    # ---- 2. release --------------------------------------------------------------------------

    def release(self, active: list[JobOrder]) -> None:
        orders = self.mes.orders
        wip: Counter[str] = Counter()
        for order in active:
            if order.id in self.stale or order.status not in ORDER_ACTIVE:
                continue
            if any(o.status in OP_OPEN and self._reports(o) for o in order.operations):
                wip[self.source.line(order.product)] += 1
        backlog: dict[str, list[str]] = {}
        for order in orders.list(status=[OrderStatus.CREATED], limit=ACTIVE_LIMIT):
            backlog.setdefault(self.source.line(order.product), []).append(order.id)
        for line in sorted({*self.source.lines(), *backlog}):
            waiting = backlog.get(line, [])
            while wip[line] < self.plan.wip_per_line:
                if waiting:
                    order_id = waiting.pop(0)
                elif self.plan.generate and line in self.source.by_line:
                    order_id = self._create(line)
                else:
                    break
                orders.release(order_id, who=WHO)
                self.stats["released"] += 1
                wip[line] += 1
            while (
                self.plan.generate
                and line in self.source.by_line
                and len(waiting) < self.plan.backlog_per_line
            ):
                waiting.append(self._create(line))

    def _create(self, line: str) -> str:
        product, quantity = self.source.draw(line)
        due = self.clock.now_ns() + round(DUE_AFTER_H * NS_PER_H)
        order = self.mes.orders.create(product, quantity, due_ns=due, who=WHO)
        self.stats["created"] += 1
        return order.id

    # ---- 4. dispatch -------------------------------------------------------------------------

    def dispatch(self) -> None:
        for path in self.dispatchable:
            for _ in range(ACTIVE_LIMIT):
                try:
                    sent = self.mes.dispatch.send_next(path, who=WHO)
                except ConnectorError as exc:
                    self.stats["send_errors"] += 1
                    if path not in self._down:
                        self._down.add(path)
                        log.warning("floor: jobs for %s stay queued: %s", path, exc.message)
                    break
                if sent is None:
                    break
                if path in self._down:
                    self._down.discard(path)
                    log.info("floor: jobs reach %s again", path)
                if sent["status"] == "sent":
                    self.stats["jobs_sent"] += 1
                else:
                    self.stats["jobs_refused"] += 1
                    log.warning(
                        "floor: %s refused %s op %s: %s",
                        path,
                        sent["order_id"],
                        sent["seq"],
                        sent["message"],
                    )


def describe(error: BaseException) -> str:
    """A one-line account of an error for health and logs."""
    if isinstance(error, ShopfloorError):
        return f"{error.code}: {error.message}"
    return repr(error)
