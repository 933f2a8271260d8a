"""The OPC UA point table, node ids, units and settings, derived from the plant model."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from asyncua import Client, ua

from shopfloor.connect.opcua import (
    METHODS,
    NodeRef,
    OpcUaServer,
    OpcUaServerConfig,
    SecurityPolicy,
    parse_node_ref,
    point_table,
    served_equipment,
)
from shopfloor.connect.opcua.security import parse_policies, server_policy_types
from shopfloor.connect.opcua.units import UNKNOWN_UNIT_ID, eu_information, unit_id
from shopfloor.errors import BadInput, ConfigError, PlantError
from shopfloor.events import EventKind, MachineEvent
from shopfloor.plant import Plant, load_plant, parse_plant
from shopfloor.sim.outlet import CommandResult, TagValue

NS = "urn:shopfloor:acme:suzhou"


def small_plant(tags: list[dict[str, Any]]) -> Plant:
    """One OPC UA machine with ``tags``, in a plant of its own."""
    machine = {"id": "m1", "name": "Machine 1", "class": "cnc_lathe", "vendor": "V", "tags": tags}
    return parse_plant(
        {
            "enterprise": {"id": "ent"},
            "site": {"id": "s1"},
            "areas": [
                {"id": "a", "lines": [{"id": "l", "cells": [{"id": "c", "equipment": [machine]}]}]}
            ],
        }
    )


class Accepting:
    """A plant that accepts every command."""

    def command(self, equipment: str, command: Any, args: dict[str, Any]) -> CommandResult:
        return CommandResult(True)


def test_the_demo_plant_serves_its_opc_ua_equipment() -> None:
    plant = load_plant("demo")
    table = point_table(plant)
    ids = [p.rsplit("/", 1)[-1] for p in served_equipment(plant)]
    assert ids == ["lathe-01", "vmc-01", "vmc-02", "cmm-01", "asm-01", "test-01", "vision-01"]
    assert table.equipment() == served_equipment(plant)
    assert table.namespace == NS and table.namespaces() == [NS]
    point = table.by_tag["suzhou/machining/line1/turning/lathe-01/spindle_speed"]
    assert point.node == NodeRef(NS, point.tag_id) and point.block is None
    assert point.variant_type is ua.VariantType.Double
    vib = table.by_tag["suzhou/assembly/line2/testing/test-01/motor_vibration"]
    assert vib.block == NodeRef(NS, f"{vib.tag_id}/Block")
    assert table.by_tag["suzhou/machining/line1/milling/vmc-01/state"].variant_type is (
        ua.VariantType.Int32
    )
    assert "suzhou/machining/line1/milling/vmc-03/state" not in table.by_tag  # Sparkplug
    assert len(point_table(plant, ["vmc-01"])) == len(plant.equipment("vmc-01").tags)
    assert point_table(small_plant([])).equipment() == ["s1/a/l/c/m1"]  # served without tags
    with pytest.raises(PlantError, match="unknown equipment 'vmc-99'"):
        point_table(plant, ["vmc-99"])


def test_values_are_coerced_to_the_variable_type() -> None:
    table = point_table(load_plant("demo"))
    count = table.by_tag["suzhou/machining/line1/turning/lathe-01/part_count"]
    assert count.coerce(41.6) == 42 and count.coerce(True) == 1
    with pytest.raises(ValueError, match="does not fit Int32"):
        count.coerce(2**31)
    with pytest.raises(TypeError, match="got text"):
        count.coerce("12")
    assert table.by_tag["suzhou/machining/line1/milling/vmc-01/program"].coerce(7) == "7"


def test_opcua_node_overrides_and_their_errors() -> None:
    guid = uuid.uuid4()
    assert parse_node_ref("Spindle.Speed", NS) == NodeRef(NS, "Spindle.Speed")
    assert parse_node_ref("i=1001", NS) == NodeRef(NS, 1001)
    assert parse_node_ref(f"g={guid}", NS) == NodeRef(NS, guid)
    assert parse_node_ref("b=AAEC", NS) == NodeRef(NS, b"\x00\x01\x02")
    assert parse_node_ref("nsu=urn:cnc;s=X", NS) == NodeRef("urn:cnc", "X")
    assert str(NodeRef("urn:cnc", 7)) == "nsu=urn:cnc;i=7"
    for text, why in [
        ("ns=3;s=X", "use nsu="),
        ("i=-1", "bad i= identifier"),
        ("g=nope", "bad g= identifier"),
        ("nsu=urn:x", "write nsu=<uri>;s="),
        ("s=", "empty identifier"),
    ]:
        with pytest.raises(BadInput, match=why):
            parse_node_ref(text, NS)
    with pytest.raises(PlantError, match="m1/a: opcua_node 'ns=2;s=A'"):
        point_table(small_plant([{"name": "a", "opcua_node": "ns=2;s=A"}]))
    with pytest.raises(PlantError, match=r"tags .*/a and .*/b map to the same OPC UA node"):
        point_table(
            small_plant([{"name": "a", "opcua_node": "X"}, {"name": "b", "opcua_node": "X"}])
        )


def test_units_map_to_cefact_codes() -> None:
    assert unit_id("CEL") == 0x43454C
    eu = eu_information("kW.h")
    assert (eu.UnitId, eu.DisplayName.Text) == (unit_id("KWH"), "kW.h")
    assert eu_information("furlong/fortnight").UnitId == UNKNOWN_UNIT_ID


def test_settings_and_policies_validate() -> None:
    cfg = OpcUaServerConfig(host=" ::1 ", port=4840, security=("None",)).validate()
    assert cfg.host == "::1" and cfg.endpoint_url(4840) == "opc.tcp://[::1]:4840/shopfloor"
    with pytest.raises(ConfigError) as info:
        OpcUaServerConfig(host="opc.tcp://x", port=-1, security=(), trust="x").validate()
    assert len(info.value.details["errors"]) == 4
    assert parse_policies(["Basic256Sha256", "None", "None"]) == (
        SecurityPolicy.BASIC256SHA256,
        SecurityPolicy.NONE,
    )
    assert len(server_policy_types([SecurityPolicy.BASIC256SHA256])) == 2
    demo = load_plant("demo")
    served = OpcUaServer.from_config(demo, Accepting(), OpcUaServerConfig(security=("None",)))
    assert served.config.policies == (SecurityPolicy.NONE,) and served.name == "opcua-server"
    assert [m.name for m in METHODS] == [
        "Start",
        "Stop",
        "Reset",
        "Hold",
        "Unhold",
        "Abort",
        "Clear",
        "ReceiveJob",
    ]


async def test_overridden_node_ids_are_served_where_the_plant_says() -> None:
    plant = small_plant(
        [
            {"name": "speed", "opcua_node": "nsu=urn:vendor:cnc;s=Spindle.Speed"},
            {"name": "count", "data_type": "int", "opcua_node": "i=5001", "unit": "1"},
            {"name": "vibration", "rate_hz": 1000, "opcua_node": "i=5002"},
        ]
    )
    server = OpcUaServer(plant, Accepting(), security=("None",))
    # before start: the last value per tag and the last state are kept for the first cycle
    server.on_values(
        [TagValue("s1/a/l/c/m1/speed", 0, 1500.0), TagValue("s1/a/l/c/m1/count", 0, 2)]
    )
    server.on_values([TagValue("s1/a/l/c/m1/count", 1, 3)])
    for state in ("Idle", "Execute"):
        server.on_event(
            MachineEvent(EventKind.STATE_CHANGE, "s1/a/l/c/m1", 0, payload={"state": state})
        )
    await server.start()
    try:
        async with Client(server.endpoint, timeout=10) as client:
            vendor = await client.get_namespace_index("urn:vendor:cnc")
            plant_ns = await client.get_namespace_index("urn:shopfloor:ent:s1")
            speed = client.get_node(ua.NodeId("Spindle.Speed", vendor))
            count = client.get_node(ua.NodeId(5001, plant_ns))
            block = client.get_node(ua.NodeId("s1/a/l/c/m1/vibration/Block", plant_ns))
            assert (await block.read_browse_name()).Name == "Block"
            async with asyncio.timeout(20):  # the server writes in its next cycle
                while not (dv := await count.read_data_value(False)).StatusCode.is_good():
                    await asyncio.sleep(0.01)
            assert dv.Value.Value == 3 and await speed.read_value() == 1500.0
            state = client.get_node(ua.NodeId("s1/a/l/c/m1/State/CurrentState", plant_ns))
            assert await state.read_value() == "Execute"
            eu = await (await count.get_child("0:EngineeringUnits")).read_value()
            assert eu.UnitId == unit_id("C62")
    finally:
        await server.stop()
    assert not server.health().ok
