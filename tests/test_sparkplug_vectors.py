"""Sparkplug B codec against the shared interoperability vectors (``shared/data/sparkplug``).

Valid vectors must decode to their ``expected`` JSON (floats of Float/FloatArray compared at
float32 precision, everything else exactly, -0.0 included) and re-encode; bad ones must be
rejected naming the byte.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from shopfloor.connect.sparkplug.codec import (
    AliasTable,
    Payload,
    decode_payload,
    encode_payload,
    payload_to_json,
)
from shopfloor.errors import DecodeError

VECTORS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sparkplug"
ALL = sorted(p.stem for p in VECTORS.glob("*.json"))
VALID = [n for n in ALL if not n.startswith("bad_")]
BAD = [n for n in ALL if n.startswith("bad_")]
F32 = {"Float", "FloatArray"}


def load(name: str) -> tuple[bytes, dict[str, Any]]:
    return (VECTORS / f"{name}.bin").read_bytes(), json.loads(
        (VECTORS / f"{name}.json").read_text()
    )


def birth_of(meta: dict[str, Any]) -> Payload | None:
    source = meta.get("alias_source")
    return decode_payload(load(source)[0]) if source else None


def same(got: Any, exp: Any, f32: bool = False) -> bool:
    """Exact JSON equality (bool is not int, -0.0 is not 0.0), floats at float32 if ``f32``."""
    if isinstance(exp, bool) or isinstance(got, bool):
        return type(got) is type(exp) and got == exp
    if isinstance(exp, float) or isinstance(got, float):
        if not isinstance(got, int | float) or not isinstance(exp, int | float):
            return False
        a, b = (float(np.float32(got)), float(np.float32(exp))) if f32 else (got, exp)
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(exp, list):
        return (
            isinstance(got, list)
            and len(got) == len(exp)
            and all(same(g, e, f32) for g, e in zip(got, exp, strict=True))
        )
    if isinstance(exp, dict):
        return (
            isinstance(got, dict)
            and got.keys() == exp.keys()
            and all(same(got[k], exp[k], f32) for k in exp)
        )
    return type(got) is type(exp) and got == exp


def same_metric(got: dict[str, Any], exp: dict[str, Any]) -> bool:
    kind = exp.get("datatype") or exp.get("datatype_from_birth")
    rest = [k for k in exp if k not in ("value", "properties")]
    value = exp["value"]
    if kind == "DataSet" and value is not None:
        cols = [t in F32 for t in value["types"]]
        ok_rows = len(got["value"]["rows"]) == len(value["rows"]) and all(
            same(g, e, f)
            for grow, erow in zip(got["value"]["rows"], value["rows"], strict=True)
            for g, e, f in zip(grow, erow, cols, strict=True)
        )
        ok_value = ok_rows and same(
            {k: v for k, v in got["value"].items() if k != "rows"},
            {k: v for k, v in value.items() if k != "rows"},
        )
    else:
        ok_value = same(got["value"], value, kind in F32)
    return (
        got.keys() == exp.keys()
        and ok_value
        and same_properties(got["properties"], exp["properties"])
        and all(same(got[k], exp[k]) for k in rest)
    )


def same_properties(got: Any, exp: Any) -> bool:
    if exp is None or got is None:
        return got is exp
    if len(got) != len(exp):
        return False
    for g, e in zip(got, exp, strict=True):
        if e["type"] in ("PropertySet",) and e["value"] is not None:
            if not same_properties(g["value"], e["value"]):
                return False
        elif e["type"] == "PropertySetList" and e["value"] is not None:
            if len(g["value"]) != len(e["value"]) or not all(
                same_properties(a, b) for a, b in zip(g["value"], e["value"], strict=True)
            ):
                return False
        elif not same(g["value"], e["value"], e["type"] in F32):
            return False
        if not same(
            {k: v for k, v in g.items() if k != "value"},
            {k: v for k, v in e.items() if k != "value"},
        ):
            return False
    return True


def test_the_shared_vectors_are_there() -> None:
    assert len(VALID) >= 18 and len(BAD) >= 5, f"vectors missing under {VECTORS}"


@pytest.mark.parametrize("name", VALID)
def test_valid_vector_decodes_to_its_expected_json(name: str) -> None:
    data, meta = load(name)
    got = payload_to_json(decode_payload(data, birth=birth_of(meta)))
    exp = meta["expected"]
    assert got.keys() == exp.keys()
    assert same(got["timestamp"], exp["timestamp"]) and same(got["seq"], exp["seq"])
    assert len(got["metrics"]) == len(exp["metrics"])
    for i, (g, e) in enumerate(zip(got["metrics"], exp["metrics"], strict=True)):
        assert same_metric(g, e), f"metric {i}:\n got {g}\n exp {e}"


@pytest.mark.parametrize("name", VALID)
def test_valid_vector_round_trips(name: str) -> None:
    data, meta = load(name)
    birth = birth_of(meta)
    first = decode_payload(data, birth=birth)
    again = encode_payload(first)
    assert decode_payload(again, birth=birth) == first
    assert again == data  # the vectors' encoders write fields the way ours does


@pytest.mark.parametrize("name", [n for n in VALID if "alias_source" in load(n)[1]])
def test_birth_given_to_json_resolves_a_payload_decoded_without_it(name: str) -> None:
    data, meta = load(name)
    birth = birth_of(meta)
    assert birth is not None
    bare = decode_payload(data)
    assert payload_to_json(bare, birth=birth) == payload_to_json(decode_payload(data, birth=birth))
    table = AliasTable.from_birth(birth)
    assert decode_payload(data, birth=table) == decode_payload(data, birth=birth)


@pytest.mark.parametrize("name", BAD)
def test_bad_vector_is_rejected_with_an_offset(name: str) -> None:
    data, meta = load(name)
    assert meta["expect"] == "reject"
    with pytest.raises(DecodeError) as info:
        decode_payload(data)
    assert info.value.offset is not None and 0 <= info.value.offset < len(data)
    assert f"at byte {info.value.offset}:" in info.value.message


@pytest.mark.parametrize(
    ("name", "offset", "byte", "words"),
    [
        ("bad_invalid_wire_type", 9, 0x1F, "invalid wire type 7"),
        ("bad_varint_overflow", 1, None, "longer than 10 bytes"),
        ("bad_wrong_wire_type_timestamp", 0, 0x0A, "timestamp (field 1) must be varint"),
        ("bad_truncated_nbirth", None, 0x12, "exceeds"),
    ],
)
def test_bad_vector_offset_points_at_the_fault(
    name: str, offset: int | None, byte: int | None, words: str
) -> None:
    data, _ = load(name)
    with pytest.raises(DecodeError) as info:
        decode_payload(data)
    at = info.value.offset
    assert at is not None and words in info.value.reason
    if offset is not None:
        assert at == offset
    if byte is not None:
        assert data[at] == byte  # the tag of the offending field
