"""The MQTT transport: paho-mqtt 2 (MQTT 3.1.1) adapted to asyncio.

paho runs its network loop in its own thread (``loop_start``); its callbacks only hand results to
the asyncio loop: received messages through the :class:`~.dispatch.Dispatcher` (one wake-up per
burst), acknowledgements by packet id. paho reconnects by itself (back-off between
``reconnect_min_s`` and ``reconnect_max_s``); on every connect this transport subscribes again,
unless the broker kept the session (``clean_session=False`` and "session present"). QoS 1
messages published while disconnected are kept by paho and sent on reconnect; QoS 0 messages
published while disconnected raise :class:`~shopfloor.errors.BusError` so the caller can buffer.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion

from shopfloor.bus.broker.filters import split_shared, validate_topic
from shopfloor.bus.dispatch import Dispatcher
from shopfloor.bus.transport import Handler, Will, check_payload, check_qos
from shopfloor.errors import BadInput, BusError

log = logging.getLogger(__name__)


class MqttTransport:
    """A :class:`~shopfloor.bus.transport.Transport` over an MQTT 3.1.1 broker."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 1883,
        *,
        client_id: str = "",
        clean_session: bool = True,
        will: Will | None = None,
        keepalive: int = 30,
        username: str | None = None,
        password: str | None = None,
        connect_timeout_s: float = 10.0,
        reconnect_min_s: int = 1,
        reconnect_max_s: int = 10,
        max_inflight: int = 100,
    ) -> None:
        if not client_id and not clean_session:
            raise BadInput("a persistent session (clean_session=False) needs a client id")
        self.host, self.port = host, port
        self.client_id = client_id
        self.clean_session = clean_session
        self.will = will
        self.keepalive = keepalive
        self.connect_timeout_s = connect_timeout_s
        self.dispatcher = Dispatcher(f"mqtt:{client_id or host}")
        self._client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=clean_session,
            protocol=MQTTProtocolVersion.MQTTv311,
        )
        if username is not None:
            self._client.username_pw_set(username, password)
        if will is not None:
            self._client.will_set(will.topic, will.payload, will.qos, will.retain)
        if not 0 < reconnect_min_s <= reconnect_max_s:
            raise BadInput("reconnect delays must satisfy 0 < reconnect_min_s <= reconnect_max_s")
        self._client.reconnect_delay_set(reconnect_min_s, reconnect_max_s)
        self._client.max_inflight_messages_set(max_inflight)
        self._client.max_queued_messages_set(0)
        self._subs: dict[str, int] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = asyncio.Event()
        self._connected = False
        self._started = False
        self._last_error = "no answer yet"
        self._pending: dict[int, asyncio.Future[Any]] = {}
        #: ids of QoS 0 messages paho has not reported written yet (ids are shared with QoS 1)
        self._qos0: dict[int, int] = {}
        self._acks: deque[tuple[int, Any]] = deque()
        self._acks_scheduled = False

    @classmethod
    def from_url(cls, url: str, **options: Any) -> MqttTransport:
        """``mqtt://host:port`` (port defaults to 1883)."""
        parts = urlsplit(url)
        if parts.scheme != "mqtt" or not parts.hostname:
            raise BadInput(f"broker URL {url!r} must read mqtt://host[:port]")
        try:
            port = parts.port or 1883
        except ValueError:
            raise BadInput(f"broker URL {url!r} has a bad port") from None
        if parts.username is not None:
            options.setdefault("username", parts.username)
            options.setdefault("password", parts.password)
        return cls(parts.hostname, port, **options)

    @property
    def connected(self) -> bool:
        return self._connected

    @property
    def client(self) -> paho.Client:
        """The underlying paho client (for settings this adapter does not cover, e.g. TLS)."""
        return self._client

    # -- lifecycle -----------------------------------------------------------------------------
    async def connect(self) -> None:
        if self._started:
            raise BusError(f"MQTT transport {self.client_id} is already connected")
        self._loop = asyncio.get_running_loop()
        self.dispatcher.start()
        self._ready.clear()
        self._started = True
        self._set_callbacks(True)
        self._client.connect_async(self.host, self.port, self.keepalive)
        self._client.loop_start()
        try:
            await asyncio.wait_for(self._ready.wait(), self.connect_timeout_s)
        except TimeoutError:
            await self.close()
            raise BusError(
                f"MQTT broker {self.host}:{self.port} not reachable within "
                f"{self.connect_timeout_s}s: {self._last_error}"
            ) from None

    async def close(self) -> None:
        if not self._started:
            return
        self._started = False
        self._client.disconnect()
        await asyncio.to_thread(self._client.loop_stop)
        self._set_callbacks(False)  # no cycle left: paho closes its socket pair when freed
        self._connected = False
        self._qos0.clear()
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(BusError("MQTT transport closed before the broker answered"))
        self._pending.clear()
        await self.dispatcher.stop()

    def _set_callbacks(self, on: bool) -> None:
        c = self._client
        c.on_connect = self._on_connect if on else None
        c.on_connect_fail = self._on_connect_fail if on else None
        c.on_disconnect = self._on_disconnect if on else None
        c.on_message = self._on_message if on else None
        c.on_publish = self._on_publish if on else None
        c.on_subscribe = self._on_subscribe if on else None
        c.on_unsubscribe = self._on_unsubscribe if on else None

    # -- operations ----------------------------------------------------------------------------
    async def publish(self, topic: str, payload: bytes, qos: int = 0, retain: bool = False) -> None:
        validate_topic(topic)
        data = check_payload(payload)
        if not self._started:
            raise BusError(f"MQTT transport {self.client_id} is not connected")
        if check_qos(qos) == 0:
            if not self._connected:
                raise BusError(f"not connected to {self.host}:{self.port}; QoS 0 message dropped")
            mid = self._client.publish(topic, data, 0, retain).mid
            self._qos0[mid] = self._qos0.get(mid, 0) + 1
            return
        info = self._client.publish(topic, data, qos, retain)
        if info.rc not in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_NO_CONN):
            raise BusError(f"publish to {topic!r} failed: {paho.error_string(info.rc)}")
        await self._expect(info.mid)

    async def subscribe(self, topic_filter: str, handler: Handler, qos: int = 0) -> None:
        split_shared(topic_filter)
        check_qos(qos)
        self.dispatcher.add(topic_filter, handler)
        self._subs[topic_filter] = qos
        if self._connected:
            rc, mid = self._client.subscribe(topic_filter, qos)
            if rc == MQTTErrorCode.MQTT_ERR_SUCCESS and mid is not None:
                codes = await self._expect(mid)
                _check_granted(codes, [topic_filter])

    async def unsubscribe(self, topic_filter: str) -> None:
        self.dispatcher.remove(topic_filter)
        self._subs.pop(topic_filter, None)
        if self._connected:
            rc, mid = self._client.unsubscribe(topic_filter)
            if rc == MQTTErrorCode.MQTT_ERR_SUCCESS and mid is not None:
                await self._expect(mid)

    def _expect(self, mid: int) -> asyncio.Future[Any]:
        """A future for the broker's answer to packet ``mid``, registered before any await."""
        assert self._loop is not None
        fut: asyncio.Future[Any] = self._loop.create_future()
        self._pending[mid] = fut
        return fut

    # -- paho callbacks (network thread) ------------------------------------------------------
    def _post(self, mid: int, result: Any) -> None:
        self._acks.append((mid, result))
        if not self._acks_scheduled and self._loop is not None:
            self._acks_scheduled = True
            self._loop.call_soon_threadsafe(self._drain_acks)

    def _drain_acks(self) -> None:
        self._acks_scheduled = False
        while self._acks:
            mid, result = self._acks.popleft()
            written = self._qos0.get(mid)
            if written:  # paho reports QoS 0 messages as written; those ids are not ours to settle
                if written == 1:
                    del self._qos0[mid]
                else:
                    self._qos0[mid] = written - 1
                continue
            fut = self._pending.pop(mid, None)
            if fut is not None and not fut.done():
                fut.set_result(result)

    def _on_connect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if reason.is_failure:
            self._last_error = f"broker refused the connection: {reason}"
            log.warning("MQTT %s:%d refused connection: %s", self.host, self.port, reason)
            return
        resume = flags.session_present and not self.clean_session
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._connected_on_loop, resume)

    def _connected_on_loop(self, resume: bool) -> None:
        self._qos0.clear()  # QoS 0 messages unsent at the last disconnect were dropped by paho
        self._connected = True
        if resume or not self._subs:
            self._ready.set()
            return
        filters = list(self._subs.items())
        rc, mid = self._client.subscribe(filters)
        if rc != MQTTErrorCode.MQTT_ERR_SUCCESS or mid is None:
            return  # disconnected again; the next connect retries
        fut = self._expect(mid)
        fut.add_done_callback(lambda f: self._resubscribed(f, [topic for topic, _ in filters]))

    def _resubscribed(self, fut: asyncio.Future[Any], filters: list[str]) -> None:
        if fut.cancelled() or fut.exception() is not None:
            return
        try:
            _check_granted(fut.result(), filters)
        except BusError as exc:
            self._last_error = exc.message
            log.error("MQTT %s:%d: %s", self.host, self.port, exc.message)
            return
        self._ready.set()

    def _on_connect_fail(self, client: paho.Client, userdata: Any) -> None:
        self._last_error = "connection failed"

    def _on_disconnect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._disconnected_on_loop, str(reason))

    def _disconnected_on_loop(self, reason: str) -> None:
        if self._connected and self._started:
            log.warning(
                "MQTT %s:%d connection lost (%s); reconnecting", self.host, self.port, reason
            )
        self._connected = False
        self._ready.clear()

    def _on_message(self, client: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
        self.dispatcher.push_threadsafe(msg.topic, bytes(msg.payload))

    def _on_publish(
        self, client: paho.Client, userdata: Any, mid: int, reason: Any, properties: Any
    ) -> None:
        self._post(mid, None)

    def _on_subscribe(
        self, client: paho.Client, userdata: Any, mid: int, codes: Any, properties: Any
    ) -> None:
        self._post(mid, [int(c.value) for c in codes])

    def _on_unsubscribe(
        self, client: paho.Client, userdata: Any, mid: int, codes: Any, properties: Any
    ) -> None:
        self._post(mid, None)


def _check_granted(codes: list[int], filters: list[str]) -> None:
    refused = [f for f, c in zip(filters, codes, strict=False) if c >= 0x80]
    if refused:
        raise BusError(f"broker refused subscription(s): {', '.join(refused)}")
