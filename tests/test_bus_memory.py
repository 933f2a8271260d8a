"""Behaviour particular to the in-memory hub and the dispatcher."""

from __future__ import annotations

import asyncio

import pytest

from shopfloor.bus.memory import MemoryHub, MemoryTransport
from shopfloor.bus.transport import Transport, Will
from shopfloor.errors import BadInput, NotFound


async def test_settle_makes_delivery_deterministic() -> None:
    hub = MemoryHub()
    seen: list[bytes] = []

    async def slow(topic: str, payload: bytes) -> None:
        await asyncio.sleep(0)
        seen.append(payload)

    sub = MemoryTransport(hub)
    assert isinstance(sub, Transport)
    await sub.subscribe("x/#", slow)
    await sub.connect()
    pub = MemoryTransport(hub)
    await pub.connect()
    for i in range(1000):
        await pub.publish(f"x/{i % 3}", str(i).encode())
    await hub.settle()
    assert seen == [str(i).encode() for i in range(1000)]
    await sub.close()
    await pub.close()


async def test_handler_errors_are_counted_and_delivery_goes_on() -> None:
    hub = MemoryHub()
    good: list[str] = []

    def broken(topic: str, payload: bytes) -> None:
        raise ValueError("boom")

    sub = MemoryTransport(hub)
    await sub.subscribe("a", broken)
    await sub.subscribe("+", lambda t, p: good.append(t))
    await sub.connect()
    await sub.publish("a", b"")
    await sub.publish("b", b"")
    await hub.settle()
    assert good == ["a", "b"]
    assert sub.dispatcher.stats["handler_errors"] == 1
    await sub.close()


async def test_takeover_and_drop() -> None:
    hub = MemoryHub()
    watch = MemoryTransport(hub)
    wills: list[bytes] = []
    await watch.subscribe("wills/#", lambda t, p: wills.append(p), qos=1)
    await watch.connect()
    first = MemoryTransport(hub, "edge", will=Will("wills/edge", b"first died"))
    await first.connect()
    second = MemoryTransport(hub, "edge", will=Will("wills/edge", b"second died"))
    await second.connect()
    assert not first.connected and second.connected
    hub.drop("edge")
    await hub.settle()
    assert wills == [b"first died", b"second died"]
    with pytest.raises(NotFound, match="no client 'edge'"):
        hub.drop("edge")
    for t in (first, second, watch):
        await t.close()


def test_persistent_session_needs_client_id() -> None:
    with pytest.raises(BadInput, match="needs a client id"):
        MemoryTransport(MemoryHub(), clean_session=False)
