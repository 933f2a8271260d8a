"""Interconnection test of the Sparkplug B devices behind one MQTT broker.

The platform's :class:`~shopfloor.connect.sparkplug.host.SparkplugHost` (host id
``shopfloor-assess``, clean session) subscribes to the plant's groups; a node it has not seen
born is asked to rebirth, so every device sends its DBIRTH again. Over the observation window
the connector status gives, per device: online (born, not dead), messages, samples per second,
source-to-receive latency and errors. Points seen are the device's metrics that delivered data.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from shopfloor.assess.probe import DeviceProbe, Target
from shopfloor.clock import Clock, WallClock
from shopfloor.connect.sink import SampleBatch
from shopfloor.connect.sparkplug.host import HostConfig, SparkplugHost
from shopfloor.connect.status import ConnectorStatus
from shopfloor.errors import ShopfloorError
from shopfloor.events import MachineEvent
from shopfloor.plant.model import Plant

NAME = "assess-sparkplug"
HOST_ID = "shopfloor-assess"


class _TagSink:
    """Counts samples per tag id (to tell which points delivered)."""

    def __init__(self) -> None:
        self.tags: set[str] = set()

    async def on_samples(self, batch: SampleBatch) -> None:
        self.tags.update(batch.tags[int(i)] for i in set(batch.tag_index.tolist()))

    async def on_events(self, events: Sequence[MachineEvent]) -> None:
        return None


def _all_born(status: ConnectorStatus, rows: dict[str, DeviceProbe]) -> bool:
    devices = status.snapshot()["connectors"].get(NAME, {}).get("devices", {})
    return all(devices.get(p, {}).get("online") for p in rows)


async def probe_sparkplug(
    plant: Plant, target: Target, observe_s: float, timeout_s: float, clock: Clock | None = None
) -> list[DeviceProbe]:
    security = "TLS" if target.endpoint.startswith("mqtts") else "none (MQTT over TCP)"
    rows = {
        p: DeviceProbe(p, "sparkplug", target.endpoint, security,
                       points_expected=len(plant.equipment_by_path[p].tags))
        for p in target.equipment
    }  # fmt: skip
    clock = clock or WallClock()
    status = ConnectorStatus(clock)
    sink = _TagSink()
    try:
        config = HostConfig(target.endpoint, host_id=HOST_ID, clean_session=True)
        host = SparkplugHost(plant, config, sink, status=status, name=NAME, clock=clock)
    except ShopfloorError as exc:
        for r in rows.values():
            r.errors.append(exc.message)
        return list(rows.values())
    await host.start()
    try:
        deadline = time.monotonic() + timeout_s
        while not host.ready and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if not host.ready:
            for r in rows.values():
                r.errors.append(f"no MQTT session with {target.endpoint} after {timeout_s:g} s")
            return list(rows.values())
        # a node that was born before we subscribed is asked to rebirth: wait (up to the
        # timeout) for every targeted device's DBIRTH, then observe for the window
        while time.monotonic() < deadline and not _all_born(status, rows):
            await asyncio.sleep(0.05)
        t0 = time.monotonic()
        await asyncio.sleep(observe_s)
        span = time.monotonic() - t0
        snap = status.snapshot()["connectors"].get(NAME, {})
        devices = snap.get("devices", {})
        parked = {p["device"]: p for p in snap.get("parked", []) if p.get("device")}
    finally:
        await host.stop()
    for path, row in rows.items():
        dev = devices.get(path, {})
        row.connected = bool(dev.get("messages"))
        row.samples = int(dev.get("samples", 0))
        row.update_rate = row.samples / span if span > 0 else None
        row.points_seen = sum(1 for t in sink.tags if t.startswith(path + "/"))
        lat = dev.get("latency_avg_s")
        row.latency_ms = None if lat is None else lat * 1000
        row.latency_kind = "source timestamp -> receive (average)"
        row.check = (
            f"{'born (DBIRTH)' if dev.get('online') else 'not born'}; "
            f"{dev.get('messages', 0)} messages; {row.points_seen}/{row.points_expected} metrics"
        )
        if dev.get("errors"):
            row.errors.append(str(dev.get("last_error") or "device errors"))
        if dev.get("parked"):
            why = parked.get(path, {})
            row.errors.append(
                f"{dev['parked']} payloads parked ({why.get('reason', '?')}: "
                f"{str(why.get('detail', ''))[:160]})"
            )
        if not dev.get("online"):
            row.errors.append("device not online (no DBIRTH, or DDEATH)")
    return list(rows.values())
