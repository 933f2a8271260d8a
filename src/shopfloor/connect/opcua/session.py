"""The subscription of one live session, from monitored items to batches for the sink.

:class:`LiveSession` creates one subscription on a connected :class:`~.client.OpcUaClient`
(one monitored item per :class:`~.subscription.Watch`, plus the machine-event item) and runs
two tasks: a reader that files every notification in :class:`~.subscription.Notifications`,
and a flusher that hands what was filed to ``deliver``. The reader never waits while
notifications are queued, so the flusher runs once the queue is drained: one batch per publish
response (at most about ``max_batch`` rows), in order. A bad subscription status, or either
task failing, ends the session as lost; :meth:`close` delivers what is still filed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence

from asyncua import ua
from asyncua.common.subscription import Subscription

from shopfloor.clock import Clock, from_ns
from shopfloor.connect.sink import SampleBatch
from shopfloor.errors import ConnectorError, ConnectorUnavailable, DecodeError, NotFound
from shopfloor.events import MachineEvent

from .client import OpcUaClient
from .client_config import OpcUaClientConfig
from .subscription import (
    Notifications,
    Watch,
    event_filter,
    event_request,
    event_type_id,
    item_request,
    machine_event,
)
from .uatypes import std

log = logging.getLogger(__name__)

#: At most this many events are read back from a server's event history per reconnect.
HISTORY_LIMIT = 200_000
#: Server-side queue of the machine-event item (events are few but must not be lost).
EVENT_QUEUE_SIZE = 1000

Deliver = Callable[[SampleBatch, list[MachineEvent]], Awaitable[None]]


class LiveSession:
    def __init__(
        self,
        client: OpcUaClient,
        config: OpcUaClientConfig,
        watches: Sequence[Watch],
        plant_namespace: str,
        equipment: Iterable[str],
        deliver: Deliver,
        clock: Clock,
        stats: Counter[str],
    ) -> None:
        self.client = client
        self.config = config
        self.watches = list(watches)
        self.plant_namespace = plant_namespace
        self.deliver = deliver
        events = config.events and client.has_namespace(plant_namespace)
        self.event_handle = len(self.watches) + 1 if events else None
        self.notes = Notifications(self.watches, self.event_handle, equipment, clock, stats)
        self.stats = stats
        self._sub: Subscription | None = None
        self._ready = asyncio.Event()
        self._closing = False
        self._tasks: list[asyncio.Task[None]] = []

    async def open(
        self, since: dict[str, tuple[int, int]] | None = None
    ) -> list[tuple[Watch, str]]:
        """Create the subscription; the watches the server refused, each with the reason.

        With ``since`` (per equipment, ``(ts_ns, seq)`` of the newest event it has), the machine
        events notified while this client was away are read from the server's event history
        (HistoryRead on the Server object) and delivered before any notification of the new
        subscription; a server that keeps no history is said once, and the session goes on."""
        refused: list[tuple[Watch, str]] = []
        requests, handles = [], []
        for handle, watch in self.notes.watches.items():
            try:
                point = watch.point
                if point.path is not None and point.root is not None:
                    nid = await self.client.resolve_path(point.root, point.path)
                else:
                    nid = self.client.node_id(watch.node)
            except NotFound as exc:
                refused.append((watch, exc.message))
                continue
            requests.append(item_request(watch, nid, handle))
            handles.append(handle)
        if self.event_handle is not None:
            ns = self.client.namespace_index(self.plant_namespace)
            requests.append(event_request(event_type_id(ns), self.event_handle, EVENT_QUEUE_SIZE))
            handles.append(self.event_handle)
        self._sub, results = await self.client.subscribe(
            self.config.publishing_interval_ms, requests
        )
        for handle, status in zip(handles, results, strict=True):
            if status is None:
                continue
            if handle == self.event_handle:
                log.warning(
                    "OPC UA %s refused the machine-event item: %s",
                    self.client.endpoint,
                    status.name,
                )
            else:
                refused.append((self.notes.watches[handle], status.name))
        if self.event_handle is not None and since:
            await self._catch_up(since)
        self._tasks = [
            asyncio.create_task(self._read(), name="opcua-read"),
            asyncio.create_task(self._flush(), name="opcua-flush"),
        ]
        return refused

    async def _catch_up(self, since: dict[str, tuple[int, int]]) -> None:
        start = min(ts for ts, _seq in since.values())
        ns = self.client.namespace_index(self.plant_namespace)
        flt = event_filter(event_type_id(ns))
        server = std(ua.ObjectIds.Server)
        try:
            (notifier,) = await self.client.read([server], ua.AttributeIds.EventNotifier)
            bits = int(notifier.Value.Value) if notifier.Value is not None else 0
            if not bits >> ua.EventNotifier.HistoryRead & 1:  # (a bit number) it keeps none
                raise ConnectorError("its Server object's EventNotifier has no HistoryRead")
            rows = await self.client.event_history(server, from_ns(start), flt, HISTORY_LIMIT)
        except ConnectorUnavailable:
            raise
        except (ConnectorError, TypeError, ValueError) as exc:
            self.stats["event_history_unavailable"] += 1
            if self.stats["event_history_unavailable"] == 1:
                log.warning(
                    "OPC UA %s keeps no event history (%s): events while shopfloor was away "
                    "are not read back (said once)",
                    self.client.endpoint,
                    getattr(exc, "message", exc),
                )
            return
        if len(rows) >= HISTORY_LIMIT:
            log.warning(
                "OPC UA %s: the event history since %s holds more than %d events; the first "
                "%d are read back",
                self.client.endpoint,
                from_ns(start).isoformat(),
                HISTORY_LIMIT,
                HISTORY_LIMIT,
            )
        missed = []
        for fields in rows:
            try:
                ev = machine_event(fields)
            except DecodeError:
                self.stats["history_events_malformed"] += 1
                continue
            if ev.equipment not in self.notes.equipment:
                continue
            mark = since.get(ev.equipment)
            if mark is None or (ev.ts_ns, ev.seq) > mark:
                missed.append(ev)
        missed.sort(key=lambda e: (e.ts_ns, e.seq))
        self.stats["events_from_history"] += len(missed)
        if missed:
            log.info(
                "OPC UA %s: %d machine events read back from the event history",
                self.client.endpoint,
                len(missed),
            )
            await self.deliver(SampleBatch.from_samples([]), missed)

    async def wait(self) -> None:
        """Until the session is lost (or a task fails, which is logged and ends it too)."""
        lost = asyncio.create_task(self.client.lost.wait())
        try:
            done, _ = await asyncio.wait([lost, *self._tasks], return_when=asyncio.FIRST_COMPLETED)
        finally:
            lost.cancel()
        for task in done:
            if task is not lost and not task.cancelled() and task.exception() is not None:
                log.error(
                    "OPC UA %s: %s failed",
                    self.client.endpoint,
                    task.get_name(),
                    exc_info=task.exception(),
                )

    async def close(self) -> None:
        """Stop reading, deliver what is filed (bounded by the request timeout)."""
        if not self._tasks:
            return
        reader, flusher = self._tasks
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await reader
        self._closing = True
        self._ready.set()
        if not flusher.done():
            try:
                await asyncio.wait_for(flusher, self.config.timeout_s)
            except (TimeoutError, Exception):
                log.warning("OPC UA %s: last notifications not delivered", self.client.endpoint)
        self._tasks = []

    async def _read(self) -> None:
        assert self._sub is not None
        async for item in self._sub:
            self.notes.add(item)
            if self.notes.bad_status is not None:
                log.info(
                    "OPC UA %s: subscription status %s",
                    self.client.endpoint,
                    self.notes.bad_status.name,
                )
                self.client.lost.set()
                return
            self._ready.set()
            if len(self.notes) >= self.config.max_batch:
                await asyncio.sleep(0)  # let the flusher take the full batch

    async def _flush(self) -> None:
        while True:
            await self._ready.wait()
            self._ready.clear()
            if len(self.notes):
                batch, events = self.notes.take()
                await self.deliver(batch, events)
            if self._closing:
                return
