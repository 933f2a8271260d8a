"""The served virtual plant end to end: the real simulation feeds all three protocol servers.

What ``shopfloor sim serve`` runs, started in-process on ports the OS picks, with Sparkplug B
going through a real Mosquitto: an OPC UA client browses and subscribes, an MQTT client on
``spBv1.0/#`` sees NBIRTH then DDATA with increasing seq (decoded by our codec), and a Modbus
client reads the legacy registers, all with values the simulation produced.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
import pytest_asyncio
from asyncua import Client, ua
from pymodbus.client import AsyncModbusTcpClient

from shopfloor.connect.modbus import unit_maps
from shopfloor.connect.sparkplug.codec import AliasTable, decode_payload
from shopfloor.connect.sparkplug.topics import parse_topic
from shopfloor.plant import PackMLState, load_plant
from shopfloor.runtime.virtual import VirtualPlantRuntime, VirtualPlantSetup, build
from tests.conftest import Mosquitto

pytestmark = pytest.mark.asyncio(loop_scope="module")

DEADLINE_S = 60.0
VMC = "suzhou/machining/line1/milling/vmc-01"


async def wait_for(cond: Callable[[], bool], what: str, timeout: float = DEADLINE_S) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


class SparkplugWatcher:
    """Subscribes to ``spBv1.0/#`` before the plant starts and keeps what arrives."""

    def __init__(self, port: int) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self.lock = threading.Lock()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="e2e-watcher")
        self.subscribed = threading.Event()
        self.client.on_connect = lambda c, *_a: c.subscribe("spBv1.0/#", qos=1)
        self.client.on_subscribe = lambda *_a: self.subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _on_message(self, _c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.messages.append((msg.topic, bytes(msg.payload)))

    def snapshot(self) -> list[tuple[str, bytes]]:
        with self.lock:
            return list(self.messages)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def served(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[VirtualPlantRuntime, SparkplugWatcher]]:
    broker = Mosquitto(tmp_path_factory.mktemp("mosquitto"))
    broker.start()
    watcher = SparkplugWatcher(broker.port)
    assert watcher.subscribed.wait(20)
    setup = VirtualPlantSetup(
        plant=load_plant("demo"),
        seed=3,
        speed=20.0,
        mqtt_url=broker.url,
        pki_dir=Path(tmp_path_factory.mktemp("pki")),
    )
    rt = build(setup)
    await rt.runtime.start()
    try:
        yield rt, watcher
    finally:
        await rt.runtime.stop()
        watcher.close()
        broker.stop()


async def test_opcua_client_browses_reads_identification_and_sees_values_change(
    served: tuple[VirtualPlantRuntime, SparkplugWatcher],
) -> None:
    rt, _ = served
    assert rt.opcua is not None
    async with Client(rt.opcua.endpoint) as client:
        ns = await client.get_namespace_index("urn:shopfloor:acme:suzhou")
        vmc = await client.nodes.objects.get_child(
            [f"{ns}:{part}" for part in ["acme", *VMC.split("/")]]
        )
        ident = await vmc.get_child(f"{ns}:Identification")
        serial = await (await ident.get_child(f"{ns}:SerialNumber")).read_value()
        assert serial == load_plant("demo").equipment("vmc-01").serial
        seen: list[float] = []

        class Handler:
            def datachange_notification(self, _node: object, val: object, _data: object) -> None:
                if isinstance(val, float):
                    seen.append(val)

        sub = await client.create_subscription(100, Handler())
        power = await vmc.get_child(f"{ns}:power")
        await sub.subscribe_data_change(power)
        await wait_for(lambda: len(set(seen)) >= 3, "three different power values from the sim")
        await sub.delete()


async def test_sparkplug_births_then_data_with_increasing_seq(
    served: tuple[VirtualPlantRuntime, SparkplugWatcher],
) -> None:
    _, watcher = served

    def ddata_count() -> int:
        return sum("/DDATA/" in t for t, _ in watcher.snapshot())

    await wait_for(lambda: ddata_count() >= 10, "ten DDATA messages")
    by_node: dict[str, list[tuple[str, bytes]]] = {}
    for topic, payload in watcher.snapshot():
        t = parse_topic(topic)
        if t.edge_node_id is not None:
            by_node.setdefault(t.edge_node_id, []).append((topic, payload))
    assert set(by_node) == {"machining-line1", "assembly-line2"}
    for msgs in by_node.values():
        kinds = [parse_topic(t).message_type.value for t, _ in msgs]
        assert kinds[0] == "NBIRTH"
        assert kinds.index("DBIRTH") < kinds.index("DDATA")
        births: dict[str | None, AliasTable] = {}
        seqs = []
        for topic, payload in msgs:
            t = parse_topic(topic)
            if t.message_type.value in {"NBIRTH", "DBIRTH"}:
                p = decode_payload(payload)
                births[t.device_id] = AliasTable.from_birth(p)
            else:
                p = decode_payload(payload, birth=births[t.device_id])
                assert all(m.name for m in p.metrics)
            seqs.append(p.seq)
        assert seqs == [i % 256 for i in range(len(seqs))]


async def test_modbus_client_reads_legacy_registers(
    served: tuple[VirtualPlantRuntime, SparkplugWatcher],
) -> None:
    rt, _ = served
    assert rt.modbus is not None
    lathe = next(u for u in unit_maps(load_plant("demo")) if u.equipment.endswith("lathe-02"))
    state = next(p for p in lathe.points if p.tag.endswith("/state"))
    client = AsyncModbusTcpClient("127.0.0.1", port=rt.modbus.port)
    await client.connect()
    try:
        values: set[int] = set()

        async def read_state() -> None:
            rr = await client.read_holding_registers(
                state.address, count=1, device_id=lathe.unit_id
            )
            if not rr.isError():
                values.add(rr.registers[0])

        deadline = time.monotonic() + DEADLINE_S
        while not values and time.monotonic() < deadline:
            await read_state()
            await asyncio.sleep(0.1)
        assert values, "no PackML state from the legacy lathe"
        assert values <= {s.code for s in PackMLState}
    finally:
        client.close()


async def test_a_job_sent_over_opcua_reaches_the_simulation(
    served: tuple[VirtualPlantRuntime, SparkplugWatcher],
) -> None:
    rt, _ = served
    assert rt.opcua is not None
    async with Client(rt.opcua.endpoint) as client:
        ns = await client.get_namespace_index("urn:shopfloor:acme:suzhou")
        vmc = await client.nodes.objects.get_child(
            [f"{ns}:{part}" for part in ["acme", *VMC.split("/")]]
        )
        method = await vmc.get_child(f"{ns}:ReceiveJob")
        accepted, message = await vmc.call_method(
            method,
            ua.Variant("E2E-ORDER-1", ua.VariantType.String),
            ua.Variant("housing-a", ua.VariantType.String),
            ua.Variant(2, ua.VariantType.UInt32),
        )
        assert accepted is True, message
