"""Sparkplug B equipment on its own ids and brokers: grouping by broker, device id override."""

from __future__ import annotations

from typing import Any

import pytest

from shopfloor.connect.sparkplug.host_config import own_brokers, sparkplug_brokers
from shopfloor.connect.sparkplug.host_names import TagNames
from shopfloor.errors import ConfigError
from shopfloor.plant import parse_plant


def _eq(eid: str, endpoint: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": eid, "name": eid, "class": "press", "protocol": "sparkplug", "endpoint": endpoint,
        "tags": [{"name": "state", "data_type": "int", "sparkplug_metric": "Status/State"}],
    }  # fmt: skip


def _plant(*equipment: dict[str, Any]) -> Any:
    cell = {"id": "c", "equipment": list(equipment)}
    return parse_plant(
        {
            "enterprise": {"id": "e"},
            "site": {"id": "s"},
            "areas": [{"id": "a", "lines": [{"id": "l", "cells": [cell]}]}],
        }
    )


def test_equipment_is_grouped_by_its_broker() -> None:
    plant = _plant(
        _eq("p1", {"url": "mqtt://broker-a:1883"}),
        _eq("p2", {"host": "broker-a", "port": 1883}),
        _eq("p3", {"host": "broker-b"}),
        _eq("p4", {}),
    )
    brokers, missing = sparkplug_brokers(plant, None)
    assert brokers == [
        ("mqtt://broker-a:1883", ["s/a/l/c/p1", "s/a/l/c/p2"]),
        ("mqtt://broker-b:1883", ["s/a/l/c/p3"]),
    ]
    assert missing == ["s/a/l/c/p4"] and not own_brokers(plant)
    brokers, missing = sparkplug_brokers(plant, "mqtt://central:1883")
    assert brokers[-1] == ("mqtt://central:1883", ["s/a/l/c/p4"]) and not missing
    assert own_brokers(_plant(_eq("p1", {"host": "b"})))
    with pytest.raises(ConfigError, match=r"s/a/l/c/p1: endpoint.url: .*scheme must be 'mqtt'"):
        sparkplug_brokers(_plant(_eq("p1", {"url": "tcp://b:1"})), None)


def test_a_device_keeps_its_own_sparkplug_ids() -> None:
    plant = _plant(_eq("oven-01", {"group": "Plant1", "edge_node": "Line3", "device": "Oven-3"}))
    names = TagNames(plant)
    dev = names.device("Plant1", "Line3", "Oven-3")
    assert dev.in_plant and dev.equipment == "s/a/l/c/oven-01"
    assert dev.tag_id("Status/State") == "s/a/l/c/oven-01/state"
    assert names.find("oven-01") is dev and names.find("Oven-3") is dev
    assert not names.device("Plant1", "Line3", "oven-01").in_plant  # the id alone is not it
    with pytest.raises(ConfigError, match="device 'a/b'"):
        TagNames(_plant(_eq("x", {"device": "a/b"})))
