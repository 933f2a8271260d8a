"""The UNS envelope: JSON samples and binary batches."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from shopfloor.bus.envelope import (
    ColumnBlock,
    RegularBlock,
    decode_batch,
    decode_message,
    decode_sample,
    encode_batch,
    encode_sample,
    iso_ns,
)
from shopfloor.bus.topics import batch_topic, event_topic, tag_topic
from shopfloor.errors import BadInput, DecodeError
from shopfloor.events import EventKind, MachineEvent
from shopfloor.samples import Quality, Sample

EQ = "s1/a1/l1/c1/press"
TAG = f"{EQ}/force"
T0 = 1_736_143_200_123_456_789


def test_sample_json_round_trip_and_shape() -> None:
    s = Sample(TAG, T0, 12.5, Quality.UNCERTAIN)
    data = encode_sample(s)
    assert json.loads(data) == {
        "tag": TAG,
        "ts": "2025-01-06T06:00:00.123456789Z",
        "ts_ns": T0,
        "value": 12.5,
        "quality": "uncertain",
    }
    assert decode_sample(data) == s
    for value in ("text", True, None):
        assert decode_sample(encode_sample(Sample(TAG, T0, value))).value == value
    assert decode_sample(encode_sample(Sample(TAG, T0, float("nan")))).value is None
    with pytest.raises(BadInput, match="infinite"):
        encode_sample(Sample(TAG, T0, float("inf")))


def test_sample_written_by_hand_with_ts_only() -> None:
    doc = b'{"tag": "s1/a1/l1/c1/press/force", "ts": "2025-01-06T06:00:00Z", "value": 3}'
    s = decode_sample(doc)
    assert s.ts_ns == 1_736_143_200_000_000_000 and s.value == 3.0 and s.quality is Quality.GOOD
    assert iso_ns(s.ts_ns) == "2025-01-06T06:00:00.000000000Z"


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b'{"tag": "x"', "not JSON"),
        (b"[1]", "JSON object"),
        (b'{"ts_ns": 1}', "'tag'"),
        (b'{"tag": "a/b", "ts_ns": 1}', "6 segments"),
        (f'{{"tag": "{TAG}"}}'.encode(), "'ts_ns'"),
        (f'{{"tag": "{TAG}", "ts_ns": "1"}}'.encode(), "'ts_ns' must be an integer"),
        (f'{{"tag": "{TAG}", "ts": "2025-01-06T06:00:00"}}'.encode(), "no time zone"),
        (f'{{"tag": "{TAG}", "ts_ns": 1, "value": [1]}}'.encode(), "'value'"),
        (f'{{"tag": "{TAG}", "ts_ns": 1, "quality": "fine"}}'.encode(), "'quality'"),
    ],
)
def test_sample_decode_errors(data: bytes, why: str) -> None:
    with pytest.raises(DecodeError, match=why):
        decode_sample(data)


def test_not_json_error_has_offset() -> None:
    with pytest.raises(DecodeError) as info:
        decode_sample(b'{"tag": }')
    assert info.value.offset == 8


def blocks() -> list[RegularBlock | ColumnBlock]:
    return [
        RegularBlock(TAG, T0, 1000.0, np.linspace(0, 1, 1000)),
        ColumnBlock(
            f"{EQ}/temp",
            np.array([T0, T0 + 5], dtype=np.int64),
            np.array([20.5, np.nan]),
            np.array([0, 2], dtype=np.uint8),
        ),
    ]


def test_batch_round_trip_little_endian() -> None:
    data = encode_batch(blocks())
    assert data[:5] == b"SF\x01\x02\x00"
    reg, col = decode_batch(data)
    assert isinstance(reg, RegularBlock) and isinstance(col, ColumnBlock)
    assert (reg.tag, reg.start_ns, reg.rate_hz, reg.quality) == (TAG, T0, 1000.0, Quality.GOOD)
    np.testing.assert_array_equal(reg.values, np.linspace(0, 1, 1000))
    assert reg.timestamps()[1] - reg.timestamps()[0] == 1_000_000
    np.testing.assert_array_equal(col.ts_ns, [T0, T0 + 5])
    np.testing.assert_array_equal(col.values, [20.5, np.nan])
    np.testing.assert_array_equal(col.quality, [0, 2])
    assert not reg.values.flags.writeable  # a view on the payload, no copy


def test_batch_encode_refuses_bad_blocks() -> None:
    with pytest.raises(BadInput, match="1 to 65535 blocks"):
        encode_batch([])
    with pytest.raises(BadInput, match="rate_hz must be > 0"):
        encode_batch([RegularBlock(TAG, T0, 0.0, np.zeros(3))])
    with pytest.raises(BadInput, match="same length"):
        encode_batch([ColumnBlock(TAG, np.zeros(2, np.int64), np.zeros(3), np.zeros(3))])
    with pytest.raises(BadInput, match="6 segments"):
        encode_batch([RegularBlock("short/tag", T0, 1.0, np.zeros(1))])


def _corrupt(data: bytes, offset: int, value: bytes) -> bytes:
    return data[:offset] + value + data[offset + len(value) :]


def test_batch_decode_errors_carry_offsets() -> None:
    good = encode_batch(blocks())
    tag_len = len(TAG)
    cases = [
        (b"SF", "header", 0),
        (_corrupt(good, 0, b"XX"), "magic", 0),
        (_corrupt(good, 2, b"\x09"), "version 9", 2),
        (_corrupt(good, 5, b"\x07"), "unknown kind 7", 5),
        (_corrupt(good, 8, b"S"), "tag id is invalid", 8),
        (_corrupt(good, 8 + tag_len + 4 + 8, struct.pack("<d", -1.0)), "rate", 8 + tag_len + 12),
        (good[:-3], "ends inside block 1", None),
        (good + b"\x00", "1 bytes follow", len(good)),
        (_corrupt(good, len(good) - 1, b"\x05"), "quality 5", len(good) - 1),
    ]
    for data, why, offset in cases:
        with pytest.raises(DecodeError, match=why) as info:
            decode_batch(data)
        if offset is not None:
            assert info.value.offset == offset, why


def test_decode_message_checks_topic_agrees() -> None:
    sample = encode_sample(Sample(TAG, T0, 1.0))
    assert isinstance(decode_message(tag_topic(TAG), sample), Sample)
    with pytest.raises(DecodeError, match="arrived on"):
        decode_message(tag_topic(f"{EQ}/other"), sample)
    event = MachineEvent(EventKind.ALARM, EQ, T0, payload={"code": "E1"})
    got = decode_message(event_topic(EQ, EventKind.ALARM), event.to_bytes())
    assert got == event
    with pytest.raises(DecodeError, match="arrived on"):
        decode_message(event_topic(EQ, EventKind.ENERGY), event.to_bytes())
    assert len(decode_message(batch_topic(EQ), encode_batch(blocks()))) == 2  # type: ignore[arg-type]
    with pytest.raises(DecodeError, match="arrived on"):
        decode_message(batch_topic("s1/a1/l1/c1/other"), encode_batch(blocks()))
