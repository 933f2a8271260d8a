"""The connectors ingest runs: every session of every registered protocol
(:mod:`shopfloor.connect.registry`) that has networked equipment in the plant.

Each protocol's row groups the equipment into sessions from each equipment's own ``endpoint``,
with the per-protocol default of :class:`IngestEndpoints` for equipment that names none: one
OPC UA session per server (security and user), one Modbus poller per Modbus TCP server, one
Sparkplug B host per broker. Equipment with nowhere to be read is logged by name.

Every connector delivers through a :class:`Meter` (counts rows and live devices per protocol
for the ingest log) into the ingest service's buffered sink.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from shopfloor.clock import Clock
from shopfloor.connect.registry import BuildContext, registry
from shopfloor.connect.sink import SampleBatch, SampleSink
from shopfloor.connect.status import ConnectorStatus
from shopfloor.events import MachineEvent
from shopfloor.plant.model import Connectivity, Plant, Protocol
from shopfloor.samples import Quality
from shopfloor.service import Service

log = logging.getLogger(__name__)


_FIELDS = ("opcua", "sparkplug", "modbus")


@dataclass(frozen=True, slots=True)
class IngestEndpoints:
    """Where the plant's devices are served; None: that protocol is not read."""

    #: ``opc.tcp://host:port`` of the OPC UA server.
    opcua: str | None = None
    #: ``mqtt://host:port`` of the broker the Sparkplug edge nodes publish to.
    sparkplug: str | None = None
    #: ``modbus+tcp://host:port`` of the Modbus TCP gateway.
    modbus: str | None = None

    def default(self, protocol: str) -> str | None:
        """The endpoint of equipment of ``protocol`` that names none of its own."""
        value = getattr(self, protocol, None) if protocol in _FIELDS else None
        return value if isinstance(value, str) else None


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
    resume: Callable[[str], tuple[int, int] | None] | None = None,
) -> list[Service]:
    """One service per session of every registered protocol that has networked equipment."""
    out: list[Service] = []
    have = networked(plant)
    for name, row in registry().items():
        if name not in have:
            continue
        sessions, missing = row.sessions(plant, endpoints.default(name))
        for n, session in enumerate(sessions):
            ctx = BuildContext(
                plant, meters[name], clock, status, poll_interval_s=modbus_poll_s, pki_dir=pki_dir,
                host_id=sparkplug_host_id, index=n, resume=resume,
            )  # fmt: skip
            out.append(row.service(session, ctx))
        if missing:
            log.warning(
                "ingest: no %s endpoint for %d equipment, not read: %s",
                name,
                len(missing),
                ", ".join(missing),
            )
    return out
