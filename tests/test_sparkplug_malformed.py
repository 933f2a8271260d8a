"""Hand-built payloads: every malformation is rejected naming its byte; tolerated oddities pass.

The bytes are written here with a ten-line protobuf writer of the test's own, so that the
decoder is checked against bytes it did not produce.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from shopfloor.connect.sparkplug.codec import (
    DataSet,
    DataType,
    Payload,
    decode_payload,
    encode_payload,
)
from shopfloor.errors import DecodeError


def varint(v: int) -> bytes:
    out = bytearray()
    while v > 0x7F:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def tag(n: int, wire_type: int) -> bytes:
    return varint(n << 3 | wire_type)


def vi(n: int, v: int) -> bytes:
    return tag(n, 0) + varint(v)


def ld(n: int, body: bytes) -> bytes:
    return tag(n, 2) + varint(len(body)) + body


def metric(*parts: bytes) -> bytes:
    """A one-metric payload: Payload.metrics (2 bytes of header when short) + the fields."""
    return ld(2, b"".join(parts))


NAME = ld(1, b"a")  # 3 bytes at offset 2 (after the metric header); the next field is at 5.
# Tags of fields 16 and above take 2 bytes: a bytes_value after NAME + datatype has data at 10.
DS_HEAD = vi(1, 2) + ld(2, b"a") + ld(2, b"b") + vi(3, 3) + vi(3, 12)  # 2 columns Int32, String

MALFORMED: list[tuple[str, bytes, int, str]] = [
    ("truncated varint", b"\x08", 1, "truncated varint"),
    ("truncated varint 2", b"\x08\x80", 1, "truncated varint"),
    ("field number 0", b"\x00\x01", 0, "invalid field number 0"),
    ("wire type 6", b"\x0e\x00", 0, "invalid wire type 6"),
    ("end group alone", b"\x0c", 0, "end-group without start-group"),
    ("varint overflows", b"\x08" + b"\xff" * 9 + b"\x02", 1, "overflows 64 bits"),
    ("varint of 11 bytes", b"\x08" + b"\xff" * 10 + b"\x01", 1, "longer than 10 bytes"),
    ("length past end", b"\x22\x03ab", 0, "length 3 exceeds the 2 bytes left"),
    ("truncated fixed64", b"\x49" + b"\x00" * 7, 0, "truncated fixed64"),
    ("group never closed", b"\xab\x01\x08\x01", 0, "never closed"),
    ("group closed wrong", b"\xab\x01\xb4\x01", 2, "does not close group 21"),
    ("seq as fixed32", b"\x1d\x00\x00\x00\x00", 0, "Payload.seq (field 3) must be varint"),
    ("metric timestamp as bytes", metric(NAME, ld(3, b"xx")), 5, "Metric.timestamp (field 3)"),
    ("metrics as varint", vi(2, 1), 0, "Payload.metrics (field 2) must be length-delimited"),
    (
        "Float with string_value",
        metric(NAME, vi(4, 9), ld(15, b"x")),
        7,
        "Float value cannot be carried in string_value",
    ),
    (
        "Double with float_value",
        metric(NAME, vi(4, 10), tag(12, 5) + b"\0\0\0\0"),
        7,
        "cannot be carried in float_value",
    ),
    ("Boolean with int_value", metric(NAME, vi(4, 11), vi(10, 1)), 7, "int_value"),
    (
        "DoubleArray of 7 bytes",
        metric(NAME, vi(4, 31), ld(16, b"\0" * 7)),
        10,
        "DoubleArray has 7 bytes, not a multiple of 8",
    ),
    ("Int32Array of 6 bytes", metric(NAME, vi(4, 24), ld(16, b"\0" * 6)), 10, "multiple of 4"),
    ("bad UTF-8 name", metric(ld(1, b"ab\xff")), 6, "Metric.name is not valid UTF-8"),
    ("bad UTF-8 string", metric(NAME, vi(4, 12), ld(15, b"\xc3")), 9, "not valid UTF-8"),
    ("datatype 35", metric(NAME, vi(4, 35)), 5, "datatype 35 is not a Sparkplug DataType"),
    ("Int8 int_value 300", metric(NAME, vi(4, 1), vi(10, 300)), 7, "out of range for Int8"),
    ("UInt16 int_value 70000", metric(NAME, vi(4, 6), vi(10, 70000)), 7, "out of range"),
    ("int_value above uint32", metric(NAME, vi(4, 4), vi(10, 2**32)), 7, "does not fit uint32"),
    ("is_null and a value", metric(NAME, vi(4, 3), vi(7, 1), vi(10, 1)), 9, "is_null is set"),
    ("two values", metric(NAME, vi(10, 1), vi(11, 1)), 7, "two values (int_value and long_value)"),
    ("metadata twice", metric(NAME, ld(8, b""), ld(8, b"")), 7, "Metric.metadata is given twice"),
    ("seq 256", vi(3, 256), 0, "seq 256 is outside 0..255"),
    ("no name no alias", metric(vi(3, 5)), 0, "neither name nor alias"),
    (
        "2 keys 1 value",
        metric(NAME, ld(9, ld(1, b"k") + ld(1, b"j") + ld(2, vi(1, 3)))),
        5,
        "PropertySet has 2 keys but 1 values",
    ),
    ("property type 40", metric(NAME, ld(9, ld(1, b"k") + ld(2, vi(1, 40)))), 12, "datatype 40"),
    (
        "property Int8 with string",
        metric(NAME, ld(9, ld(1, b"k") + ld(2, vi(1, 1) + ld(8, b"x")))),
        14,
        "Int8 value cannot be carried in string_value",
    ),
    (
        "BooleanArray short",
        metric(NAME, vi(4, 32), ld(16, b"\x0c\0\0\0\x34")),
        10,
        "BooleanArray of 12 values needs 2 bytes after the count, got 1",
    ),
    ("BooleanArray no count", metric(NAME, vi(4, 32), ld(16, b"\x01")), 10, "4-byte count"),
    ("StringArray without NUL", metric(NAME, vi(4, 33), ld(16, b"ab")), 11, "NUL"),
    ("StringArray bad UTF-8", metric(NAME, vi(4, 33), ld(16, b"ok\0\xff\0")), 13, "UTF-8"),
    (
        "DataSet row too short",
        metric(NAME, vi(4, 16), ld(17, DS_HEAD + ld(4, ld(1, vi(1, 5))))),
        22,
        "DataSet row 0 has 1 elements, not 2",
    ),
    (
        "DataSet 2 columns 1 name",
        metric(NAME, vi(4, 16), ld(17, vi(1, 2) + ld(2, b"a"))),
        7,
        "DataSet has num_of_columns 2 but 1 column names",
    ),
    (
        "DataSet 2 columns 1 type",
        metric(NAME, vi(4, 16), ld(17, vi(1, 2) + ld(2, b"a") + ld(2, b"b") + vi(3, 3))),
        7,
        "num_of_columns 2 but 1 types",
    ),
    (
        "DataSet without num_of_columns but with names",
        metric(NAME, vi(4, 16), ld(17, ld(2, b"a"))),
        7,
        "num_of_columns absent but 1 column names",
    ),
    (
        "DataSet Int32 cell with string",
        metric(NAME, vi(4, 16), ld(17, DS_HEAD + ld(4, ld(1, ld(6, b"x")) + ld(1, ld(6, b"y"))))),
        26,
        "Int32 value cannot be carried in string_value",
    ),
    (
        "DataSet column type 99",
        metric(NAME, vi(4, 16), ld(17, vi(1, 1) + ld(2, b"a") + vi(3, 99))),
        15,
        "datatype 99",
    ),
    ("Float metric with a DataSet", metric(NAME, vi(4, 9), ld(17, b"")), 7, "dataset_value"),
]


@pytest.mark.parametrize(
    ("data", "offset", "words"), [c[1:] for c in MALFORMED], ids=[c[0] for c in MALFORMED]
)
def test_malformed_payload_is_rejected_at_its_byte(data: bytes, offset: int, words: str) -> None:
    with pytest.raises(DecodeError) as info:
        decode_payload(data)
    assert words in info.value.reason
    assert info.value.offset == offset
    assert info.value.code == "codec.malformed" and info.value.bad_input


def _nested_property_sets(depth: int) -> bytes:
    body = b""
    for _ in range(depth):
        body = ld(1, b"k") + ld(2, vi(1, 20) + ld(9, body))
    return metric(NAME, ld(9, body))


def test_nesting_is_bounded() -> None:
    decode_payload(_nested_property_sets(20))
    with pytest.raises(DecodeError, match="nested deeper than 32"):
        decode_payload(_nested_property_sets(40))


TOLERATED: list[tuple[str, bytes, Any]] = [
    ("empty payload", b"", Payload()),
    ("max uint64 timestamp", b"\x08" + b"\xff" * 9 + b"\x01", 2**64 - 1),
    ("Int8 sign-extended to 32 bits", metric(NAME, vi(4, 1), vi(10, 2**32 - 1)), -1),
    ("Int8 in long_value", metric(NAME, vi(4, 1), vi(11, 2**64 - 128)), -128),
    ("Int16 two's complement", metric(NAME, vi(4, 2), vi(10, 0x8000)), -32768),
    ("UInt32 in long_value", metric(NAME, vi(4, 7), vi(11, 2**32 - 1)), 2**32 - 1),
    ("Int64 in int_value", metric(NAME, vi(4, 4), vi(10, 2**32 - 1)), -1),
    ("boolean varint 2", metric(NAME, vi(4, 11), vi(14, 2)), True),
    ("empty BooleanArray bytes", metric(NAME, vi(4, 32), ld(16, b"")), []),
    ("BooleanArray padding bits", metric(NAME, vi(4, 32), ld(16, b"\x01\0\0\0\xff")), [True]),
    ("lone NUL StringArray", metric(NAME, vi(4, 33), ld(16, b"\0")), [""]),
    ("no value, not null", metric(NAME, vi(4, 3)), None),
    ("untyped int_value", metric(NAME, vi(10, 255)), 255),
    ("untyped bytes", metric(NAME, ld(16, b"\x01")), b"\x01"),
    ("Unknown datatype keeps raw", metric(NAME, vi(4, 0), vi(11, 5)), 5),
    ("empty DataSet", metric(NAME, vi(4, 16), ld(17, b"")), DataSet(0, [], [], [])),
]


@pytest.mark.parametrize(
    ("data", "expected"), [c[1:] for c in TOLERATED], ids=[c[0] for c in TOLERATED]
)
def test_tolerated_payloads_decode(data: bytes, expected: Any) -> None:
    p = decode_payload(data)
    if isinstance(expected, Payload):
        assert p == expected
    elif p.metrics:
        assert p.metrics[0].value == expected and type(p.metrics[0].value) is type(expected)
    else:
        assert p.timestamp == expected


def test_unknown_fields_are_skipped() -> None:
    known = vi(1, 5) + metric(NAME, vi(4, 3), vi(10, 7)) + vi(3, 1)
    extended = (
        vi(1, 5)
        + metric(NAME, ld(30, b"\xff\xff"), vi(4, 3), tag(31, 5) + b"1234", vi(10, 7))
        + vi(3, 1)
        + vi(6, 99)
        + tag(21, 3)
        + vi(1, 1)
        + ld(2, b"xyz")
        + tag(22, 3)
        + tag(22, 4)
        + tag(21, 4)
        + tag(40, 1)
        + b"\0" * 8
    )
    assert decode_payload(extended) == decode_payload(known)


def test_packed_dataset_types_are_read() -> None:
    packed = vi(1, 2) + ld(2, b"a") + ld(2, b"b") + ld(3, bytes([3, 12]))
    row = ld(4, ld(1, vi(1, 2**32 - 5)) + ld(1, b""))
    ds = decode_payload(metric(NAME, vi(4, 16), ld(17, packed + row))).metrics[0].value
    assert ds.types == [DataType.Int32, DataType.String] and ds.rows == [[-5, None]]


VECTORS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sparkplug"


def test_mutated_vectors_decode_or_fail_cleanly() -> None:
    """Seeded byte flips, cuts and insertions: a DecodeError or a payload that round-trips."""
    rng = random.Random(20240610)
    vectors = [p.read_bytes() for p in sorted(VECTORS.glob("[ab]_*.bin"))]
    assert vectors, f"no vectors under {VECTORS}"
    accepted = 0
    for _ in range(3000):
        data = bytearray(rng.choice(vectors))
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(data)) if data else 0
            op = rng.random()
            if op < 0.5 and data:
                data[i] = rng.randrange(256)
            elif op < 0.7:
                del data[i:]
            else:
                data[i:i] = bytes([rng.randrange(256)])
        try:
            p = decode_payload(bytes(data))
        except DecodeError as exc:
            assert exc.offset is None or 0 <= exc.offset <= len(data)
            continue
        accepted += 1
        if "nan" not in repr(p):
            assert decode_payload(encode_payload(p)) == p, bytes(data).hex()
    assert accepted > 0
