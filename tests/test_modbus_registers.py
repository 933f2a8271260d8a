"""Modbus point table: register encoding, read planning, gateway layout and settings."""

from __future__ import annotations

import math
import struct
from pathlib import Path
from typing import Any, Literal

import pytest
import yaml
from pymodbus.client import ModbusTcpClient

from shopfloor.cli import main
from shopfloor.connect.modbus.config import GatewayConfig, PollerConfig
from shopfloor.connect.modbus.discover import discover_modbus_csv
from shopfloor.connect.modbus.layout import (
    MAX_TAGS_PER_UNIT,
    CommandOutcome,
    bad_flags,
    gateway_block,
    modbus_servers,
    quality_bitmap,
    unit_maps,
)
from shopfloor.connect.modbus.registers import ModbusPoint, plan_reads
from shopfloor.errors import BadInput, ConfigError, DecodeError, PlantError, ValidationFailed
from shopfloor.plant import load_plant, parse_plant
from shopfloor.plant.model import DataType, ModbusRegister, ModbusType
from shopfloor.plant.states import PackMLState
from tests.conftest import REPO

DT = ModbusTcpClient.DATATYPE
PYMODBUS_TYPE = {
    ModbusType.INT16: DT.INT16,
    ModbusType.UINT16: DT.UINT16,
    ModbusType.INT32: DT.INT32,
    ModbusType.UINT32: DT.UINT32,
    ModbusType.FLOAT32: DT.FLOAT32,
    ModbusType.FLOAT64: DT.FLOAT64,
}


def point(
    type_: str,
    address: int = 0,
    data_type: DataType = DataType.DOUBLE,
    *,
    scale: float = 1.0,
    offset: float = 0.0,
    word_order: Literal["big", "little"] = "big",
) -> ModbusPoint:
    reg = ModbusRegister(
        address=address, type=ModbusType(type_), scale=scale, offset=offset, word_order=word_order
    )
    return ModbusPoint(f"s/a/l/c/eq/t{address}", reg, data_type)


@pytest.mark.parametrize(
    ("type_", "order", "value", "words"),
    [
        ("int16", "big", -2, [0xFFFE]),
        ("uint16", "little", 0xBEEF, [0xBEEF]),
        ("int32", "big", -2, [0xFFFF, 0xFFFE]),
        ("uint32", "big", 0x12345678, [0x1234, 0x5678]),
        ("uint32", "little", 0x12345678, [0x5678, 0x1234]),
        ("float32", "big", 1.5, [0x3FC0, 0x0000]),
        ("float32", "little", 1.5, [0x0000, 0x3FC0]),
        ("float64", "big", 1.0, [0x3FF0, 0, 0, 0]),
        ("float64", "little", -2.0, [0, 0, 0, 0xC000]),
    ],
)
def test_known_register_images(
    type_: str, order: Literal["big", "little"], value: float, words: list[int]
) -> None:
    p = point(type_, word_order=order)
    assert p.encode(value) == words
    assert p.decode(words) == value


@pytest.mark.parametrize("type_", [t.value for t in ModbusType])
@pytest.mark.parametrize("order", ["big", "little"])
def test_encoding_agrees_with_pymodbus(type_: str, order: Literal["big", "little"]) -> None:
    """An independent implementation (pymodbus' converters) reads what we write."""
    p = point(type_, word_order=order)
    table: dict[str, list[float]] = {
        "int16": [-32768, -1, 0, 1234, 32767],
        "uint16": [0, 1, 40000, 65535],
        "int32": [-(2**31), -70000, 0, 2**31 - 1],
        "uint32": [0, 70000, 2**32 - 1],
        "float32": [-1.0e30, -0.1, 0.0, 3.14159, 1.0e30],
        "float64": [-1.0e300, -0.1, 0.0, math.pi, 98765.4321012],
    }
    for v in table[type_]:
        words = p.encode(v)
        assert len(words) == p.words
        assert ModbusTcpClient.convert_to_registers(v, PYMODBUS_TYPE[p.register.type], order) == (
            words
        )
        expected = struct.unpack(">f", struct.pack(">f", v))[0] if type_ == "float32" else v
        assert p.decode(words) == expected


def test_scale_and_offset_round_trip_at_register_resolution() -> None:
    temp = point("int16", scale=0.1)
    assert temp.encode(-12.3) == [(-123) & 0xFFFF]
    assert temp.decode(temp.encode(-12.3)) == -12.3  # decimal scales read back exactly
    assert temp.decode(temp.encode(21.04)) == 21.0  # rounded to the 0.1 resolution
    pressure = point("uint16", scale=0.01)
    assert pressure.decode(pressure.encode(4.56)) == 4.56
    shifted = point("uint16", scale=0.5, offset=-40)  # raw 0 is -40, one count is 0.5
    assert shifted.encode(-40) == [0]
    assert shifted.encode(0) == [80]
    assert shifted.decode([81]) == 0.5
    f = point("float32", scale=2.0, offset=1.0)
    assert f.encode(5.0) == point("float32").encode(2.0)
    assert f.decode(f.encode(5.0)) == 5.0


def test_value_types_follow_the_tag() -> None:
    assert point("uint16", data_type=DataType.INT).decode([7]) == 7
    assert isinstance(point("uint16", data_type=DataType.INT).decode([7]), int)
    assert point("uint16", data_type=DataType.BOOL).decode([1]) is True
    assert point("uint16").decode([7]) == 7.0
    assert point("uint16").encode(True) == [1]
    state = point("uint16", data_type=DataType.INT)
    assert state.encode(PackMLState.EXECUTE) == [PackMLState.EXECUTE.code]


@pytest.mark.parametrize(
    ("type_", "scale", "value", "span"),
    [
        ("int16", 0.1, 3276.8, "-3276.8 .. 3276.7"),
        ("int16", 1.0, -32769, "-32768 .. 32767"),
        ("uint16", 0.01, -0.01, "0 .. 655.35"),
        ("uint32", 1.0, 2**32, "0 .. 4.29497e+09"),
        ("int32", 1.0, float("nan"), "-2.14748e+09 .. 2.14748e+09"),
        ("uint16", 1.0, float("inf"), "0 .. 65535"),
        ("float32", 1.0, 1e39, "the finite float range"),
    ],
)
def test_out_of_range_names_tag_register_and_range(
    type_: str, scale: float, value: float, span: str
) -> None:
    p = point(type_, address=42, scale=scale)
    with pytest.raises(BadInput) as err:
        p.encode(value)
    msg = err.value.message
    assert p.tag in msg and f"{type_} register 42" in msg and span in msg
    assert err.value.code == "modbus.value_range"
    assert err.value.details == {"tag": p.tag, "address": 42}


def test_strings_are_refused_and_short_reads_name_the_byte() -> None:
    with pytest.raises(BadInput, match=r"string 'idle' cannot be encoded"):
        point("uint16").encode("idle")
    with pytest.raises(DecodeError, match="needs 4 registers, got 3") as err:
        point("float64", address=10).decode([0, 1, 2, 3], offset=1)
    assert err.value.offset == 2
    with pytest.raises(DecodeError, match=r"outside 0\.\.65535"):
        point("uint16").decode([70000])


def test_plan_reads_merges_contiguous_points_and_never_splits_one() -> None:
    lathe = unit_maps(load_plant("demo"))[0]
    assert lathe.equipment.endswith("/lathe-02")
    (whole,) = plan_reads(lathe.points)
    # 13 tags, the program number the last, at 20
    assert (whole.start, whole.count, len(whole.points)) == (0, 21, 13)
    small = plan_reads(lathe.points, max_registers=4)
    assert all(b.count <= 4 for b in small)
    assert sum(len(b.points) for b in small) == 13
    energy = next(p for p in lathe.points if p.tag.endswith("/energy"))  # float64 at 15..18
    assert any(b.start == 15 and b.count == 4 for b in small), [(b.start, b.count) for b in small]
    assert energy.words == 4
    gap = (point("uint16", 0), point("uint16", 1), point("float32", 5), point("uint16", 7))
    assert [(b.start, b.count) for b in plan_reads(gap)] == [(0, 2), (5, 3)]
    many = tuple(point("uint16", a) for a in range(200))
    assert [(b.start, b.count) for b in plan_reads(many)] == [(0, 125), (125, 75)]
    with pytest.raises(BadInput, match=r"1\.\.125"):
        plan_reads(many, max_registers=126)


def test_block_decode_checks_its_length() -> None:
    (block,) = plan_reads((point("uint16", 0), point("float32", 1)))
    assert block.decode([5, 0x3FC0, 0]) == [(block.points[0], 5.0), (block.points[1], 1.5)]
    with pytest.raises(DecodeError, match="returned 2"):
        block.decode([5, 0x3FC0])


def _plant(*equipment: dict[str, Any]) -> Any:
    cell = {"id": "c", "equipment": list(equipment)}
    doc = {
        "enterprise": {"id": "e"},
        "site": {"id": "s"},
        "areas": [{"id": "a", "lines": [{"id": "l", "cells": [cell]}]}],
    }
    return parse_plant(doc)


def _device(eid: str, unit: int | None, tags: list[dict[str, Any]]) -> dict[str, Any]:
    endpoint = {} if unit is None else {"unit_id": unit}
    return {
        "id": eid,
        "name": eid,
        "class": "press",
        "connectivity": "gateway",
        "protocol": "modbus",
        "endpoint": endpoint,
        "tags": tags,
    }


def test_unit_maps_of_the_demo_plant() -> None:
    units = unit_maps(load_plant("demo"))
    assert [(u.equipment.rsplit("/", 1)[1], u.unit_id) for u in units] == [
        ("lathe-02", 1),
        ("washer-01", 2),
        ("press-01", 3),
    ]
    for u in units:
        assert [p.address for p in u.points] == sorted(p.address for p in u.points)
        assert u.bitmap_words == 1 and u.diagnostic_count == 3


def test_bad_gateway_layouts_are_refused_by_name() -> None:
    ok_tag = {"name": "t", "modbus": {"address": 0, "type": "uint16"}}
    with pytest.raises(PlantError, match=r"s/a/l/c/p1: endpoint\.unit_id must be 1-247"):
        unit_maps(_plant(_device("p1", None, [ok_tag])))
    with pytest.raises(PlantError, match="unit_id must be 1-247 for a gateway device, not 0"):
        unit_maps(_plant(_device("p1", 0, [ok_tag])))
    with pytest.raises(PlantError, match="unit id 4 is already used by s/a/l/c/p1"):
        unit_maps(_plant(_device("p1", 4, [ok_tag]), _device("p2", 4, [ok_tag])))
    clash = {"name": "x", "modbus": {"address": 999, "type": "float32"}}
    with pytest.raises(PlantError, match=r"s/a/l/c/p1/x .*overlaps the gateway block 1000-1099"):
        unit_maps(_plant(_device("p1", 1, [clash])))
    text = {"name": "code", "data_type": "string", "modbus": {"address": 0}}
    with pytest.raises(PlantError, match="string tags cannot be served"):
        unit_maps(_plant(_device("p1", 1, [text])))


def test_quality_bitmap_and_gateway_block() -> None:
    bad = [i % 3 == 0 for i in range(20)]
    words = quality_bitmap(bad)
    assert len(words) == 2 and words[0] & 1 and not words[0] & 2
    assert bad_flags(words, 20) == bad
    assert gateway_block(6, CommandOutcome.REFUSED, [False, True]) == [6, 2, 0b01, 1, 0b10]
    assert gateway_block(0, CommandOutcome.NONE, [False, False])[2:4] == [0b11, 0]
    assert gateway_block(0, CommandOutcome.NONE, [True, True])[2:4] == [0b00, 2]
    assert MAX_TAGS_PER_UNIT == 96 * 16


def test_settings_validate_and_name_bad_fields() -> None:
    assert GatewayConfig().validate().port == 0
    assert PollerConfig("127.0.0.1", 5020).validate().max_registers == 125
    with pytest.raises(ConfigError, match="port must be an integer 0-65535, got 70000"):
        GatewayConfig(port=70000).validate()
    with pytest.raises(ConfigError, match="host must be a host name") as err:
        GatewayConfig(host=" ").validate()
    assert err.value.code == "config.invalid"
    with pytest.raises(ConfigError) as err:
        PollerConfig(
            "plc 1", 0, timeout_s=0, backoff_initial_s=5, backoff_max_s=1, max_registers=200
        ).validate()
    msg = err.value.message
    for needle in (
        "host",
        "port must be an integer 1-65535",
        "timeout_s",
        "backoff_max_s",
        "max_registers must be 1-125",
    ):
        assert needle in msg


# ---- devices of their own: four tables, one server each ---------------------------------------


def _native(eid: str, endpoint: dict[str, Any], tags: list[dict[str, Any]]) -> dict[str, Any]:
    return _device(eid, None, tags) | {"connectivity": "native", "endpoint": endpoint}


def test_reads_are_planned_per_table() -> None:
    def point(name: str, table: str, address: int, type_: str = "uint16") -> ModbusPoint:
        bit = table in ("coil", "discrete")
        reg = ModbusRegister(address=address, table=table, **({} if bit else {"type": type_}))
        return ModbusPoint(name, reg, DataType.BOOL if bit else DataType.INT)

    points = (
        point("h0", "holding", 0),
        point("i0", "input", 0, "float32"),
        point("i2", "input", 2),
        point("c0", "coil", 0),
        point("c1", "coil", 1),
        point("d9", "discrete", 9),
        point("h1", "holding", 1),
    )
    blocks = plan_reads(points)
    assert [(b.table, b.start, b.count, [p.tag for p in b.points]) for b in blocks] == [
        ("holding", 0, 2, ["h0", "h1"]),
        ("input", 0, 3, ["i0", "i2"]),
        ("coil", 0, 2, ["c0", "c1"]),
        ("discrete", 9, 1, ["d9"]),
    ]
    coil = blocks[2]
    assert [v for _p, v in coil.decode([1, 0])] == [True, False]
    assert points[3].where() == "tag c0 (coil 0)"
    assert len(plan_reads(tuple(point(f"c{i}", "coil", i) for i in range(2500)))) == 2  # 2000


def test_bit_tags_and_tables_are_checked_when_the_plant_loads() -> None:
    coil = {"name": "run", "modbus": {"table": "coil", "address": 0}}  # double by default
    with pytest.raises(ValidationFailed, match="tag run is a coil: its data_type must be bool"):
        _plant(_native("p1", {}, [coil]))
    scaled = {"name": "r", "data_type": "bool", "modbus": {"table": "discrete", "address": 0,
                                                         "scale": 2}}  # fmt: skip
    with pytest.raises(ValidationFailed, match="scale and offset do not apply"):
        _plant(_native("p1", {}, [scaled]))
    inp = {"name": "x", "modbus": {"table": "input", "address": 0}}
    with pytest.raises(
        ValidationFailed, match="gateway equipment is served in holding registers only"
    ):
        _plant(_device("p1", 1, [inp]))
    same = [
        {"name": "a", "modbus": {"table": "input", "address": 0}},
        {"name": "b", "modbus": {"address": 0}},  # holding 0: another table, no overlap
        {"name": "c", "modbus": {"table": "input", "address": 1, "type": "uint16"}},
    ]
    with pytest.raises(ValidationFailed, match="tags a and c overlap at input register 1"):
        _plant(_native("p1", {}, same))
    _plant(_native("p1", {}, same[:2]))


def test_modbus_servers_group_devices_by_their_endpoint() -> None:
    tag = [{"name": "t", "modbus": {"table": "input", "address": 0, "type": "uint16"}}]
    plant = _plant(
        _native("p1", {"url": "modbus+tcp://10.0.0.5:1502"}, tag),
        _native("p2", {"host": "10.0.0.5", "port": 1502, "unit_id": 2}, tag),
        _native("p3", {"host": "10.0.0.6"}, tag),
        _native("p4", {}, tag),
        _device("g1", 7, [{"name": "t", "modbus": {"address": 0, "type": "uint16"}}]),
    )
    servers, missing = modbus_servers(plant, None)
    got = [(s.url, [(u.equipment[-2:], u.unit_id, u.gateway) for u in s.units]) for s in servers]
    assert got == [
        ("modbus+tcp://10.0.0.5:1502", [("p1", 1, False), ("p2", 2, False)]),
        ("modbus+tcp://10.0.0.6:502", [("p3", 1, False)]),
    ]
    assert missing == ["s/a/l/c/p4", "s/a/l/c/g1"]
    servers, missing = modbus_servers(plant, "modbus+tcp://gw.local:5020")
    assert servers[-1].url == "modbus+tcp://gw.local:5020" and not missing
    assert [(u.unit_id, u.gateway) for u in servers[-1].units] == [(1, False), (7, True)]
    clash = _plant(_native("p1", {"host": "h"}, tag), _native("p2", {"host": "h"}, tag))
    with pytest.raises(PlantError, match="unit id 1 is already used by s/a/l/c/p1 on that server"):
        modbus_servers(clash, None)
    with pytest.raises(ConfigError, match=r"modbus_url: 'tcp://x' must read modbus\+tcp://"):
        modbus_servers(plant, "tcp://x")


def test_the_modbus_device_example_of_the_docs_loads() -> None:
    text = (REPO / "docs" / "connect.md").read_text(encoding="utf-8")
    section = text.split("### Modbus devices", 1)[1]
    [eq] = yaml.safe_load(section.split("```yaml\n", 1)[1].split("```", 1)[0])
    [server], _missing = modbus_servers(_plant(eq), None)
    assert server.url == "modbus+tcp://10.0.3.18:502"
    [unit] = server.units
    assert [(p.table, p.address) for p in unit.points] == [
        ("discrete", 3), ("holding", 10), ("input", 0), ("input", 1),
    ]  # fmt: skip


def test_a_register_map_csv_drafts_devices(tmp_path: Path) -> None:
    csv_file = tmp_path / "press.csv"
    csv_file.write_text(
        "equipment,url,name,address,unit_id,table,type,scale,unit,data_type,description\n"
        "Press 2,modbus+tcp://10.0.3.18:502,state,0,1,input,uint16,,,int,State code\n"
        "Press 2,,strokes,10,,holding,uint16,,,int,\n"
        "Press 2,,door_closed,3,,discrete,,,,,\n"
        "Press 2,,temp,20,,input,int16,0.1,Cel,,Die temperature\n",
        encoding="utf-8",
    )
    out = tmp_path / "draft.yaml"
    assert main(["plant", "discover", str(csv_file), "--out", str(out)]) == 0
    plant = load_plant(out)
    [server], _missing = modbus_servers(plant, None)
    assert server.url == "modbus+tcp://10.0.3.18:502"
    [unit] = server.units
    assert unit.equipment.endswith("/press-2") and not unit.gateway
    got = {p.tag.rsplit("/", 1)[1]: (p.table, p.address, p.data_type.value) for p in unit.points}
    assert got == {
        "state": ("input", 0, "int"), "strokes": ("holding", 10, "int"),
        "door_closed": ("discrete", 3, "bool"), "temp": ("input", 20, "double"),
    }  # fmt: skip
    assert plant.equipment("press-2").tag("temp").modbus.scale == 0.1  # type: ignore[union-attr]
    bad = tmp_path / "bad.csv"
    bad.write_text("equipment,url,name,address\nP,modbus+tcp://h:502,x,forty\n", encoding="utf-8")
    with pytest.raises(BadInput, match="line 2, column address: 'forty' is not a number"):
        discover_modbus_csv(bad)
    bad.write_text("equipment,name,address\nP,x,1\n", encoding="utf-8")
    with pytest.raises(BadInput, match=r"the header lacks column\(s\) url or host"):
        discover_modbus_csv(bad)
    assert main(["plant", "discover", "registers.txt"]) == 2  # nothing discovers that
