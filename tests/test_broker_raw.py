"""The embedded broker at the byte level: malformed packets, keep-alive, resends, QoS 2."""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator

import pytest

from shopfloor.bus.broker import BrokerThread, Message
from shopfloor.bus.broker.codec import encode_length, publish_packet

DEADLINE_S = 10.0


def _s(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("!H", len(raw)) + raw


def connect_packet(
    client_id: str,
    clean: bool = True,
    keepalive: int = 0,
    will: tuple[str, bytes] | None = None,
    protocol: str = "MQTT",
    flags_extra: int = 0,
) -> bytes:
    flags = (0x02 if clean else 0) | flags_extra
    payload = _s(client_id)
    if will is not None:
        flags |= 0x04 | (1 << 3)  # will, QoS 1
        payload += _s(will[0]) + struct.pack("!H", len(will[1])) + will[1]
    body = _s(protocol) + bytes((4, flags)) + struct.pack("!H", keepalive) + payload
    return b"\x10" + encode_length(len(body)) + body


def subscribe_packet(pid: int, *filters: tuple[str, int]) -> bytes:
    body = struct.pack("!H", pid) + b"".join(_s(f) + bytes((q,)) for f, q in filters)
    return b"\x82" + encode_length(len(body)) + body


class Raw:
    """A hand-driven MQTT client on a plain socket."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE_S)
        self.buf = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _read(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed by broker")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def packet(self) -> tuple[int, bytes]:
        first = self._read(1)[0]
        length, shift = 0, 0
        while True:
            byte = self._read(1)[0]
            length |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        return first, self._read(length)

    def connect(self, client_id: str, **kwargs: object) -> bytes:
        self.send(connect_packet(client_id, **kwargs))  # type: ignore[arg-type]
        first, body = self.packet()
        assert first == 0x20
        return body

    def subscribe(self, *filters: tuple[str, int]) -> list[int]:
        self.send(subscribe_packet(1, *filters))
        first, body = self.packet()
        assert first == 0x90 and body[:2] == b"\x00\x01"
        return list(body[2:])

    def publish(
        self, topic: str, payload: bytes, qos: int = 0, pid: int = 0, dup: bool = False
    ) -> None:
        self.send(publish_packet(Message(topic, payload), qos, pid, dup))

    def closed_by_broker(self) -> bool:
        """Wait (with the deadline) for the broker to close this socket."""
        try:
            while True:
                self._read(len(self.buf) + 1)
        except (ConnectionError, OSError):
            return True

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def broker() -> Iterator[BrokerThread]:
    with BrokerThread(max_packet_size=4096) as b:
        yield b


@pytest.fixture
def raw(broker: BrokerThread) -> Iterator[list[Raw]]:
    made: list[Raw] = []
    yield made
    for r in made:
        r.close()


def open_raw(made: list[Raw], broker: BrokerThread) -> Raw:
    r = Raw(broker.port)
    made.append(r)
    return r


def watcher(made: list[Raw], broker: BrokerThread, topic_filter: str) -> Raw:
    w = open_raw(made, broker)
    assert w.connect("watcher") == b"\x00\x00"
    assert w.subscribe((topic_filter, 1)) == [1]
    return w


def ping_works(made: list[Raw], broker: BrokerThread) -> bool:
    r = open_raw(made, broker)
    r.connect("")
    r.send(b"\xc0\x00")
    return r.packet() == (0xD0, b"")


BEFORE_CONNECT = {
    "not CONNECT first": subscribe_packet(1, ("a", 0)),
    "length over 4 bytes": b"\x10\xff\xff\xff\xff\x01",
    "reserved connect flag": connect_packet("x", flags_extra=0x01),
    "password without user": connect_packet("x", flags_extra=0x40),
    "CONNECT truncated": b"\x10\x03\x00\x04M",
    "will topic with wildcard": connect_packet("x", will=("wills/#", b"")),
    "over max packet size": b"\x10" + encode_length(5000) + b"\x00" * 5000,
}
AFTER_CONNECT = {
    "PUBLISH QoS 3": b"\x36\x05\x00\x01a\x00\x01",
    "PUBLISH QoS 0 with DUP": b"\x38\x03\x00\x01a",
    "PUBLISH wildcard topic": b"\x30\x03\x00\x01#",
    "PUBLISH topic not UTF-8": b"\x30\x04\x00\x02\xff\xfe",
    "PUBLISH topic longer than packet": b"\x30\x03\x00\x09a",
    "PUBLISH QoS 1 packet id 0": b"\x32\x05\x00\x01a\x00\x00",
    "SUBSCRIBE bad flags": b"\x80\x06\x00\x01\x00\x01a\x00",
    "SUBSCRIBE QoS 3": subscribe_packet(1, ("a", 3)),
    "SUBSCRIBE no filters": b"\x82\x02\x00\x01",
    "second CONNECT": connect_packet("again"),
    "reserved packet type": b"\xf0\x00",
    "CONNACK from a client": b"\x20\x02\x00\x00",
    "PINGREQ with a body": b"\xc0\x01\x00",
}


@pytest.mark.parametrize("data", BEFORE_CONNECT.values(), ids=BEFORE_CONNECT.keys())
def test_malformed_before_connect_closes_that_client(
    broker: BrokerThread, raw: list[Raw], data: bytes
) -> None:
    bad = open_raw(raw, broker)
    bad.send(data)
    assert bad.closed_by_broker()
    assert ping_works(raw, broker)
    assert broker.health().metrics["protocol_errors"] == 1


@pytest.mark.parametrize("data", AFTER_CONNECT.values(), ids=AFTER_CONNECT.keys())
def test_malformed_after_connect_closes_and_publishes_will(
    broker: BrokerThread, raw: list[Raw], data: bytes
) -> None:
    w = watcher(raw, broker, "wills/#")
    bad = open_raw(raw, broker)
    bad.connect("bad", will=("wills/bad", b"bye"))
    bad.send(data)
    assert bad.closed_by_broker()
    first, body = w.packet()
    assert first & 0xF0 == 0x30 and b"wills/bad" in body and body.endswith(b"bye")
    assert ping_works(raw, broker)


def test_unsupported_protocol_gets_connack_1(broker: BrokerThread, raw: list[Raw]) -> None:
    r = open_raw(raw, broker)
    r.send(connect_packet("x", protocol="HTTP"))
    assert r.packet() == (0x20, b"\x00\x01")
    assert r.closed_by_broker()


def test_empty_client_id_needs_clean_session(broker: BrokerThread, raw: list[Raw]) -> None:
    assert open_raw(raw, broker).connect("", clean=True) == b"\x00\x00"
    refused = open_raw(raw, broker)
    assert refused.connect("", clean=False) == b"\x00\x02"
    assert refused.closed_by_broker()


def test_keepalive_expiry_publishes_will(broker: BrokerThread, raw: list[Raw]) -> None:
    w = watcher(raw, broker, "wills/#")
    silent = open_raw(raw, broker)
    started = time.monotonic()
    silent.connect("sleepy", keepalive=1, will=("wills/sleepy", b"expired"))
    _, body = w.packet()
    elapsed = time.monotonic() - started
    assert body.endswith(b"expired")
    assert 1.4 <= elapsed < DEADLINE_S
    assert silent.closed_by_broker()


def test_pings_keep_a_connection_alive(broker: BrokerThread, raw: list[Raw]) -> None:
    alive = open_raw(raw, broker)
    alive.connect("pinger", keepalive=1)
    end = time.monotonic() + 2.5
    while time.monotonic() < end:  # the protocol's own cadence: a ping every 0.5 s
        alive.send(b"\xc0\x00")
        assert alive.packet() == (0xD0, b"")
        time.sleep(0.5)


def test_invalid_filters_get_failure_codes(broker: BrokerThread, raw: list[Raw]) -> None:
    r = open_raw(raw, broker)
    r.connect("subs")
    codes = r.subscribe(("ok/#", 1), ("bad/#/x", 1), ("$share/g", 0), ("x+y", 0), ("q2", 2))
    assert codes == [1, 0x80, 0x80, 0x80, 2]


def test_unacked_qos1_is_resent_with_dup_after_reconnect(
    broker: BrokerThread, raw: list[Raw]
) -> None:
    sub = open_raw(raw, broker)
    sub.connect("durable", clean=False)
    sub.subscribe(("jobs", 1))
    pub = open_raw(raw, broker)
    pub.connect("producer")
    pub.publish("jobs", b"work", qos=1, pid=9)
    assert pub.packet() == (0x40, b"\x00\x09")
    first, body = sub.packet()
    assert first == 0x32 and body.endswith(b"work")
    pid = body[6:8]
    sub.close()  # gone without PUBACK
    again = open_raw(raw, broker)
    assert again.connect("durable", clean=False) == b"\x01\x00"
    first, body = again.packet()
    assert first == 0x3A and body[6:8] == pid and body.endswith(b"work")  # DUP set
    again.send(b"\x40\x02" + pid)
    again.close()
    third = open_raw(raw, broker)
    assert third.connect("durable", clean=False) == b"\x01\x00"
    third.send(b"\xc0\x00")
    assert third.packet() == (0xD0, b"")  # nothing resent before the ping answer


def test_inbound_qos2_duplicate_is_delivered_once(broker: BrokerThread, raw: list[Raw]) -> None:
    w = watcher(raw, broker, "exact")
    pub = open_raw(raw, broker)
    pub.connect("q2pub")
    pub.publish("exact", b"once", qos=2, pid=7)
    assert pub.packet() == (0x50, b"\x00\x07")  # PUBREC
    pub.publish("exact", b"once", qos=2, pid=7, dup=True)
    assert pub.packet() == (0x50, b"\x00\x07")
    pub.send(b"\x62\x02\x00\x07")  # PUBREL
    assert pub.packet() == (0x70, b"\x00\x07")  # PUBCOMP
    pub.publish("exact", b"marker", qos=1, pid=8)
    bodies = [w.packet()[1] for _ in range(2)]
    assert bodies[0].endswith(b"once") and bodies[1].endswith(b"marker")  # no second "once"
