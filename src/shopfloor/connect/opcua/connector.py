"""The OPC UA connector: a :class:`~shopfloor.service.Service` reading one server into a sink,
and the :class:`~shopfloor.sim.outlet.PlantControl` that commands its equipment.

:class:`OpcUaConnector` keeps a session with the server that serves ``equipment`` of ``plant``
(default: every OPC UA equipment), subscribes to every tag and to the machine events (see
:mod:`.subscription`) and delivers :class:`~shopfloor.connect.sink.SampleBatch` and
:class:`~shopfloor.events.MachineEvent` lists to its :class:`~shopfloor.connect.sink.SampleSink`.

When the server cannot be reached or the session is lost, every tag gets one ``BAD`` sample
(value None), the equipment goes offline in the :class:`~shopfloor.connect.status.ConnectorStatus`
and the error is logged once per outage. The connector reconnects with :class:`.backoff.Backoff`
(exponential, capped, jitter from the injected RNG), opening a new session and creating the
subscription and its monitored items again; samples flow again and the outage is logged as over.

Browse, read, write and method calls (:mod:`.connector_ops`) work while a session is up and
raise :class:`~shopfloor.errors.ConnectorUnavailable` otherwise. :meth:`OpcUaConnector.command`
is safe from any thread but the connector's own loop: it runs the call there and waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from shopfloor.clock import Clock, WallClock
from shopfloor.connect.sink import SampleBatch, SampleSink
from shopfloor.connect.status import ConnectorState, ConnectorStatus
from shopfloor.errors import ConnectorError, ConnectorUnavailable
from shopfloor.events import MachineEvent
from shopfloor.plant.model import Plant
from shopfloor.samples import Quality, Sample
from shopfloor.service import Health
from shopfloor.sim.outlet import Command, CommandResult

from .backoff import Backoff, Uniform
from .client import OpcUaClient
from .client_config import OpcUaClientConfig
from .connector_ops import ConnectorOps
from .nodeids import namespace_uri
from .pki import ensure_certificate
from .points import point_table
from .session import LiveSession
from .subscription import Watch, watches
from .trust import CertificateTrust

log = logging.getLogger(__name__)

#: Events remembered to drop one delivered twice (history read and notification).
RECENT_EVENTS = 10_000


class OpcUaConnector(ConnectorOps):
    """Reads one OPC UA server into ``sink`` and commands its equipment (see the module doc)."""

    def __init__(
        self,
        plant: Plant,
        config: OpcUaClientConfig,
        sink: SampleSink,
        *,
        equipment: Iterable[str] | None = None,
        clock: Clock | None = None,
        rng: Uniform | None = None,
        status: ConnectorStatus | None = None,
        name: str = "opcua-client",
        resume: Callable[[str], tuple[int, int] | None] | None = None,
    ) -> None:
        self.name = name
        #: Per equipment, ``(ts_ns, seq)`` of the newest event delivered (or stored before
        #: this process, from ``resume``): where reading the server's event history resumes.
        self.cursor: dict[str, tuple[int, int]] = {}
        self._resume = resume
        self._recent: OrderedDict[tuple[str, int, int, str], None] = OrderedDict()
        self.plant = plant
        self.config = config.validate()
        self.sink = sink
        self.clock: Clock = clock or WallClock()
        self.points = point_table(plant, equipment)
        self.namespace = namespace_uri(plant)
        self.application_uri = self.config.client_uri(self.namespace)
        self.stats: Counter[str] = Counter()
        self.status: ConnectorState | None = (
            status.connector(name, "opcua") if status is not None else None
        )
        self.watches: list[Watch] = watches(self.points, self.config)
        self.error: ConnectorError | None = None  # the current outage, if any
        self._backoff = Backoff(
            self.config.backoff_initial_s,
            self.config.backoff_max_s,
            self.config.backoff_jitter,
            rng or random.Random(),
        )
        self._client: OpcUaClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._up = asyncio.Event()
        self._refused: set[str] = set()
        self._sink_down = False
        self._equipment_of = {p.tag_id: p.equipment for p in self.points.points}

    # ---- Service ------------------------------------------------------------------------------

    async def start(self) -> None:
        if self._task is not None:
            return
        certificate, trust = None, None
        cfg = self.config
        if cfg.policy.secure and cfg.pki_dir is not None:
            certificate = await asyncio.to_thread(
                ensure_certificate,
                cfg.pki_dir,
                self.application_uri,
                f"shopfloor connector {self.plant.site.id}",
                organization=self.plant.enterprise.name or "shopfloor",
            )
            trust = CertificateTrust(cfg.pki_dir, cfg.trust_mode)
        self._client = OpcUaClient(cfg, self.application_uri, certificate, trust)
        self._loop = asyncio.get_running_loop()
        self._up = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._client is not None:
            await self._client.close()
        self._loop = None
        self._up.clear()
        self._set_online(False)

    def health(self) -> Health:
        running = self._task is not None and not self._task.done()
        up = running and self._up.is_set()
        if not running:
            detail = "stopped"
        elif up:
            detail = f"{self.config.endpoint}: connected"
        else:
            why = self.error.message if self.error is not None else "connecting"
            detail = f"{self.config.endpoint}: unavailable: {why}"
        metrics: dict[str, Any] = dict(self.stats)
        metrics.update(
            endpoint=self.config.endpoint,
            security=f"{self.config.policy.value}/{self.config.security_mode.value}",
            equipment=len(self.points.served),
            tags=len(self.points),
            tags_refused=len(self._refused),
        )
        return Health(ok=up, detail=detail, metrics=metrics)

    @property
    def connected(self) -> bool:
        return self._up.is_set() and self._client is not None and self._client.connected

    async def wait_ready(self, timeout_s: float) -> None:
        """Until a session is up and subscribed; ConnectorUnavailable after ``timeout_s``."""
        try:
            await asyncio.wait_for(self._up.wait(), timeout_s)
        except TimeoutError:
            why = f": {self.error.message}" if self.error is not None else ""
            raise ConnectorUnavailable(
                f"{self.name}: no session with {self.config.endpoint} after {timeout_s} s{why}"
            ) from None

    # ---- PlantControl (any thread but the loop's) --------------------------------------------

    def command(self, equipment: str, command: Command, args: dict[str, Any]) -> CommandResult:
        """Call the equipment's method for ``command`` and wait for the plant's answer."""
        loop = self._loop
        if loop is None or self._task is None:
            raise ConnectorUnavailable(f"{self.name} is not running")
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            raise ConnectorError(
                f"{self.name}.command() blocks; in the connector's event loop await .call()"
            )
        future = asyncio.run_coroutine_threadsafe(self.call(equipment, command, args), loop)
        try:
            return future.result(timeout=2 * self.config.timeout_s)
        except TimeoutError:
            future.cancel()
            raise ConnectorUnavailable(
                f"{self.name}: {command} on {equipment} got no answer in "
                f"{2 * self.config.timeout_s} s"
            ) from None

    # ---- the session loop ---------------------------------------------------------------------

    def _live(self) -> OpcUaClient:
        if self._client is None or not self._up.is_set():
            why = f" ({self.error.message})" if self.error is not None else ""
            raise ConnectorUnavailable(f"{self.name}: no session with {self.config.endpoint}{why}")
        return self._client

    async def _run(self) -> None:
        while True:
            try:
                error = await self._session()
            except Exception as exc:  # a bug, not the server: say so loudly, keep serving
                log.exception("%s: session failed unexpectedly", self.name)
                error = ConnectorError(f"{self.name}: session failed unexpectedly: {exc!r}")
            await self._outage(error)
            await asyncio.sleep(self._backoff.next_s())

    async def _session(self) -> ConnectorError:
        """One session from connect to loss; the error that ended it."""
        assert self._client is not None
        client, session = self._client, None
        try:
            await client.connect()
            self.stats["connects"] += 1
            session = LiveSession(
                client,
                self.config,
                self.watches,
                self.namespace,
                self.points.served,
                self._deliver,
                self.clock,
                self.stats,
            )
            await self._on_refused(await session.open(self._since()))
            self._online()
            await session.wait()
            why = f": {client.lost_reason}" if client.lost_reason else ""
            return ConnectorUnavailable(
                f"lost the session with OPC UA server {client.endpoint}{why}"
            )
        except ConnectorError as exc:
            return exc
        finally:
            self._up.clear()
            if session is not None:
                await session.close()
            await client.close()

    def _since(self) -> dict[str, tuple[int, int]]:
        """Where each equipment's missed events begin (see :meth:`.LiveSession.open`)."""
        if self._resume is not None:
            for path in self.points.served:
                if path not in self.cursor:
                    known = self._resume(path)
                    if known is not None:
                        self.cursor[path] = known
        return dict(self.cursor)

    def _fresh(self, events: list[MachineEvent]) -> list[MachineEvent]:
        """``events`` without those already delivered (an event read from the history and
        then notified too); the cursor moves on."""
        out = []
        for ev in events:
            if ev.seq:
                key = (ev.equipment, ev.ts_ns, ev.seq, ev.kind.value)
                if key in self._recent:
                    self.stats["events_duplicate"] += 1
                    continue
                self._recent[key] = None
                if len(self._recent) > RECENT_EVENTS:
                    self._recent.popitem(last=False)
            out.append(ev)
            mark = (ev.ts_ns, ev.seq)
            if mark > self.cursor.get(ev.equipment, (-1, -1)):
                self.cursor[ev.equipment] = mark
        return out

    def _online(self) -> None:
        self._backoff.reset()
        if self.error is not None:
            log.info(
                "%s: OPC UA server %s is back (%d tags subscribed)",
                self.name,
                self.config.endpoint,
                len(self.watches) - len(self._refused),
            )
        else:
            log.info("%s: connected to OPC UA server %s", self.name, self.config.endpoint)
        self.error = None
        self._set_online(True)
        self._up.set()

    async def _outage(self, error: ConnectorError) -> None:
        """BAD samples and offline status at the start of an outage; the error logged once."""
        self.stats["connect_failures"] += 1
        first = self.error is None
        self.error = error
        if not first:
            log.debug("%s: still unavailable: %s", self.name, error.message)
            return
        self.stats["outages"] += 1
        log.warning("%s: %s (logged once per outage; reconnecting)", self.name, error.message)
        self._set_online(False)
        if self.status is not None:
            self.status.error(error.message)
        now = self.clock.now_ns()
        bad = [Sample(p.tag_id, now, None, Quality.BAD) for p in self.points.points]
        await self._deliver(SampleBatch.from_samples(bad), [], received=False)

    async def _on_refused(self, refused: Sequence[tuple[Watch, str]]) -> None:
        """Tags the server does not serve: logged once each, one BAD sample when newly refused."""
        now = self.clock.now_ns()
        fresh = []
        for watch, why in refused:
            tag = watch.point.tag_id
            if tag not in self._refused:
                log.warning("%s: %s not monitored: %s (logged once)", self.name, tag, why)
                fresh.append(Sample(tag, now, None, Quality.BAD))
        self._refused = {w.point.tag_id for w, _ in refused}
        self.stats["items_refused"] += len(refused)
        if fresh:
            await self._deliver(SampleBatch.from_samples(fresh), [], received=False)

    def _set_online(self, online: bool) -> None:
        if self.status is None:
            return
        self.status.set_online(online)
        for path in self.points.served:
            self.status.set_device_online(path, online)

    async def _deliver(
        self, batch: SampleBatch, events: list[MachineEvent], received: bool = True
    ) -> None:
        if len(batch):
            self.stats["samples"] += len(batch)
            if received:
                self._count_messages(batch)
            await self._to_sink(self.sink.on_samples(batch), len(batch), "samples")
        events = self._fresh(events) if events else events
        if events:
            self.stats["events"] += len(events)
            await self._to_sink(self.sink.on_events(events), len(events), "events")

    async def _to_sink(self, delivery: Any, n: int, what: str) -> None:
        try:
            await delivery
        except Exception as exc:
            self.stats[f"{what}_not_taken"] += n
            if not self._sink_down:
                self._sink_down = True
                log.error(
                    "%s: the sink did not take %d %s: %s (logged once until it does)",
                    self.name,
                    n,
                    what,
                    exc,
                )
            if self.status is not None:
                self.status.error(f"sink: {exc}")
            return
        if self._sink_down:
            self._sink_down = False
            log.info("%s: the sink takes %s again", self.name, what)

    def _count_messages(self, batch: SampleBatch) -> None:
        """Per equipment: one message, its rows and the latency of its newest row."""
        if self.status is None:
            return
        now = self.clock.now_ns()
        rows = np.bincount(batch.tag_index, minlength=len(batch.tags))
        newest = np.full(len(batch.tags), np.iinfo(np.int64).min, dtype=np.int64)
        np.maximum.at(newest, batch.tag_index, batch.ts_ns)
        per: dict[str, tuple[int, int]] = {}
        for i, tag in enumerate(batch.tags):
            eq = self._equipment_of.get(tag, tag.rsplit("/", 1)[0])
            n, ts = per.get(eq, (0, newest[i]))
            per[eq] = (n + int(rows[i]), max(ts, int(newest[i])))
        for eq, (n, ts) in per.items():
            self.status.message(eq, samples=n, latency_ns=now - ts)
