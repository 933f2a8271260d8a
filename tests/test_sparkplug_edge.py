"""The Sparkplug B edge node against a real Mosquitto: births, data, blocks, events, commands.

A :class:`Spy` plays the Sparkplug host: it subscribes to ``spBv1.0/#`` and decodes every message
with the codec, resolving aliases through the births it saw. Values go in through the outlet API.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import paho.mqtt.client as mqtt
import pytest

from shopfloor.connect.sparkplug.codec import (
    DataType,
    Metric,
    Payload,
    decode_payload,
    encode_payload,
)
from shopfloor.connect.sparkplug.config import EdgeConfig
from shopfloor.connect.sparkplug.edge import SparkplugEdge
from shopfloor.events import EventKind, MachineEvent
from shopfloor.plant import Plant, parse_plant
from shopfloor.samples import Quality
from shopfloor.sim.outlet import Command, CommandResult, TagBlock, TagValue
from tests.conftest import Mosquitto

T = TypeVar("T")
T0 = 1_736_143_200_000_000_000  # 2025-01-06T06:00:00Z in ns
M1 = "t/a/l/c/m1"


def tiny_plant() -> Plant:
    """Two Sparkplug machines on one line (one edge node), one OPC UA machine not served."""
    tags = [
        {"name": "temp", "unit": "Cel", "description": "Temperature", "deadband": 0.5},
        {"name": "count", "data_type": "int", "unit": "1"},
        {"name": "run", "data_type": "bool"},
        {"name": "prog", "data_type": "string"},
        {"name": "vib", "unit": "m/s2", "rate_hz": 1000},
    ]
    eq = [
        {"id": "m1", "name": "M1", "class": "cnc_lathe", "protocol": "sparkplug", "tags": tags},
        {"id": "m2", "name": "M2", "class": "conveyor", "protocol": "sparkplug", "tags": tags[:2]},
        {"id": "m3", "name": "M3", "class": "cnc_lathe", "protocol": "opcua", "tags": tags[:1]},
    ]
    doc = {
        "name": "tiny",
        "enterprise": {"id": "e"},
        "site": {"id": "t"},
        "areas": [{"id": "a", "lines": [{"id": "l", "cells": [{"id": "c", "equipment": eq}]}]}],
    }
    return parse_plant(doc)


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 20.0) -> T:
    """Poll ``probe`` until it returns something truthy; fail naming ``what`` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        got = probe()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.01)


@dataclass
class Msg:
    topic: str
    kind: str
    node: str
    device: str | None
    payload: Payload


class Spy:
    """A Sparkplug host application's view of the broker (QoS 1 subscription to everything)."""

    def __init__(self, port: int) -> None:
        self.raw: list[tuple[str, bytes]] = []
        self.msgs: list[Msg] = []
        self.births: dict[tuple[str, str | None], Payload] = {}
        self._seen = 0
        self._lock = threading.Lock()
        self._ready = threading.Event()
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"spy-{uuid.uuid4().hex}")
        c.on_connect = lambda cl, _u, _f, _rc, _p: cl.subscribe("spBv1.0/#", qos=1)
        c.on_subscribe = lambda *_a: self._ready.set()
        c.on_message = self._on_message
        c.connect("127.0.0.1", port)
        c.loop_start()
        self.client = c
        assert self._ready.wait(20), "spy could not subscribe"

    def _on_message(self, _c: mqtt.Client, _u: Any, m: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.raw.append((m.topic, bytes(m.payload)))

    def decoded(self) -> list[Msg]:
        """What the edge published, decoded (the host's own NCMD / DCMD are left out)."""
        with self._lock:
            new = self.raw[self._seen :]
            self._seen += len(new)
        for topic, data in new:
            parts = topic.split("/")
            if parts[1] == "STATE":  # a host application's, not the edge's
                continue
            kind, node = parts[2], parts[3]
            device = parts[4] if len(parts) > 4 else None
            if kind in ("NCMD", "DCMD"):
                continue
            if kind in ("NBIRTH", "DBIRTH"):
                payload = decode_payload(data)
                self.births[(node, device)] = payload
            elif kind in ("NDATA", "DDATA"):
                payload = decode_payload(data, birth=self.births[(node, device)])
            else:
                payload = decode_payload(data)
            self.msgs.append(Msg(topic, kind, node, device, payload))
        return self.msgs

    def of(self, kind: str, device: str | None = None) -> list[Msg]:
        return [
            m for m in self.decoded() if m.kind == kind and (device is None or m.device == device)
        ]

    def metrics(self, device: str, name: str) -> list[Metric]:
        return [x for m in self.of("DDATA", device) for x in m.payload.metrics if x.name == name]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Recorder:
    """The test's PlantControl: records every command, refuses ``hold``."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Command, dict[str, Any]]] = []

    def command(self, equipment: str, command: Command, args: dict[str, Any]) -> CommandResult:
        self.calls.append((equipment, command, args))
        if command is Command.HOLD:
            return CommandResult(False, "cannot hold while idle")
        return CommandResult(True)


def assert_seq_continuous(msgs: list[Msg]) -> None:
    """Every message but NDEATH has seq = previous + 1 (mod 256); NBIRTH restarts at 0."""
    prev: int | None = None
    for m in msgs:
        if m.kind == "NDEATH":
            assert m.payload.seq is None
            continue
        assert m.payload.seq is not None, m.topic
        if m.kind == "NBIRTH":
            assert m.payload.seq == 0
        elif prev is not None:
            assert m.payload.seq == (prev + 1) % 256, (m.topic, prev, m.payload.seq)
        prev = m.payload.seq


@pytest.fixture
def spy(mosquitto: Mosquitto) -> Iterator[Spy]:
    s = Spy(mosquitto.port)
    yield s
    s.close()


@pytest.fixture
async def edge(mosquitto: Mosquitto, spy: Spy) -> Any:
    control = Recorder()
    e = SparkplugEdge(tiny_plant(), control, EdgeConfig(mosquitto.url, publish_interval_s=0.02))
    await e.start()
    wait_for("the births", lambda: len(spy.of("DBIRTH")) == 2)
    yield e
    await e.stop()


def value(tag: str, v: Any, dt_s: float = 0.0, q: Quality = Quality.GOOD) -> TagValue:
    return TagValue(f"{M1}/{tag}", T0 + round(dt_s * 1e9), v, q)


async def test_births_then_data_with_aliases_and_seq(edge: SparkplugEdge, spy: Spy) -> None:
    nbirth = spy.of("NBIRTH")[0]
    assert nbirth.topic == "spBv1.0/t/NBIRTH/a-l" and nbirth.payload.seq == 0
    bd = nbirth.payload.metric("bdSeq")
    assert bd is not None and (bd.datatype, bd.value) == (DataType.UInt64, 0)
    rebirth = nbirth.payload.metric("Node Control/Rebirth")
    assert rebirth is not None and (rebirth.datatype, rebirth.value) == (DataType.Boolean, False)
    assert [m.device for m in spy.of("DBIRTH")] == ["m1", "m2"]  # m3 speaks OPC UA
    dbirth = spy.of("DBIRTH", "m1")[0].payload
    temp = dbirth.metric("temp")
    assert temp is not None and temp.alias is not None and temp.is_null
    assert temp.datatype is DataType.Double and temp.properties is not None
    eng = temp.properties.get("engUnit")
    assert eng is not None and eng.value == "Cel"
    types = {m.name: m.datatype for m in dbirth.metrics}
    assert types["count"] is DataType.Int64 and types["run"] is DataType.Boolean
    assert types["prog"] is DataType.String and types["vib"] is DataType.DoubleArray
    aliases = [m.alias for b in spy.births.values() for m in b.metrics]
    assert len(aliases) == len(set(aliases)), "aliases must be unique across the edge node"

    edge.on_values(
        [
            value("temp", 21.5),
            value("count", 7),
            value("run", True),
            value("prog", "O1001"),
            TagValue("t/a/l/c/m3/temp", T0, 1.0),  # not a Sparkplug machine: not served
            TagValue("t/a/l/c/m2/count", T0, 3),
        ]
    )
    wait_for("DDATA of both devices", lambda: spy.of("DDATA", "m1") and spy.of("DDATA", "m2"))
    got = {m.name: (m.value, m.timestamp) for m in spy.of("DDATA", "m1")[0].payload.metrics}
    assert got == {
        "temp": (21.5, T0 // 10**6),
        "count": (7, T0 // 10**6),
        "run": (True, T0 // 10**6),
        "prog": ("O1001", T0 // 10**6),
    }
    raw = decode_payload(spy.raw[-1][1])  # on the wire DATA metrics carry the alias only
    assert all(m.name is None and m.alias is not None for m in raw.metrics)
    assert_seq_continuous(spy.decoded())


async def test_report_by_exception_with_deadband_batches_per_device(
    edge: SparkplugEdge, spy: Spy
) -> None:
    samples = [20.0, 20.3, 20.6, 20.6, 19.9, 20.1]  # deadband 0.5: 20.0, 20.6 and 19.9 go out
    counts = [value("count", 1, 0.0), value("count", 1, 0.1), value("count", 2, 0.2)]
    edge.on_values([value("temp", v, i * 0.1) for i, v in enumerate(samples)] + counts)
    wait_for("three temperatures", lambda: len(spy.metrics("m1", "temp")) == 3)
    assert [m.value for m in spy.metrics("m1", "temp")] == [20.0, 20.6, 19.9]
    assert [m.value for m in spy.metrics("m1", "count")] == [1, 2]
    assert len(spy.of("DDATA", "m1")) == 1, "one publish interval gives one DDATA per device"
    assert edge.health().metrics["suppressed"] == 4


async def test_bad_quality_is_null_with_quality_property(edge: SparkplugEdge, spy: Spy) -> None:
    edge.on_values([value("temp", 20.0), value("temp", None, 1.0, Quality.BAD)])
    edge.on_values([value("count", 5, 2.0, Quality.UNCERTAIN)])
    wait_for("bad temperature", lambda: len(spy.metrics("m1", "temp")) == 2)
    bad = spy.metrics("m1", "temp")[1]
    assert bad.is_null and bad.properties is not None
    q = bad.properties.get("quality")
    assert q is not None and (q.type, q.value) == (DataType.UInt8, int(Quality.BAD))
    unsure = wait_for("uncertain count", lambda: spy.metrics("m1", "count"))[0]
    assert unsure.value == 5 and not unsure.is_null and unsure.properties is not None
    uq = unsure.properties.get("quality")
    assert uq is not None and uq.value == int(Quality.UNCERTAIN)


async def test_high_rate_block_is_one_double_array_metric(edge: SparkplugEdge, spy: Spy) -> None:
    samples = np.sin(np.arange(250) / 10.0)
    start = T0 + 123_456_789
    edge.on_block(TagBlock(f"{M1}/vib", start, 1000.0, samples))
    m = wait_for("the block", lambda: spy.metrics("m1", "vib"))[0]
    assert m.datatype is DataType.DoubleArray and m.timestamp == start // 10**6
    assert np.array_equal(np.asarray(m.value), samples)
    assert m.properties is not None
    rate, start_ns = m.properties.get("rate_hz"), m.properties.get("start_ns")
    assert rate is not None and (rate.type, rate.value) == (DataType.Double, 1000.0)
    assert start_ns is not None and (start_ns.type, start_ns.value) == (DataType.UInt64, start)
    assert edge.health().metrics["blocks"] == 1


async def test_machine_event_is_an_event_metric(edge: SparkplugEdge, spy: Spy) -> None:
    events = [
        MachineEvent(EventKind.PART_START, M1, T0, serial="S1", order_id="O1", seq=1),
        MachineEvent(EventKind.PART_COMPLETE, M1, T0 + 10**9, payload={"good": True}, seq=2),
    ]
    for e in events:
        edge.on_event(e)
    wait_for("two events", lambda: len(spy.metrics("m1", "event")) == 2)
    metrics = spy.metrics("m1", "event")
    assert [MachineEvent.from_bytes(m.value.encode()) for m in metrics] == events
    assert [m.timestamp for m in metrics] == [T0 // 10**6, T0 // 10**6 + 1000]
    assert all(m.datatype is DataType.String and not m.is_transient for m in metrics)


def cmd(metrics: list[Metric]) -> bytes:
    return encode_payload(Payload(timestamp=1, metrics=metrics))


async def test_ncmd_rebirth_republishes_births(edge: SparkplugEdge, spy: Spy) -> None:
    edge.on_values([value("temp", 30.0)])
    wait_for("data", lambda: spy.of("DDATA"))
    rebirth = Metric(name="Node Control/Rebirth", datatype=DataType.Boolean, value=True)
    spy.client.publish("spBv1.0/t/NCMD/a-l", cmd([rebirth]))
    wait_for("second births", lambda: len(spy.of("DBIRTH")) == 4)
    births = spy.of("NBIRTH")
    assert len(births) == 2
    bd = [b.payload.metric("bdSeq") for b in births]
    assert [b.value for b in bd if b is not None] == [0, 0], "same MQTT session, same bdSeq"
    temp = spy.of("DBIRTH", "m1")[1].payload.metric("temp")
    assert temp is not None and temp.value == 30.0 and not temp.is_null
    assert_seq_continuous(spy.decoded())


async def test_dcmd_commands_reach_plant_control(edge: SparkplugEdge, spy: Spy) -> None:
    control = edge.control
    assert isinstance(control, Recorder)
    job = '{"order_id": "O-7", "product": "housing-a", "quantity": 5}'
    spy.client.publish(
        "spBv1.0/t/DCMD/a-l/m1",
        cmd(
            [
                Metric(name="Command/Start", datatype=DataType.Boolean, value=True),
                Metric(name="Command/Job", datatype=DataType.String, value=job),
                Metric(name="Command/Stop", datatype=DataType.Boolean, value=False),
            ]
        ),
    )
    hold = spy.births[("a-l", "m2")].metric("Command/Hold")
    assert hold is not None and hold.alias is not None
    by_alias = Metric(alias=hold.alias, datatype=DataType.Boolean, value=True)
    spy.client.publish("spBv1.0/t/DCMD/a-l/m2", cmd([by_alias]))
    wait_for("three commands", lambda: len(control.calls) == 3)
    assert control.calls == [
        (M1, Command.START, {}),
        (M1, Command.JOB, {"order_id": "O-7", "product": "housing-a", "quantity": 5}),
        ("t/a/l/c/m2", Command.HOLD, {}),
    ]
    wait_for("results", lambda: len(spy.metrics("m2", "Command/Result")) == 1)
    assert spy.metrics("m2", "Command/Result")[0].value == (
        '{"command":"hold","ok":false,"message":"cannot hold while idle"}'
    )
    ok = [m.value for m in spy.metrics("m1", "Command/Result")]
    assert ok == [
        '{"command":"start","ok":true,"message":""}',
        '{"command":"job","ok":true,"message":""}',
    ]
    assert edge.health().metrics["commands"] == 3


async def test_bad_commands_are_parked_never_fatal(edge: SparkplugEdge, spy: Spy) -> None:
    control = edge.control
    assert isinstance(control, Recorder)
    spy.client.publish("spBv1.0/t/DCMD/a-l/m1", b"\x08\xff")  # truncated varint
    spy.client.publish("spBv1.0/t/DCMD/a-l/nope", cmd([]))
    bad_job = Metric(name="Command/Job", datatype=DataType.String, value='{"order_id": "O"}')
    other = Metric(name="Outputs/Lamp", datatype=DataType.Boolean, value=True)
    spy.client.publish("spBv1.0/t/DCMD/a-l/m1", cmd([bad_job, other]))
    wait_for("three parked", lambda: edge.health().metrics["parked"] == 3)
    reasons = [p.reason for p in edge.parked]
    assert "at byte" in reasons[0]
    assert "no such device" in reasons[1]
    assert "missing product, quantity" in reasons[2]
    assert edge.health().metrics["unknown_metrics"] == 1
    assert edge.parked[0].payload == b"\x08\xff"
    start = Metric(name="Command/Start", datatype=DataType.Boolean, value=True)
    spy.client.publish("spBv1.0/t/DCMD/a-l/m1", cmd([start]))
    wait_for("the good command", lambda: control.calls)
    assert control.calls == [(M1, Command.START, {})]

    def parked_reported() -> list[int]:
        return [
            x.value
            for m in spy.of("NDATA")
            for x in m.payload.metrics
            if x.name == "Node Info/Parked"
        ]

    wait_for("NDATA with the parked count", lambda: 3 in parked_reported())
    assert parked_reported() == sorted(parked_reported())
    assert edge.health().ok


async def test_ncmd_reboot_starts_a_new_session(edge: SparkplugEdge, spy: Spy) -> None:
    reboot = Metric(name="Node Control/Reboot", datatype=DataType.Boolean, value=True)
    spy.client.publish("spBv1.0/t/NCMD/a-l", cmd([reboot]))
    wait_for("births of the new session", lambda: len(spy.of("DBIRTH")) == 4)
    kinds = [m.kind for m in spy.decoded()]
    assert kinds.count("NDEATH") == 1 and kinds.index("NDEATH") < kinds.index("NBIRTH", 1)
    nd = spy.of("NDEATH")[0].payload.metric("bdSeq")
    assert nd is not None and nd.value == 0
    births = [b.payload.metric("bdSeq") for b in spy.of("NBIRTH")]
    assert [b.value for b in births if b is not None] == [0, 1]
    assert_seq_continuous(spy.decoded())


async def test_with_a_primary_host_births_wait_for_it_and_data_is_kept_while_it_is_away(
    mosquitto: Mosquitto, spy: Spy
) -> None:
    """Sparkplug 3.0 primary host: no NBIRTH before its STATE says online; when it goes offline
    the session ends (NDEATH) and the events of the meantime come as historical after the
    births of the next session."""
    state = "spBv1.0/STATE/mes-1"

    def say(online: bool) -> None:
        doc = f'{{"online": {str(online).lower()}, "timestamp": 1}}'.encode()
        spy.client.publish(state, doc, qos=1, retain=True).wait_for_publish(10)

    say(False)
    config = EdgeConfig(mosquitto.url, publish_interval_s=0.02, primary_host_id="mes-1")
    e = SparkplugEdge(tiny_plant(), Recorder(), config)
    await e.start()
    try:
        before = MachineEvent(EventKind.PART_START, M1, T0, serial="S0", seq=1)
        e.on_event(before)
        wait_for("the edge to be connected", lambda: e.sessions[0].connects >= 1)
        assert not spy.of("NBIRTH")
        say(True)
        wait_for("the births", lambda: len(spy.of("DBIRTH")) == 2)
        first = wait_for("the event kept before", lambda: spy.metrics("m1", "event"))
        assert MachineEvent.from_bytes(first[0].value.encode()) == before
        say(False)
        wait_for("the NDEATH", lambda: spy.of("NDEATH"))
        away = [
            MachineEvent(EventKind.PART_COMPLETE, M1, T0 + i * 10**9, payload={"good": True},
                         seq=i + 1)
            for i in (1, 2, 3)
        ]  # fmt: skip
        for ev in away:
            e.on_event(ev)
        assert len(spy.of("NBIRTH")) == 1
        say(True)
        wait_for("the second births", lambda: len(spy.of("NBIRTH")) == 2)
        wait_for("the kept events", lambda: len(spy.metrics("m1", "event")) == 4)
        kept = spy.metrics("m1", "event")[1:]
        assert [MachineEvent.from_bytes(m.value.encode()) for m in kept] == away
        assert all(m.is_historical for m in kept)
    finally:
        await e.stop()
        spy.client.publish(state, b"", qos=1, retain=True).wait_for_publish(10)
