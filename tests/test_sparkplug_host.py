"""The Sparkplug B host application against a real Mosquitto, fed by the real SparkplugEdge.

Values go in through the edge's PlantOutlet API; the host must deliver the same samples (values,
times, quality; arrays as rows at their own times), the events, BAD rows on deaths, and must
carry commands to the plant and their results back.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import paho.mqtt.client as mqtt
import pytest

from shopfloor.connect.sink import SampleBatch
from shopfloor.connect.sparkplug.codec import DataType, Metric, Payload, encode_payload
from shopfloor.connect.sparkplug.config import EdgeConfig
from shopfloor.connect.sparkplug.edge import SparkplugEdge
from shopfloor.connect.sparkplug.host import HostConfig, SparkplugHost
from shopfloor.errors import BadInput, ConnectorUnavailable, NotFound
from shopfloor.events import EventKind, MachineEvent
from shopfloor.plant import Plant, parse_plant
from shopfloor.samples import Quality, Sample
from shopfloor.sim.outlet import Command, CommandResult, TagBlock, TagValue
from tests.conftest import Mosquitto

M1, M2 = "t/a/l/c/m1", "t/a/l/c/m2"


def plant() -> Plant:
    """Two Sparkplug machines on one line (edge node ``a-l`` of group ``t``)."""
    tags = [
        {"name": "temp", "unit": "Cel"},
        {"name": "count", "data_type": "int", "unit": "1"},
        {"name": "run", "data_type": "bool"},
        {"name": "prog", "data_type": "string"},
        {"name": "vib", "unit": "m/s2", "rate_hz": 1000},
        {"name": "load", "data_type": "float", "rate_hz": 100, "sparkplug_metric": "Spindle/Load"},
    ]
    eq = [
        {"id": "m1", "name": "M1", "class": "cnc_lathe", "protocol": "sparkplug", "tags": tags},
        {"id": "m2", "name": "M2", "class": "conveyor", "protocol": "sparkplug", "tags": tags[:2]},
    ]
    doc = {
        "name": "tiny",
        "enterprise": {"id": "e"},
        "site": {"id": "t"},
        "areas": [{"id": "a", "lines": [{"id": "l", "cells": [{"id": "c", "equipment": eq}]}]}],
    }
    return parse_plant(doc)


class Collect:
    """The test's sink: keeps every batch and event the host delivers."""

    def __init__(self) -> None:
        self.batches: list[SampleBatch] = []
        self.events: list[MachineEvent] = []

    async def on_samples(self, batch: SampleBatch) -> None:
        self.batches.append(batch)

    async def on_events(self, events: Sequence[MachineEvent]) -> None:
        self.events.extend(events)

    def samples(self, tag: str | None = None) -> list[Sample]:
        return [s for b in self.batches for s in b.samples() if tag is None or s.tag == tag]


class Plc:
    """The plant's PlantControl: records commands, refuses ``hold``."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Command, dict[str, Any]]] = []

    def command(self, equipment: str, command: Command, args: dict[str, Any]) -> CommandResult:
        self.calls.append((equipment, command, args))
        if command is Command.HOLD:
            return CommandResult(False, "cannot hold while idle")
        return CommandResult(True, f"{command.value} done")


async def until(what: str, probe: Callable[[], Any], timeout: float = 20.0) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        got = probe()
        if got:
            return got
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.01)


def now_ms_ns() -> int:
    """Wall time now, whole milliseconds, in ns (scalar metric times travel in ms)."""
    return time.time_ns() // 1_000_000 * 1_000_000


@dataclass
class Rig:
    host: SparkplugHost
    edge: SparkplugEdge
    sink: Collect
    plc: Plc
    broker: Mosquitto


def host_config(broker: Mosquitto, **kw: Any) -> HostConfig:
    defaults: dict[str, Any] = {"flush_interval_s": 0.02, "rebirth_interval_s": 0.5}
    return HostConfig(broker.url, host_id=f"h{uuid.uuid4().hex[:8]}", **(defaults | kw))


def online(host: SparkplugHost, equipment: str) -> bool:
    dev = host.registry.snapshot()["connectors"][host.name]["devices"].get(equipment)
    return bool(dev and dev["online"])


@contextlib.asynccontextmanager
async def running(mosquitto: Mosquitto, **host_kw: Any) -> AsyncIterator[Rig]:
    """A host (started first), then an edge serving :func:`plant`, both devices born."""
    sink, plc = Collect(), Plc()
    host = SparkplugHost(plant(), host_config(mosquitto, **host_kw), sink)
    await host.start()
    await until("the host to subscribe", lambda: host.ready)
    edge_cfg = EdgeConfig(
        mosquitto.url,
        client_id_prefix=f"e{uuid.uuid4().hex[:8]}",
        publish_interval_s=0.02,
        data_qos=1,
    )
    edge = SparkplugEdge(plant(), plc, edge_cfg)
    await edge.start()
    try:
        await until("both devices born", lambda: online(host, M1) and online(host, M2))
        yield Rig(host, edge, sink, plc, mosquitto)
    finally:
        await edge.stop()
        await host.stop()


@pytest.fixture
async def rig(mosquitto: Mosquitto) -> AsyncIterator[Rig]:
    async with running(mosquitto) as r:
        yield r


async def test_values_arrays_and_events_arrive_as_fed(rig: Rig) -> None:
    t = now_ms_ns()
    rig.edge.on_values(
        [
            TagValue(f"{M1}/temp", t, 21.5),
            TagValue(f"{M1}/count", t, 7),
            TagValue(f"{M1}/run", t, True),
            TagValue(f"{M1}/prog", t, "P-100"),
            TagValue(f"{M2}/temp", t + 1_000_000, 30.25, Quality.UNCERTAIN),
        ]
    )
    vib = np.sin(np.arange(500) / 7.0)
    rig.edge.on_block(TagBlock(f"{M1}/vib", t + 123_456, 1000.0, vib))
    load = np.arange(10, dtype=np.float32) / 4
    rig.edge.on_block(TagBlock(f"{M1}/load", t, 100.0, load))
    event = MachineEvent(
        EventKind.PART_COMPLETE, M1, t, serial="S1", order_id="O1", payload={"good": True}, seq=3
    )
    rig.edge.on_event(event)
    await until("all samples", lambda: len(rig.sink.samples()) >= 5 + 500 + 10)
    await until("the event", lambda: rig.sink.events)
    got = {s.tag: s for s in rig.sink.samples() if not s.tag.endswith(("vib", "load"))}
    assert got[f"{M1}/temp"] == Sample(f"{M1}/temp", t, 21.5)
    assert got[f"{M1}/count"] == Sample(f"{M1}/count", t, 7.0)
    assert got[f"{M1}/run"] == Sample(f"{M1}/run", t, True)
    assert got[f"{M1}/prog"] == Sample(f"{M1}/prog", t, "P-100")
    assert got[f"{M2}/temp"] == Sample(f"{M2}/temp", t + 1_000_000, 30.25, Quality.UNCERTAIN)
    rows = rig.sink.samples(f"{M1}/vib")
    assert [s.ts_ns for s in rows] == [t + 123_456 + i * 1_000_000 for i in range(500)]
    assert np.array_equal(np.array([s.value for s in rows], float), vib)
    loads = rig.sink.samples(f"{M1}/load")  # FloatArray, custom metric name
    assert [s.ts_ns for s in loads] == [t + i * 10_000_000 for i in range(10)]
    assert [s.value for s in loads] == load.tolist()
    assert rig.sink.events == [event]
    status = rig.host.registry.snapshot()["connectors"][rig.host.name]
    m1 = status["devices"][M1]
    assert m1["online"] and m1["samples"] >= 514 and m1["messages"] >= 2
    assert m1["latency_s"] is not None and -1 < m1["latency_s"] < 5
    assert status["parked_total"] == 0


async def test_bad_values_arrive_as_bad_quality(rig: Rig) -> None:
    t = now_ms_ns()
    rig.edge.on_values([TagValue(f"{M1}/temp", t, None, Quality.BAD)])
    rig.edge.on_block(TagBlock(f"{M1}/vib", t, 1000.0, np.zeros(0), Quality.BAD))
    await until("bad rows", lambda: len(rig.sink.samples()) >= 2)
    temp = rig.sink.samples(f"{M1}/temp")
    assert temp == [Sample(f"{M1}/temp", t, None, Quality.BAD)]
    assert [(s.value, s.quality) for s in rig.sink.samples(f"{M1}/vib")] == [(None, Quality.BAD)]


async def test_deaths_mark_every_tag_bad_and_stale_deaths_are_ignored(rig: Rig) -> None:
    m1_tags = {f"{M1}/{n}" for n in ("temp", "count", "run", "prog", "vib", "load")}
    m2_tags = {f"{M2}/temp", f"{M2}/count"}
    # A stale NDEATH (another bdSeq) from someone else changes nothing.
    stale = Payload(
        timestamp=int(time.time() * 1000),
        metrics=[Metric(name="bdSeq", datatype=DataType.UInt64, value=200)],
    )
    raw = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"raw-{uuid.uuid4().hex}")
    raw.connect("127.0.0.1", rig.broker.port)
    raw.loop_start()
    raw.publish("spBv1.0/t/NDEATH/a-l", encode_payload(stale), qos=1).wait_for_publish(10)
    counters = lambda: rig.host.registry.snapshot()["connectors"][rig.host.name]["counters"]  # noqa: E731
    await until("the stale death counted", lambda: counters().get("stale_deaths"))
    assert online(rig.host, M1) and not rig.sink.samples()
    raw.disconnect()
    raw.loop_stop()

    before = time.time_ns()
    rig.edge.set_device_online(M1, False)  # DDEATH m1
    await until("m1 offline", lambda: not online(rig.host, M1))
    await until("m1 bad rows", lambda: {s.tag for s in rig.sink.samples()} >= m1_tags)
    bad = rig.sink.samples()
    assert {s.tag for s in bad} == m1_tags
    assert all(s.quality is Quality.BAD and s.value is None for s in bad)
    assert all(before - 1_000_000_000 < s.ts_ns < time.time_ns() + 1 for s in bad)
    assert online(rig.host, M2)

    await rig.edge.stop()  # DDEATH m2, then NDEATH
    await until("m2 offline", lambda: not online(rig.host, M2))
    await until("m2 bad rows", lambda: {s.tag for s in rig.sink.samples()} >= m1_tags | m2_tags)
    assert len(rig.sink.samples()) == len(m1_tags) + len(m2_tags)  # each tag once per death
    await until("the node death counted", lambda: counters().get("node_deaths") == 1)


async def test_commands_reach_the_plant_and_results_come_back(rig: Rig) -> None:
    result = await rig.host.send_command(M1, Command.START)
    assert result == CommandResult(True, "start done")
    job = {"order_id": "O-7", "product": "P", "quantity": 5}
    assert (await rig.host.send_command("m2", Command.JOB, job)).ok
    refused = await asyncio.to_thread(rig.host.command, M1, Command.HOLD, {})  # PlantControl
    assert refused == CommandResult(False, "cannot hold while idle")
    assert rig.plc.calls == [
        (M1, Command.START, {}),
        (M2, Command.JOB, job),
        (M1, Command.HOLD, {}),
    ]
    with pytest.raises(BadInput, match="quantity"):
        await rig.host.send_command(M1, Command.JOB, {"order_id": "O", "product": "P"})
    with pytest.raises(NotFound, match="t/a/l/c/m9"):
        await rig.host.send_command("t/a/l/c/m9", Command.START)
    rig.edge.set_device_online(M2, False)
    await until("m2 offline", lambda: not online(rig.host, M2))
    with pytest.raises(ConnectorUnavailable, match="offline"):
        await rig.host.send_command(M2, Command.STOP)
    assert len(rig.plc.calls) == 3


async def test_host_started_after_the_edge_gets_births_by_asking(mosquitto: Mosquitto) -> None:
    plc, sink = Plc(), Collect()
    edge_cfg = EdgeConfig(
        mosquitto.url, client_id_prefix=f"e{uuid.uuid4().hex[:8]}", publish_interval_s=0.02
    )
    edge = SparkplugEdge(plant(), plc, edge_cfg)
    await edge.start()
    await until("edge online", lambda: edge.health().ok)
    host = SparkplugHost(plant(), host_config(mosquitto), sink)
    await host.start()
    await until("the host to subscribe", lambda: host.ready)
    t = now_ms_ns()
    edge.on_values([TagValue(f"{M1}/temp", t, 1.5)])  # DATA before any birth the host saw
    await until("the value, after a rebirth", lambda: sink.samples(f"{M1}/temp"))
    assert sink.samples(f"{M1}/temp")[-1] == Sample(f"{M1}/temp", t, 1.5)
    assert edge.stats["rebirths"] >= 1
    status = host.registry.snapshot()["connectors"][host.name]
    assert status["counters"]["held"] >= 1 and status["counters"]["rebirth_requests"] >= 1
    assert status["parked_total"] == 0
    await edge.stop()
    await host.stop()


async def test_lost_edge_connection_kills_by_will_then_rebirths(rig: Rig) -> None:
    tags = {f"{M1}/{n}" for n in ("temp", "count", "run", "prog", "vib", "load")}
    tags |= {f"{M2}/temp", f"{M2}/count"}
    sock = rig.edge.sessions[0].client.socket()
    assert isinstance(sock, socket.socket)
    sock.shutdown(socket.SHUT_RDWR)  # the network goes: the broker publishes the Will (NDEATH)
    await until("bad rows from the will", lambda: {s.tag for s in rig.sink.samples()} == tags)
    assert all(s.quality is Quality.BAD for s in rig.sink.samples())
    await until("the edge reborn (new bdSeq)", lambda: rig.edge.sessions[0].bdseq == 1)
    await until("both devices online again", lambda: online(rig.host, M1) and online(rig.host, M2))
    counters = rig.host.registry.snapshot()["connectors"][rig.host.name]["counters"]
    assert counters["node_deaths"] == 1 and counters["node_births"] == 2
    t = now_ms_ns()
    rig.edge.on_values([TagValue(f"{M1}/temp", t, 8.0)])
    await until(
        "data of the new session",
        lambda: any(s.value == 8.0 for s in rig.sink.samples(f"{M1}/temp")),
    )
