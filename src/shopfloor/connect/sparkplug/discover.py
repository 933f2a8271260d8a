"""Discover Sparkplug B devices on a broker (``shopfloor plant discover mqtt://...``).

A Sparkplug host application listens on every group for ``seconds``: births it sees (an edge node
asked to rebirth when its data comes without one, as Sparkplug hosts do) give each device's
group, edge node and device ids and its metrics with their data types. Each device becomes an
equipment with those ids as its endpoint and one tag per metric (``sparkplug_metric`` keeps the
metric's own name). Metrics of types a tag cannot hold (arrays, data sets, templates) are left
out and counted.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from typing import Any

from shopfloor.connect.sink import SampleBatch
from shopfloor.connect.sparkplug.datatypes import DataType
from shopfloor.connect.sparkplug.host import HostConfig, SparkplugHost
from shopfloor.connect.sparkplug.host_rows import Kind
from shopfloor.events import MachineEvent
from shopfloor.plant.draft import seg_id, tag_name

TYPES = {
    DataType.Boolean: "bool",
    DataType.Float: "float", DataType.Double: "double",
    DataType.String: "string", DataType.Text: "string", DataType.UUID: "string",
    **{t: "int" for t in (DataType.Int8, DataType.Int16, DataType.Int32, DataType.Int64,
                          DataType.UInt8, DataType.UInt16, DataType.UInt32, DataType.UInt64)},
}  # fmt: skip


class _Discard:
    async def on_samples(self, batch: SampleBatch) -> None:
        return None

    async def on_events(self, events: Sequence[MachineEvent]) -> None:
        return None


async def discover_sparkplug(url: str, seconds: float) -> tuple[list[dict[str, Any]], list[str]]:
    """Equipment documents for the Sparkplug B devices that were born on ``url`` within
    ``seconds``, and notes for the user."""
    config = HostConfig(
        url, host_id="shopfloor-discover", client_id=f"shopfloor-discover-{os.getpid()}",
        clean_session=True, rebirth_interval_s=1.0,
    )  # fmt: skip
    host = SparkplugHost(None, config, _Discard())
    await host.start()
    try:
        await asyncio.sleep(seconds)
    finally:
        await host.stop()
    docs: list[dict[str, Any]] = []
    skipped = 0
    for (group, node), n in sorted(host.session.nodes.items()):
        for device_id, dev in sorted(n.devices.items()):
            if not dev.born:
                continue
            tags, names = [], set()
            for metric, slot in dev.slots.items():
                kind = TYPES.get(slot.datatype) if slot.datatype is not None else None
                if slot.kind in (Kind.EVENT, Kind.RESULT, Kind.SKIP) or metric.startswith(
                    ("Node Control/", "Device Control/", "Properties/", "Command/")
                ):
                    continue
                if kind is None:
                    skipped += 1
                    continue
                name = tag_name([metric])
                if name in names:
                    continue
                names.add(name)
                tags.append({"name": name, "data_type": kind, "sparkplug_metric": metric})
            docs.append(
                {
                    "id": seg_id(device_id, "device"),
                    "name": device_id,
                    "class": "assembly_station",
                    "protocol": "sparkplug",
                    "endpoint": {"url": url, "group": group, "edge_node": node,
                                 "device": device_id},
                    "tags": tags,
                }
            )  # fmt: skip
    notes = [f"{url}: {len(docs)} Sparkplug B device(s) born within {seconds:g} s"]
    if skipped:
        notes.append(f"{url}: {skipped} metric(s) of types a tag cannot hold left out")
    return docs, notes
