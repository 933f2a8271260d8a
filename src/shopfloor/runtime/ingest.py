"""The ingest service: connectors -> store-and-forward buffer -> bus (UNS) -> historian.

::

    OPC UA connector ─┐              ┌─► subscribers (live values, MES, ...)
    Sparkplug host  ──┼─► FanOutSink ┤                                      ┌─ writer 1 ─► historian
    Modbus poller  ───┘              └─► BufferedSink ─► BusPublisher ─► bus ─┤
                                         (disk, data_dir/ingest-buffer)     └─ writer N (shared)

:class:`IngestService` runs one connector per protocol of the plant's networked equipment
(:mod:`.ingest_feeds`), all delivering to :attr:`IngestService.sink`, which hands every batch to
the subscribers at once and then to :attr:`IngestService.buffer`, a
:class:`~shopfloor.connect.buffer.BufferedSink` on disk under ``data_dir``: while the bus is down
(or the broker does not acknowledge), batches are kept in order and delivered later. The
:class:`~.ingest_bus.BusPublisher` puts them on the UNS (binary batches for samples, JSON for
events); ``workers`` :class:`~.ingest_bus.HistorianWriter` s subscribe to the UNS (as one MQTT
shared subscription ``$share/<group>/...`` when there are several) with persistent sessions, so
messages published while a writer is away wait for it at the broker.

Subscribers
    Other in-process consumers (the API's live values and event log, MES, predictive
    maintenance) register a :class:`~shopfloor.connect.sink.SampleSink` with
    :meth:`IngestService.subscribe`. Each receives every sample batch and event list as the
    connectors deliver it, before it is buffered, put on the bus and stored (so live values do
    not wait for the bus round trip and the writers' flush interval, and go on while the bus is
    down); a call that raises is logged once and counted, and ingest goes on. Calls are awaited
    in turn, so a slow consumer should queue and return.

Connector status (per device online state, rates, parked payloads) goes to the
:class:`~shopfloor.connect.status.ConnectorStatus` given (share it with the API). Every
``log_every_s`` the service reports (to ``report``, default: the log at INFO), per protocol, the
devices that sent good samples recently and the samples/s, and the rows/s written to the
historian.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shopfloor.bus.topics import subscription_filter
from shopfloor.bus.transport import Transport
from shopfloor.clock import Clock, WallClock
from shopfloor.connect.buffer import BufferedSink
from shopfloor.connect.registry import registry
from shopfloor.connect.rules import RuleSink
from shopfloor.connect.rules_store import RULES_FILE, RuleCheckpoint
from shopfloor.connect.sink import SampleBatch, SampleSink
from shopfloor.connect.status import ConnectorStatus
from shopfloor.errors import BusError, ConfigError
from shopfloor.events import MachineEvent
from shopfloor.historian.store import Historian
from shopfloor.historian.stores import is_postgres_url
from shopfloor.plant.model import Plant
from shopfloor.runtime.ingest_bus import BusPublisher, FanOutSink, HistorianWriter, Subscribers
from shopfloor.runtime.ingest_feeds import IngestEndpoints, Meter, connectors, networked
from shopfloor.runtime.ingest_query import QueryEndpoint
from shopfloor.service import Health, Service

log = logging.getLogger(__name__)

__all__ = ["BusFactory", "IngestConfig", "IngestEndpoints", "IngestService"]

#: Makes a bus client: ``(client_id, persistent_session) -> Transport`` (not yet connected).
BusFactory = Callable[[str, bool], Transport]


@dataclass(frozen=True)
class IngestConfig:
    """How ingest runs; :meth:`validate` names the bad field."""

    #: Historian writers (one bus client each); more than one share one subscription.
    workers: int = 1
    #: Shared-subscription group and client id prefix (stable: writer sessions persist).
    group: str = "shopfloor-ingest"
    #: Writers store what arrived at least this often (seconds) ...
    flush_interval_s: float = 0.2
    #: ... or as soon as this many rows wait.
    max_rows: int = 200_000
    #: Bound of the disk buffer (bytes); beyond it new data is refused, loudly.
    buffer_max_bytes: int = 1 << 30
    #: fsync each buffered record (off only for throwaway runs).
    buffer_fsync: bool = True
    #: Seconds the broker has to acknowledge a publish before the data goes to the buffer.
    publish_timeout_s: float = 10.0
    #: Seconds between Modbus polls.
    modbus_poll_s: float = 1.0
    #: Client certificate and server trust list of secured OPC UA sessions.
    pki_dir: Path | None = None
    #: Seconds between the per-protocol log lines (0: no log lines).
    log_every_s: float = 10.0
    #: Serve ``shopfloor query`` for other processes (DuckDB stores only).
    query_endpoint: bool = True
    #: Keep the tag-to-event rules' memory in ``data_dir/rules.sqlite`` (a restart resumes it).
    keep_rules: bool = True

    def validate(self) -> IngestConfig:
        if not isinstance(self.workers, int) or not 1 <= self.workers <= 64:
            raise ConfigError(f"workers = {self.workers!r}: must be 1-64", field="workers")
        if not self.group or any(c in self.group for c in "/+#"):
            raise ConfigError(f"group {self.group!r}: must be non-empty, no / + #", field="group")
        for name in ("flush_interval_s", "publish_timeout_s", "modbus_poll_s"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
                raise ConfigError(f"{name} = {value!r}: must be > 0 seconds", field=name)
        if not isinstance(self.log_every_s, int | float) or not self.log_every_s >= 0:
            raise ConfigError(f"log_every_s = {self.log_every_s!r}: must be >= 0", field="log")
        if self.max_rows < 1 or self.buffer_max_bytes < 1 << 20:
            raise ConfigError("max_rows must be >= 1 and buffer_max_bytes >= 1 MiB")
        return self


class IngestService:
    """Connectors -> buffer -> bus -> historian writers and subscribers (see the module doc)."""

    name = "ingest"

    def __init__(
        self,
        plant: Plant,
        historian: Historian,
        bus: BusFactory,
        data_dir: Path | str,
        *,
        endpoints: IngestEndpoints | Callable[[], IngestEndpoints] = IngestEndpoints(),
        clock: Clock | None = None,
        status: ConnectorStatus | None = None,
        config: IngestConfig | None = None,
        report: Callable[[str], None] | None = None,
        resume: Callable[[str], tuple[int, int] | None] | None = None,
    ) -> None:
        self.plant, self.historian, self.bus = plant, historian, bus
        #: ``(ts_ns, seq)`` of an equipment's newest stored event, for connectors that read
        #: back what they missed (see :attr:`~shopfloor.connect.registry.BuildContext.resume`).
        self.resume = resume
        #: Where the periodic line goes (default: this module's logger at INFO).
        self.report = report or (lambda line: log.info("%s", line))
        self.config = (config or IngestConfig()).validate()
        self.clock: Clock = clock or WallClock()
        self.status = status or ConnectorStatus(self.clock)
        self._endpoints = endpoints
        self.subscribers = Subscribers()
        self.publisher: BusPublisher | None = None
        self.writers: list[HistorianWriter] = []
        self.connectors: list[Service] = []
        self.query: QueryEndpoint | None = None
        self._forward = _Forward()
        #: The store-and-forward buffer in front of the bus.
        self.buffer = BufferedSink(
            self._forward,
            Path(data_dir) / "ingest-buffer",
            max_bytes=self.config.buffer_max_bytes,
            retry_max_s=2.0,
            fsync=self.config.buffer_fsync,
            name="ingest",
        )
        #: Where connectors (and anything else producing samples) deliver.
        self.sink = FanOutSink(self.subscribers, self.buffer)
        #: Tags of plain devices become machine events by their equipment's rules.
        checkpoint = RuleCheckpoint(Path(data_dir) / RULES_FILE) if self.config.keep_rules else None
        self.rules = RuleSink(plant, self.sink, checkpoint)
        rules_or_sink: SampleSink = self.rules if self.rules else self.sink
        self.meters = {p: Meter(p, rules_or_sink) for p in registry()}
        self._log_task: asyncio.Task[None] | None = None
        self._started = False

    # ---- subscribers -------------------------------------------------------------------------

    def subscribe(self, consumer: SampleSink) -> Callable[[], None]:
        """Deliver every batch and event list ingest receives to ``consumer`` as well; returns
        a function that removes it again."""
        if not isinstance(consumer, SampleSink):
            raise ConfigError(f"{type(consumer).__name__} is not a SampleSink")
        self.subscribers.sinks.append(consumer)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self.subscribers.sinks.remove(consumer)

        return unsubscribe

    # ---- Service -----------------------------------------------------------------------------

    async def start(self) -> None:
        if self._started:
            return
        try:
            await self._start()
        except BaseException:
            await self.stop()  # what did start is stopped again; the error says why
            raise
        self._started = True

    async def _start(self) -> None:
        cfg = self.config
        await asyncio.to_thread(self._register_plant)
        if cfg.query_endpoint and not is_postgres_url(self.historian.url):
            self.query = QueryEndpoint(self.historian)
            await self.query.start()
        everything = subscription_filter()
        topic_filter = everything if cfg.workers == 1 else f"$share/{cfg.group}/{everything}"
        bus_status = self.status.connector("ingest-bus", "bus")
        for i in range(cfg.workers):
            transport = self.bus(f"{cfg.group}-w{i}", True)
            writer = HistorianWriter(
                f"{cfg.group}-w{i}",
                transport,
                topic_filter,
                self.historian,
                status=bus_status,
                clock=self.clock,
                flush_interval_s=cfg.flush_interval_s,
                max_rows=cfg.max_rows,
            )
            await writer.start()
            self.writers.append(writer)
        transport = self.bus(f"{cfg.group}-pub", False)
        await transport.connect()
        self.publisher = BusPublisher(transport, timeout_s=cfg.publish_timeout_s)
        self._forward.inner = self.publisher
        await self.buffer.start()
        ends = self._endpoints() if callable(self._endpoints) else self._endpoints
        self.connectors = connectors(
            self.plant,
            ends,
            self.meters,
            self.clock,
            self.status,
            modbus_poll_s=cfg.modbus_poll_s,
            sparkplug_host_id=cfg.group,
            pki_dir=cfg.pki_dir,
            resume=self.resume,
        )
        for connector in self.connectors:
            await connector.start()
        if cfg.log_every_s:
            self._log_task = asyncio.create_task(self._log_loop(), name="ingest-log")

    async def stop(self) -> None:
        """Connectors first, then the buffer (a backlog stays on disk for the next start),
        then the publisher, then the writers (storing what reached them)."""
        if self._log_task is not None:
            self._log_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._log_task
            self._log_task = None
        for connector in reversed(self.connectors):
            await connector.stop()
        await self.buffer.stop()
        if self.publisher is not None:
            await self.publisher.transport.close()
        for writer in self.writers:
            await writer.stop()
        if self.rules.checkpoint is not None:
            self.rules.checkpoint.close()
        if self.query is not None:
            await self.query.stop()
        self.connectors, self.writers, self.publisher, self.query = [], [], None, None
        self._started = False

    def health(self) -> Health:
        buffer = self.buffer.health()
        writers = [w.stats for w in self.writers]
        metrics: dict[str, Any] = {
            "rows_stored": sum(s["rows"] for s in writers),
            "messages": sum(s["messages"] for s in writers),
            "malformed": sum(s["malformed"] for s in writers),
            "write_failures": sum(s["write_failures"] for s in writers),
            "buffer": buffer.metrics,
            "subscriber_failures": dict(self.subscribers.failures),
            "connectors": {c.name: c.health().ok for c in self.connectors},
        }
        ok = self._started and buffer.ok and all(w.transport.connected for w in self.writers)
        return Health(ok, f"{len(self.connectors)} connectors, {buffer.detail}", metrics)

    @property
    def rows_stored(self) -> int:
        return sum(w.stats["rows"] for w in self.writers)

    async def drain(self, timeout_s: float = 60.0) -> None:
        """Wait until the buffer is empty and every writer has stored what reached it."""
        deadline = time.monotonic() + timeout_s
        while self.buffer.backlog:
            if time.monotonic() > deadline:
                raise TimeoutError(f"ingest buffer still holds {self.buffer.backlog} records")
            await asyncio.sleep(0.05)
        for writer in self.writers:
            await writer.flush()

    # ---- internals ---------------------------------------------------------------------------

    def _register_plant(self) -> None:
        with self.historian.lock:
            self.historian.registry.register_plant(self.plant)

    def live_report(self) -> str:
        """One line: live devices and samples/s per protocol, rows stored, buffer backlog."""
        return self._report(self.config.log_every_s or 10.0, {}, self.rows_stored)[0]

    def _report(
        self, every: float, rows_before: dict[str, int], stored_before: int
    ) -> tuple[str, dict[str, int], int]:
        window = max(3 * every, 30.0)
        have = networked(self.plant)
        parts = []
        for protocol, meter in self.meters.items():
            total = len(have.get(protocol, []))
            if not total:
                continue
            rate = (meter.rows - rows_before.get(protocol, meter.rows)) / every
            parts.append(f"{protocol} {meter.live(window)}/{total} devices live {rate:,.0f}/s")
        stored = self.rows_stored
        rate = (stored - stored_before) / every
        parts.append(f"historian {rate:,.0f} rows/s, buffer backlog {self.buffer.backlog}")
        return "ingest: " + "; ".join(parts), {p: m.rows for p, m in self.meters.items()}, stored

    async def _log_loop(self) -> None:
        every = self.config.log_every_s
        rows = {p: m.rows for p, m in self.meters.items()}
        stored = self.rows_stored
        while True:
            await asyncio.sleep(every)
            line, rows, stored = self._report(every, rows, stored)
            self.report(line)


class _Forward:
    """The buffer's downstream: the publisher once the bus is connected (until then, raise so
    the buffer keeps the data)."""

    def __init__(self) -> None:
        self.inner: BusPublisher | None = None

    async def on_samples(self, batch: SampleBatch) -> None:
        await self._need().on_samples(batch)

    async def on_events(self, events: Sequence[MachineEvent]) -> None:
        await self._need().on_events(events)

    def _need(self) -> BusPublisher:
        if self.inner is None:
            raise BusError("ingest is not connected to the bus yet")
        return self.inner
