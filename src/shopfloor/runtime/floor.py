"""The live floor: MES running the plant while it runs (``shopfloor demo``, ``serve``).

:class:`FloorService` is a :class:`~shopfloor.service.Service` and a
:class:`~shopfloor.connect.sink.SampleSink`. It

- takes machine events from the connectors (or from the ingest service that fans them out):
  :meth:`FloorService.on_events` queues them and returns at once; the service's task applies
  them to MES in the order taken, one transaction per round (progress, equipment states,
  downtime, scrap, alarms: :meth:`MesService.apply_many <shopfloor.mes.MesService.apply_many>`;
  a redelivered event is a duplicate and changes nothing). When MES fails they stay queued and
  are retried. Samples are the historian's: :meth:`~FloorService.on_samples` keeps nothing;
- runs a floor pass (:class:`~.floor_work.FloorWork`) every ``interval_s`` seconds and after
  each delivery of events: it routes, confirms, releases orders from the order book (and creates
  them from the plant's order mix, so the demo never runs dry) and sends each dispatched job to
  its machine through the command channel (:class:`~.floor_channels.Channels`: OPC UA method
  ``ReceiveJob``, Sparkplug DCMD ``Command/Job``).

Operators still enter counts and downtime reasons for equipment that is not networked through
the CLI and the API. MES calls are synchronous (SQLAlchemy); the service runs them in a worker
thread, one at a time, so the event loop keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from typing import Any

from shopfloor.clock import Clock
from shopfloor.connect.sink import SampleBatch
from shopfloor.errors import ConfigError
from shopfloor.events import EventKind, MachineEvent
from shopfloor.mes import MesService
from shopfloor.plant.model import Plant, Protocol
from shopfloor.runtime.floor_channels import ChannelLike, Channels
from shopfloor.runtime.floor_orders import OrderPlan
from shopfloor.runtime.floor_work import FloorWork, describe
from shopfloor.service import Health

log = logging.getLogger(__name__)

#: Event lists waiting for MES before the oldest are dropped (MES down for long).
MAX_WAITING = 10_000
PART_EVENTS = frozenset({EventKind.PART_START, EventKind.PART_COMPLETE, EventKind.PART_SCRAP})


class FloorService:
    """MES on the live plant (see the module doc).

    ``plant`` and ``clock`` are the ones MES runs on (the virtual plant is the clock in the
    demo); ``channels`` maps a protocol (``opcua``, ``sparkplug``) to the connector that sends
    jobs to its equipment, or to a function returning it once it is up; ``plan`` says which
    orders to create and how many to keep on the floor (default: the plant file's order mix).
    Equipment whose protocol has a channel is taken to report its part events through it.
    """

    name = "floor"

    def __init__(
        self,
        plant: Plant,
        clock: Clock,
        mes: MesService,
        channels: Mapping[Protocol | str, ChannelLike],
        *,
        plan: OrderPlan | None = None,
        interval_s: float = 1.0,
    ) -> None:
        if not interval_s > 0:
            raise ConfigError(f"floor interval_s must be > 0, not {interval_s!r}")
        self.plant, self.clock, self.mes = plant, clock, mes
        self.channels = channels if isinstance(channels, Channels) else Channels(plant, channels)
        if mes.ctx.sender is None:
            mes.ctx.sender = self.channels
        elif mes.ctx.sender is not self.channels:
            raise ConfigError("this MES sends jobs through another sender already")
        self.plan = (plan or OrderPlan.from_plant(plant)).validate(plant)
        self.interval_s = interval_s
        reporting = {p for p, *_r in plant.walk() if self.channels.reaches(p)}
        self.work = FloorWork(mes, self.channels, self.plan, reporting, clock)
        self.events: Counter[str] = Counter()
        self.error: str = ""
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._applier: asyncio.Task[None] | None = None
        self._inbox: deque[list[MachineEvent]] = deque()
        self._has_events = asyncio.Event()
        self._apply_error = ""
        self._stopping = False
        self._last_event_ns = 0

    # ---- Service -----------------------------------------------------------------------------

    async def start(self) -> None:
        if self._task is not None:
            return
        async with self._lock:
            await asyncio.to_thread(self.work.begin)
        self._applier = asyncio.create_task(self._apply_loop(), name=f"{self.name}-events")
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        """Finish the pass under way, apply the events still waiting, then stop.

        The tasks are asked to end, not cancelled: a cancelled worker thread would go on
        writing to MES behind the service's back."""
        self._stopping = True
        self._wake.set()
        self._has_events.set()
        for task in (self._task, self._applier):
            if task is not None:
                await task
        self._task = self._applier = None
        self._stopping = False

    def health(self) -> Health:
        running = self._task is not None and not self._task.done()
        metrics: dict[str, Any] = {
            **self.work.stats,
            **{f"events_{k}": v for k, v in self.events.items()},
        }
        metrics["last_event_ns"] = self._last_event_ns
        metrics["events_waiting"] = sum(len(b) for b in self._inbox)
        if not running:
            return Health(False, "stopped", metrics)
        if self.error or self._apply_error:
            return Health(
                False, "; ".join(e for e in (self._apply_error, self.error) if e), metrics
            )
        return Health(True, f"{metrics.get('jobs_sent', 0)} jobs sent", metrics)

    # ---- SampleSink --------------------------------------------------------------------------

    async def on_samples(self, batch: SampleBatch) -> None:
        """Samples belong to the historian; MES runs on events alone."""
        return None

    async def on_events(self, events: Sequence[MachineEvent]) -> None:
        """Take ``events`` for MES: they are applied in the order taken, one transaction per
        round, by the service's own task (a slow pass never holds up the caller)."""
        if not events:
            return
        if len(self._inbox) >= MAX_WAITING:
            dropped = self._inbox.popleft()
            self.events["dropped"] += len(dropped)
            log.error("floor: MES is not taking events; %d oldest dropped", len(dropped))
        self._inbox.append(list(events))
        self._has_events.set()

    async def apply_waiting(self) -> None:
        """Apply the events taken so far (the service's task does this as they arrive)."""
        while self._inbox:
            n = len(self._inbox)
            events = [e for part in list(self._inbox)[:n] for e in part]
            async with self._lock:
                result = await asyncio.to_thread(self.mes.apply_many, events)
            for _ in range(n):
                self._inbox.popleft()
            self.events.update(
                applied=result.applied, duplicates=result.duplicates, parked=result.parked
            )
            for error in result.errors[:3]:
                log.warning("floor: event parked: %s", error)
            self._last_event_ns = max(self._last_event_ns, max(e.ts_ns for e in events))
            self._learn(events)
            self._wake.set()
        if not self._stopping:
            self._has_events.clear()

    async def _apply_loop(self) -> None:
        while not (self._stopping and not self._inbox):
            await self._has_events.wait()
            try:
                await self.apply_waiting()
                self._apply_error = ""
            except Exception as exc:  # MES did not take them: keep them, retry, say so once
                message = f"events not applied: {describe(exc)}"
                if self._stopping:
                    n = sum(len(b) for b in self._inbox)
                    log.error("floor: stopping with %d event(s) not applied: %s", n, message)
                    return
                if message != self._apply_error:
                    log.error("floor: %s (retrying)", message, exc_info=exc)
                self._apply_error = message
                await asyncio.sleep(self.interval_s)

    def _learn(self, events: Sequence[MachineEvent]) -> None:
        """Equipment that sends part events reports them, whatever its protocol."""
        for ev in events:
            if ev.kind not in PART_EVENTS:
                continue
            try:
                path = self.plant.resolve(ev.equipment)
            except KeyError:
                continue
            if path not in self.work.reporting:
                self.work.reporting.add(path)
                log.info(
                    "floor: %s reports part events; its operations are no longer confirmed", path
                )

    # ---- the pass loop -----------------------------------------------------------------------

    async def run_pass(self) -> None:
        """One floor pass now (the loop runs it every ``interval_s`` and after events)."""
        async with self._lock:
            await asyncio.to_thread(self.work.step)

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self.run_pass()
                self.error = ""
            except Exception as exc:  # keep the floor running; say why in health, log once
                message = describe(exc)
                if message != self.error:
                    log.error("floor: pass failed: %s", message, exc_info=exc)
                self.error = message
            if self._stopping:
                return
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval_s)
