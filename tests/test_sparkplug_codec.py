"""Sparkplug B codec: every datatype and structure round-trips; unencodable values are refused."""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid as uuidlib
from typing import Any

import numpy as np
import pytest

from shopfloor.connect.sparkplug.codec import (
    DataSet,
    DataType,
    EncodeError,
    MetaData,
    Metric,
    Parameter,
    Payload,
    PropertySet,
    PropertyValue,
    Template,
    UnknownAliasError,
    decode_payload,
    encode_payload,
    payload_to_json,
)

SCALARS: list[tuple[DataType, Any]] = [
    (DataType.Int8, -128),
    (DataType.Int8, -1),
    (DataType.Int8, 127),
    (DataType.Int16, -32768),
    (DataType.Int16, 32767),
    (DataType.Int32, -2147483648),
    (DataType.Int32, -1),
    (DataType.Int32, 2147483647),
    (DataType.Int64, -(2**63)),
    (DataType.Int64, -1),
    (DataType.Int64, 2**63 - 1),
    (DataType.UInt8, 0),
    (DataType.UInt8, 255),
    (DataType.UInt16, 65535),
    (DataType.UInt32, 2**32 - 1),
    (DataType.UInt64, 2**64 - 1),
    (DataType.UInt64, 0),
    (DataType.Float, 0.10000000149011612),
    (DataType.Float, -0.0),
    (DataType.Float, math.inf),
    (DataType.Double, -2.718281828459045),
    (DataType.Double, 5e-324),
    (DataType.Double, -0.0),
    (DataType.Boolean, True),
    (DataType.Boolean, False),
    (DataType.String, "héllo ✓"),
    (DataType.String, ""),
    (DataType.Text, "a\nb\tc"),
    (DataType.UUID, "123e4567-e89b-12d3-a456-426614174000"),
    (DataType.DateTime, 1718000000123),
    (DataType.DateTime, 0),
    (DataType.Bytes, b"\x00\x01\xff"),
    (DataType.Bytes, b""),
    (DataType.File, b"key=value\n"),
    (DataType.Int8Array, [-128, 0, 127]),
    (DataType.Int16Array, [-32768, 32767]),
    (DataType.Int32Array, [-(2**31), 2**31 - 1]),
    (DataType.Int64Array, [-(2**63), 2**63 - 1]),
    (DataType.UInt8Array, [0, 255]),
    (DataType.UInt16Array, [65535]),
    (DataType.UInt32Array, [2**32 - 1, 0]),
    (DataType.UInt64Array, [2**64 - 1, 1]),
    (DataType.FloatArray, [1.5, -0.10000000149011612]),
    (DataType.DoubleArray, [math.pi, -1e-300]),
    (DataType.DoubleArray, []),
    (DataType.BooleanArray, [True, False] * 7 + [True]),
    (DataType.BooleanArray, []),
    (DataType.StringArray, ["ABC", "", "ü"]),
    (DataType.StringArray, []),
    (DataType.DateTimeArray, [1718000000000, 0]),
]


@pytest.mark.parametrize(("datatype", "value"), SCALARS, ids=lambda v: repr(v)[:30])
def test_every_datatype_round_trips(datatype: DataType, value: Any) -> None:
    p = Payload(
        timestamp=1718000000000,
        seq=7,
        metrics=[Metric(name="m", alias=5, timestamp=1, datatype=datatype, value=value)],
    )
    back = decode_payload(encode_payload(p))
    assert back == p
    if isinstance(value, float):
        assert math.copysign(1, back.metrics[0].value) == math.copysign(1, value)
    # a DATA message by alias only, no datatype: resolved through the birth
    data = Payload(timestamp=2, seq=8, metrics=[Metric(alias=5, value=value)])
    resolved = decode_payload(encode_payload(_as_untyped(data, datatype)), birth=p)
    assert resolved.metrics[0].value == value
    assert resolved.metrics[0].name == "m" and resolved.metrics[0].datatype is datatype
    assert resolved.metrics[0].name_from_birth and resolved.metrics[0].datatype_from_birth


def _as_untyped(p: Payload, datatype: DataType) -> Payload:
    """Encode the value as ``datatype`` but leave the datatype off the wire."""
    m = p.metrics[0]
    m.datatype, m.datatype_from_birth = datatype, True
    return p


def test_nan_round_trips() -> None:
    p = Payload(
        metrics=[
            Metric(name="x", datatype=DataType.Double, value=math.nan),
            Metric(name="y", datatype=DataType.FloatArray, value=[math.nan]),
        ]
    )
    back = decode_payload(encode_payload(p))
    assert math.isnan(back.metrics[0].value) and math.isnan(back.metrics[1].value[0])


@pytest.mark.parametrize(
    ("datatype", "array"),
    [
        (DataType.DoubleArray, np.linspace(-1, 1, 1000)),
        (DataType.FloatArray, np.linspace(-1, 1, 1000, dtype=np.float32)),
        (DataType.Int16Array, np.arange(-500, 500, dtype=np.int16)),
        (DataType.UInt64Array, np.array([2**64 - 1, 0], dtype=np.uint64)),
        (DataType.Int32Array, np.array([-1, 7], dtype=np.int64)),
        (DataType.BooleanArray, np.array([True, False, True])),
    ],
)
def test_numpy_arrays_encode_like_lists(datatype: DataType, array: np.ndarray[Any, Any]) -> None:
    from_np = encode_payload(Payload(metrics=[Metric(name="v", datatype=datatype, value=array)]))
    from_list = encode_payload(
        Payload(metrics=[Metric(name="v", datatype=datatype, value=array.tolist())])
    )
    assert from_np == from_list
    assert decode_payload(from_np).metrics[0].value == array.tolist()


def test_double_array_is_packed_little_endian() -> None:
    values = np.array([1.0, -2.5])
    data = encode_payload(
        Payload(metrics=[Metric(alias=1, datatype=DataType.DoubleArray, value=values)])
    )
    assert values.astype("<f8").tobytes() in data
    bools = encode_payload(
        Payload(
            metrics=[
                Metric(
                    alias=1,
                    datatype=DataType.BooleanArray,
                    value=[
                        False,
                        False,
                        True,
                        True,
                        False,
                        True,
                        False,
                        False,
                        True,
                        True,
                        False,
                        True,
                    ],
                )
            ]
        )
    )
    assert bytes.fromhex("0c00000034d0") in bools  # the example of spec section 6.4.17


def test_structures_round_trip() -> None:
    inner = PropertySet([("deep", PropertyValue(DataType.Int8, -3))])
    props = PropertySet(
        [
            ("engUnit", PropertyValue(DataType.String, "degC")),
            ("scale", PropertyValue(DataType.Float, 0.5)),
            ("none", PropertyValue(DataType.Text, None, is_null=True)),
            ("limit", PropertyValue(DataType.Int64, -5)),
            ("when", PropertyValue(DataType.DateTime, 1718000000000)),
            ("nested", PropertyValue(DataType.PropertySet, inner)),
            ("list", PropertyValue(DataType.PropertySetList, [inner, PropertySet()])),
            ("untyped", PropertyValue(None, 42)),
        ]
    )
    table = DataSet(
        num_of_columns=6,
        columns=["i8", "u64", "f", "d", "b", "s"],
        types=[
            DataType.Int8,
            DataType.UInt64,
            DataType.Float,
            DataType.Double,
            DataType.Boolean,
            DataType.String,
        ],
        rows=[[-1, 2**64 - 1, 1.5, -0.0, True, "x"], [None, 0, None, 2.5, False, ""]],
    )
    template = Template(
        version="1.0",
        metrics=[
            Metric(name="speed", datatype=DataType.Int32, value=-7),
            Metric(name="tbl", datatype=DataType.DataSet, value=table),
        ],
        parameters=[Parameter("p", DataType.Int16, -2), Parameter("q", DataType.String, None)],
        template_ref="Motor",
        is_definition=False,
    )
    p = Payload(
        timestamp=1718000000000,
        seq=0,
        uuid="abc",
        body=b"\x01\x02",
        metrics=[
            Metric(name="t", alias=1, datatype=DataType.Float, value=21.5, properties=props),
            Metric(
                name="ds",
                alias=2,
                datatype=DataType.DataSet,
                value=table,
                is_historical=True,
                is_transient=True,
            ),
            Metric(name="tmpl", alias=3, datatype=DataType.Template, value=template),
            Metric(
                name="file",
                alias=4,
                datatype=DataType.File,
                value=b"k=v",
                metadata=MetaData(
                    is_multi_part=False,
                    content_type="text/plain",
                    size=3,
                    seq=0,
                    file_name="a.ini",
                    file_type="ini",
                    md5="00",
                    description="cfg",
                ),
            ),
            Metric(name="gone", datatype=DataType.Int32, is_null=True),
            Metric(name="raw", datatype=DataType.Unknown, value=b"\x07"),
        ],
    )
    back = decode_payload(encode_payload(p))
    assert back == p
    j = payload_to_json(back)
    assert j["uuid"] == "abc" and j["body"] == "AQI="
    assert j["metrics"][0]["properties"][5]["value"][0]["value"] == -3
    assert j["metrics"][0]["properties"][6]["value"] == [
        [{"key": "deep", "type": "Int8", "type_id": 1, "value": -3, "is_null": False}],
        [],
    ]
    assert j["metrics"][1]["value"]["type_ids"] == [1, 8, 9, 10, 11, 12]
    assert j["metrics"][1]["value"]["rows"][1] == [None, 0, None, 2.5, False, ""]
    assert j["metrics"][2]["value"]["parameters"][0] == {
        "name": "p",
        "type": "Int16",
        "type_id": 2,
        "value": -2,
    }
    assert j["metrics"][3]["metadata"]["file_name"] == "a.ini"
    assert j["metrics"][4]["value"] is None and j["metrics"][4]["is_null"] is True
    json.dumps(j)  # JSON-serialisable as it is


def test_uuid_and_datetime_objects_are_accepted_on_encode() -> None:
    u = uuidlib.UUID("00000000-0000-4000-8000-000000000001")
    when = dt.datetime(2024, 6, 10, 6, 13, 20, tzinfo=dt.UTC)
    p = Payload(
        metrics=[
            Metric(name="u", datatype=DataType.UUID, value=u),
            Metric(name="d", datatype=DataType.DateTime, value=when),
        ]
    )
    back = decode_payload(encode_payload(p))
    assert back.metrics[0].value == str(u) and back.metrics[1].value == 1718000000000


@pytest.mark.parametrize(
    ("metric", "words"),
    [
        (Metric(name="x", datatype=DataType.Int8, value=128), "out of range"),
        (Metric(name="x", datatype=DataType.UInt8, value=-1), "out of range"),
        (Metric(name="x", datatype=DataType.UInt64, value=2**64), "out of range"),
        (Metric(name="x", datatype=DataType.Int32, value=1.5), "integer"),
        (Metric(name="x", datatype=DataType.Float, value=1e39), "float32"),
        (Metric(name="x", datatype=DataType.Double, value="1.0"), "real number"),
        (Metric(name="x", datatype=DataType.Boolean, value=1), "bool"),
        (Metric(name="x", datatype=DataType.String, value=b"x"), "str"),
        (Metric(name="x", datatype=DataType.Bytes, value="x"), "bytes"),
        (Metric(name="x", datatype=DataType.Int8Array, value=[1, 200]), "out of range"),
        (Metric(name="x", datatype=DataType.Int8Array, value=np.array([1, 200])), "out of range"),
        (Metric(name="x", datatype=DataType.UInt16Array, value=[1.5]), "integers"),
        (Metric(name="x", datatype=DataType.FloatArray, value=[1e39]), "float32"),
        (Metric(name="x", datatype=DataType.DoubleArray, value=["a"]), "numbers"),
        (Metric(name="x", datatype=DataType.DoubleArray, value=np.zeros((2, 2))), "1-D"),
        (Metric(name="x", datatype=DataType.BooleanArray, value=[1, 0]), "bools"),
        (Metric(name="x", datatype=DataType.StringArray, value=["a\x00b"]), "NUL"),
        (Metric(name="x", datatype=DataType.StringArray, value="abc"), "sequence"),
        (Metric(name="x", datatype=DataType.DateTime, value=-1), "out of range"),
        (Metric(name="x", datatype=DataType.PropertySet, value=PropertySet()), "cannot"),
        (
            Metric(name="x", datatype=DataType.DataSet, value=DataSet(2, ["a"], [DataType.Int8])),
            "num_of_columns 2",
        ),
        (
            Metric(
                name="x",
                datatype=DataType.DataSet,
                value=DataSet(1, ["a"], [DataType.Int8], [[1, 2]]),
            ),
            "row 0",
        ),
        (
            Metric(
                name="x",
                datatype=DataType.DataSet,
                value=DataSet(1, ["a"], [DataType.Bytes], [[b"x"]]),
            ),
            "DataSetValue",
        ),
        (Metric(datatype=DataType.Int8, value=1), "name or an alias"),
        (Metric(name="a\udc00", datatype=DataType.Int8, value=1), "not UTF-8"),
        (Metric(name="x", value=object()), "set a datatype"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_unencodable_values_are_refused_naming_the_metric(metric: Metric, words: str) -> None:
    with pytest.raises(EncodeError) as info:
        encode_payload(
            Payload(metrics=[Metric(name="ok", datatype=DataType.Int8, value=1), metric])
        )
    assert words in info.value.message
    assert "metric 1" in info.value.message


def test_seq_outside_0_255_is_refused() -> None:
    with pytest.raises(EncodeError, match="seq 256"):
        encode_payload(Payload(seq=256))


def test_unknown_alias_with_a_birth_is_its_own_error() -> None:
    birth = Payload(metrics=[Metric(name="a", alias=1, datatype=DataType.Int8, value=1)])
    data = encode_payload(Payload(metrics=[Metric(alias=9, value=3, datatype=DataType.Int8)]))
    with pytest.raises(UnknownAliasError, match="alias 9") as info:
        decode_payload(data, birth=birth)
    assert info.value.code == "codec.unknown_alias" and info.value.offset == 0


def test_a_1000_sample_double_array_round_trips_exactly() -> None:
    values = np.random.default_rng(1).normal(size=1000)
    data = encode_payload(
        Payload(
            timestamp=1,
            seq=1,
            metrics=[Metric(alias=4, timestamp=1, datatype=DataType.DoubleArray, value=values)],
        )
    )
    back = decode_payload(data).metrics[0].value
    assert back == values.tolist()
    assert values.astype("<f8").tobytes() in data  # packed as one slice, little-endian


def test_the_codec_doc_example_runs() -> None:
    import doctest

    from shopfloor.connect.sparkplug import codec

    result = doctest.testmod(codec)
    assert result.attempted > 0 and result.failed == 0
