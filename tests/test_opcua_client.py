"""The OPC UA connector against the virtual plant's real OPC UA server on a loopback port.

One server and one connector per module (a server start costs about 2 s); the tests feed values
and events through the server's outlet API and watch what reaches the connector's sink.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest
import pytest_asyncio
from asyncua import ua
from cryptography import x509

from shopfloor.connect.opcua import ensure_certificate
from shopfloor.connect.opcua.client_config import OpcUaClientConfig
from shopfloor.connect.opcua.connector import OpcUaConnector
from shopfloor.connect.opcua.nodeids import NodeRef
from shopfloor.connect.opcua.pki import load_certificate, pair_paths, thumbprint
from shopfloor.connect.sink import SampleBatch
from shopfloor.errors import BadInput, ConnectorError, ConnectorUnavailable, NotFound
from shopfloor.events import EventKind, MachineEvent
from shopfloor.samples import Quality, Sample
from shopfloor.service import Service
from shopfloor.sim.outlet import Command, TagBlock, TagValue
from tests.test_opcua_server import (
    DEADLINE_S,
    LATHE,
    NS,
    T0,
    VMC,
    Served,
    start_served,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

T = TypeVar("T")
ASM = "suzhou/assembly/line2/assembly/asm-01"


class RecordingSink:
    """A SampleSink that keeps everything and lets a test await a condition on it."""

    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self.events: list[MachineEvent] = []
        self.batches = 0
        self._changed = asyncio.Event()

    async def on_samples(self, batch: SampleBatch) -> None:
        self.samples.extend(batch.samples())
        self.batches += 1
        self._changed.set()

    async def on_events(self, events: Sequence[MachineEvent]) -> None:
        self.events.extend(events)
        self._changed.set()

    def of(self, tag: str, since: int = 0) -> list[Sample]:
        return [s for s in self.samples[since:] if s.tag == tag]

    async def until(self, what: str, found: Callable[[], T | None]) -> T:
        """The first truthy ``found()`` as deliveries arrive (fails after the deadline)."""
        try:
            async with asyncio.timeout(DEADLINE_S):
                while True:
                    self._changed.clear()
                    result = found()
                    if result:
                        return result
                    await self._changed.wait()
        except TimeoutError:
            pytest.fail(f"no {what} within {DEADLINE_S} s")


@dataclass
class Rig:
    served: Served
    connector: OpcUaConnector
    sink: RecordingSink


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def rig(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Rig]:
    served = await start_served(tmp_path_factory.mktemp("opcua-client"), trust="trusted")
    sink = RecordingSink()
    config = OpcUaClientConfig(served.server.endpoint, publishing_interval_ms=20)
    connector = OpcUaConnector(served.plant, config, sink, rng=random.Random(7))
    await connector.start()
    try:
        await connector.wait_ready(DEADLINE_S)
        yield Rig(served, connector, sink)
    finally:
        await connector.stop()
        await served.server.stop()


async def written(rig: Rig, tag: str, value: Any) -> None:
    """Until the server serves ``value`` for ``tag`` (its write cycle runs in the loop)."""
    async with asyncio.timeout(DEADLINE_S):
        while (await rig.connector.read([tag]))[0].value != value:
            await asyncio.sleep(0.01)


async def test_is_a_service_with_health(rig: Rig) -> None:
    assert isinstance(rig.connector, Service)
    health = rig.connector.health()
    assert health.ok and health.detail.endswith("connected")
    assert health.metrics["tags"] == 112 and health.metrics["equipment"] == 7
    assert health.metrics["security"] == "None/None"
    assert health.metrics["connects"] == 1 and health.metrics["tags_refused"] == 0


async def test_browse_down_to_the_tags(rig: Rig) -> None:
    tree = await rig.connector.browse()
    assert (tree.browse_name, tree.node_class) == ("acme", ua.NodeClass.Object)
    lathe = tree.child("suzhou", "machining", "line1", "turning", "lathe-01")
    assert lathe.node == NodeRef(NS, LATHE) and lathe.display_name == "CNC lathe 1"
    speed = lathe.child("spindle_speed")
    assert speed.node_class == ua.NodeClass.Variable and speed.data_type == "Double"
    assert speed.tag_id == f"{LATHE}/spindle_speed"
    assert speed.child("EngineeringUnits").data_type == "EUInformation"
    assert lathe.child("part_count").data_type == "Int32"
    assert lathe.child("vibration", "Block").data_type == "Double"
    assert lathe.child("Start").node_class == ua.NodeClass.Method
    assert lathe.child("Identification", "SerialNumber").data_type == "String"
    assert set(tree.tags()) == set(rig.connector.points.by_tag)
    with pytest.raises(NotFound, match="lathe-01 has no child 'spindle_sped'"):
        lathe.child("spindle_sped")
    alone = await rig.connector.browse(f"{VMC}/door_open", max_depth=0)
    assert (alone.data_type, alone.children) == ("Boolean", ())


async def test_read_identification_and_values(rig: Rig) -> None:
    ident = await rig.connector.identification("lathe-01")
    eq = rig.served.plant.equipment(LATHE)
    assert ident["Manufacturer"] == eq.vendor and ident["Model"] == eq.model
    assert ident["SerialNumber"] == eq.serial and ident["AssetId"] == LATHE
    assert eq.commissioned is not None and ident["YearOfConstruction"] == eq.commissioned.year
    (never,) = await rig.connector.read([f"{ASM}/screw_torque"])
    assert never.quality is Quality.BAD and never.value is None
    rig.served.server.on_values([TagValue(f"{ASM}/cycle_time", T0 + 5_000, 41.5)])
    await written(rig, f"{ASM}/cycle_time", 41.5)
    (sample,) = await rig.connector.read([f"{ASM}/cycle_time"])
    assert sample == Sample(f"{ASM}/cycle_time", T0 + 5_000, 41.5, Quality.GOOD)
    with pytest.raises(NotFound, match="reads no tag"):
        await rig.connector.read(["suzhou/assembly/line2/assembly/robot-02/power"])


async def test_subscription_delivers_samples_with_tag_ids_times_and_quality(rig: Rig) -> None:
    start = len(rig.sink.samples)
    expected = [  # an Int32 counter arrives as a number (float64 in the sample schema)
        Sample(f"{VMC}/feed_rate", T0 + 1_000, 850.0),
        Sample(f"{VMC}/part_count", T0 + 2_000, 17.0),
        Sample(f"{VMC}/door_open", T0 + 3_000, True),
        Sample(f"{VMC}/program", T0 + 4_000, "O1234"),
        Sample(f"{VMC}/coolant_temp", T0 + 5_000, 22.25, Quality.UNCERTAIN),
    ]
    fed = [TagValue(s.tag, s.ts_ns, s.value, s.quality) for s in expected]
    fed[1] = TagValue(f"{VMC}/part_count", T0 + 2_000, 17)
    rig.served.server.on_values(fed)
    for want in expected:
        got = await rig.sink.until(want.tag, partial(rig.sink.of, want.tag, start))
        assert got[-1] == want
    assert rig.connector.health().metrics["samples"] >= len(fed)


async def test_bad_quality_reaches_the_sink(rig: Rig) -> None:
    tag = f"{LATHE}/spindle_temp"
    rig.served.server.on_values([TagValue(tag, T0 + 10_000, 35.5)])
    await rig.sink.until("good value", lambda: [s for s in rig.sink.of(tag) if s.value == 35.5])
    start = len(rig.sink.samples)
    rig.served.server.on_values([TagValue(tag, T0 + 11_000, 36.0, Quality.BAD)])
    (bad,) = await rig.sink.until("bad sample", lambda: rig.sink.of(tag, start))
    assert bad == Sample(tag, T0 + 11_000, None, Quality.BAD)


async def test_deadband_suppresses_small_changes(rig: Rig) -> None:
    tag = f"{VMC}/spindle_speed"  # deadband 5 /min in the plant file
    rig.served.server.on_values([TagValue(tag, T0 + 1_000, 1000.0)])
    await written(rig, tag, 1000.0)
    # the subscription reports the first value too: take it before counting what follows
    await rig.sink.until("first value", lambda: [s for s in rig.sink.of(tag) if s.value == 1000.0])
    start = len(rig.sink.samples)
    for i, value in enumerate([1002.0, 1004.0, 1001.0], start=2):
        rig.served.server.on_values([TagValue(tag, T0 + i * 1_000, value)])
        await written(rig, tag, value)
    rig.served.server.on_values([TagValue(tag, T0 + 9_000, 1012.0)])
    got = await rig.sink.until("change past the deadband", lambda: rig.sink.of(tag, start))
    assert [s.value for s in got] == [1012.0]  # notifications of one item arrive in order


async def test_high_rate_block_becomes_rows(rig: Rig) -> None:
    tag = f"{LATHE}/vibration"
    block = np.sin(np.arange(250) / 7.0)
    start = len(rig.sink.samples)
    rig.served.server.on_block(TagBlock(tag, T0 + 7_000, 1000.0, block))
    await rig.sink.until("block rows", lambda: len(rig.sink.of(tag, start)) >= 250)
    rows = rig.sink.of(tag, start)
    assert len(rows) == 250 and {s.quality for s in rows} == {Quality.GOOD}
    assert [s.ts_ns for s in rows] == [T0 + 7_000 + i * 1_000_000 for i in range(250)]
    assert np.allclose(np.array([s.value for s in rows], dtype=float), block)


async def test_machine_events_become_machine_events(rig: Rig) -> None:
    sent = MachineEvent(
        EventKind.PART_COMPLETE,
        LATHE,
        T0 + 3 * 10**9,
        serial="SN-1",
        order_id="o-42",
        payload={"product": "housing-a", "good": True},
        seq=9,
    )
    rig.served.server.on_event(sent)
    (got,) = await rig.sink.until("event", lambda: [e for e in rig.sink.events if e.seq == 9])
    assert got == sent


async def test_writes_are_typed_and_refusals_are_clear(rig: Rig) -> None:
    with pytest.raises(BadInput, match=r"spindle_speed is Double: 'fast' \(str\) is not a number"):
        await rig.connector.write(f"{LATHE}/spindle_speed", "fast")
    with pytest.raises(BadInput, match=r"part_count is Int32: 2.5 .* is not a whole number"):
        await rig.connector.write(f"{LATHE}/part_count", 2.5)
    read_only = r"refused: Bad\w+ \(the variable is read-only\)"
    with pytest.raises(ConnectorError, match=f"write to {LATHE}/spindle_speed {read_only}") as info:
        await rig.connector.write(f"{LATHE}/spindle_speed", 1200)
    assert info.value.details["status"] in {"BadNotWritable", "BadUserAccessDenied"}
    assert not isinstance(info.value, ConnectorUnavailable)
    serial = f"{LATHE}/Identification/SerialNumber"
    with pytest.raises(BadInput, match=r"is String: 5 .* is not text"):
        await rig.connector.write(serial, 5)
    with pytest.raises(ConnectorError, match=f"write to nsu={NS};s={serial} {read_only}"):
        await rig.connector.write(serial, "X-1")


async def test_method_calls_reach_the_plant_control(rig: Rig) -> None:
    control = rig.served.control
    control.calls.clear()
    started = await rig.connector.call(LATHE, Command.START)
    assert (started.ok, started.message) == (True, "start accepted")
    job = {"order_id": "o-7", "product": "housing-a", "quantity": 12}
    result = await asyncio.to_thread(rig.connector.command, "lathe-01", Command.JOB, job)
    assert result.ok
    refused = await rig.connector.call(LATHE, "ReceiveJob", {**job, "product": "nope"})
    assert (refused.ok, refused.message) == (False, "unknown product 'nope'")
    assert control.calls == [
        (LATHE, Command.START, {}),
        (LATHE, Command.JOB, job),
        (LATHE, Command.JOB, {**job, "product": "nope"}),
    ]
    with pytest.raises(
        BadInput, match="server refused the arguments: quantity \\(BadOutOfRange\\)"
    ):
        await rig.connector.call(LATHE, Command.JOB, {**job, "quantity": 0})
    with pytest.raises(BadInput, match="argument 'quantity' \\(Quantity\\) is missing"):
        await rig.connector.call(LATHE, Command.JOB, {"order_id": "o", "product": "p"})
    with pytest.raises(BadInput, match="unknown argument\\(s\\) operation"):
        await rig.connector.call(LATHE, Command.JOB, {**job, "operation": 2})
    with pytest.raises(NotFound, match="is not served by opcua-client"):
        await rig.connector.call("lathe-02", Command.START)
    with pytest.raises(ConnectorError, match=r"in the connector's event loop await \.call"):
        rig.connector.command(LATHE, Command.STOP, {})
    assert len(control.calls) == 3


@pytest.mark.parametrize("mode", ["SignAndEncrypt", "Sign"])
async def test_basic256sha256_with_a_client_certificate(
    rig: Rig, tmp_path: Path, mode: str
) -> None:
    pki = tmp_path / "client-pki"
    config = OpcUaClientConfig(
        rig.served.server.endpoint,
        security="Basic256Sha256",
        mode=mode,
        pki_dir=pki,
        publishing_interval_ms=20,
        application_uri=f"urn:shopfloor:test:{mode.lower()}",
    )
    sink = RecordingSink()
    connector = OpcUaConnector(rig.served.plant, config, sink, name=f"secure-{mode}")
    pair = ensure_certificate(pki, connector.application_uri, "test connector")  # reused by it
    server = rig.served.server
    assert server.trust is not None
    server.trust.trust(pair.certificate)  # the administrator's step (the server trusts a list)
    accepted = server.trust.accepted
    await connector.start()
    try:
        await connector.wait_ready(DEADLINE_S)
        assert connector.health().metrics["security"] == f"Basic256Sha256/{mode}"
        tag = f"{ASM}/press_force"
        ts, value = T0 + len(mode) * 1_000, float(len(mode))  # one value per mode
        server.on_values([TagValue(tag, ts, value)])
        (got,) = await sink.until("sample", lambda: [s for s in sink.of(tag) if s.value == value])
        assert got == Sample(tag, ts, value)
        assert (await connector.call(ASM, Command.RESET)).ok
    finally:
        await connector.stop()
    assert server.trust.accepted == accepted + 1
    pinned = list((pki / "trusted").iterdir())  # the client pinned the server's certificate
    assert [p.name for p in pinned] == [f"{thumbprint(server_certificate(rig))}.der"]


def server_certificate(rig: Rig) -> x509.Certificate:
    return load_certificate(pair_paths(rig.served.pki)[0])


async def test_an_untrusted_client_certificate_keeps_it_unavailable(
    rig: Rig, tmp_path: Path
) -> None:
    config = OpcUaClientConfig(
        rig.served.server.endpoint,
        security="Basic256Sha256",
        mode="Sign",
        pki_dir=tmp_path / "stranger",
        application_uri="urn:shopfloor:test:stranger",
    )
    connector = OpcUaConnector(rig.served.plant, config, RecordingSink(), name="stranger")
    await connector.start()
    try:
        async with asyncio.timeout(DEADLINE_S):
            while connector.error is None:
                await asyncio.sleep(0.01)
        with pytest.raises(ConnectorUnavailable, match="BadCertificateUntrusted"):
            await connector.wait_ready(0.01)
        assert "BadCertificateUntrusted" in connector.health().detail
        assert not connector.health().ok
    finally:
        await connector.stop()
