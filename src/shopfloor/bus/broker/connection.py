"""One client connection of the embedded broker: an asyncio protocol speaking MQTT 3.1.1.

Reads are framed from whatever chunks the socket delivers, many packets per call; writes are
collected and handed to the socket once per event-loop turn (no drain per message). Anything a
client sends that MQTT forbids closes that connection with a logged reason (and publishes its
will); it never reaches the rest of the broker.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import TYPE_CHECKING

from shopfloor.bus.broker import codec
from shopfloor.bus.broker.codec import ProtocolViolation
from shopfloor.bus.broker.router import Message
from shopfloor.bus.broker.session import Session

if TYPE_CHECKING:
    from shopfloor.bus.broker.server import Broker

log = logging.getLogger(__name__)

#: Packet types whose fixed-header flags must be 0b0010 (all others but PUBLISH must be 0).
_FLAGS_TWO = {codec.PUBREL, codec.SUBSCRIBE, codec.UNSUBSCRIBE}
_TOPIC_CACHE_SIZE = 1024
_WRITE_HIGH, _WRITE_LOW = 4 * 1024 * 1024, 1024 * 1024


class Connection(asyncio.Protocol):
    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.peer = "?"
        self.session: Session | None = None
        self.will: Message | None = None
        self.keepalive = 0
        self.closed = False
        self._paused = False
        self._chunks: list[bytes] = []
        self._buffered = 0
        self._need = 0
        self._out: list[bytes] = []
        self._flush_scheduled = False
        self._last_rx = self.loop.time()
        self._timer: asyncio.TimerHandle | None = None
        self._topics: dict[bytes, str] = {}
        #: Resolved once the socket is closed (the broker awaits it on stop).
        self.lost: asyncio.Future[None] = self.loop.create_future()

    @property
    def client_id(self) -> str:
        return self.session.client_id if self.session is not None else "(not connected)"

    # -- asyncio.Protocol -------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.set_write_buffer_limits(_WRITE_HIGH, _WRITE_LOW)
        peer = transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        self.broker.connection_opened(self)
        self._timer = self.loop.call_later(self.broker.connect_timeout, self._connect_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self.terminate(f"connection lost ({exc})" if exc else "connection closed by client")
        self.broker.connection_closed(self)
        if not self.lost.done():
            self.lost.set_result(None)

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        if self.session is not None:
            self.session.pump()

    def data_received(self, data: bytes) -> None:
        self._last_rx = self.loop.time()
        if self._chunks:
            self._chunks.append(data)
            self._buffered += len(data)
            if self._buffered < self._need:
                return
            data = b"".join(self._chunks)
            self._chunks.clear()
        try:
            self._frame(data)
        except ProtocolViolation as exc:
            self.broker.stats["protocol_errors"] += 1
            log.warning("client %s from %s: %s; closing", self.client_id, self.peer, exc.message)
            self.terminate(exc.message)
        except Exception:
            self.broker.stats["protocol_errors"] += 1
            log.exception("client %s from %s: internal error; closing", self.client_id, self.peer)
            self.terminate("internal error")

    # -- framing ------------------------------------------------------------------------------
    def _frame(self, data: bytes) -> None:
        pos, n, need = 0, len(data), 0
        limit = self.broker.max_packet_size
        while not self.closed and n - pos >= 2:
            length, shift, i = 0, 0, pos + 1
            while True:
                if i >= n:
                    length = -1
                    break
                byte = data[i]
                i += 1
                length |= (byte & 0x7F) << shift
                if not byte & 0x80:
                    break
                shift += 7
                if shift >= 28:
                    raise ProtocolViolation("remaining length is longer than 4 bytes")
            if length < 0:
                need = n - pos + 1  # the length bytes themselves are incomplete
                break
            if length > limit:
                raise ProtocolViolation(f"packet of {length} bytes exceeds the {limit} byte limit")
            end = i + length
            if end > n:
                need = end - pos
                break
            first = data[pos]
            if first >> 4 == codec.PUBLISH and self.session is not None:
                self._publish(first & 0x0F, data, i, end)
            elif first == 0x40 and end - i == 2 and self.session is not None:  # PUBACK
                self.session.acknowledge(codec.PUBACK, (data[i] << 8) | data[i + 1])
            else:
                self._packet(first, data, i, end)
            pos = end
        if self.closed:
            self._chunks.clear()
        elif pos < n:
            rest = data[pos:] if pos else data
            self._chunks.append(rest)
            self._buffered = len(rest)
            self._need = max(need, len(rest) + 1)

    def _packet(self, first: int, data: bytes, start: int, end: int) -> None:
        ptype, flags = first >> 4, first & 0x0F
        if self.session is None and ptype != codec.CONNECT:
            raise ProtocolViolation(f"first packet must be CONNECT, got type {ptype}")
        if ptype != codec.PUBLISH and flags != (2 if ptype in _FLAGS_TWO else 0):
            raise ProtocolViolation(f"packet type {ptype} has reserved flags {flags:#x}")
        body = data[start:end]
        if ptype == codec.CONNECT:
            if self.session is not None:
                raise ProtocolViolation("second CONNECT on one connection")
            self._connect(codec.parse_connect(body))
        elif ptype in (codec.PUBACK, codec.PUBREC, codec.PUBCOMP):
            assert self.session is not None
            self.session.acknowledge(ptype, codec.parse_pid(body, "acknowledgement"))
        elif ptype == codec.PUBREL:
            assert self.session is not None
            pid = codec.parse_pid(body, "PUBREL")
            self.session.inbound_qos2.discard(pid)
            self.send(codec.ack(codec.PUBCOMP, pid))
        elif ptype == codec.SUBSCRIBE:
            self._subscribe(body)
        elif ptype == codec.UNSUBSCRIBE:
            self._unsubscribe(body)
        elif ptype == codec.PINGREQ:
            if body:
                raise ProtocolViolation("PINGREQ with a body")
            self.send(codec.PINGRESP_PACKET)
        elif ptype == codec.DISCONNECT:
            self.will = None
            self.terminate("client disconnected", graceful=True)
        else:
            raise ProtocolViolation(f"packet type {ptype} is not sent by clients")

    # -- packets ------------------------------------------------------------------------------
    def _connect(self, packet: codec.ConnectPacket) -> None:
        if (packet.protocol, packet.level) not in codec.PROTOCOLS:
            self.send(codec.connack(False, codec.BAD_PROTOCOL_LEVEL))
            raise ProtocolViolation(
                f"unsupported protocol {packet.protocol!r} level {packet.level} "
                "(this broker speaks MQTT 3.1.1 and 3.1)"
            )
        client_id = packet.client_id
        if not client_id:
            if not packet.clean_session:
                self.send(codec.connack(False, codec.IDENTIFIER_REJECTED))
                raise ProtocolViolation("empty client id with clean session off")
            client_id = f"auto-{uuid.uuid4().hex}"
        if self._timer is not None:
            self._timer.cancel()
        self.will = packet.will
        self.keepalive = packet.keepalive
        session, present = self.broker.attach(self, client_id, packet.clean_session)
        self.send(codec.connack(present, codec.ACCEPTED))
        self.session = session
        session.link = self
        session.resend_inflight()
        session.pump()
        if self.keepalive:
            self._timer = self.loop.call_later(self.keepalive * 1.5, self._check_keepalive)

    def _publish(self, flags: int, data: bytes, start: int, end: int) -> None:
        qos = (flags >> 1) & 0x03
        if qos == 3:
            raise ProtocolViolation("PUBLISH with QoS 3")
        if qos == 0 and flags & 0x08:
            raise ProtocolViolation("PUBLISH with QoS 0 has DUP set")
        if end - start < 2:
            raise ProtocolViolation("PUBLISH ends before its topic")
        tlen = (data[start] << 8) | data[start + 1]
        p = start + 2 + tlen
        if p > end or (qos and p + 2 > end):
            raise ProtocolViolation(f"PUBLISH topic length {tlen} runs past the packet")
        raw = data[start + 2 : p]
        topic = self._topics.get(raw)
        if topic is None:
            topic = self._topic(raw)
        pid = 0
        if qos:
            pid = (data[p] << 8) | data[p + 1]
            if pid == 0:
                raise ProtocolViolation("PUBLISH with QoS > 0 has packet id 0")
            p += 2
        message = Message(topic, data[p:end], qos, bool(flags & 0x01))
        if qos == 0:
            self.broker.publish(message)
        elif qos == 1:
            self.broker.publish(message)
            self.send(codec.ack(codec.PUBACK, pid))
        else:
            assert self.session is not None
            if pid not in self.session.inbound_qos2:
                self.session.inbound_qos2.add(pid)
                self.broker.publish(message)
            self.send(codec.ack(codec.PUBREC, pid))

    def _topic(self, raw: bytes) -> str:
        topic = codec.topic_name(raw)
        if len(self._topics) >= _TOPIC_CACHE_SIZE:
            self._topics.clear()
        self._topics[raw] = topic
        return topic

    def _subscribe(self, body: bytes) -> None:
        pid, items = codec.parse_subscribe(body)
        assert self.session is not None
        codes, retained = self.broker.subscribe(self.session, items)
        self.send(codec.suback(pid, codes))
        for message, qos in retained:
            self.session.deliver(message, qos)

    def _unsubscribe(self, body: bytes) -> None:
        pid, filters = codec.parse_unsubscribe(body)
        assert self.session is not None
        for topic_filter in filters:
            self.broker.router.unsubscribe(self.session, topic_filter)
        self.send(codec.ack(codec.UNSUBACK, pid))

    # -- writing and closing -------------------------------------------------------------------
    @property
    def writable(self) -> bool:
        return not self._paused and not self.closed

    def send(self, data: bytes) -> None:
        self._out.append(data)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self.loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        out = self._out
        if out and self.transport is not None and not self.transport.is_closing():
            self.transport.write(out[0] if len(out) == 1 else b"".join(out))
        out.clear()

    def _connect_timeout(self) -> None:
        if self.session is None:
            log.info("connection from %s sent no CONNECT in time; closing", self.peer)
            self.terminate("no CONNECT in time")

    def _check_keepalive(self) -> None:
        limit = self.keepalive * 1.5
        idle = self.loop.time() - self._last_rx
        if idle >= limit:
            log.info(
                "client %s from %s: keep-alive of %ss expired; closing",
                self.client_id,
                self.peer,
                self.keepalive,
            )
            self.terminate("keep-alive expired")
        else:
            self._timer = self.loop.call_later(limit - idle, self._check_keepalive)

    def terminate(self, reason: str, graceful: bool = False) -> None:
        """Close the connection once; publish the will unless the client said DISCONNECT."""
        if self.closed:
            return
        self.closed = True
        if self._timer is not None:
            self._timer.cancel()
        will, self.will = self.will, None
        if self.session is not None:
            self.broker.detach(self, self.session)
        if will is not None:
            log.info("client %s: %s; publishing its will to %r", self.client_id, reason, will.topic)
            self.broker.stats["wills"] += 1
            self.broker.publish(will)
        if self.transport is not None:
            self._flush()
            if graceful:
                self.transport.close()
            else:
                self.transport.abort()
