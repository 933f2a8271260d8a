"""The embedded broker with real clients: paho-mqtt 2 and the Mosquitto command-line tools."""

from __future__ import annotations

import queue
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from shopfloor.bus.broker import Broker, BrokerThread
from shopfloor.service import Service

DEADLINE_S = 10.0


class Client:
    """A paho client with blocking helpers that wait for the broker's answer (with a deadline)."""

    def __init__(self, port: int, client_id: str = "", clean: bool = True, **will: object) -> None:
        self.port = port
        self.c = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=clean,
            protocol=MQTTProtocolVersion.MQTTv311,
        )
        if will:
            self.c.will_set(**will)  # type: ignore[arg-type]
        self.messages: queue.Queue[paho.MQTTMessage] = queue.Queue()
        self.connack: queue.Queue[tuple[bool, int]] = queue.Queue()
        self.subacks: queue.Queue[list[int]] = queue.Queue()
        self.disconnected = threading.Event()
        self.c.on_message = lambda c, u, m: self.messages.put(m)
        self.c.on_connect = lambda c, u, f, rc, p: self.connack.put((f.session_present, rc.value))
        self.c.on_subscribe = lambda c, u, mid, codes, p: self.subacks.put([x.value for x in codes])
        self.c.on_disconnect = lambda c, u, f, rc, p: self.disconnected.set()

    def connect(self, expect_rc: int = 0) -> bool:
        self.c.connect("127.0.0.1", self.port, keepalive=30)
        self.c.loop_start()
        present, rc = self.connack.get(timeout=DEADLINE_S)
        assert rc == expect_rc
        return present

    def subscribe(self, topic_filter: str, qos: int = 1) -> list[int]:
        self.c.subscribe(topic_filter, qos)
        return self.subacks.get(timeout=DEADLINE_S)

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None:
        info = self.c.publish(topic, payload, qos, retain)
        info.wait_for_publish(DEADLINE_S)
        assert info.is_published()

    def take(self, n: int) -> list[paho.MQTTMessage]:
        return [self.messages.get(timeout=DEADLINE_S) for _ in range(n)]

    def take_until(self, topic: str) -> list[paho.MQTTMessage]:
        out: list[paho.MQTTMessage] = []
        while True:
            m = self.messages.get(timeout=DEADLINE_S)
            if m.topic == topic:
                return out
            out.append(m)

    def close(self) -> None:
        self.c.disconnect()
        self.c.loop_stop()
        # break the callback cycle so paho's __del__ closes its socket pair promptly
        self.c.on_message = self.c.on_connect = self.c.on_subscribe = None
        self.c.on_disconnect = None


@pytest.fixture
def broker() -> Iterator[BrokerThread]:
    with BrokerThread() as b:
        yield b


@pytest.fixture
def clients(broker: BrokerThread) -> Iterator[list[Client]]:
    made: list[Client] = []
    yield made
    for c in made:
        c.close()


def new(clients: list[Client], broker: BrokerThread, **kwargs: object) -> Client:
    c = Client(broker.port, **kwargs)  # type: ignore[arg-type]
    clients.append(c)
    return c


def test_broker_is_a_service() -> None:
    b = Broker()
    assert isinstance(b, Service)
    assert b.name == "broker"
    assert not b.health().ok


def test_wildcards(broker: BrokerThread, clients: list[Client]) -> None:
    sub = new(clients, broker)
    sub.connect()
    for f in ("f/+/c", "f/#", "+/b/c/d"):
        assert sub.subscribe(f) == [1]
    pub = new(clients, broker)
    pub.connect()
    for topic in ("f/b/c", "f", "x/b/c/d", "f/b/c/d", "g/b"):
        pub.publish(topic, topic.encode())
    pub.publish("end", b"")
    assert sub.subscribe("end") == [1]
    pub.publish("end", b"")
    got = [m.topic for m in sub.take_until("end")]
    # one copy per message even when several filters match (f/b/c/d matches f/# and +/b/c/d)
    assert got == ["f/b/c", "f", "x/b/c/d", "f/b/c/d"]


def test_dollar_topics_not_matched_by_first_level_wildcards(
    broker: BrokerThread, clients: list[Client]
) -> None:
    everything = new(clients, broker)
    everything.connect()
    everything.subscribe("#")
    everything.subscribe("+/x")
    dollar = new(clients, broker)
    dollar.connect()
    dollar.subscribe("$app/#")
    pub = new(clients, broker)
    pub.connect()
    pub.publish("$app/x", b"hidden")
    pub.publish("plain/x", b"seen")
    pub.publish("end", b"")
    assert [(m.topic, m.payload) for m in everything.take_until("end")] == [("plain/x", b"seen")]
    assert [(m.topic, m.payload) for m in dollar.take(1)] == [("$app/x", b"hidden")]


def test_qos2_exactly_once_and_granted_qos(broker: BrokerThread, clients: list[Client]) -> None:
    sub = new(clients, broker)
    sub.connect()
    assert sub.subscribe("q2/#", qos=2) == [2]
    low = new(clients, broker)
    low.connect()
    assert low.subscribe("q2/#", qos=0) == [0]
    pub = new(clients, broker)
    pub.connect()
    for i in range(20):
        pub.publish("q2/a", str(i).encode(), qos=2)
    got = sub.take(20)
    assert [int(m.payload) for m in got] == list(range(20))
    assert {m.qos for m in got} == {2}
    assert {m.qos for m in low.take(20)} == {0}
    pub.publish("q2/end", b"", qos=2)
    assert sub.take_until("q2/end") == []


def test_retained_flag_and_downgrade(broker: BrokerThread, clients: list[Client]) -> None:
    pub = new(clients, broker)
    pub.connect()
    pub.publish("ret/a", b"r", qos=1, retain=True)
    sub = new(clients, broker)
    sub.connect()
    sub.subscribe("ret/#", qos=0)
    (m,) = sub.take(1)
    assert (m.topic, m.payload, m.retain, m.qos) == ("ret/a", b"r", True, 0)
    pub.publish("ret/a", b"live", qos=1, retain=True)
    (m,) = sub.take(1)
    assert (m.payload, m.retain) == (b"live", False)
    assert broker.health().metrics["retained"] == 1


def test_session_takeover_disconnects_first_and_publishes_its_will(
    broker: BrokerThread, clients: list[Client]
) -> None:
    watch = new(clients, broker)
    watch.connect()
    watch.subscribe("wills/#")
    first = new(clients, broker, client_id="edge-1", topic="wills/edge-1", payload=b"ndeath")
    first.connect()
    first.c.reconnect_delay_set(60, 60)  # stay down once taken over, so it cannot take back
    second = new(clients, broker, client_id="edge-1")
    second.connect()
    assert first.disconnected.wait(DEADLINE_S)
    assert [(m.topic, m.payload) for m in watch.take(1)] == [("wills/edge-1", b"ndeath")]
    second.subscribe("after")
    second.publish("after", b"ok")
    assert [m.payload for m in second.take(1)] == [b"ok"]
    assert broker.health().metrics["takeovers"] == 1


def test_persistent_session_resumes_with_session_present(
    broker: BrokerThread, clients: list[Client]
) -> None:
    sub = new(clients, broker, client_id="hist", clean=False)
    assert sub.connect() is False
    sub.subscribe("data/#", qos=1)
    sub.close()
    pub = new(clients, broker)
    pub.connect()
    for i in range(5):
        pub.publish("data/x", str(i).encode(), qos=1)
    pub.publish("data/x", b"qos0 is not queued", qos=0)
    again = new(clients, broker, client_id="hist", clean=False)
    assert again.connect() is True
    assert [int(m.payload) for m in again.take(5)] == list(range(5))
    again.close()
    clean = new(clients, broker, client_id="hist", clean=True)
    assert clean.connect() is False


def test_mqtt5_client_is_refused_cleanly(broker: BrokerThread) -> None:
    c = paho.Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5)
    answers: queue.Queue[bool] = queue.Queue()
    c.on_connect = lambda c, u, f, rc, p: answers.put(rc.is_failure)
    c.on_connect_fail = lambda c, u: answers.put(True)
    c.connect("127.0.0.1", broker.port)
    c.loop_start()
    try:
        assert answers.get(timeout=DEADLINE_S) is True
    finally:
        c.disconnect()
        c.loop_stop()
    assert broker.health().ok


@pytest.mark.skipif(shutil.which("mosquitto_pub") is None, reason="mosquitto-clients missing")
def test_mosquitto_tools_interoperate(broker: BrokerThread) -> None:
    port = str(broker.port)
    pub = ["mosquitto_pub", "-h", "127.0.0.1", "-p", port]
    subprocess.run(
        [*pub, "-t", "tools/r", "-m", "retained", "-q", "2", "-r"], check=True, timeout=DEADLINE_S
    )
    out = subprocess.run(
        [
            "mosquitto_sub",
            "-h",
            "127.0.0.1",
            "-p",
            port,
            "-t",
            "tools/#",
            "-v",
            "-C",
            "1",
            "-q",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=DEADLINE_S,
        check=True,
    )
    assert out.stdout.strip() == "tools/r retained"


def test_state_survives_restart_with_data_dir(tmp_path: Path) -> None:
    with BrokerThread(data_dir=tmp_path) as b:
        sub = Client(b.port, client_id="durable", clean=False)
        sub.connect()
        sub.subscribe("d/#")
        sub.close()
        pub = Client(b.port)
        pub.connect()
        pub.publish("d/retained", b"kept", retain=True)
        pub.publish("d/queued", b"waiting")
        pub.close()
    assert (tmp_path / "broker-state.json").exists()
    with BrokerThread(data_dir=tmp_path) as b:
        sub = Client(b.port, client_id="durable", clean=False)
        assert sub.connect() is True
        got = {(m.topic, m.payload) for m in sub.take(2)}
        sub.close()
    assert got == {("d/retained", b"kept"), ("d/queued", b"waiting")}
