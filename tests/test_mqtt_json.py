"""The plain-JSON UNS connector against a real Mosquitto: samples, batches and events of the bus
arrive in the sink; malformed, non-finite and out-of-time messages are parked with reasons."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from shopfloor.bus.envelope import ColumnBlock, RegularBlock, encode_batch, encode_sample
from shopfloor.bus.memory import MemoryHub, MemoryTransport
from shopfloor.bus.mqtt import MqttTransport
from shopfloor.bus.topics import TopicKind, batch_topic, event_topic, tag_topic
from shopfloor.connect.mqtt import UnsConfig, UnsConnector
from shopfloor.errors import ConfigError
from shopfloor.events import EventKind, MachineEvent
from shopfloor.samples import Quality, Sample
from tests.conftest import Mosquitto
from tests.test_sparkplug_host import Collect

EQ = "s1/a1/l1/c1/m1"
TEMP = f"{EQ}/temp"


async def until(what: str, probe: Callable[[], Any], timeout: float = 20.0) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (got := probe()):
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.01)
    return got


def transport(broker: Mosquitto) -> MqttTransport:
    return MqttTransport.from_url(broker.url, client_id=f"t-{uuid.uuid4().hex[:10]}")


async def test_samples_batches_and_events_reach_the_sink(mosquitto: Mosquitto) -> None:
    sink = Collect()
    uns = UnsConnector(transport(mosquitto), sink, UnsConfig(under="s1", flush_interval_s=0.02))
    await uns.start()
    pub = transport(mosquitto)
    await pub.connect()
    t = time.time_ns()
    await pub.publish(tag_topic(TEMP), encode_sample(Sample(TEMP, t, 21.5)), qos=1)
    await pub.publish(tag_topic(f"{EQ}/run"), encode_sample(Sample(f"{EQ}/run", t, True)), qos=1)
    await pub.publish(tag_topic(f"{EQ}/prog"), encode_sample(Sample(f"{EQ}/prog", t, "P1")), qos=1)
    await pub.publish(
        tag_topic(f"{EQ}/gone"), encode_sample(Sample(f"{EQ}/gone", t, None, Quality.BAD)), qos=1
    )
    vib = np.linspace(0, 1, 200)
    blocks: list[RegularBlock | ColumnBlock] = [
        RegularBlock(f"{EQ}/vib", t, 1000.0, vib),
        ColumnBlock(
            f"{EQ}/load",
            np.array([t, t + 5], np.int64),
            np.array([1.0, np.inf]),
            np.array([0, 1], np.uint8),
        ),
    ]
    await pub.publish(batch_topic(EQ), encode_batch(blocks), qos=1)
    event = MachineEvent(EventKind.ALARM, EQ, t, payload={"code": 7, "active": True}, seq=4)
    await pub.publish(event_topic(EQ, EventKind.ALARM), event.to_bytes(), qos=1)
    await pub.publish(
        tag_topic("s2/a1/l1/c1/m1/temp"),  # not below s1: not read
        encode_sample(Sample("s2/a1/l1/c1/m1/temp", t, 1.0)),
        qos=1,
    )
    await until("every row", lambda: len(sink.samples()) == 4 + 200 + 2)
    await until("the event", lambda: sink.events)
    assert sink.events == [event]
    by_tag = {s.tag: s for s in sink.samples() if not s.tag.endswith("vib")}
    assert by_tag[TEMP] == Sample(TEMP, t, 21.5)
    assert by_tag[f"{EQ}/run"] == Sample(f"{EQ}/run", t, True)
    assert by_tag[f"{EQ}/prog"] == Sample(f"{EQ}/prog", t, "P1")
    assert by_tag[f"{EQ}/gone"] == Sample(f"{EQ}/gone", t, None, Quality.BAD)
    assert [(s.ts_ns, s.value, s.quality) for s in sink.samples(f"{EQ}/load")] == [
        (t, 1.0, Quality.GOOD),
        (t + 5, float("inf"), Quality.UNCERTAIN),
    ]
    vib_rows = sink.samples(f"{EQ}/vib")
    assert [s.ts_ns for s in vib_rows] == [t + i * 1_000_000 for i in range(200)]
    assert np.array_equal(np.array([s.value for s in vib_rows], float), vib)
    status = uns.registry.snapshot()["connectors"]["uns"]
    assert status["devices"][EQ]["samples"] == 206 and status["parked_total"] == 0
    assert uns.health().ok
    await pub.close()
    await uns.stop()
    assert not uns.health().ok


async def test_bad_messages_are_parked_and_later_ones_still_arrive(mosquitto: Mosquitto) -> None:
    sink = Collect()
    uns = UnsConnector(transport(mosquitto), sink, UnsConfig(flush_interval_s=0.02))
    await uns.start()
    pub = transport(mosquitto)
    await pub.connect()
    t = time.time_ns()
    topic = tag_topic(TEMP)
    bad = {
        "malformed": [
            b"{not json",
            json.dumps({"tag": TEMP, "ts_ns": t, "value": [1, 2]}).encode(),  # wrong type
            encode_sample(Sample(f"{EQ}/other", t, 1.0)),  # another tag than the topic's
            b"SF\x01\x01\x00",  # a batch cut short
        ],
        "non-finite value": [f'{{"tag": "{TEMP}", "ts_ns": {t}, "value": NaN}}'.encode()],
        "future timestamp": [encode_sample(Sample(TEMP, t + 7200 * 10**9, 1.0))],
        "past timestamp": [encode_sample(Sample(TEMP, t - 40 * 86400 * 10**9, 1.0))],
    }
    for payloads in bad.values():
        for data in payloads:
            where = batch_topic(EQ) if data.startswith(b"SF") else topic
            await pub.publish(where, data, qos=1)
    old_event = MachineEvent(EventKind.ENERGY, EQ, t - 40 * 86400 * 10**9, seq=1)
    await pub.publish(event_topic(EQ, EventKind.ENERGY), old_event.to_bytes(), qos=1)
    await pub.publish(topic, encode_sample(Sample(TEMP, t, 3.5)), qos=1)
    await until("the good sample", lambda: sink.samples(TEMP))
    assert sink.samples() == [Sample(TEMP, t, 3.5)] and not sink.events
    status = uns.registry.snapshot()["connectors"]["uns"]
    assert status["parked_by_reason"] == {
        "malformed": 4,
        "non-finite value": 1,
        "future timestamp": 1,
        "past timestamp": 2,
    }
    kept = [base64.b64decode(p["payload_b64"]) for p in status["parked"]]
    assert kept[:4] == bad["malformed"]
    assert "must be a number, string, boolean or null" in status["parked"][1]["detail"]
    assert status["parked"][0]["offset"] is not None
    await pub.close()
    await uns.stop()


async def test_memory_transport_and_settings() -> None:
    hub = MemoryHub()
    sink = Collect()
    uns = UnsConnector(MemoryTransport(hub), sink, UnsConfig(kinds=(TopicKind.TAG,)))
    await uns.start()
    pub = MemoryTransport(hub)
    await pub.connect()
    await pub.publish(tag_topic(TEMP), encode_sample(Sample(TEMP, time.time_ns(), 2.0)))
    await hub.settle()
    await uns.flush()
    assert [s.value for s in sink.samples()] == [2.0]
    await uns.stop()
    assert UnsConfig(under="s1/a1", share_group="ingest").filters()[0] == (
        "$share/ingest/shopfloor/v1/s1/a1/+/+/+/tag/+"
    )
    with pytest.raises(ConfigError, match="under") as err:
        UnsConfig(under="S1/bad path", qos=2).validate()
    assert "qos must be 0 or 1" in err.value.message
