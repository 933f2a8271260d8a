"""Edge node settings: every bad value is refused with a message naming it."""

from __future__ import annotations

import pytest

from shopfloor.connect.sparkplug.config import Broker, EdgeConfig, parse_broker_url
from shopfloor.connect.sparkplug.edge import SparkplugEdge
from shopfloor.connect.sparkplug.points import node_points
from shopfloor.errors import ConfigError, PlantError
from shopfloor.plant import load_plant, parse_plant
from shopfloor.service import Service
from shopfloor.sim.outlet import PlantOutlet
from tests.test_sparkplug_edge import Recorder, tiny_plant


def test_broker_urls() -> None:
    assert parse_broker_url("mqtt://127.0.0.1:1884") == Broker("127.0.0.1", 1884)
    assert parse_broker_url("mqtt://broker") == Broker("broker", 1883)
    assert parse_broker_url("mqtt://u%40x:p%3Aw@h:2") == Broker("h", 2, "u@x", "p:w")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "empty"),
        ("127.0.0.1:1883", "scheme must be 'mqtt'"),
        ("http://h:1883", "scheme must be 'mqtt'"),
        ("mqtt://:1883", "host is missing"),
        ("mqtt://h:99999", "out of range"),
        ("mqtt://h:0", "port must be 1-65535"),
        ("mqtt://h:x", "Port could not be cast"),
        ("mqtt://h:1883/topic", "must not have a path"),
    ],
)
def test_bad_broker_url_is_a_clear_config_error(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as err:
        EdgeConfig(url).validate()
    assert "broker_url" in err.value.message and err.value.bad_input


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("publish_interval_s", 0.0),
        ("keepalive_s", 0),
        ("data_qos", 2),
        ("reconnect_min_s", 0),
        ("reconnect_max_s", 0),
        ("max_pending", 0),
        ("parked_max", 0),
        ("group_id", "a/b"),
        ("client_id_prefix", "x#"),
    ],
)
def test_bad_fields_are_named(field: str, value: object) -> None:
    cfg = EdgeConfig("mqtt://h", **{field: value})  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=field):
        cfg.validate()


def test_edge_refuses_bad_config_and_plants_without_sparkplug() -> None:
    with pytest.raises(ConfigError, match="broker_url"):
        SparkplugEdge(tiny_plant(), Recorder(), "tcp://h:1883")
    plant = load_plant("demo")
    bare = plant.model_copy(update={"areas": ()})
    with pytest.raises(ConfigError, match="no equipment with protocol 'sparkplug'"):
        SparkplugEdge(bare, Recorder(), "mqtt://h")


def test_demo_plant_edge_nodes() -> None:
    nodes = {
        (n.group_id, n.edge_node_id): [d.device_id for d in n.devices]
        for n in node_points(load_plant("demo"))
    }
    assert nodes[("suzhou", "machining-line1")][:2] == ["vmc-03", "robot-01"]
    assert "conveyor-01" in nodes[("suzhou", "assembly-line2")]
    grouped = node_points(load_plant("demo"), group_id="other")
    assert {n.group_id for n in grouped} == {"other"}


def test_metric_names_must_not_clash() -> None:
    plant = tiny_plant()
    doc = plant.model_dump(by_alias=True, exclude_defaults=True)
    eq = doc["areas"][0]["lines"][0]["cells"][0]["equipment"][0]
    eq["tags"] = [*eq["tags"], {"name": "event"}]
    with pytest.raises(PlantError, match="tag 'event' has Sparkplug metric name 'event'"):
        node_points(parse_plant(doc))
    eq["tags"][-1] = {"name": "extra", "sparkplug_metric": "temp"}
    with pytest.raises(PlantError, match="tag 'extra'"):
        node_points(parse_plant(doc))


def test_edge_is_a_service_and_a_plant_outlet() -> None:
    edge = SparkplugEdge(tiny_plant(), Recorder(), "mqtt://127.0.0.1:1")  # never started
    outlet: PlantOutlet = edge
    assert isinstance(edge, Service) and outlet is edge and edge.name == "sparkplug-edge"
    health = edge.health()
    assert not health.ok and health.detail == "stopped"
    assert health.metrics["nodes"] == {
        "t/a-l": {"online": False, "bdseq": 0, "seq": 0, "connects": 0, "disconnects": 0}
    }
