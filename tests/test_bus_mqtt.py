"""The paho-based MQTT transport: failure to connect, reconnect and resubscribe."""

from __future__ import annotations

import asyncio
import time

import pytest

from shopfloor.bus.broker import Broker
from shopfloor.bus.mqtt import MqttTransport
from shopfloor.errors import BadInput, BusError
from tests.conftest import free_port


async def test_unreachable_broker_is_a_clear_error() -> None:
    port = free_port()
    t = MqttTransport("127.0.0.1", port, connect_timeout_s=1.0)
    with pytest.raises(BusError, match=f"127.0.0.1:{port} not reachable within 1.0s"):
        await t.connect()


def test_from_url() -> None:
    t = MqttTransport.from_url("mqtt://127.0.0.1:1999")
    assert (t.host, t.port) == ("127.0.0.1", 1999)
    with pytest.raises(BadInput, match="mqtt://host"):
        MqttTransport.from_url("http://x")


async def test_reconnects_and_resubscribes_after_broker_restart() -> None:
    broker = Broker()
    await broker.start()
    port = broker.port
    got: list[bytes] = []
    sub = MqttTransport("127.0.0.1", port)
    await sub.subscribe("r/#", lambda t, p: got.append(p), qos=1)
    await sub.connect()
    pub = MqttTransport("127.0.0.1", port)
    await pub.connect()
    await pub.publish("r/1", b"before", qos=1)
    await broker.stop()
    deadline = time.monotonic() + 10
    while sub.connected and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert not sub.connected
    with pytest.raises(BusError, match="QoS 0 message dropped"):
        await sub.publish("r/x", b"", qos=0)
    broker = Broker(port=port)
    await broker.start()
    try:
        await asyncio.wait_for(pub.publish("r/2", b"after", qos=1), 20)  # kept and resent
        deadline = time.monotonic() + 20
        while b"after" not in got:
            if time.monotonic() > deadline:
                raise AssertionError(f"no delivery after the restart: {got}")
            if sub.connected:
                await pub.publish("r/3", b"after", qos=1)
            await asyncio.sleep(0.05)
        assert got[0] == b"before"
    finally:
        await sub.close()
        await pub.close()
        await broker.stop()
