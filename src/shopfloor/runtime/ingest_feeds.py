"""The connectors ingest runs, one per protocol of the plant's networked equipment.

* OPC UA equipment (``protocol: opcua``): one
  :class:`~shopfloor.connect.opcua.connector.OpcUaConnector` (one session) per server: the
  equipment's own ``endpoint`` (url, security policy and mode) or, without one, the plant's
  OPC UA server from :class:`IngestEndpoints`.
* Sparkplug B equipment: one :class:`~shopfloor.connect.sparkplug.host.SparkplugHost` on the
  broker the edge nodes publish to.
* Modbus equipment (``protocol: modbus``): one :class:`~shopfloor.connect.modbus.ModbusPoller`
  per Modbus TCP server (a device's own ``endpoint``, or a gateway, or the settings'
  ``modbus_url``), its samples reported in the connector status like the others.

Every connector delivers through a :class:`Meter` (counts rows and live devices per protocol
for the ingest log) into the ingest service's buffered sink.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from shopfloor.clock import Clock
from shopfloor.connect.modbus import ModbusPoller, PollerConfig
from shopfloor.connect.modbus.layout import ModbusServer, modbus_servers
from shopfloor.connect.opcua.connector import OpcUaConnector
from shopfloor.connect.opcua.servers import opcua_servers
from shopfloor.connect.sink import SampleBatch, SampleSink
from shopfloor.connect.sparkplug.host import HostConfig, SparkplugHost
from shopfloor.connect.sparkplug.host_config import sparkplug_brokers
from shopfloor.connect.sparkplug.host_names import TagNames
from shopfloor.connect.status import ConnectorStatus
from shopfloor.events import MachineEvent
from shopfloor.plant.model import Connectivity, Plant, Protocol
from shopfloor.samples import Quality, Sample
from shopfloor.service import Health, Service

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IngestEndpoints:
    """Where the plant's devices are served; None: that protocol is not read."""

    #: ``opc.tcp://host:port`` of the OPC UA server.
    opcua: str | None = None
    #: ``mqtt://host:port`` of the broker the Sparkplug edge nodes publish to.
    sparkplug: str | None = None
    #: ``modbus+tcp://host:port`` of the Modbus TCP gateway.
    modbus: str | None = None


def networked(plant: Plant) -> dict[str, list[str]]:
    """Equipment paths per protocol name (``opcua``, ``sparkplug``, ``modbus``), for every
    equipment that is networked."""
    out: dict[str, list[str]] = {}
    for path, *_rest, eq in plant.walk():
        if eq.connectivity is not Connectivity.NONE and eq.protocol is not Protocol.NONE:
            out.setdefault(eq.protocol.value, []).append(path)
    return out


class Meter:
    """A pass-through sink counting rows and the devices that sent good samples, per protocol."""

    def __init__(self, protocol: str, inner: SampleSink) -> None:
        self.protocol, self.inner = protocol, inner
        self.rows = 0
        self.last_seen: dict[str, float] = {}  # equipment -> monotonic time of a good sample

    async def on_samples(self, batch: SampleBatch) -> None:
        self.count(batch)
        await self.inner.on_samples(batch)

    async def on_events(self, events: Sequence[MachineEvent]) -> None:
        await self.inner.on_events(events)

    def count(self, batch: SampleBatch) -> None:
        self.rows += len(batch)
        good = np.unique(batch.tag_index[batch.quality == int(Quality.GOOD)])
        now = time.monotonic()
        for i in good.tolist():
            self.last_seen[batch.tags[i].rsplit("/", 1)[0]] = now

    def live(self, window_s: float) -> int:
        since = time.monotonic() - window_s
        return sum(1 for t in self.last_seen.values() if t >= since)


class ModbusFeed:
    """The poller of one Modbus TCP server delivering to an async sink, reporting to the
    connector status."""

    def __init__(
        self, server: ModbusServer, sink: Meter, clock: Clock, status: ConnectorStatus, *,
        poll_interval_s: float = 1.0, name: str = "modbus-poller",
    ) -> None:  # fmt: skip
        self.name, self.sink = name, sink
        self.status = status.connector(name, "modbus")
        config = PollerConfig(server.host, server.port, poll_interval_s=poll_interval_s)
        self.poller = ModbusPoller(config, server.units, self._take, clock, name=name)
        self._queue: asyncio.Queue[list[Sample]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.stats: Counter[str] = Counter()

    def _take(self, samples: list[Sample]) -> None:
        self._queue.put_nowait(samples)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._deliver(), name=f"{self.name}-deliver")
        await self.poller.start()

    async def stop(self) -> None:
        await self.poller.stop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        while not self._queue.empty():  # what the last poll produced still goes out
            await self._send(self._queue.get_nowait())

    def health(self) -> Health:
        return self.poller.health()

    async def _deliver(self) -> None:
        while True:
            await self._send(await self._queue.get())

    async def _send(self, samples: list[Sample]) -> None:
        per_device: Counter[str] = Counter()
        for s in samples:
            device = s.tag.rsplit("/", 1)[0]
            if s.quality == Quality.GOOD:
                per_device[device] += 1
            else:
                self.status.set_device_online(device, False)
        for device, n in per_device.items():
            self.status.message(device, samples=n)
        self.status.set_online(self.poller.client.connected)
        try:
            await self.sink.on_samples(SampleBatch.from_samples(samples))
        except Exception as exc:  # the buffer refused (full): counted there, said here once
            self.stats["refused"] += len(samples)
            if self.stats["refused"] == len(samples):
                log.error("%s: %d samples not taken: %s", self.name, len(samples), exc)


def connectors(
    plant: Plant,
    endpoints: IngestEndpoints,
    meters: dict[str, Meter],
    clock: Clock,
    status: ConnectorStatus,
    *,
    modbus_poll_s: float = 1.0,
    sparkplug_host_id: str = "shopfloor",
    pki_dir: Path | None = None,
) -> list[Service]:
    """One connector per protocol that has networked equipment and an endpoint."""
    out: list[Service] = []
    opcua, no_opcua = opcua_servers(plant, endpoints.opcua)
    for n, server in enumerate(opcua):
        out.append(
            OpcUaConnector(
                plant, server.client_config(pki_dir), meters["opcua"], equipment=server.equipment,
                clock=clock, status=status,
                name="opcua-client" if n == 0 else f"opcua-client-{n + 1}",
            )
        )  # fmt: skip
    brokers, no_broker = sparkplug_brokers(plant, endpoints.sparkplug)
    for n, (url, paths) in enumerate(brokers):
        names = TagNames(plant)
        groups = tuple(sorted({d.group_id for p in paths if (d := names.find(p)) is not None}))
        host = HostConfig(url, host_id=sparkplug_host_id, group_ids=groups or None)
        out.append(
            SparkplugHost(
                plant, host, meters["sparkplug"], clock=clock, status=status,
                name="sparkplug-host" if n == 0 else f"sparkplug-host-{n + 1}",
            )
        )  # fmt: skip
    modbus, no_modbus = modbus_servers(plant, endpoints.modbus)
    for n, mb in enumerate(modbus):
        out.append(
            ModbusFeed(
                mb, meters["modbus"], clock, status, poll_interval_s=modbus_poll_s,
                name="modbus-poller" if n == 0 else f"modbus-poller-{n + 1}",
            )
        )  # fmt: skip
    for protocol in networked(plant):
        missing = {
            Protocol.OPCUA: no_opcua,
            Protocol.MODBUS: no_modbus,
            Protocol.SPARKPLUG: no_broker,
        }[Protocol(protocol)]
        if missing:
            log.warning(
                "ingest: no %s endpoint for %d equipment, not read: %s",
                protocol,
                len(missing),
                ", ".join(missing),
            )
    return out
