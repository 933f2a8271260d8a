"""Machine events a client missed while away are read back from the server's event history."""

from __future__ import annotations

import random

import pytest

from shopfloor.connect.opcua import OpcUaServer
from shopfloor.connect.opcua.client_config import OpcUaClientConfig
from shopfloor.connect.opcua.connector import OpcUaConnector
from shopfloor.events import EventKind, MachineEvent
from shopfloor.plant import load_plant
from tests.test_opcua_client import RecordingSink
from tests.test_opcua_server import DEADLINE_S, LATHE, T0, RecordingControl

S = 1_000_000_000


def part(i: int) -> MachineEvent:
    return MachineEvent(EventKind.PART_COMPLETE, LATHE, T0 + i * S, payload={"good": True},
                        seq=i)  # fmt: skip


async def test_a_new_client_reads_back_what_it_missed_once_and_in_order() -> None:
    plant = load_plant("demo")
    server = OpcUaServer(plant, RecordingControl(plant), security=("None",))
    await server.start()
    config = OpcUaClientConfig(server.endpoint, publishing_interval_ms=20)
    first, second = RecordingSink(), RecordingSink()
    try:
        a = OpcUaConnector(plant, config, first, rng=random.Random(1))
        await a.start()
        try:
            await a.wait_ready(DEADLINE_S)
            for i in (1, 2, 3):
                server.on_event(part(i))
            await first.until("three events", lambda: len(first.events) == 3)
        finally:
            await a.stop()  # the client is away ...
        for i in (4, 5, 6, 7):  # ... while the machine goes on
            server.on_event(part(i))
        # a new process: it knows the newest event stored (3), as the event journal tells
        stored = {LATHE: (part(3).ts_ns, part(3).seq)}
        b = OpcUaConnector(plant, config, second, rng=random.Random(2), resume=stored.get)
        await b.start()
        try:
            await b.wait_ready(DEADLINE_S)
            server.on_event(part(8))
            await second.until("the missed events and the new one", lambda: len(second.events) >= 5)
            assert [e.seq for e in second.events] == [4, 5, 6, 7, 8]
            assert second.events[:4] == [part(i) for i in (4, 5, 6, 7)]
            assert b.stats["events_from_history"] == 4
            assert b.cursor[LATHE] == (part(8).ts_ns, 8)
        finally:
            await b.stop()
    finally:
        await server.stop()


async def test_without_a_resume_point_nothing_is_read_back() -> None:
    plant = load_plant("demo")
    server = OpcUaServer(plant, RecordingControl(plant), security=("None",))
    await server.start()
    sink = RecordingSink()
    try:
        server.on_event(part(1))  # before any client: not claimed by a first start
        c = OpcUaConnector(plant, OpcUaClientConfig(server.endpoint, publishing_interval_ms=20),
                           sink, rng=random.Random(1))  # fmt: skip
        await c.start()
        try:
            await c.wait_ready(DEADLINE_S)
            server.on_event(part(2))
            await sink.until("the live event", lambda: sink.events)
            assert [e.seq for e in sink.events] == [2]
            assert c.stats["events_from_history"] == 0
        finally:
            await c.stop()
    finally:
        await server.stop()


async def test_a_server_without_event_history_is_said_once_and_the_session_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    plant = load_plant("demo")
    server = OpcUaServer(plant, RecordingControl(plant), security=("None",), event_history=0)
    await server.start()
    sink = RecordingSink()
    stored = {LATHE: (part(1).ts_ns, 1)}
    c = OpcUaConnector(plant, OpcUaClientConfig(server.endpoint, publishing_interval_ms=20),
                       sink, rng=random.Random(1), resume=stored.get)  # fmt: skip
    try:
        await c.start()
        await c.wait_ready(DEADLINE_S)
        server.on_event(part(2))
        await sink.until("the live event", lambda: sink.events)
        assert c.stats["event_history_unavailable"] == 1
        said = [
            r.getMessage() for r in caplog.records if "keeps no event history" in r.getMessage()
        ]
        assert len(said) == 1
    finally:
        await c.stop()
        await server.stop()
