"""Interconnection test of one Modbus TCP server (a device, or a gateway for legacy equipment).

The platform's :class:`~shopfloor.connect.modbus.client.ModbusPoller` reads each unit's point
table (merged register and bit blocks, plus a gateway's quality bitmap) again and again for the
observation window: points seen are the tags read with good quality, the update rate is good
samples per second, the latency is the mean round trip of one unit's reads.
"""

from __future__ import annotations

import asyncio
import time

from shopfloor.assess.probe import DeviceProbe, Target
from shopfloor.clock import Clock, WallClock
from shopfloor.connect.modbus import ModbusPoller, PollerConfig
from shopfloor.connect.modbus.layout import modbus_servers
from shopfloor.errors import ConnectorError, DecodeError, ShopfloorError
from shopfloor.plant.model import Plant
from shopfloor.samples import Quality, Sample

POLL_S = 0.5
SECURITY = "none (Modbus TCP has no transport security)"


def _unused(samples: list[Sample]) -> None:
    """The poller's sink: the test calls ``read_unit`` itself and counts what it returns."""


async def probe_modbus(
    plant: Plant, target: Target, observe_s: float, timeout_s: float, clock: Clock | None = None
) -> list[DeviceProbe]:
    host, _, port = target.endpoint.rpartition(":")
    servers, _missing = modbus_servers(plant, f"modbus+tcp://{target.endpoint}")
    units = [
        u
        for srv in servers
        if f"{srv.host}:{srv.port}" == target.endpoint
        for u in srv.units
        if u.equipment in target.equipment
    ]
    rows = {
        u.equipment: DeviceProbe(
            u.equipment, "modbus", f"modbus+tcp://{target.endpoint} unit {u.unit_id}", SECURITY,
            points_expected=len(u.points),
        )
        for u in units
    }  # fmt: skip
    try:
        config = PollerConfig(host, int(port), timeout_s=min(timeout_s, 5.0))
        poller = ModbusPoller(config, units, _unused, clock or WallClock(), name="assess-modbus")
        await asyncio.wait_for(poller.client.connect(), timeout_s)
    except (ShopfloorError, TimeoutError, ValueError) as exc:
        why = exc.message if isinstance(exc, ShopfloorError) else f"{type(exc).__name__}: {exc}"
        for r in rows.values():
            r.errors.append(why)
        return list(rows.values())
    rtts: dict[str, list[float]] = {u.equipment: [] for u in units}
    seen: dict[str, set[str]] = {u.equipment: set() for u in units}
    warmup: dict[str, list[str]] = {u.equipment: [] for u in units}
    start = time.monotonic()
    try:
        while True:
            for u in units:
                row = rows[u.equipment]
                t0 = time.perf_counter()
                try:
                    samples = await poller.read_unit(u)
                except (ConnectorError, DecodeError) as exc:
                    # before the unit first answers the gateway may still be waiting for it
                    into = row.errors if row.connected else warmup[u.equipment]
                    if exc.message not in into:
                        into.append(exc.message)
                    continue
                rtts[u.equipment].append((time.perf_counter() - t0) * 1000)
                good = [s for s in samples if s.quality == Quality.GOOD]
                row.connected = True
                row.samples += len(good)
                seen[u.equipment].update(s.tag for s in good)
            if time.monotonic() - start >= observe_s:
                break
            await asyncio.sleep(POLL_S)
    finally:
        poller.client.close()
    span = time.monotonic() - start
    for u in units:
        row = rows[u.equipment]
        row.points_seen = len(seen[u.equipment])
        if not row.connected:
            row.errors.extend(warmup[u.equipment])
        row.update_rate = row.samples / span if span > 0 else None
        if rtts[u.equipment]:
            row.latency_ms = sum(rtts[u.equipment]) / len(rtts[u.equipment])
            row.latency_kind = "request round trip (average)"
        row.check = (
            f"{len(rtts[u.equipment])} polls ({poller.reads_per_poll(u)} requests each); "
            f"{row.points_seen}/{len(u.points)} registers good"
            + (
                f"; before the first answer: {warmup[u.equipment][0]}"
                if row.connected and warmup[u.equipment]
                else ""
            )
        )
    return list(rows.values())
