"""MQTT 3.1.1 packet encoding and decoding (the parts a broker needs).

Encoders return ``bytes`` ready to write. Decoders take a packet body (everything after the fixed
header) and raise :class:`ProtocolViolation` naming what is wrong and at which byte of the body.
PUBLISH is decoded inline by the connection for speed; :func:`publish_packet` encodes it and
caches the QoS 0 form on the message so a fan-out encodes once.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from shopfloor.bus.broker.filters import validate_topic
from shopfloor.bus.broker.router import Message
from shopfloor.errors import BadInput, BusError

CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT = 8, 9, 10, 11, 12, 13, 14

#: CONNACK return codes (MQTT 3.1.1 table 3.1).
ACCEPTED, BAD_PROTOCOL_LEVEL, IDENTIFIER_REJECTED = 0, 1, 2
#: SUBACK return code for a refused filter.
SUBSCRIBE_FAILURE = 0x80
#: Protocol name and level pairs accepted in CONNECT: MQTT 3.1.1 and MQTT 3.1.
PROTOCOLS = {("MQTT", 4), ("MQIsdp", 3)}

PINGRESP_PACKET = b"\xd0\x00"
_U16 = struct.Struct("!H")
_ACK = struct.Struct("!BBH")


class ProtocolViolation(BusError):
    """A client sent something MQTT does not allow; the broker closes that connection."""

    code = "bus.protocol"


def encode_length(n: int) -> bytes:
    """MQTT's variable-length "remaining length" (1 to 4 bytes)."""
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def connack(session_present: bool, return_code: int) -> bytes:
    return bytes((0x20, 2, 1 if session_present else 0, return_code))


def ack(packet_type: int, pid: int) -> bytes:
    """PUBACK, PUBREC, PUBREL (flags 0b0010), PUBCOMP or UNSUBACK for packet id ``pid``."""
    flags = 0b0010 if packet_type == PUBREL else 0
    return _ACK.pack((packet_type << 4) | flags, 2, pid)


def suback(pid: int, codes: list[int]) -> bytes:
    return bytes((0x90,)) + encode_length(2 + len(codes)) + _U16.pack(pid) + bytes(codes)


_BYTE = [bytes((i,)) for i in range(256)]


def publish_packet(msg: Message, qos: int, pid: int = 0, dup: bool = False) -> bytes:
    """The PUBLISH for ``msg`` at ``qos`` (retain flag from ``msg.retain``).

    The QoS 0 packet and, for QoS 1 and 2, everything but the first byte and the packet id are
    cached on the message, so a fan-out to many subscribers encodes the message once.
    """
    if qos == 0:
        wire = msg.wire
        if wire is None:
            topic = msg.topic.encode()
            wire = msg.wire = b"".join(
                (
                    _BYTE[0x31 if msg.retain else 0x30],
                    encode_length(2 + len(topic) + len(msg.payload)),
                    _U16.pack(len(topic)),
                    topic,
                    msg.payload,
                )
            )
        return wire
    head = msg.head
    if head is None:
        topic = msg.topic.encode()
        head = msg.head = (
            encode_length(4 + len(topic) + len(msg.payload)) + _U16.pack(len(topic)) + topic
        )
    first = 0x30 | (qos << 1) | (0x08 if dup else 0) | (0x01 if msg.retain else 0)
    return b"".join((_BYTE[first], head, _U16.pack(pid), msg.payload))


class Reader:
    """Reads MQTT primitives from a packet body; errors name the byte offset."""

    __slots__ = ("data", "pos", "what")

    def __init__(self, data: bytes, what: str) -> None:
        self.data = data
        self.pos = 0
        self.what = what

    def fail(self, reason: str) -> ProtocolViolation:
        return ProtocolViolation(f"{self.what}: {reason} (body byte {self.pos})")

    def remaining(self) -> int:
        return len(self.data) - self.pos

    def u8(self) -> int:
        if self.pos + 1 > len(self.data):
            raise self.fail("packet ends early")
        self.pos += 1
        return self.data[self.pos - 1]

    def u16(self) -> int:
        if self.pos + 2 > len(self.data):
            raise self.fail("packet ends early")
        (value,) = _U16.unpack_from(self.data, self.pos)
        self.pos += 2
        return int(value)

    def binary(self) -> bytes:
        n = self.u16()
        if self.pos + n > len(self.data):
            raise self.fail(f"field of {n} bytes runs past the end of the packet")
        self.pos += n
        return bytes(self.data[self.pos - n : self.pos])

    def text(self) -> str:
        start = self.pos
        raw = self.binary()
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            self.pos = start
            raise self.fail("string is not valid UTF-8") from None
        if "\x00" in value:
            self.pos = start
            raise self.fail("string contains U+0000")
        return value


@dataclass(frozen=True, slots=True)
class ConnectPacket:
    protocol: str
    level: int
    client_id: str
    clean_session: bool
    keepalive: int
    will: Message | None
    username: str | None
    password: bytes | None


def parse_connect(body: bytes) -> ConnectPacket:
    r = Reader(body, "CONNECT")
    protocol = r.text()
    level = r.u8()
    if (protocol, level) not in PROTOCOLS:
        return ConnectPacket(protocol, level, "", True, 0, None, None, None)
    flags = r.u8()
    if flags & 0x01:
        raise r.fail("reserved connect flag is set")
    will_flag, will_qos, will_retain = bool(flags & 0x04), (flags >> 3) & 0x03, bool(flags & 0x20)
    if will_qos == 3:
        raise r.fail("will QoS 3 does not exist")
    if not will_flag and (will_qos or will_retain):
        raise r.fail("will QoS or retain set without a will")
    if flags & 0x40 and not flags & 0x80:
        raise r.fail("password flag set without user name flag")
    keepalive = r.u16()
    client_id = r.text()
    will = None
    if will_flag:
        topic = r.text()
        try:
            validate_topic(topic)
        except BadInput as exc:
            raise r.fail(f"will {exc.message}") from None
        will = Message(topic, r.binary(), will_qos, will_retain)
    username = r.text() if flags & 0x80 else None
    password = r.binary() if flags & 0x40 else None
    if r.remaining():
        raise r.fail(f"{r.remaining()} unexpected bytes after the payload")
    return ConnectPacket(
        protocol, level, client_id, bool(flags & 0x02), keepalive, will, username, password
    )


def topic_name(raw: bytes) -> str:
    """A PUBLISH topic from its bytes: valid UTF-8, no wildcards, not empty."""
    try:
        return validate_topic(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ProtocolViolation("PUBLISH topic is not valid UTF-8") from None
    except BadInput as exc:
        raise ProtocolViolation(f"PUBLISH: {exc.message}") from None


def parse_subscribe(body: bytes) -> tuple[int, list[tuple[str, int]]]:
    r = Reader(body, "SUBSCRIBE")
    pid = r.u16()
    items: list[tuple[str, int]] = []
    while r.remaining():
        topic_filter = r.text()
        options = r.u8()
        if options & 0xFC or options == 3:
            raise r.fail(f"requested QoS byte {options:#04x} is not 0, 1 or 2")
        items.append((topic_filter, options))
    if not items:
        raise r.fail("no topic filters")
    return pid, items


def parse_unsubscribe(body: bytes) -> tuple[int, list[str]]:
    r = Reader(body, "UNSUBSCRIBE")
    pid = r.u16()
    filters: list[str] = []
    while r.remaining():
        filters.append(r.text())
    if not filters:
        raise r.fail("no topic filters")
    return pid, filters


def parse_pid(body: bytes, what: str) -> int:
    if len(body) != 2:
        raise ProtocolViolation(f"{what}: body must be 2 bytes, is {len(body)}")
    return int(_U16.unpack(body)[0])
