"""The virtual plant's OPC UA server on a loopback port, read through a real asyncua client.

One server per module (starting one loads the standard address space, about 2 s): the tests
are its clients and, through the outlet API, its producer.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import pytest_asyncio
from asyncua import Client, Node, ua

from shopfloor.clock import DEFAULT_EPOCH, from_ns, to_ns
from shopfloor.connect.opcua import OpcUaServer, ensure_certificate, namespace_uri
from shopfloor.connect.opcua.units import unit_id
from shopfloor.errors import ConfigError, ConnectorError
from shopfloor.events import EventKind, MachineEvent
from shopfloor.plant import Plant, load_plant
from shopfloor.samples import Quality
from shopfloor.service import Service
from shopfloor.sim.outlet import Command, CommandResult, TagBlock, TagValue

pytestmark = pytest.mark.asyncio(loop_scope="module")

LATHE = "suzhou/machining/line1/turning/lathe-01"
VMC = "suzhou/machining/line1/milling/vmc-01"
NS = "urn:shopfloor:acme:suzhou"
T0 = to_ns(DEFAULT_EPOCH)
DEADLINE_S = 20.0


class RecordingControl:
    """The plant side of the methods: records commands, refuses jobs for unknown products."""

    def __init__(self, plant: Plant) -> None:
        self.plant = plant
        self.calls: list[tuple[str, Command, dict[str, Any]]] = []
        self._lock = threading.Lock()

    def command(self, equipment: str, command: Command, args: dict[str, Any]) -> CommandResult:
        with self._lock:
            self.calls.append((equipment, command, dict(args)))
        if command is Command.JOB and args["product"] not in self.plant.product_by_id:
            return CommandResult(False, f"unknown product {args['product']!r}")
        return CommandResult(True, f"{command.value} accepted")


@dataclass
class Served:
    server: OpcUaServer
    control: RecordingControl
    plant: Plant
    pki: Path


async def start_served(tmp: Path, trust: str) -> Served:
    plant = load_plant("demo")
    control = RecordingControl(plant)
    server = OpcUaServer(
        plant, control, host="127.0.0.1", port=0, pki_dir=tmp / "server-pki", trust=trust
    )
    await server.start()
    return Served(server, control, plant, tmp / "server-pki")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def served(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Served]:
    s = await start_served(tmp_path_factory.mktemp("opcua"), trust="trusted")
    try:
        yield s
    finally:
        await s.server.stop()


@pytest_asyncio.fixture(loop_scope="module")
async def client(served: Served) -> AsyncIterator[Client]:
    c = Client(served.server.endpoint, timeout=10)
    async with c:
        yield c


async def node_of(client: Client, identifier: str) -> Node:
    """A node of the plant namespace by its string id (the documented derivation)."""
    return client.get_node(ua.NodeId(identifier, await client.get_namespace_index(NS)))


class Changes:
    """Data change and event notifications, as queues."""

    def __init__(self) -> None:
        self.values: asyncio.Queue[ua.DataValue] = asyncio.Queue()
        self.events: asyncio.Queue[Any] = asyncio.Queue()

    def datachange_notification(self, node: Node, val: Any, data: Any) -> None:
        self.values.put_nowait(data.monitored_item.Value)

    def event_notification(self, event: Any) -> None:
        self.events.put_nowait(event)


async def read_good(node: Node) -> ua.DataValue:
    """The node's value once the server has written it (the write cycle runs in the loop)."""
    async with asyncio.timeout(DEADLINE_S):
        while True:
            dv = await node.read_data_value(raise_on_bad_status=False)
            if (
                dv.StatusCode is not None
                and dv.StatusCode.value != ua.StatusCodes.BadWaitingForInitialData
            ):
                return dv
            await asyncio.sleep(0.01)


async def test_is_a_service_with_endpoint_and_health(served: Served) -> None:
    server = served.server
    assert isinstance(server, Service)
    assert server.endpoint.startswith("opc.tcp://127.0.0.1:")
    assert not server.endpoint.startswith("opc.tcp://127.0.0.1:0/")
    health = server.health()
    assert health.ok and health.metrics["equipment"] == 7
    assert health.metrics["endpoint"] == server.endpoint


async def test_endpoints_offer_none_and_basic256sha256(client: Client) -> None:
    endpoints = await client.get_endpoints()
    offered = {(e.SecurityPolicyUri.rsplit("#", 1)[-1], e.SecurityMode) for e in endpoints}
    assert offered == {
        ("None", ua.MessageSecurityMode.None_),
        ("Basic256Sha256", ua.MessageSecurityMode.Sign),
        ("Basic256Sha256", ua.MessageSecurityMode.SignAndEncrypt),
    }


async def test_browse_isa95_hierarchy_down_to_a_tag(client: Client, served: Served) -> None:
    node = client.nodes.objects
    for name in ["acme", "suzhou", "machining", "line1", "turning", "lathe-01", "spindle_speed"]:
        children = {(await c.read_browse_name()).Name: c for c in await node.get_children()}
        assert name in children, f"{name} not among {sorted(children)}"
        node = children[name]
    assert node.nodeid.Identifier == f"{LATHE}/spindle_speed"
    assert await node.read_data_type_as_variant_type() == ua.VariantType.Double
    assert (await node.read_description()).Text == "Spindle speed"
    eu = await (await node.get_child("0:EngineeringUnits")).read_value()
    assert eu.DisplayName.Text == "/min" and eu.UnitId == unit_id("C94")
    lathe = await node_of(client, LATHE)
    assert (await lathe.read_display_name()).Text == "CNC lathe 1"
    turning = await node_of(client, "suzhou/machining/line1/turning")
    # lathe-02 speaks Modbus: it is not served here
    assert [(await c.read_browse_name()).Name for c in await turning.get_children()] == ["lathe-01"]


async def test_identification_matches_the_plant(client: Client, served: Served) -> None:
    served_paths = served.server.points.equipment()
    assert len(served_paths) == 7
    for path in served_paths:
        eq = served.plant.equipment(path)
        ident = await node_of(client, f"{path}/Identification")
        props = {
            (await p.read_browse_name()).Name: await p.read_value()
            for p in await ident.get_properties()
        }
        assert props["Manufacturer"].Text == eq.vendor
        assert props["Model"].Text == eq.model
        assert props["SerialNumber"] == eq.serial
        assert props["AssetId"] == path
        assert props["DeviceClass"] == eq.cls.value
        assert props["ProductInstanceUri"].startswith("urn:")
        assert eq.commissioned is not None and props["YearOfConstruction"] == eq.commissioned.year


async def test_subscription_receives_values_pushed_from_another_thread(
    client: Client, served: Served
) -> None:
    node = await node_of(client, f"{VMC}/spindle_load")
    changes = Changes()
    sub = await client.create_subscription(20, changes)
    await sub.subscribe_data_change(node)
    stop = threading.Event()

    def produce() -> None:  # the paced simulation's thread
        i = 0
        while not stop.is_set() and i < 2000:
            i += 1
            served.server.on_values([TagValue(f"{VMC}/spindle_load", T0 + i * 10**8, 40.0 + i)])
            stop.wait(0.02)

    producer = threading.Thread(target=produce)
    producer.start()
    got: list[ua.DataValue] = []
    try:
        async with asyncio.timeout(DEADLINE_S):
            while len(got) < 3:
                dv = await changes.values.get()
                if dv.StatusCode.is_good():
                    got.append(dv)
    finally:
        stop.set()
        producer.join(timeout=DEADLINE_S)
        await sub.delete()
    values = [dv.Value.Value for dv in got]
    assert values == sorted(values) and len(set(values)) == 3
    for dv in got:
        i = round(dv.Value.Value - 40.0)
        assert dv.SourceTimestamp == from_ns(T0 + i * 10**8)


async def test_types_quality_and_last_value_wins(client: Client, served: Served) -> None:
    before = served.server.stats["values_written"]
    burst = [TagValue(f"{LATHE}/part_count", T0 + i, i) for i in range(1000)]
    served.server.on_values(burst)  # one cycle: only the last value is written
    dv = await read_good(await node_of(client, f"{LATHE}/part_count"))
    assert dv.Value.VariantType == ua.VariantType.Int32 and dv.Value.Value == 999
    assert served.server.stats["values_written"] - before == 1
    served.server.on_values(
        [
            TagValue(f"{VMC}/door_open", T0, True),
            TagValue(f"{VMC}/program", T0, "O1234"),
            TagValue(f"{VMC}/feed_rate", T0, 850.0, Quality.UNCERTAIN),
            TagValue(f"{VMC}/spindle_temp", T0, 31.5, Quality.BAD),
            TagValue(f"{VMC}/coolant_temp", T0, None),
            TagValue(
                "suzhou/assembly/line2/assembly/robot-02/power", T0, 1.0
            ),  # Sparkplug: ignored
        ]
    )
    assert (await read_good(await node_of(client, f"{VMC}/door_open"))).Value.Value is True
    assert (await read_good(await node_of(client, f"{VMC}/program"))).Value.Value == "O1234"
    uncertain = await read_good(await node_of(client, f"{VMC}/feed_rate"))
    assert uncertain.StatusCode.is_uncertain() and uncertain.Value.Value == 850.0
    for tag in ("spindle_temp", "coolant_temp"):
        bad = await read_good(await node_of(client, f"{VMC}/{tag}"))
        assert bad.StatusCode.is_bad() and bad.Value.Value is None
    untouched = await (await node_of(client, f"{VMC}/tool_wear")).read_data_value(
        raise_on_bad_status=False
    )
    assert untouched.StatusCode.value == ua.StatusCodes.BadWaitingForInitialData


async def test_a_value_that_does_not_fit_is_counted_not_served(
    client: Client, served: Served
) -> None:
    before = served.server.stats["values_rejected"]
    served.server.on_values(
        [TagValue(f"{LATHE}/alarm_code", T0, 2**40), TagValue(f"{LATHE}/tool_wear", T0, "worn")]
    )
    async with asyncio.timeout(DEADLINE_S):
        while served.server.stats["values_rejected"] < before + 2:
            await asyncio.sleep(0.01)
    dv = await (await node_of(client, f"{LATHE}/alarm_code")).read_data_value(
        raise_on_bad_status=False
    )
    assert dv.StatusCode.value == ua.StatusCodes.BadWaitingForInitialData


async def test_high_rate_block_is_an_array_plus_last_value(client: Client, served: Served) -> None:
    samples = np.sin(np.arange(500) / 10.0)
    served.server.on_block(TagBlock(f"{VMC}/vibration", T0, 1000.0, samples))
    block = await read_good(await node_of(client, f"{VMC}/vibration/Block"))
    assert block.Value.VariantType == ua.VariantType.Double
    assert np.allclose(block.Value.Value, samples)
    assert block.SourceTimestamp == from_ns(T0)
    last = await read_good(await node_of(client, f"{VMC}/vibration"))
    assert last.Value.Value == pytest.approx(samples[-1])
    assert last.SourceTimestamp == from_ns(T0 + 499 * 1_000_000)
    rate = await (await node_of(client, f"{VMC}/vibration/Block")).get_child(f"{2}:SampleRate")
    assert await rate.read_value() == 1000.0


async def test_state_change_sets_state_and_notifies_an_event(
    client: Client, served: Served
) -> None:
    changes = Changes()
    sub = await client.create_subscription(20, changes)
    assert namespace_uri(served.plant) == NS
    ns = await client.get_namespace_index(NS)
    etype = client.get_node(ua.NodeId("MachineEventType", ns))
    await sub.subscribe_events(await node_of(client, LATHE), etype)
    await sub.subscribe_events(client.nodes.server, etype)
    event = MachineEvent(
        EventKind.STATE_CHANGE,
        LATHE,
        T0 + 5 * 10**9,
        order_id="o-42",
        payload={"state": "Execute", "previous": "Idle"},
        seq=7,
    )
    served.server.on_event(event)
    served.server.on_event(MachineEvent(EventKind.STATE_CHANGE, "robot-01", T0))  # not served
    try:
        async with asyncio.timeout(DEADLINE_S):
            got = [await changes.events.get(), await changes.events.get()]
    finally:
        await sub.delete()
    for ev in got:
        assert (ev.Kind, ev.Equipment, ev.OrderId, ev.Sequence) == (
            "state_change",
            LATHE,
            "o-42",
            7,
        )
        assert ev.Time == from_ns(T0 + 5 * 10**9) and ev.SourceName == "lathe-01"
        assert '"state":"Execute"' in ev.Payload and ev.Message.Text == "state Execute"
    state = await read_good(await node_of(client, f"{LATHE}/State/CurrentState"))
    assert state.Value.Value == "Execute"
    assert (await read_good(await node_of(client, f"{LATHE}/State/StateNumber"))).Value.Value == 6


async def test_methods_reach_the_plant_control(client: Client, served: Served) -> None:
    lathe = await node_of(client, LATHE)
    served.control.calls.clear()
    assert await lathe.call_method(await node_of(client, f"{LATHE}/Start")) == [
        True,
        "start accepted",
    ]
    job = [
        ua.Variant("o-7", ua.VariantType.String),
        ua.Variant("housing-a", ua.VariantType.String),
        ua.Variant(12, ua.VariantType.UInt32),
    ]
    assert (await lathe.call_method(await node_of(client, f"{LATHE}/ReceiveJob"), *job))[0] is True
    refused = await lathe.call_method(
        await node_of(client, f"{LATHE}/ReceiveJob"),
        "o-8",
        "no-such-product",
        ua.Variant(1, ua.VariantType.UInt32),
    )
    assert refused == [False, "unknown product 'no-such-product'"]
    assert served.control.calls == [
        (LATHE, Command.START, {}),
        (LATHE, Command.JOB, {"order_id": "o-7", "product": "housing-a", "quantity": 12}),
        (LATHE, Command.JOB, {"order_id": "o-8", "product": "no-such-product", "quantity": 1}),
    ]
    for name, command in [
        ("Stop", Command.STOP),
        ("Reset", Command.RESET),
        ("Hold", Command.HOLD),
        ("Unhold", Command.UNHOLD),
        ("Abort", Command.ABORT),
        ("Clear", Command.CLEAR),
    ]:
        assert (await lathe.call_method(await node_of(client, f"{LATHE}/{name}")))[0] is True
        assert served.control.calls[-1] == (LATHE, command, {})


async def test_bad_method_arguments_name_the_culprit(client: Client, served: Served) -> None:
    lathe, method = await node_of(client, LATHE), await node_of(client, f"{LATHE}/ReceiveJob")
    served.control.calls.clear()

    async def call(*args: ua.Variant) -> ua.CallMethodResult:
        req = ua.CallMethodRequest(
            ObjectId=lathe.nodeid, MethodId=method.nodeid, InputArguments=list(args)
        )
        return (await client.uaclient.call([req]))[0]

    text = ua.Variant("o-9", ua.VariantType.String)
    zero = await call(
        text, ua.Variant("housing-a", ua.VariantType.String), ua.Variant(0, ua.VariantType.UInt32)
    )
    assert zero.StatusCode.value == ua.StatusCodes.BadInvalidArgument
    assert [r.value for r in zero.InputArgumentResults] == [
        ua.StatusCodes.Good,
        ua.StatusCodes.Good,
        ua.StatusCodes.BadOutOfRange,
    ]
    wrong = await call(
        text, ua.Variant(5, ua.VariantType.Int32), ua.Variant(3, ua.VariantType.Int64)
    )
    assert [r.value for r in wrong.InputArgumentResults] == [
        ua.StatusCodes.Good,
        ua.StatusCodes.BadTypeMismatch,
        ua.StatusCodes.Good,
    ]
    assert (await call(text)).StatusCode.value == ua.StatusCodes.BadArgumentsMissing
    assert served.control.calls == []


async def test_bad_config_is_refused_naming_the_field(tmp_path: Path) -> None:
    plant, control = load_plant("demo"), RecordingControl(load_plant("demo"))
    with pytest.raises(ConfigError, match="pki_dir: needed for the Basic256Sha256"):
        OpcUaServer(plant, control)
    with pytest.raises(ConfigError, match="unknown OPC UA security policy 'Basic128Rsa15'"):
        OpcUaServer(plant, control, security=("Basic128Rsa15",), pki_dir=tmp_path)
    with pytest.raises(ConfigError, match=r"port: 70000 is outside"):
        OpcUaServer(plant, control, security=("None",), port=70000)
    with pytest.raises(ConfigError, match="unknown client trust mode 'everyone'"):
        OpcUaServer(plant, control, pki_dir=tmp_path, trust="everyone")
    with pytest.raises(ConnectorError, match="start it first"):
        _ = OpcUaServer(plant, control, security=("None",)).endpoint
    cert_dir = tmp_path / "other"
    ensure_certificate(cert_dir, "urn:someone:else", "other")
    other = OpcUaServer(plant, control, pki_dir=cert_dir, security=("Basic256Sha256",))
    with pytest.raises(ConfigError, match="is for urn:someone:else, not urn:shopfloor:acme"):
        await other.start()
