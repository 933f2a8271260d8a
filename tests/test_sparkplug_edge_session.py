"""Edge node sessions against a real Mosquitto: death, reconnect, restart, stop, devices, seq.

Connection loss is made by a TCP relay between the edge and the broker that the test cuts (the
broker sees the socket die without DISCONNECT, as when the edge's network goes) or holds (new
connections are closed at once, so the edge keeps retrying until the test lets it through).
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from shopfloor.connect.sparkplug.config import EdgeConfig
from shopfloor.connect.sparkplug.edge import SparkplugEdge
from shopfloor.errors import NotFound
from shopfloor.events import EventKind, MachineEvent
from shopfloor.sim.outlet import TagValue
from tests.conftest import Mosquitto
from tests.test_sparkplug_edge import (
    M1,
    T0,
    Recorder,
    Spy,
    assert_seq_continuous,
    tiny_plant,
    wait_for,
)

M2 = "t/a/l/c/m2"


class Relay:
    """A loopback TCP relay to the broker that the test can cut or hold."""

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        self.hold = False
        self.accepted = 0
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                down, _ = self._server.accept()
            except OSError:
                return
            self.accepted += 1
            try:
                if self.hold:
                    raise OSError("held")
                up = socket.create_connection(("127.0.0.1", self.upstream))
            except OSError:
                down.close()
                continue
            with self._lock:
                self._conns += [down, up]
            for a, b in ((down, up), (up, down)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            self._kill(s)

    @staticmethod
    def _kill(s: socket.socket) -> None:
        with contextlib.suppress(OSError):
            s.shutdown(socket.SHUT_RDWR)
        s.close()

    def cut(self) -> None:
        """Drop every relayed connection at once, without any MQTT goodbye."""
        with self._lock:
            conns, self._conns = self._conns, []
        for s in conns:
            self._kill(s)

    def close(self) -> None:
        self._server.close()
        self.cut()


@pytest.fixture
def relay(mosquitto: Mosquitto) -> Iterator[Relay]:
    r = Relay(mosquitto.port)
    yield r
    r.close()


def config(url: str, **kw: Any) -> EdgeConfig:
    return EdgeConfig(url, publish_interval_s=0.02, keepalive_s=5, **kw)


def bdseqs(spy: Spy, kind: str) -> list[int]:
    out = []
    for m in spy.of(kind):
        bd = m.payload.metric("bdSeq")
        assert bd is not None, f"{kind} without bdSeq"
        out.append(bd.value)
    return out


def node_online(edge: SparkplugEdge) -> bool:
    return bool(edge.health().metrics["nodes"]["t/a-l"]["online"])


async def test_lost_connection_gives_ndeath_then_a_new_session(
    mosquitto: Mosquitto, relay: Relay
) -> None:
    spy = Spy(mosquitto.port)
    edge = SparkplugEdge(tiny_plant(), Recorder(), config(relay.url))
    await edge.start()
    try:
        wait_for("first births", lambda: len(spy.of("DBIRTH")) == 2)
        assert bdseqs(spy, "NBIRTH") == [0]
        relay.hold = True
        relay.cut()
        wait_for("the broker's NDEATH", lambda: spy.of("NDEATH"))
        assert bdseqs(spy, "NDEATH") == [0], "the Will carries the bdSeq of its NBIRTH"
        wait_for("the edge to notice", lambda: not node_online(edge))
        event = MachineEvent(EventKind.PART_COMPLETE, M1, T0, payload={"good": True})
        edge.on_event(event)  # while offline: kept, sent after the births as historical
        relay.hold = False
        wait_for("second births", lambda: len(spy.of("DBIRTH")) == 4, timeout=30)
        assert bdseqs(spy, "NBIRTH") == [0, 1]
        kept = wait_for("the kept event", lambda: spy.metrics("m1", "event"))
        assert kept[0].is_historical and kept[0].value == event.to_bytes().decode()
        assert_seq_continuous(spy.decoded())
        nodes = edge.health().metrics["nodes"]["t/a-l"]
        assert nodes["connects"] == 2 and nodes["bdseq"] == 1
    finally:
        await edge.stop()
        spy.close()


async def test_broker_restart_reconnects_with_next_bdseq(
    mosquitto: Mosquitto, relay: Relay
) -> None:
    spy = Spy(mosquitto.port)
    edge = SparkplugEdge(tiny_plant(), Recorder(), config(relay.url))
    await edge.start()
    try:
        wait_for("first births", lambda: len(spy.of("DBIRTH")) == 2)
        edge.on_values([TagValue(f"{M1}/temp", T0, 42.0)])
        wait_for("data", lambda: spy.of("DDATA"))
        relay.hold = True  # the edge may only come back once the new spy listens
        spy.close()
        mosquitto.restart()
        wait_for("the edge to notice", lambda: not node_online(edge))
        spy = Spy(mosquitto.port)
        relay.hold = False
        wait_for("births after the restart", lambda: len(spy.of("DBIRTH")) == 2, timeout=30)
        assert bdseqs(spy, "NBIRTH") == [1]
        temp = spy.births[("a-l", "m1")].metric("temp")
        assert temp is not None and temp.value == 42.0, "births carry the current values"
        assert_seq_continuous(spy.decoded())
        assert edge.health().ok
    finally:
        await edge.stop()
        spy.close()


async def test_clean_stop_sends_ddeath_and_ndeath(mosquitto: Mosquitto) -> None:
    spy = Spy(mosquitto.port)
    edge = SparkplugEdge(tiny_plant(), Recorder(), config(mosquitto.url))
    await edge.start()
    try:
        wait_for("births", lambda: len(spy.of("DBIRTH")) == 2)
        assert edge.health().ok
        await edge.stop()
        wait_for("NDEATH", lambda: spy.of("NDEATH"))
        kinds = [(m.kind, m.device) for m in spy.decoded()]
        assert kinds[-3:] == [("DDEATH", "m1"), ("DDEATH", "m2"), ("NDEATH", None)]
        assert bdseqs(spy, "NDEATH") == [0]
        assert_seq_continuous(spy.decoded())
        health = edge.health()
        assert not health.ok and health.detail == "stopped"
    finally:
        spy.close()


async def test_device_death_and_rebirth(mosquitto: Mosquitto) -> None:
    spy = Spy(mosquitto.port)
    edge = SparkplugEdge(tiny_plant(), Recorder(), config(mosquitto.url))
    await edge.start()
    try:
        wait_for("births", lambda: len(spy.of("DBIRTH")) == 2)
        with pytest.raises(NotFound, match="nope"):
            edge.set_device_online("nope", False)
        edge.set_device_online("m2", False)
        wait_for("DDEATH", lambda: spy.of("DDEATH", "m2"))
        edge.on_values([TagValue(f"{M2}/count", T0, 9), TagValue(f"{M1}/count", T0, 1)])
        wait_for("m1 data", lambda: spy.of("DDATA", "m1"))
        edge.set_device_online(M2, True)
        wait_for("DBIRTH again", lambda: len(spy.of("DBIRTH", "m2")) == 2)
        assert spy.of("DDATA", "m2") == [], "no data for a dead device"
        count = spy.of("DBIRTH", "m2")[1].payload.metric("count")
        assert count is not None and count.value == 9
        assert_seq_continuous(spy.decoded())
    finally:
        await edge.stop()
        spy.close()


async def test_seq_wraps_after_255_across_all_messages(mosquitto: Mosquitto) -> None:
    spy = Spy(mosquitto.port)
    edge = SparkplugEdge(tiny_plant(), Recorder(), config(mosquitto.url))
    await edge.start()
    try:
        wait_for("births", lambda: len(spy.of("DBIRTH")) == 2)
        for i in range(140):  # two DDATA per round: 280 messages after 3 births
            seen = len(spy.of("DDATA"))
            ts = T0 + i * 10**8
            edge.on_values([TagValue(f"{M1}/count", ts, i), TagValue(f"{M2}/count", ts, i)])
            wait_for(f"round {i}", lambda: len(spy.of("DDATA")) >= seen + 2)  # noqa: B023
        seqs = [m.payload.seq for m in spy.decoded()]
        assert (255, 0) in itertools.pairwise(seqs)
        assert_seq_continuous(spy.decoded())
    finally:
        await edge.stop()
        spy.close()
