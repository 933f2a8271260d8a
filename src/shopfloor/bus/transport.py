"""The transport contract: how every part of the platform puts bytes on the bus and gets them.

Two implementations carry exactly the same bytes: :class:`~shopfloor.bus.mqtt.MqttTransport` (any
MQTT 3.1.1 broker, the embedded one included) and :class:`~shopfloor.bus.memory.MemoryTransport`
(an in-process hub for virtual-time runs and tests, with the broker's own routing code).

* ``subscribe`` may be called before ``connect``; the subscription is made on connect and again on
  every reconnect. A persistent session (``clean_session=False``) should subscribe *before*
  connecting so that messages queued while it was away find their handler.
* A handler receives ``(topic, payload)``; it may be a plain function or a coroutine function.
  Handlers of one transport run one at a time in arrival order; an exception in a handler is
  logged and counted, and delivery goes on.
* A filter may be a shared subscription, ``$share/<group>/<filter>``: each message goes to one
  member of the group.
* ``qos`` is 0 (at most once) or 1 (at least once); publishing at QoS 1 returns when the broker
  has acknowledged the message.
* The will is set at construction and is published by the broker when the connection ends without
  ``close()`` (crash, network loss, keep-alive expiry).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from shopfloor.bus.broker.filters import validate_topic
from shopfloor.errors import BadInput

Handler = Callable[[str, bytes], Awaitable[None] | None]


def check_qos(qos: int) -> int:
    """Transports speak QoS 0 and 1 (see :mod:`shopfloor.bus.topics` for why not 2)."""
    if qos not in (0, 1) or isinstance(qos, bool):
        raise BadInput(f"QoS must be 0 or 1, got {qos!r}")
    return qos


def check_payload(payload: bytes | bytearray | memoryview) -> bytes:
    if not isinstance(payload, bytes | bytearray | memoryview):
        raise BadInput(f"payload must be bytes, got {type(payload).__name__}")
    return bytes(payload)


@dataclass(frozen=True, slots=True)
class Will:
    """The Last Will: published by the broker for us if we vanish without saying goodbye."""

    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = False

    def __post_init__(self) -> None:
        validate_topic(self.topic)
        check_qos(self.qos)
        check_payload(self.payload)


@runtime_checkable
class Transport(Protocol):
    client_id: str

    @property
    def connected(self) -> bool: ...

    async def connect(self) -> None: ...

    async def close(self) -> None: ...

    async def publish(
        self, topic: str, payload: bytes, qos: int = 0, retain: bool = False
    ) -> None: ...

    async def subscribe(self, topic_filter: str, handler: Handler, qos: int = 0) -> None: ...

    async def unsubscribe(self, topic_filter: str) -> None: ...
