"""The Sparkplug host under bad input: seq gaps, malformed payloads, NaN, times out of range.

A raw paho client plays the misbehaving party (an injected DDATA, or a whole fake edge node);
nothing it sends may be fatal or silently dropped, and good data must keep flowing.
"""

from __future__ import annotations

import base64
import math
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from shopfloor.connect.sparkplug.codec import (
    DataType,
    Metric,
    Payload,
    decode_payload,
    encode_payload,
)
from shopfloor.connect.sparkplug.points import node_points
from shopfloor.connect.sparkplug.wire import Writer
from shopfloor.connect.status import render_prometheus
from shopfloor.samples import Sample
from shopfloor.sim.outlet import TagValue
from tests.conftest import Mosquitto
from tests.test_sparkplug_host import (
    M1,
    Collect,
    SparkplugHost,
    host_config,
    now_ms_ns,
    plant,
    running,
    until,
)

FAKE = "t/sparkplug/fake/edge/d1"


class Raw:
    """A bare MQTT client: publishes what it is told, records what it subscribed to."""

    def __init__(self, port: int, *subscriptions: str) -> None:
        self.got: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()
        ready = threading.Event()
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"raw-{uuid.uuid4().hex}")
        c.on_message = self._on_message
        c.on_subscribe = lambda *_a: ready.set()
        c.connect("127.0.0.1", port)
        c.loop_start()
        if subscriptions:
            c.subscribe([(s, 1) for s in subscriptions])
            assert ready.wait(20), "raw client could not subscribe"
        self.client = c

    def _on_message(self, _c: mqtt.Client, _u: Any, m: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.got.append((m.topic, bytes(m.payload)))

    def seen(self, kind: str) -> list[bytes]:
        with self._lock:
            return [data for topic, data in self.got if topic.split("/")[2] == kind]

    def publish(self, topic: str, data: bytes) -> None:
        self.client.publish(topic, data, qos=1).wait_for_publish(10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def raw(mosquitto: Mosquitto) -> Iterator[Raw]:
    r = Raw(mosquitto.port, "spBv1.0/t/NCMD/#", "spBv1.0/t/NBIRTH/#")
    yield r
    r.close()


def status(host: SparkplugHost) -> dict[str, Any]:
    snapshot: dict[str, Any] = host.registry.snapshot()["connectors"][host.name]
    return snapshot


async def test_seq_gap_asks_for_a_rebirth_and_loses_nothing(mosquitto: Mosquitto, raw: Raw) -> None:
    async with running(mosquitto) as rig:
        births = len(raw.seen("NBIRTH"))
        temp_alias = next(
            p.alias
            for n in node_points(plant())
            for d in n.devices
            for p in d.points
            if p.tag_id == f"{M1}/temp"
        )
        t = now_ms_ns()
        skipped = (rig.edge.sessions[0].seq + 5) % 256
        injected = Payload(
            timestamp=t // 1_000_000,
            seq=skipped,
            metrics=[
                Metric(
                    alias=temp_alias, timestamp=t // 1_000_000, datatype=DataType.Double, value=99.0
                )
            ],
        )
        raw.publish("spBv1.0/t/DDATA/a-l/m1", encode_payload(injected))

        ncmd = await until("a rebirth request", lambda: raw.seen("NCMD"))
        request = decode_payload(ncmd[0])
        rebirth = request.metric("Node Control/Rebirth")
        assert rebirth is not None and rebirth.value is True
        await until("the edge's new births", lambda: len(raw.seen("NBIRTH")) > births)
        # The injected DATA was held, then used: the rebirth kept the aliases.
        await until("the held value", lambda: rig.sink.samples(f"{M1}/temp"))
        assert rig.sink.samples(f"{M1}/temp")[0] == Sample(f"{M1}/temp", t, 99.0)
        rig.edge.on_values([TagValue(f"{M1}/temp", t + 1_000_000, 5.0)])
        await until(
            "data after the rebirth",
            lambda: any(s.value == 5.0 for s in rig.sink.samples(f"{M1}/temp")),
        )
        counters = status(rig.host)["counters"]
        assert counters["seq_gaps"] >= 1 and counters["released"] >= 1
        assert status(rig.host)["parked_total"] == 0


class FakeEdge:
    """Edge node ``fake`` (group ``t``) with device ``d1``: x Double, f Float, s String."""

    def __init__(self, raw: Raw) -> None:
        self.raw, self.seq = raw, 0

    def ms(self, offset_s: float = 0.0) -> int:
        return int(time.time() * 1000 + offset_s * 1000)

    def send(
        self, kind: str, metrics: list[Metric], ms: int | None = None, seq: int | None = None
    ) -> bytes:
        if seq is None:
            seq, self.seq = self.seq, (self.seq + 1) % 256
        device = "" if kind.startswith("N") else "/d1"
        data = encode_payload(Payload(timestamp=ms or self.ms(), seq=seq, metrics=metrics))
        self.raw.publish(f"spBv1.0/t/{kind}/fake{device}", data)
        return data

    def born(self) -> None:
        now = self.ms()
        self.send(
            "NBIRTH", [Metric(name="bdSeq", timestamp=now, datatype=DataType.UInt64, value=0)]
        )
        self.send(
            "DBIRTH",
            [
                Metric(name="x", alias=1, timestamp=now, datatype=DataType.Double, value=0.5),
                Metric(name="f", alias=2, timestamp=now, datatype=DataType.Float, is_null=True),
                Metric(name="s", alias=3, timestamp=now, datatype=DataType.String, is_null=True),
            ],
        )

    def data(self, *metrics: tuple[int, DataType, Any], offset_s: float = 0.0) -> bytes:
        ms = self.ms(offset_s)
        return self.send(
            "DDATA", [Metric(alias=a, timestamp=ms, datatype=dt, value=v) for a, dt, v in metrics]
        )

    def float_with_string(self) -> bytes:
        """A Float metric carrying string_value: valid protobuf, invalid Sparkplug."""
        metric = Writer()
        metric.uint(2, 2)  # alias of f
        metric.uint(4, int(DataType.Float))
        metric.text(15, "12.5")  # string_value
        payload = Writer()
        payload.uint(1, self.ms())
        payload.raw(2, metric.getvalue())
        payload.uint(3, self.seq)
        data = payload.getvalue()
        self.raw.publish("spBv1.0/t/DDATA/fake/d1", data)
        return data


async def test_bad_payloads_are_parked_with_reasons_and_good_data_flows(
    mosquitto: Mosquitto, raw: Raw
) -> None:
    sink = Collect()
    host = SparkplugHost(plant(), host_config(mosquitto), sink)
    await host.start()
    try:
        await until("the host to subscribe", lambda: host.ready)
        fake = FakeEdge(raw)
        fake.born()
        await until("x from the birth", lambda: sink.samples(f"{FAKE}/x"))
        good = Payload(
            timestamp=fake.ms(),
            seq=fake.seq,
            metrics=[Metric(alias=1, timestamp=fake.ms(), datatype=DataType.Double, value=1.0)],
        )
        truncated = encode_payload(good)[:-3]
        raw.publish("spBv1.0/t/DDATA/fake/d1", truncated)
        wrong_field = fake.float_with_string()
        nan = fake.data((1, DataType.Double, math.nan), (2, DataType.Float, 1.5))
        fake.data((1, DataType.Double, 2.0), offset_s=7200)  # two hours ahead
        fake.data((1, DataType.Double, 3.0), offset_s=-40 * 86400)  # forty days ago
        fake.data((1, DataType.String, "abc"))  # x declared Double in the birth
        fake.data((1, DataType.Double, 4.0), (3, DataType.String, "ok"))
        await until("the last good data", lambda: sink.samples(f"{FAKE}/s"))

        st = status(host)
        assert st["parked_by_reason"] == {
            "malformed": 2,
            "non-finite value": 1,
            "future timestamp": 1,
            "past timestamp": 1,
            "wrong type": 1,
        }
        parked = {p["reason"] + str(i): p for i, p in enumerate(st["parked"])}
        first, second = parked["malformed0"], parked["malformed1"]
        assert base64.b64decode(first["payload_b64"]) == truncated
        assert first["offset"] is not None and "exceeds" in first["detail"]
        assert base64.b64decode(second["payload_b64"]) == wrong_field
        assert "Float value cannot be carried in string_value" in second["detail"]
        assert base64.b64decode(parked["non-finite value2"]["payload_b64"]) == nan
        assert st["devices"][FAKE]["parked"] == 6
        assert "rebirth_requests" not in st["counters"]  # none of it broke the seq stream
        assert [s.value for s in sink.samples(f"{FAKE}/x")] == [0.5, 4.0]
        assert [s.value for s in sink.samples(f"{FAKE}/f")] == [1.5]
        assert [s.value for s in sink.samples(f"{FAKE}/s")] == ["ok"]
        text = render_prometheus(host.registry.snapshot())
        assert (
            'shopfloor_connector_parked_total{connector="sparkplug-host",'
            'reason="non-finite value"} 1' in text
        )
    finally:
        await host.stop()


async def test_unanswered_rebirths_are_repeated_rate_limited_and_held_data_parked(
    mosquitto: Mosquitto, raw: Raw
) -> None:
    sink = Collect()
    host = SparkplugHost(
        plant(), host_config(mosquitto, rebirth_interval_s=0.3, hold_timeout_s=0.5), sink
    )
    await host.start()
    try:
        await until("the host to subscribe", lambda: host.ready)
        fake = FakeEdge(raw)
        sent = [fake.data((1, DataType.Double, float(i))) for i in range(5)]  # never born
        await until("the held data parked", lambda: status(host)["parked_total"] == 5)
        st = status(host)
        assert st["parked_by_reason"] == {"no rebirth": 5}
        assert [base64.b64decode(p["payload_b64"]) for p in st["parked"]] == sent
        assert "DATA before NBIRTH" in st["parked"][0]["detail"]
        asked = len(raw.seen("NCMD"))
        assert 1 <= asked <= 4  # at most one per 0.3 s while holding, not one per message
        await until("another request while nothing answers", lambda: len(raw.seen("NCMD")) > asked)
        assert not sink.samples()
    finally:
        await host.stop()
