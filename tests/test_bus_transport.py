"""One transport suite, run against the embedded broker, a real Mosquitto and the memory hub."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from shopfloor.bus.broker import Broker
from shopfloor.bus.memory import MemoryHub, MemoryTransport
from shopfloor.bus.mqtt import MqttTransport
from shopfloor.bus.transport import Transport, Will
from shopfloor.errors import BadInput, BusError

DEADLINE_S = 10.0


@dataclass
class Inbox:
    """Collects (topic, payload) and lets a test await a count with a deadline."""

    items: list[tuple[str, bytes]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def __call__(self, topic: str, payload: bytes) -> None:
        self.items.append((topic, payload))
        self.changed.set()

    async def _until(self, done: Callable[[], bool], what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{what}; got {len(self.items)}: {self.items[-5:]}")
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), left)

    async def wait(self, n: int, timeout: float = DEADLINE_S) -> list[tuple[str, bytes]]:
        await self._until(lambda: len(self.items) >= n, f"expected {n} messages", timeout)
        return self.items

    async def until(self, topic: str, timeout: float = DEADLINE_S) -> list[tuple[str, bytes]]:
        """Everything received up to and including the first message on ``topic``."""
        topics = lambda: [t for t, _ in self.items]  # noqa: E731
        await self._until(lambda: topic in topics(), f"no message on {topic!r}", timeout)
        return self.items[: topics().index(topic) + 1]


@dataclass
class Backend:
    name: str
    make: Callable[..., Transport]
    kill: Callable[[Transport], None]
    opened: list[Transport] = field(default_factory=list)

    def __call__(self, **kwargs: Any) -> Transport:
        t = self.make(**kwargs)
        self.opened.append(t)
        return t


def _kill_mqtt(t: Transport) -> None:
    """Vanish without DISCONNECT: stop paho's loop and close its socket under it."""
    assert isinstance(t, MqttTransport)
    t.client.loop_stop()
    sock = t.client.socket()
    assert sock is not None
    sock.close()


@pytest.fixture(params=["embedded", "mosquitto", "memory"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    broker: Broker | None = None
    if request.param == "memory":
        hub = MemoryHub()
        b = Backend(
            "memory", lambda **kw: MemoryTransport(hub, **kw), lambda t: hub.drop(t.client_id)
        )
    else:
        if request.param == "embedded":
            broker = Broker()
            await broker.start()
            port = broker.port
        else:
            port = request.getfixturevalue("mosquitto").port
        b = Backend(request.param, lambda **kw: MqttTransport("127.0.0.1", port, **kw), _kill_mqtt)
    try:
        yield b
    finally:
        for t in b.opened:
            await t.close()
        if broker is not None:
            await broker.stop()


async def connected(backend: Backend, **kwargs: Any) -> Transport:
    t = backend(**kwargs)
    await t.connect()
    return t


async def test_qos0_and_qos1_delivery_in_order(backend: Backend) -> None:
    sub = await connected(backend)
    inbox = Inbox()
    await sub.subscribe("plant/+/temp", inbox, qos=1)
    pub = await connected(backend)
    for i in range(50):
        await pub.publish("plant/m1/temp", f"q0-{i}".encode(), qos=0)
    for i in range(50):
        await pub.publish("plant/m2/temp", f"q1-{i}".encode(), qos=1)
    await pub.publish("plant/m2/other", b"not matched", qos=1)
    got = await inbox.wait(100)
    assert [p for t, p in got if t == "plant/m1/temp"] == [f"q0-{i}".encode() for i in range(50)]
    assert [p for t, p in got if t == "plant/m2/temp"] == [f"q1-{i}".encode() for i in range(50)]


async def test_subscribe_before_connect_and_unsubscribe(backend: Backend) -> None:
    sub = backend()
    inbox = Inbox()
    await sub.subscribe("a/#", inbox, qos=1)
    await sub.connect()
    pub = await connected(backend)
    await pub.publish("a/b", b"1", qos=1)
    await inbox.wait(1)
    await sub.unsubscribe("a/#")
    await sub.subscribe("marker", inbox, qos=1)
    await pub.publish("a/b", b"2", qos=1)
    await pub.publish("marker", b"", qos=1)
    assert [p for _, p in await inbox.until("marker")] == [b"1", b""]


async def test_retained_set_replace_clear(backend: Backend) -> None:
    pub = await connected(backend)
    await pub.publish("r/a", b"first", qos=1, retain=True)
    await pub.publish("r/a", b"second", qos=1, retain=True)
    await pub.publish("r/b", b"kept", qos=0, retain=True)
    await pub.publish("r/c", b"gone", qos=1, retain=True)
    await pub.publish("r/c", b"", qos=1, retain=True)
    sub = await connected(backend)
    inbox = Inbox()
    await sub.subscribe("r/#", inbox, qos=1)
    await pub.publish("r/zz", b"marker", qos=1)
    got = await inbox.until("r/zz")
    assert sorted(got[:-1]) == [("r/a", b"second"), ("r/b", b"kept")]


async def test_will_on_abrupt_close_not_on_close(backend: Backend) -> None:
    watcher = await connected(backend)
    inbox = Inbox()
    await watcher.subscribe("will/#", inbox, qos=1)
    polite = await connected(backend, will=Will("will/polite", b"gone", qos=1))
    await polite.close()
    victim = await connected(backend, will=Will("will/victim", b"dead", qos=1, retain=True))
    backend.kill(victim)
    got = await inbox.until("will/victim")
    assert got == [("will/victim", b"dead")]
    late = await connected(backend)
    late_inbox = Inbox()
    await late.subscribe("will/victim", late_inbox, qos=1)
    assert await late_inbox.wait(1) == [("will/victim", b"dead")]


async def test_persistent_session_gets_qos1_sent_while_away(backend: Backend) -> None:
    first_inbox = Inbox()
    sub = backend(client_id="keeper", clean_session=False)
    await sub.subscribe("p/#", first_inbox, qos=1)
    await sub.connect()
    await sub.close()
    pub = await connected(backend)
    for i in range(20):
        await pub.publish(f"p/{i}", str(i).encode(), qos=1)
    inbox = Inbox()
    again = backend(client_id="keeper", clean_session=False)
    await again.subscribe("p/#", inbox, qos=1)
    await again.connect()
    got = await inbox.wait(20)
    assert sorted(int(p) for _, p in got) == list(range(20))
    assert first_inbox.items == []


async def test_shared_subscription_splits_without_loss_or_duplicates(backend: Backend) -> None:
    inboxes = [Inbox(), Inbox()]
    for inbox in inboxes:
        member = await connected(backend)
        await member.subscribe("$share/workers/jobs/#", inbox, qos=1)
    pub = await connected(backend)
    for i in range(100):
        await pub.publish(f"jobs/{i % 7}", str(i).encode(), qos=1)
    deadline = time.monotonic() + DEADLINE_S
    while sum(len(i.items) for i in inboxes) < 100 and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    got = [int(p) for inbox in inboxes for _, p in inbox.items]
    assert sorted(got) == list(range(100))
    assert all(inbox.items for inbox in inboxes), [len(i.items) for i in inboxes]


async def test_bad_arguments_are_refused(backend: Backend) -> None:
    t = await connected(backend)
    with pytest.raises(BadInput, match="QoS must be 0 or 1"):
        await t.publish("a", b"x", qos=2)
    with pytest.raises(BadInput, match="wildcards"):
        await t.publish("a/#", b"x")
    with pytest.raises(BadInput, match="'#' must be the last level"):
        await t.subscribe("a/#/b", lambda topic, payload: None)
    with pytest.raises(BadInput, match=r"\$share/<group>/<filter>"):
        await t.subscribe("$share/onlygroup", lambda topic, payload: None)
    await t.close()
    with pytest.raises(BusError, match="not connected"):
        await t.publish("a", b"x")
