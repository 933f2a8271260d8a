"""The OPC UA connector across a server restart: tags go bad once, then it re-subscribes."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter

import pytest

from shopfloor.clock import WallClock
from shopfloor.connect.opcua import OpcUaServer
from shopfloor.connect.opcua.client_config import OpcUaClientConfig
from shopfloor.connect.opcua.connector import OpcUaConnector
from shopfloor.connect.status import ConnectorStatus
from shopfloor.plant import load_plant
from shopfloor.samples import Quality
from shopfloor.sim.outlet import Command, TagValue
from tests.test_opcua_client import RecordingSink
from tests.test_opcua_server import DEADLINE_S, LATHE, T0, RecordingControl

CONNECTOR_LOG = "shopfloor.connect.opcua.connector"


def port_of(endpoint: str) -> int:
    return int(endpoint.rsplit(":", 1)[1].split("/", 1)[0])


async def test_server_restart_bad_once_then_resubscribed(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=CONNECTOR_LOG)
    plant = load_plant("demo")
    control = RecordingControl(plant)
    server = OpcUaServer(plant, control, security=("None",))
    await server.start()
    port = port_of(server.endpoint)
    status = ConnectorStatus(WallClock())
    sink = RecordingSink()
    config = OpcUaClientConfig(
        server.endpoint,
        publishing_interval_ms=20,
        watchdog_s=0.2,
        backoff_initial_s=0.05,
        backoff_max_s=0.2,
    )
    connector = OpcUaConnector(plant, config, sink, rng=random.Random(3), status=status)
    tags = set(connector.points.by_tag)
    tag = f"{LATHE}/spindle_temp"
    restarted: OpcUaServer | None = None
    await connector.start()
    try:
        await connector.wait_ready(DEADLINE_S)
        server.on_values([TagValue(tag, T0 + 1_000, 30.0)])
        await sink.until("first value", lambda: [s for s in sink.of(tag) if s.value == 30.0])
        devices = status.snapshot()["connectors"]["opcua-client"]["devices"]
        assert len(devices) == 7 and all(d["online"] for d in devices.values())
        assert devices[LATHE]["samples"] >= 1

        mark = len(sink.samples)
        await server.stop()
        bad = await sink.until(
            "a BAD sample for every tag",
            lambda: (
                Counter(s.tag for s in sink.samples[mark:])
                if {s.tag for s in sink.samples[mark:]} >= tags
                else None
            ),
        )
        async with asyncio.timeout(DEADLINE_S):  # several attempts fail meanwhile
            while connector.stats["connect_failures"] < 4:
                await asyncio.sleep(0.01)
        outage = sink.samples[mark:]
        assert {s.quality for s in outage} == {Quality.BAD} and {s.value for s in outage} == {None}
        assert set(Counter(s.tag for s in outage).values()) == {1} and set(bad) == tags
        health = connector.health()
        assert not health.ok and "unavailable" in health.detail
        snapshot = status.snapshot()["connectors"]["opcua-client"]
        assert not snapshot["online"] and snapshot["errors"] == 1
        assert not any(d["online"] for d in snapshot["devices"].values())
        warnings = [r for r in caplog.records if r.name == CONNECTOR_LOG and r.levelno >= 30]
        assert len(warnings) == 1 and "logged once per outage" in warnings[0].getMessage()

        restarted = OpcUaServer(plant, control, security=("None",), port=port)
        await restarted.start()
        await connector.wait_ready(DEADLINE_S)
        mark = len(sink.samples)
        restarted.on_values([TagValue(tag, T0 + 2_000, 31.0)])
        await sink.until("value after restart", lambda: [s for s in sink.of(tag, mark) if s.value])
        assert sink.of(tag, mark)[-1].value == 31.0
        assert connector.stats["outages"] == 1 and connector.stats["connects"] == 2
        assert connector.health().ok
        assert status.snapshot()["connectors"]["opcua-client"]["devices"][LATHE]["online"]
        assert any("is back" in r.getMessage() for r in caplog.records if r.name == CONNECTOR_LOG)
        assert (await connector.call(LATHE, Command.START)).ok
    finally:
        await connector.stop()
        await server.stop()
        if restarted is not None:
            await restarted.stop()
