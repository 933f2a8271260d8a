"""Interconnection test of one OPC UA server: session, browse, read, subscription, rates.

The platform's :class:`~shopfloor.connect.opcua.connector.OpcUaConnector` opens the session
(security ``Basic256Sha256``/``SignAndEncrypt`` when the plant asks for it, else ``None``) and
subscribes to every tag; then, per equipment, its node is browsed (tags found / configured), its
tags are read once (round trip, good values) and the subscription is watched for the
observation window (samples per second, source-to-receive latency from the connector status).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from shopfloor.assess.probe import CountingSink, DeviceProbe, Target
from shopfloor.clock import Clock, WallClock
from shopfloor.connect.opcua.client_config import OpcUaClientConfig
from shopfloor.connect.opcua.connector import OpcUaConnector
from shopfloor.connect.status import ConnectorStatus
from shopfloor.errors import ConnectorError, ShopfloorError
from shopfloor.plant.model import Plant
from shopfloor.samples import Quality

NAME = "assess-opcua"
READS = 3


def _security(plant: Plant, target: Target) -> str:
    wanted = {plant.equipment_by_path[p].endpoint.security for p in target.equipment}
    return "Basic256Sha256" if "Basic256Sha256" in wanted else "None"


async def _read(conn: OpcUaConnector, path: str, row: DeviceProbe, found: int, items: int) -> None:
    """Read every tag of ``path`` a few times: good values and the mean round trip."""
    tags = [t.tag_id for t in conn.points.points if t.equipment == path]
    rtts, good = [], 0
    for _ in range(READS):
        t0 = time.perf_counter()
        try:
            samples = await conn.read(tags) if tags else []
        except ConnectorError as exc:
            row.errors.append(exc.message)
            return
        rtts.append((time.perf_counter() - t0) * 1000)
        good = sum(1 for s in samples if s.quality == Quality.GOOD)
    row.points_seen = good
    row.latency_ms = sum(rtts) / len(rtts)
    row.latency_kind = f"read round trip of all tags (average of {READS})"
    row.check = (
        f"browse {found}/{len(tags)} tags; subscribed {items} items; read {good}/{len(tags)} good"
    )


async def probe_opcua(
    plant: Plant,
    target: Target,
    observe_s: float,
    timeout_s: float,
    pki_dir: Path,
    clock: Clock | None = None,
) -> list[DeviceProbe]:
    policy = _security(plant, target)
    config = OpcUaClientConfig(
        target.endpoint,
        security=policy,
        pki_dir=pki_dir if policy != "None" else None,
        timeout_s=min(timeout_s, 10.0),
    )
    mode = "None" if policy == "None" else f"{policy}/{config.mode}"
    rows = {
        p: DeviceProbe(p, "opcua", target.endpoint, mode, points_expected=len(
            plant.equipment_by_path[p].tags)) for p in target.equipment
    }  # fmt: skip
    clock = clock or WallClock()
    status = ConnectorStatus(clock)
    conn = OpcUaConnector(
        plant, config, CountingSink(), equipment=target.equipment, status=status, name=NAME,
        clock=clock,
    )  # fmt: skip
    try:
        await conn.start()
        await conn.wait_ready(timeout_s)
    except ShopfloorError as exc:
        for r in rows.values():
            r.errors.append(exc.message)
        await conn.stop()
        return list(rows.values())
    try:
        watched = {p: sum(1 for w in conn.watches if w.point.equipment == p) for p in rows}
        found: dict[str, int] = {}
        for path, row in rows.items():
            row.connected = True
            try:
                found[path] = len((await conn.browse(path, max_depth=3)).tags())
            except ConnectorError as exc:
                row.errors.append(exc.message)
        before = status.snapshot()["connectors"].get(NAME, {}).get("devices", {})
        t0 = time.monotonic()
        await asyncio.sleep(observe_s)
        span = time.monotonic() - t0
        after = status.snapshot()["connectors"].get(NAME, {}).get("devices", {})
        for path, row in rows.items():
            dev = after.get(path, {})
            row.samples = dev.get("samples", 0) - before.get(path, {}).get("samples", 0)
            row.update_rate = row.samples / span if span > 0 else None
            if dev.get("errors"):
                row.errors.append(str(dev.get("last_error") or "connector errors"))
            if dev.get("online") is False:
                row.errors.append("went offline during the test")
            if path in found:
                await _read(conn, path, row, found[path], watched[path])
    finally:
        await conn.stop()
    return list(rows.values())
