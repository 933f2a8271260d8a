"""The connector registry: protocols by entry point, one contract, read by runtime and assess."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from typing import Any

import pytest

from shopfloor.assess.networking import data_points, networking_list
from shopfloor.assess.probe import configured_targets
from shopfloor.clock import WallClock
from shopfloor.connect import registry as reg
from shopfloor.connect.modbus.feed import ModbusFeed
from shopfloor.connect.opcua.connector import OpcUaConnector
from shopfloor.connect.sparkplug.host import SparkplugHost
from shopfloor.connect.status import ConnectorStatus
from shopfloor.errors import ConfigError, ValidationFailed
from shopfloor.plant import parse_plant
from shopfloor.runtime.ingest_feeds import IngestEndpoints, Meter, connectors, networked


class Sink:
    async def on_samples(self, batch: Any) -> None:
        return None

    async def on_events(self, events: Any) -> None:
        return None


@pytest.fixture
def fresh_registry() -> Any:
    reg.registry.cache_clear()
    yield reg
    reg.registry.cache_clear()


def _plant() -> Any:
    def eq(eid: str, protocol: str, endpoint: dict[str, Any], tag: dict[str, Any]) -> Any:
        tags = [{"name": "t", "data_type": "bool", **tag}]
        return {"id": eid, "name": eid, "class": "press", "protocol": protocol,
                "endpoint": endpoint, "tags": tags}  # fmt: skip

    cell = {
        "id": "c",
        "equipment": [
            eq("a", "opcua", {"url": "opc.tcp://m1:4840"}, {"opcua_node": "nsu=urn:x;s=t"}),
            eq("b", "opcua", {"url": "opc.tcp://m2:4840"}, {"opcua_node": "nsu=urn:x;s=t"}),
            eq("c", "modbus", {"host": "10.0.0.9"}, {"modbus": {"table": "coil", "address": 4}}),
            eq("d", "sparkplug", {"url": "mqtt://edge-broker:1883", "device": "D-1"}, {}),
            eq("e", "sparkplug", {}, {}),
        ],
    }
    return parse_plant({
        "enterprise": {"id": "x"}, "site": {"id": "s"},
        "areas": [{"id": "a", "lines": [{"id": "l", "cells": [cell]}]}],
    })  # fmt: skip


def test_the_shipped_protocols_are_registered_by_entry_point(fresh_registry: Any) -> None:
    rows = reg.registry()
    assert list(rows) == ["opcua", "sparkplug", "modbus"]
    for name, row in rows.items():
        assert isinstance(row, reg.Connector) and row.name == name
    installed = {ep.name: ep.load() for ep in reg.entry_points(group=reg.ENTRY_POINT_GROUP)}
    assert {n: installed[n] for n in rows} == rows
    with pytest.raises(ConfigError, match=r"no connector for protocol 's7' .*modbus, opcua"):
        reg.connector("s7")


def test_a_third_party_protocol_is_one_entry_point(
    fresh_registry: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    class S7Row:
        name, title, default_setting, uses_broker = "s7", "Siemens S7", None, False

        def sessions(self, plant: Any, default_url: Any) -> Any:
            return [], []

        def service(self, session: Any, ctx: Any) -> Any:
            raise NotImplementedError

        async def probe(self, *args: Any) -> Any:
            return []

        def where(self, plant: Any, eq: Any) -> str:
            return "rack 0 slot 1"

        def address(self, eq: Any, path: str, tag: Any) -> str:
            return "DB1.DBX0.0"

        def claims(self, source: str) -> bool:
            return source.startswith("s7://")

        async def discover(self, source: str, seconds: float) -> Any:
            return [], []

    import tests.test_connector_registry as here

    here.S7 = S7Row()  # type: ignore[attr-defined]
    shipped = list(reg.entry_points(group=reg.ENTRY_POINT_GROUP))
    extra = [
        EntryPoint("s7", "tests.test_connector_registry:S7", reg.ENTRY_POINT_GROUP),
        EntryPoint("broken", "tests.no_such_module:ROW", reg.ENTRY_POINT_GROUP),
    ]
    monkeypatch.setattr(reg, "entry_points", lambda group: [*shipped, *extra])
    rows = reg.registry()
    assert list(rows) == ["opcua", "sparkplug", "modbus", "s7"]
    assert reg.title("s7") == "Siemens S7"
    assert "connector entry point broken = tests.no_such_module:ROW cannot be loaded" in caplog.text
    # a plant file may name it: its equipment is networked over the new row
    doc = {
        "enterprise": {"id": "x"}, "site": {"id": "s"},
        "areas": [{"id": "a", "lines": [{"id": "l", "cells": [{"id": "c", "equipment": [
            {"id": "plc-1", "name": "PLC", "class": "press", "protocol": "s7",
             "tags": [{"name": "run", "data_type": "bool"}]},
        ]}]}]}],
    }  # fmt: skip
    plant = parse_plant(doc)
    assert plant.equipment("plc-1").protocol.value == "s7"
    assert networked(plant) == {"s7": ["s/a/l/c/plc-1"]}


def test_a_protocol_no_connector_registers_is_refused_naming_the_known(fresh_registry: Any) -> None:
    doc = {
        "enterprise": {"id": "x"}, "site": {"id": "s"},
        "areas": [{"id": "a", "lines": [{"id": "l", "cells": [{"id": "c", "equipment": [
            {"id": "plc-1", "name": "PLC", "class": "press", "protocol": "profinet"},
        ]}]}]}],
    }  # fmt: skip
    with pytest.raises(ValidationFailed) as err:
        parse_plant(doc)
    ((where, why),) = err.value.errors
    assert where.endswith("equipment[0].protocol")
    assert "'profinet' is not a registered protocol (known: opcua, sparkplug, modbus, none" in why


async def test_runtime_and_assessment_read_the_rows() -> None:
    plant = _plant()
    sink = Sink()
    meters = {n: Meter(n, sink) for n in reg.registry()}
    services = connectors(
        plant, IngestEndpoints(sparkplug="mqtt://central:1883"), meters, WallClock(),
        ConnectorStatus(WallClock()),
    )  # fmt: skip
    got = [(type(s).__name__, s.name) for s in services]
    assert got == [
        (OpcUaConnector.__name__, "opcua-client"),
        (OpcUaConnector.__name__, "opcua-client-2"),
        (SparkplugHost.__name__, "sparkplug-host"),
        (SparkplugHost.__name__, "sparkplug-host-2"),
        (ModbusFeed.__name__, "modbus-poller"),
    ]
    targets, missing = configured_targets(plant, None)
    assert [(t.protocol, t.endpoint) for t in targets] == [
        ("opcua", "opc.tcp://m1:4840"),
        ("opcua", "opc.tcp://m2:4840"),
        ("sparkplug", "mqtt://edge-broker:1883"),
        ("modbus", "modbus+tcp://10.0.0.9:502"),
    ]
    assert [(d.equipment, d.errors) for d in missing] == [("s/a/l/c/e", ["no endpoint configured"])]
    rows = {r["asset_id"]: r for r in networking_list(plant, None, None)}
    assert rows["c"]["protocol_name"] == "Modbus TCP"
    assert rows["c"]["endpoint"] == "10.0.0.9:502 unit 1"
    assert rows["d"]["endpoint"] == "mqtt://edge-broker:1883 spBv1.0/s/<edge>/D-1"
    points = {p["asset_id"]: p["address"] for p in data_points(plant)}
    assert points["c"] == "coil 4" and points["a"] == "node nsu=urn:x;s=t"
