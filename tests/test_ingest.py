"""The ingest service over real loopback connections: buffer -> bus -> historian writers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from shopfloor.bus.memory import MemoryHub, MemoryTransport
from shopfloor.bus.mqtt import MqttTransport
from shopfloor.bus.transport import Transport
from shopfloor.connect.sink import SampleBatch
from shopfloor.errors import BadInput
from shopfloor.events import EventKind, MachineEvent
from shopfloor.historian import open_store
from shopfloor.historian.cli import ask_endpoint, query_history
from shopfloor.plant.loader import load_plant
from shopfloor.runtime.ingest import IngestConfig, IngestService
from shopfloor.runtime.ingest_bus import batch_messages
from shopfloor.samples import Quality, Sample
from tests.conftest import Mosquitto

DEADLINE_S = 90.0
T0 = 1_736_143_200_000_000_000  # 2025-01-06T06:00:00Z
VMC = "suzhou/machining/line1/milling/vmc-01"
FROM, TO = "2025-01-06T00:00:00Z", "2025-01-07T00:00:00Z"


async def wait_for(cond: Callable[[], bool], what: str, timeout: float = DEADLINE_S) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


class Collect:
    """An in-process subscriber keeping what it is given."""

    def __init__(self) -> None:
        self.rows = 0
        self.events: list[MachineEvent] = []

    async def on_samples(self, batch: SampleBatch) -> None:
        self.rows += len(batch)

    async def on_events(self, events: Sequence[MachineEvent]) -> None:
        self.events.extend(events)


def numbered(batch_no: int, tags: list[str], per_tag: int) -> SampleBatch:
    """``per_tag`` samples of each tag at times no other batch uses; value = the time index."""
    n = len(tags) * per_tag
    index = batch_no * per_tag + np.arange(per_tag, dtype=np.int64)
    return SampleBatch(
        tuple(tags),
        np.repeat(np.arange(len(tags), dtype=np.int32), per_tag),
        np.tile(T0 + index * 1_000_000, len(tags)),
        np.tile(index.astype(np.float64), len(tags)),
        np.zeros(n, np.uint8),
    )


async def wait_stored(service: IngestService, path: str, rows: int) -> None:
    """Poll the historian (through the service's query endpoint) until ``rows`` are stored."""
    deadline = time.monotonic() + DEADLINE_S
    url = service.historian.url
    while (n := len(await asyncio.to_thread(query_history, path, FROM, TO, store=url))) != rows:
        if time.monotonic() > deadline:
            raise AssertionError(f"{n} rows stored under {path}, expected {rows}")
        await asyncio.sleep(0.2)


async def test_text_and_numbers_reach_the_historian_once_through_two_shared_workers(
    tmp_path: Path,
) -> None:
    plant = load_plant("demo")
    hub = MemoryHub()

    def bus(client_id: str, persistent: bool) -> Transport:
        return MemoryTransport(hub, client_id, clean_session=not persistent)

    with open_store(tmp_path / "h.duckdb") as historian:
        service = IngestService(
            plant, historian, bus, tmp_path, config=IngestConfig(workers=2, log_every_s=0)
        )
        seen = Collect()
        service.subscribe(seen)
        await service.start()
        try:
            samples = [
                Sample(f"{VMC}/spindle_speed", T0 + i * 10**9, float(i)) for i in range(50)
            ] + [
                Sample(f"{VMC}/program", T0, "O1001"),
                Sample(f"{VMC}/door_open", T0, True),
                Sample(f"{VMC}/spindle_load", T0, None, Quality.BAD),
            ]
            batch = SampleBatch.from_samples(samples)
            topics = [t for t, _ in batch_messages(batch)]
            assert topics.count(f"shopfloor/v1/{VMC}/batch") == 1
            assert f"shopfloor/v1/{VMC}/tag/program" in topics
            event = MachineEvent(EventKind.PART_START, VMC, T0, serial="S1", seq=1)
            await service.sink.on_samples(batch)
            await service.sink.on_events([event])
            await wait_for(lambda: service.rows_stored == len(samples), "53 rows stored")
            await wait_for(lambda: seen.events == [event], "the event fanned out")
            assert seen.rows == len(samples)
            assert all(w.stats["messages"] for w in service.writers), "both workers took a share"
            result = await asyncio.to_thread(
                query_history, VMC, FROM, TO, store=historian.url
            )  # through the service's endpoint: this process holds the store
            rows = {(r["tag"], r["ts"]): r for r in result.to_records()}
            assert rows[(f"{VMC}/program", "2025-01-06T06:00:00Z")]["text"] == "O1001"
            assert rows[(f"{VMC}/spindle_load", "2025-01-06T06:00:00Z")]["quality"] == 2
            assert service.query is not None and service.query.stats["queries"] == 1
            endpoint = service.query.endpoint
            assert endpoint is not None
            with pytest.raises(BadInput, match="wrong token"):
                await asyncio.to_thread(
                    ask_endpoint, replace(endpoint, token="guess"), VMC, FROM, TO, None, "avg"
                )
            with pytest.raises(BadInput, match="bucket") as caught:  # errors keep their code
                await asyncio.to_thread(ask_endpoint, endpoint, VMC, FROM, TO, "1 eon", "avg")
            assert caught.value.code == "input.invalid"
        finally:
            await service.stop()


async def test_nothing_is_lost_across_a_broker_restart(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    """Every sample and event handed to ingest while the broker restarts ends up stored."""
    plant = load_plant("demo")

    def bus(client_id: str, persistent: bool) -> Transport:
        return MqttTransport.from_url(
            mosquitto.url, client_id=client_id, clean_session=not persistent, reconnect_max_s=1
        )

    tags = [f"{VMC}/spindle_speed", f"{VMC}/spindle_load", f"{VMC}/feed_rate"]
    per_tag, batches = 40, 60
    with open_store(tmp_path / "h.duckdb") as historian:
        config = IngestConfig(log_every_s=0, publish_timeout_s=2.0, buffer_fsync=False)
        service = IngestService(plant, historian, bus, tmp_path, config=config)
        seen = Collect()
        service.subscribe(seen)
        await service.start()
        try:
            for no in range(batches):
                await service.sink.on_samples(numbered(no, tags, per_tag))
                event = MachineEvent(EventKind.ENERGY, VMC, T0 + no, payload={"kw": 1}, seq=no)
                await service.sink.on_events([event])
                if no == batches // 3:
                    await asyncio.to_thread(mosquitto.stop)
                if no == 2 * batches // 3:
                    assert service.buffer.backlog > 0, "the outage filled the buffer"
                    await asyncio.to_thread(mosquitto.start)
                await asyncio.sleep(0.02)
            sent = batches * per_tag * len(tags)
            await wait_for(lambda: service.buffer.backlog == 0, "the buffer drained")
            await wait_for(
                lambda: len({e.seq for e in seen.events}) == batches, "every event arrived"
            )
            await wait_stored(service, VMC, sent)
            assert service.buffer.stats["replayed"] > 0
        finally:
            await service.stop()


async def test_query_reads_the_store_itself_when_no_service_holds_it(tmp_path: Path) -> None:
    store = tmp_path / "h.duckdb"
    with open_store(store) as historian:
        historian.registry.register_plant(load_plant("demo"))
        historian.write_samples([Sample(f"{VMC}/spindle_speed", T0, 1200.0)])
    # an endpoint file left by a process that is gone is ignored
    (tmp_path / "h.duckdb.endpoint").write_text(
        '{"pid": 999999999, "host": "127.0.0.1", "port": 1, "token": "x", "store": "s"}'
    )
    result = query_history(VMC, FROM, TO, "1m", "avg", store=store)
    assert result.source == "rollup_1m"
    assert result.to_records()[0]["avg"] == 1200.0
    with pytest.raises(BadInput, match="bucket"):
        query_history(VMC, FROM, TO, "1 fortnight", "avg", store=store)


def test_mqtt_bench_smoke_counts_every_sample() -> None:
    """A tiny run of the end-to-end MQTT benchmark (a real Mosquitto): exact counts, 0 lost."""
    from shopfloor.runtime.ingest_bench import mqtt_ingest

    out = mqtt_ingest(devices=1, array_tags=2, scalar_tags=2, seconds=1, scalar_rounds=5)
    assert out["mqtt_points"] == 1 * 2 * 1000 and out["mqtt_lost"] == 0
    assert out["mqtt_scalar_points"] == 1 * 2 * 5 and out["mqtt_scalar_lost"] == 0
    assert out["mqtt_points_per_s"] > 0 and "DoubleArray" in out["mqtt_payload_shape"]["array"]
