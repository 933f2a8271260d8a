"""A broker session: what survives a client's connection when it asked for a persistent session.

The session holds the outbound QoS 1/2 messages in flight (resent with DUP on reconnect), a queue
of messages waiting for the in-flight window or for the client to come back, and the packet ids of
inbound QoS 2 messages not yet released. Subscriptions live in the router, keyed by the session.
QoS 0 messages are queued only while the client is connected but its socket is backed up; an
offline session queues QoS 1 and 2 only. A full queue drops the newest message and counts it.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from typing import Protocol

from shopfloor.bus.broker import codec
from shopfloor.bus.broker.router import Message

log = logging.getLogger(__name__)


class Link(Protocol):
    """The session's view of the live connection (see :mod:`.connection`)."""

    @property
    def writable(self) -> bool: ...

    def send(self, data: bytes) -> None: ...


@dataclass(slots=True)
class Inflight:
    """An outbound QoS 1/2 message awaiting its acknowledgement."""

    message: Message
    qos: int
    #: QoS 2 only: PUBREC seen and PUBREL sent, waiting for PUBCOMP.
    released: bool = False


class Session:
    __slots__ = (
        "_next_pid",
        "_warned",
        "client_id",
        "dropped",
        "inbound_qos2",
        "inflight",
        "link",
        "max_inflight",
        "max_queued",
        "persistent",
        "queue",
    )

    def __init__(
        self, client_id: str, persistent: bool, max_inflight: int, max_queued: int
    ) -> None:
        self.client_id = client_id
        self.persistent = persistent
        self.max_inflight = max_inflight
        self.max_queued = max_queued
        self.link: Link | None = None
        self.inflight: dict[int, Inflight] = {}
        self.queue: deque[tuple[Message, int]] = deque()
        self.inbound_qos2: set[int] = set()
        self.dropped = 0
        self._next_pid = 1
        self._warned = False

    def __repr__(self) -> str:
        return f"Session({self.client_id!r}, persistent={self.persistent})"

    @property
    def online(self) -> bool:
        return self.link is not None

    def deliver(self, message: Message, qos: int) -> None:
        link = self.link
        if link is None:
            if qos:
                self._enqueue(message, qos)
            return
        if self.queue or not link.writable:
            self._enqueue(message, qos)
        elif qos == 0:
            link.send(codec.publish_packet(message, 0))
        elif len(self.inflight) < self.max_inflight:
            self._send_new(link, message, qos)
        else:
            self._enqueue(message, qos)

    def _enqueue(self, message: Message, qos: int) -> None:
        if len(self.queue) >= self.max_queued:
            self.dropped += 1
            if not self._warned:
                self._warned = True
                log.warning(
                    "session %r: queue full (%d messages), dropping new messages",
                    self.client_id,
                    self.max_queued,
                )
            return
        self.queue.append((message, qos))

    def _send_new(self, link: Link, message: Message, qos: int) -> None:
        pid = self._allocate_pid()
        self.inflight[pid] = Inflight(message, qos)
        link.send(codec.publish_packet(message, qos, pid))

    def _allocate_pid(self) -> int:
        pid = self._next_pid
        while pid in self.inflight:
            pid = pid % 65535 + 1
        self._next_pid = pid % 65535 + 1
        return pid

    def pump(self) -> None:
        """Send queued messages while the link is writable and the window has room."""
        link = self.link
        queue = self.queue
        while queue and link is not None and link.writable:
            message, qos = queue[0]
            if qos == 0:
                link.send(codec.publish_packet(message, 0))
            elif len(self.inflight) < self.max_inflight:
                self._send_new(link, message, qos)
            else:
                return
            queue.popleft()
        if not queue:
            self._warned = False

    def resend_inflight(self) -> None:
        """After a reconnect: resend unacknowledged PUBLISH (DUP set) and PUBREL, in order."""
        link = self.link
        if link is None:
            return
        for pid, entry in self.inflight.items():
            if entry.released:
                link.send(codec.ack(codec.PUBREL, pid))
            else:
                link.send(codec.publish_packet(entry.message, entry.qos, pid, dup=True))

    def acknowledge(self, packet_type: int, pid: int) -> None:
        """Handle PUBACK, PUBREC or PUBCOMP from the client for packet id ``pid``."""
        entry = self.inflight.get(pid)
        if entry is None:
            log.debug("session %r: %d for unknown packet id %d", self.client_id, packet_type, pid)
            return
        qos = entry.qos
        done = codec.PUBACK if qos == 1 else codec.PUBCOMP
        if packet_type == done:
            del self.inflight[pid]
            self.pump()
        elif packet_type == codec.PUBREC and qos == 2:
            entry.released = True
            if self.link is not None:
                self.link.send(codec.ack(codec.PUBREL, pid))
        else:
            log.debug(
                "session %r: ack type %d does not fit QoS %s of packet id %d",
                self.client_id,
                packet_type,
                qos,
                pid,
            )

    def detach(self) -> None:
        """The client is gone; QoS 0 messages waiting for its socket are dropped."""
        self.link = None
        if self.queue:
            self.queue = deque(item for item in self.queue if item[1] > 0)
