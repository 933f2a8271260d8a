"""The protobuf wire format, read and written by hand so that every error names its byte.

Sparkplug B payloads are protobuf (proto2) messages. This module knows nothing of Sparkplug: it
splits a byte range into fields and writes fields back. Offsets are always absolute positions in
the buffer handed to :func:`iter_fields`, so an error deep inside a nested message still points
at the right byte of the original payload.

Strictness (every case raises :class:`~shopfloor.errors.DecodeError` with the offset):

- a varint longer than 10 bytes, or whose 10th byte carries bits above bit 63;
- a varint, fixed32/fixed64 or length-delimited value running past the end of its message;
- wire types 6 and 7 (they do not exist), field number 0 or above 2**29 - 1;
- an END_GROUP without its START_GROUP, or a group left open.

Groups (wire types 3/4, deprecated) never occur in Sparkplug; they are skipped as a whole when
they appear under an unknown field number, as any protobuf parser does.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import NamedTuple

from shopfloor.errors import DecodeError

VARINT = 0
I64 = 1
LEN = 2
SGROUP = 3
EGROUP = 4
I32 = 5

WIRE_TYPE_NAMES = {
    VARINT: "varint",
    I64: "fixed64",
    LEN: "length-delimited",
    SGROUP: "start-group",
    EGROUP: "end-group",
    I32: "fixed32",
}

MAX_FIELD_NUMBER = (1 << 29) - 1
_U64 = (1 << 64) - 1
_MAX_GROUP_DEPTH = 64

_F32 = struct.Struct("<f")
_F64 = struct.Struct("<d")
_U32S = struct.Struct("<I")
_U64S = struct.Struct("<Q")


class Field(NamedTuple):
    """One field of a message.

    ``offset`` is where its tag starts. For varints ``value`` is the integer and ``start`` /
    ``end`` bound the varint bytes; for every other wire type ``start`` / ``end`` bound the
    payload (for LEN the bytes after the length prefix) and ``value`` is 0.
    """

    number: int
    wire_type: int
    offset: int
    start: int
    end: int
    value: int


def read_varint(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    """Decode the varint at ``pos``; return ``(value, next position)``."""
    if pos < end:
        b = buf[pos]
        if b < 0x80:
            return b, pos + 1
    result = 0
    shift = 0
    start = pos
    while True:
        if pos >= end:
            raise DecodeError("truncated varint", offset=start)
        b = buf[pos]
        pos += 1
        if shift == 63 and b > 1:
            if b & 0x80:
                raise DecodeError("varint longer than 10 bytes", offset=start)
            raise DecodeError("varint overflows 64 bits", offset=start)
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def iter_fields(buf: bytes, start: int, end: int, what: str = "message") -> Iterator[Field]:
    """The fields of the message ``what`` occupying ``buf[start:end]``, in wire order."""
    new = tuple.__new__  # builds a Field without NamedTuple's Python-level __new__
    pos = start
    while pos < end:
        offset = pos
        key = buf[pos]
        if key < 0x80:  # one-byte tags (fields 1..15) are the common case
            pos += 1
        else:
            key, pos = read_varint(buf, pos, end)
        number = key >> 3
        wire_type = key & 7
        if number == 0 or number > MAX_FIELD_NUMBER:
            raise DecodeError(f"{what}: invalid field number {number}", offset=offset)
        if wire_type == VARINT:
            vstart = pos
            if pos < end and buf[pos] < 0x80:
                value = buf[pos]
                pos += 1
            else:
                value, pos = read_varint(buf, pos, end)
            yield new(Field, (number, wire_type, offset, vstart, pos, value))
        elif wire_type == LEN:
            if pos < end and buf[pos] < 0x80:
                length = buf[pos]
                pos += 1
            else:
                length, pos = read_varint(buf, pos, end)
            if length > end - pos:
                raise DecodeError(
                    f"{what} field {number}: length {length} exceeds the {end - pos} bytes left",
                    offset=offset,
                )
            yield new(Field, (number, wire_type, offset, pos, pos + length, 0))
            pos += length
        elif wire_type in (I64, I32):
            size = 8 if wire_type == I64 else 4
            if size > end - pos:
                raise DecodeError(
                    f"{what} field {number}: truncated {WIRE_TYPE_NAMES[wire_type]} value",
                    offset=offset,
                )
            yield new(Field, (number, wire_type, offset, pos, pos + size, 0))
            pos += size
        elif wire_type == SGROUP:
            gstart = pos
            pos = _skip_group(buf, pos, end, number, offset, 1)
            yield new(Field, (number, wire_type, offset, gstart, pos, 0))
        elif wire_type == EGROUP:
            raise DecodeError(
                f"{what} field {number}: end-group without start-group", offset=offset
            )
        else:
            raise DecodeError(
                f"{what} field {number}: invalid wire type {wire_type}", offset=offset
            )


def _skip_group(buf: bytes, pos: int, end: int, number: int, offset: int, depth: int) -> int:
    if depth > _MAX_GROUP_DEPTH:
        raise DecodeError("groups nested too deeply", offset=offset)
    while pos < end:
        tag_at = pos
        key, pos = read_varint(buf, pos, end)
        inner, wire_type = key >> 3, key & 7
        if wire_type == EGROUP:
            if inner != number:
                raise DecodeError(f"end-group {inner} does not close group {number}", offset=tag_at)
            return pos
        if wire_type == SGROUP:
            pos = _skip_group(buf, pos, end, inner, tag_at, depth + 1)
            continue
        # Reuse the single-field reader on the rest of the message for the other wire types.
        field = next(iter_fields(buf, tag_at, end))
        pos = field.end
    raise DecodeError(f"group {number} is never closed", offset=offset)


def read_f32(buf: bytes, pos: int) -> float:
    return float(_F32.unpack_from(buf, pos)[0])


def read_f64(buf: bytes, pos: int) -> float:
    return float(_F64.unpack_from(buf, pos)[0])


def read_fixed(buf: bytes, field: Field) -> int:
    """The unsigned integer of a fixed32 or fixed64 field."""
    s = _U64S if field.wire_type == I64 else _U32S
    return int(s.unpack_from(buf, field.start)[0])


class Writer:
    """Appends protobuf fields to a growing buffer."""

    __slots__ = ("buf",)

    def __init__(self) -> None:
        self.buf = bytearray()

    def getvalue(self) -> bytes:
        return bytes(self.buf)

    def _varint(self, value: int) -> None:
        buf = self.buf
        while value > 0x7F:
            buf.append((value & 0x7F) | 0x80)
            value >>= 7
        buf.append(value)

    def _tag(self, number: int, wire_type: int) -> None:
        self._varint((number << 3) | wire_type)

    def uint(self, number: int, value: int) -> None:
        """A varint field holding an unsigned value (0 .. 2**64 - 1)."""
        if value < 0 or value > _U64:
            raise ValueError(f"field {number}: {value} does not fit an unsigned 64-bit varint")
        self._tag(number, VARINT)
        self._varint(value)

    def boolean(self, number: int, value: bool) -> None:
        self._tag(number, VARINT)
        self.buf.append(1 if value else 0)

    def f32(self, number: int, value: float) -> None:
        self._tag(number, I32)
        self.buf += _F32.pack(value)

    def f64(self, number: int, value: float) -> None:
        self._tag(number, I64)
        self.buf += _F64.pack(value)

    def raw(self, number: int, data: bytes | bytearray | memoryview) -> None:
        """A length-delimited field (bytes, string bytes or an encoded sub-message)."""
        self._tag(number, LEN)
        self._varint(len(data))
        self.buf += data

    def text(self, number: int, value: str) -> None:
        self.raw(number, value.encode("utf-8"))
