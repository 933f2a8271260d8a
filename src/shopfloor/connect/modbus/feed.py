"""The Modbus poller of one server as a connector service: samples delivered to an async sink,
per-device status reported to the connector status."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter

from shopfloor.clock import Clock
from shopfloor.connect.modbus.client import ModbusPoller
from shopfloor.connect.modbus.config import PollerConfig
from shopfloor.connect.modbus.layout import ModbusServer
from shopfloor.connect.sink import SampleBatch, SampleSink
from shopfloor.connect.status import ConnectorStatus
from shopfloor.samples import Quality, Sample
from shopfloor.service import Health
from shopfloor.sim.outlet import Command

log = logging.getLogger(__name__)


class ModbusFeed:
    """The poller of one Modbus TCP server delivering to an async sink, reporting to the
    connector status."""

    def __init__(
        self, server: ModbusServer, sink: SampleSink, clock: Clock, status: ConnectorStatus, *,
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
        seen: set[str] = set()
        for s in samples:
            device = s.tag.rsplit("/", 1)[0]
            seen.add(device)
            if s.quality == Quality.GOOD:
                per_device[device] += 1
        for device in seen:  # online while it answers with good values, offline when it fails
            self.status.set_device_online(device, device in per_device)
        for device, n in per_device.items():
            self.status.message(device, samples=n)
        self.status.set_online(self.poller.client.connected)
        try:
            await self.sink.on_samples(SampleBatch.from_samples(samples))
        except Exception as exc:  # the buffer refused (full): counted there, said here once
            self.stats["refused"] += len(samples)
            if self.stats["refused"] == len(samples):
                log.error("%s: %d samples not taken: %s", self.name, len(samples), exc)

    async def command(self, equipment: str, command: Command) -> None:
        """A PackML command to a device behind a gateway (its command register)."""
        await self.poller.command(equipment, command)
