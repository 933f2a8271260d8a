"""An in-process bus for virtual-time runs and tests: a hub with the broker's routing semantics.

:class:`MemoryHub` routes with the embedded broker's own :class:`~.broker.router.Router` (topic
filters, ``$``-topics, retained messages, ``$share`` groups), so code tested here behaves the same
on MQTT. Payloads are the same bytes MQTT would carry. Sessions work as on a broker: a client id
connected twice takes the session over (the first one's will is published), and a persistent
session (``clean_session=False``) keeps its subscriptions and queues QoS 1 messages while away.
:meth:`MemoryHub.drop` cuts a client off as a network failure would, publishing its will.
"""

from __future__ import annotations

import itertools
import logging
from collections import deque

from shopfloor.bus.broker.filters import validate_topic
from shopfloor.bus.broker.router import Message, Router
from shopfloor.bus.dispatch import Dispatcher
from shopfloor.bus.transport import Handler, Will, check_payload, check_qos
from shopfloor.errors import BadInput, BusError, NotFound

log = logging.getLogger(__name__)


class _HubSession:
    """The hub's side of one client id (a router subscriber)."""

    def __init__(self, client_id: str, persistent: bool, max_queued: int) -> None:
        self.client_id = client_id
        self.persistent = persistent
        self.max_queued = max_queued
        self.transport: MemoryTransport | None = None
        self.queue: deque[Message] = deque()
        self.dropped = 0

    @property
    def online(self) -> bool:
        return self.transport is not None

    def deliver(self, message: Message, qos: int) -> None:
        if self.transport is not None:
            self.transport.dispatcher.push(message.topic, message.payload)
        elif qos and self.persistent:
            if len(self.queue) >= self.max_queued:
                self.dropped += 1
            else:
                self.queue.append(message)


class MemoryHub:
    """The in-process broker that :class:`MemoryTransport` instances connect to."""

    def __init__(self, max_queued: int = 100_000) -> None:
        self.router = Router()
        self.max_queued = max_queued
        self._sessions: dict[str, _HubSession] = {}
        self._ids = itertools.count(1)

    def publish(self, message: Message) -> None:
        self.router.publish(message)

    def attach(self, transport: MemoryTransport) -> tuple[_HubSession, bool]:
        """Connect ``transport``: take over a live session, resume or start one.

        Returns the session and whether it was resumed (MQTT's "session present").
        """
        client_id = transport.client_id
        old = self._sessions.get(client_id)
        if old is not None and old.transport is not None:
            log.info("memory bus: client %s taken over", client_id)
            self.drop(client_id)
            old = self._sessions.get(client_id)
        if old is not None and (transport.clean_session or not old.persistent):
            self._discard(old)
            old = None
        session = old or _HubSession(client_id, not transport.clean_session, self.max_queued)
        self._sessions[client_id] = session
        session.transport = transport
        return session, old is not None

    def detach(self, session: _HubSession, publish_will: bool) -> None:
        transport, session.transport = session.transport, None
        if not session.persistent:
            self._discard(session)
        if publish_will and transport is not None and transport.will is not None:
            will = transport.will
            self.publish(Message(will.topic, will.payload, will.qos, will.retain))

    def drop(self, client_id: str) -> None:
        """Cut ``client_id`` off as a network failure would: its will is published."""
        session = self._sessions.get(client_id)
        if session is None or session.transport is None:
            raise NotFound(f"memory bus: no client {client_id!r} is connected")
        session.transport.lost()
        self.detach(session, publish_will=True)

    def _discard(self, session: _HubSession) -> None:
        self.router.drop(session)
        if self._sessions.get(session.client_id) is session:
            del self._sessions[session.client_id]

    def new_client_id(self) -> str:
        return f"memory-{next(self._ids)}"

    async def settle(self) -> None:
        """Wait until every connected transport has handled everything delivered to it."""
        while True:
            pending = [s.transport for s in self._sessions.values() if s.transport is not None]
            for transport in pending:
                await transport.dispatcher.idle()
            if all(t.dispatcher.is_idle for t in pending):
                return


class MemoryTransport:
    """A :class:`~shopfloor.bus.transport.Transport` on a :class:`MemoryHub`."""

    def __init__(
        self,
        hub: MemoryHub,
        client_id: str = "",
        *,
        clean_session: bool = True,
        will: Will | None = None,
    ) -> None:
        if not client_id and not clean_session:
            raise BadInput("a persistent session (clean_session=False) needs a client id")
        self.hub = hub
        self.client_id = client_id or hub.new_client_id()
        self.clean_session = clean_session
        self.will = will
        self.dispatcher = Dispatcher(f"memory:{self.client_id}")
        self._subs: dict[str, int] = {}
        self._session: _HubSession | None = None

    @property
    def connected(self) -> bool:
        return self._session is not None

    async def connect(self) -> None:
        if self._session is not None:
            raise BusError(f"memory transport {self.client_id} is already connected")
        self.dispatcher.start()
        session, resumed = self.hub.attach(self)
        self._session = session
        while session.queue:
            message = session.queue.popleft()
            self.dispatcher.push(message.topic, message.payload)
        if not resumed:
            for topic_filter, qos in self._subs.items():
                self._route_subscribe(session, topic_filter, qos)

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None and session.transport is self:
            self.hub.detach(session, publish_will=False)
        await self.dispatcher.stop()

    def lost(self) -> None:
        """Called by the hub when it cuts this transport off."""
        self._session = None

    def _require(self) -> _HubSession:
        if self._session is None:
            raise BusError(f"memory transport {self.client_id} is not connected")
        return self._session

    async def publish(self, topic: str, payload: bytes, qos: int = 0, retain: bool = False) -> None:
        self._require()
        message = Message(validate_topic(topic), check_payload(payload), check_qos(qos), retain)
        self.hub.publish(message)

    async def subscribe(self, topic_filter: str, handler: Handler, qos: int = 0) -> None:
        check_qos(qos)
        self.dispatcher.add(topic_filter, handler)
        self._subs[topic_filter] = qos
        if self._session is not None:
            self._route_subscribe(self._session, topic_filter, qos)

    def _route_subscribe(self, session: _HubSession, topic_filter: str, qos: int) -> None:
        for message in self.hub.router.subscribe(session, topic_filter, qos):
            self.dispatcher.push(message.topic, message.payload)

    async def unsubscribe(self, topic_filter: str) -> None:
        self.dispatcher.remove(topic_filter)
        self._subs.pop(topic_filter, None)
        if self._session is not None:
            self.hub.router.unsubscribe(self._session, topic_filter)
