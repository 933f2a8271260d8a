"""A broker restart loses no QoS 1 event on the host's side (persistent session, held DATA)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shopfloor.events import EventKind, MachineEvent
from tests.conftest import Mosquitto
from tests.test_sparkplug_host import M1, M2, online, running, until


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    b = Mosquitto(tmp_path)
    b.start()
    try:
        yield b
    finally:
        b.stop()


def event(equipment: str, seq: int) -> MachineEvent:
    return MachineEvent(
        EventKind.PART_START, equipment, time.time_ns(), payload={"n": seq}, seq=seq
    )


async def test_every_event_survives_a_broker_restart(broker: Mosquitto) -> None:
    mosquitto = broker
    # The host comes back after the edge: what the edge sends first waits in the host's session.
    async with running(mosquitto, reconnect_min_s=3, reconnect_max_s=3) as rig:
        sent: set[tuple[str, int]] = set()

        def emit(first: int, count: int) -> None:
            for seq in range(first, first + count):
                for equipment in (M1, M2):
                    rig.edge.on_event(event(equipment, seq))
                    sent.add((equipment, seq))

        def received() -> set[tuple[str, int]]:
            return {(e.equipment, e.seq) for e in rig.sink.events}

        emit(0, 20)
        await until("events before the restart", lambda: received() == sent)
        mosquitto.stop()
        await until("the host to notice", lambda: not rig.host.ready)
        emit(20, 20)  # the edge is offline: kept, sent after its next births
        mosquitto.start()
        emit(40, 20)
        await until("the host back", lambda: rig.host.ready, timeout=30)
        await until("the edge back", lambda: rig.edge.health().ok, timeout=30)
        emit(60, 20)
        try:
            await until("every event", lambda: received() >= sent, timeout=30)
        except AssertionError:
            missing = sorted(sent - received())
            status = rig.host.registry.snapshot()["connectors"][rig.host.name]
            raise AssertionError(
                f"{len(missing)} events missing, e.g. {missing[:6]}; host {status['counters']} "
                f"parked {status['parked_by_reason']}; edge {rig.edge.health().metrics}"
            ) from None
        assert received() == sent
        assert online(rig.host, M1) and online(rig.host, M2)
        status = rig.host.registry.snapshot()["connectors"][rig.host.name]
        assert status["parked_total"] == 0, status["parked"]
        # The edge's births went out while the host was away: its DATA was held, then used.
        assert status["counters"]["held"] >= 1 and status["counters"]["released"] >= 1
