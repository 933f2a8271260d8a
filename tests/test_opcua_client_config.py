"""OPC UA client config, back-off, monitored items and value conversions (no server needed)."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from asyncua import ua

from shopfloor.connect.opcua.backoff import Backoff
from shopfloor.connect.opcua.client_commands import method_call, method_spec
from shopfloor.connect.opcua.client_config import OpcUaClientConfig
from shopfloor.connect.opcua.client_values import to_variant
from shopfloor.connect.opcua.points import point_table
from shopfloor.connect.opcua.subscription import EVENT_FIELDS, machine_event, watches
from shopfloor.connect.opcua.uatypes import node_id
from shopfloor.errors import BadInput, ConfigError, DecodeError, NotFound
from shopfloor.events import EventKind
from shopfloor.plant import load_plant
from shopfloor.sim.outlet import Command

LATHE = "suzhou/machining/line1/turning/lathe-01"


def test_config_names_every_bad_field() -> None:
    with pytest.raises(ConfigError) as info:
        OpcUaClientConfig(
            "http://plant:4840",
            security="Basic128Rsa15",
            mode="Encrypt",
            timeout_s=0,
            queue_size=0,
            backoff_initial_s=5,
            backoff_max_s=1,
            backoff_jitter=1.5,
        ).validate()
    message = info.value.message
    for field in (
        "endpoint: 'http://plant:4840' is not an opc.tcp",
        "security: unknown value 'Basic128Rsa15'",
        "mode: unknown value 'Encrypt'",
        "timeout_s: 0 is not a positive number",
        "queue_size: 0 is not an integer >= 1",
        "backoff_max_s: 1 is below backoff_initial_s (5)",
        "backoff_jitter: 1.5 is not a fraction",
    ):
        assert field in message
    with pytest.raises(ConfigError, match="pki_dir: needed for the Basic256Sha256 policy"):
        OpcUaClientConfig("opc.tcp://127.0.0.1:4840", security="Basic256Sha256").validate()
    good = OpcUaClientConfig(" opc.tcp://127.0.0.1:4840/x ", pki_dir=Path("p")).validate()
    assert good.endpoint == "opc.tcp://127.0.0.1:4840/x" and good.security_mode.value == "None"
    assert good.client_uri("urn:shopfloor:a:b") == "urn:shopfloor:a:b:opcua-client"


def test_backoff_doubles_up_to_the_cap_with_seeded_jitter() -> None:
    backoff = Backoff(0.5, 4.0, 0.2, random.Random(42))
    waits = [backoff.next_s() for _ in range(8)]
    for n, wait in enumerate(waits):
        base = min(4.0, 0.5 * 2**n)
        assert base * 0.8 <= wait <= min(4.0, base * 1.2)
    assert waits[-1] <= 4.0 and waits[3] >= 3.2
    again = Backoff(0.5, 4.0, 0.2, random.Random(42))
    assert [again.next_s() for _ in range(8)] == waits  # the RNG decides the jitter
    backoff.reset()
    assert backoff.next_s() <= 0.6
    no_jitter = Backoff(1.0, 8.0, 0.0, random.Random(1))
    assert [no_jitter.next_s() for _ in range(5)] == [1.0, 2.0, 4.0, 8.0, 8.0]
    with pytest.raises(ConfigError, match="initial"):
        Backoff(2.0, 1.0, 0.1, random.Random())


def test_watches_follow_the_plant_rates_and_deadbands() -> None:
    points = point_table(load_plant("demo"), ["lathe-01"])
    config = OpcUaClientConfig("opc.tcp://127.0.0.1:4840", queue_size=4).validate()
    by_tag = {w.point.tag.name: w for w in watches(points, config)}
    assert by_tag["spindle_speed"].deadband == 5 and by_tag["spindle_load"].deadband == 0.5
    assert by_tag["spindle_speed"].sampling_interval_ms == 100.0
    assert by_tag["coolant_temp"].sampling_interval_ms == 5000.0
    assert by_tag["program"].deadband == 0 and by_tag["part_count"].queue_size == 4
    vibration = by_tag["vibration"]
    assert vibration.block and vibration.node.identifier == f"{LATHE}/vibration/Block"
    fixed = OpcUaClientConfig("opc.tcp://h:1", sampling_interval_ms=250).validate()
    assert {w.sampling_interval_ms for w in watches(points, fixed) if not w.block} == {250}


def test_values_are_typed_before_anything_is_sent() -> None:
    assert to_variant(3, ua.VariantType.Double, "t") == ua.Variant(3.0, ua.VariantType.Double)
    assert to_variant(7.0, ua.VariantType.UInt32, "t").Value == 7
    with pytest.raises(BadInput, match=r"t is Byte: 300 \(int\) is outside 0\.\.255"):
        to_variant(300, ua.VariantType.Byte, "t")
    with pytest.raises(BadInput, match=r"t is Boolean: 1 .* is not a boolean"):
        to_variant(1, ua.VariantType.Boolean, "t")
    with pytest.raises(BadInput, match=r"t is Int32: True .* is not a number"):
        to_variant(True, ua.VariantType.Int32, "t")
    with pytest.raises(BadInput, match="outside the Float range"):
        to_variant(1e39, ua.VariantType.Float, "t")


def test_commands_map_to_methods_with_checked_arguments() -> None:
    assert method_spec(Command.JOB).name == "ReceiveJob" and method_spec("Start").name == "Start"
    with pytest.raises(NotFound, match="no OPC UA method for command 'dance'"):
        method_spec("dance")
    args = method_call(method_spec("job"), {"order_id": "o", "product": "p", "quantity": 3}, LATHE)
    assert [a.VariantType for a in args] == [
        ua.VariantType.String,
        ua.VariantType.String,
        ua.VariantType.UInt32,
    ]
    with pytest.raises(BadInput, match=r"argument 'quantity' is UInt32: -1 .* is outside"):
        method_call(method_spec("job"), {"order_id": "o", "product": "p", "quantity": -1}, LATHE)
    with pytest.raises(BadInput, match=r"Start on .*lathe-01: unknown argument"):
        method_call(method_spec("start"), {"speed": 1}, LATHE)


def test_machine_event_fields_decode_or_say_what_is_wrong() -> None:
    def fields(**over: object) -> list[ua.Variant]:
        values: dict[str, object] = {
            "EventType": node_id("MachineEventType", 2),
            "Time": datetime(2025, 1, 6, 6, 0, 1, tzinfo=UTC),
            "Kind": "alarm",
            "Equipment": LATHE,
            "OrderId": "",
            "Serial": "",
            "Payload": '{"code":"E1"}',
            "Sequence": 4,
        }
        values.update(over)
        return [ua.Variant(values[name]) for name in EVENT_FIELDS]

    event = machine_event(fields())
    assert (event.kind, event.order_id, event.payload, event.seq) == (
        EventKind.ALARM,
        None,
        {"code": "E1"},
        4,
    )
    with pytest.raises(DecodeError, match="Payload is not JSON") as info:
        machine_event(fields(Payload='{"code":'))
    assert info.value.offset == 8
    with pytest.raises(DecodeError, match="bad machine event field"):
        machine_event(fields(Kind="explosion"))
    with pytest.raises(DecodeError, match="has 2 fields, expected 8"):
        machine_event(fields()[:2])
