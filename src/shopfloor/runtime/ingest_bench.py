"""End-to-end MQTT ingest benchmark: Sparkplug B edge -> Mosquitto -> ingest -> historian.

Part of ``shopfloor bench ingest --json`` (:func:`mqtt_ingest`). A real Mosquitto starts on a free
loopback port (:class:`MosquittoProcess`); the virtual plant's own Sparkplug edge
(:class:`~shopfloor.connect.sparkplug.edge.SparkplugEdge`, same payloads, same QoS) publishes a
bench plant; the full :class:`~shopfloor.runtime.ingest.IngestService` reads it (Sparkplug host ->
disk buffer -> UNS batches on the same Mosquitto -> historian writer -> DuckDB). Two shapes:

* ``array``: ``devices`` x ``array_tags`` tags at 1 kHz, each 0.1 s block (100 samples) ONE
  ``DoubleArray`` metric in DDATA (as the virtual plant sends vibration);
* ``scalar``: ``devices`` x ``scalar_tags`` tags, one ``Double`` metric per value.

Samples are pushed as fast as ingest keeps up (at most ``window`` samples sent but not yet
stored); the clock runs from the first push until the historian holds every sample or nothing
moved for ``settle_s``. Counts are exact: sent = samples handed to the edge, stored = the
historian's count per tag (rollup counts equal raw counts), lost = sent - stored.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from shopfloor.bus.mqtt import MqttTransport
from shopfloor.bus.transport import Transport
from shopfloor.clock import NS_PER_S, WallClock
from shopfloor.connect.sparkplug.edge import SparkplugEdge
from shopfloor.errors import ConfigError
from shopfloor.historian.query import query
from shopfloor.historian.store import Historian
from shopfloor.historian.stores import open_store
from shopfloor.plant.loader import parse_plant
from shopfloor.plant.model import Plant
from shopfloor.runtime.ingest import IngestConfig, IngestService
from shopfloor.runtime.ingest_feeds import IngestEndpoints
from shopfloor.sim.outlet import Command, CommandResult, TagBlock, TagValue

PAYLOAD_SHAPE = {
    "array": "Sparkplug B DDATA from the virtual plant's edge: one DoubleArray metric per 1 kHz "
    "tag and 0.1 s block (100 samples, metric timestamp = block start in ms), as the virtual "
    "plant sends vibration; the edge publishes one DDATA per device every 0.1 s at QoS 0, so "
    "pushed faster than real time a DDATA carries several blocks per tag",
    "scalar": "the same edge: one Double metric per value, all of a device's values of a 0.1 s "
    "cycle in one DDATA, QoS 0",
    "path": "edge -> Mosquitto -> Sparkplug host -> store-and-forward buffer (passes batches "
    "straight on while the bus takes them) -> UNS binary batches (QoS 1) on the same Mosquitto "
    "-> historian writer -> DuckDB (durable writes, rollups on)",
}


class MosquittoProcess:
    """A Mosquitto broker on a free loopback port in a temporary folder (a context manager)."""

    def __init__(self) -> None:
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(exe).exists():
            raise ConfigError("mosquitto is not installed (apt-get install mosquitto)")
        self.exe, self.port = exe, 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.folder: Path | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def __enter__(self) -> MosquittoProcess:
        self.folder = Path(tempfile.mkdtemp(prefix="shopfloor-mosquitto-"))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        conf = self.folder / "mosquitto.conf"
        conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            "max_queued_messages 1000000\nmax_inflight_messages 0\nlog_type error\n"
        )
        self.proc = subprocess.Popen(
            [self.exe, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.5).close()
                return self
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.__exit__()
                    raise ConfigError(f"mosquitto did not start on port {self.port}") from None
                time.sleep(0.05)

    def __exit__(self, *_exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
            self.proc = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


class _NoControl:
    """The bench edge takes no commands."""

    def command(self, equipment: str, command: Command, args: dict[str, Any]) -> CommandResult:
        return CommandResult(False, "the benchmark plant takes no commands")


def bench_plant(devices: int, array_tags: int, scalar_tags: int) -> Plant:
    """``bench/area/line/cell/eqNNN``: Sparkplug devices with 1 kHz and 1 Hz tags."""
    tags = [
        {"name": f"vib{i}", "unit": "m/s2", "rate_hz": 1000, "signal": "spindle_vibration"}
        for i in range(array_tags)
    ] + [
        {"name": f"temp{i}", "unit": "Cel", "rate_hz": 1, "signal": "motor_temperature"}
        for i in range(scalar_tags)
    ]
    equipment = [
        {
            "id": f"eq{d:03d}",
            "name": f"Bench device {d}",
            "class": "cnc_machining_centre",
            "connectivity": "native",
            "protocol": "sparkplug",
            "tags": tags,
        }
        for d in range(devices)
    ]
    cell = {"id": "cell", "name": "Cell", "equipment": equipment}
    doc = {
        "schema": "shopfloor.plant/v1",
        "name": "bench",
        "enterprise": {"id": "bench", "name": "Bench"},
        "site": {"id": "bench", "name": "Bench"},
        "areas": [
            {
                "id": "area",
                "name": "Area",
                "lines": [{"id": "line", "name": "Line", "cells": [cell]}],
            }
        ],
    }
    return parse_plant(doc, "<bench plant>")


def _stored(historian: Historian, tags: list[str], start: int, end: int) -> int:
    total = 0
    with historian.lock:
        for tag in tags:
            result = query(historian, tag, start, end, "1h", "count")
            total += int(sum(r or 0 for r in result.table.column("count").to_pylist()))
    return total


async def _phase(
    edge: SparkplugEdge,
    ingest: IngestService,
    tags: list[str],
    pushes: list[list[TagBlock] | list[TagValue]],
    span: tuple[int, int],
    window: int,
    settle_s: float,
) -> dict[str, Any]:
    sent = 0
    base = ingest.rows_stored
    began = time.perf_counter()
    for push in pushes:
        while sent - (ingest.rows_stored - base) > window:
            await asyncio.sleep(0.005)
        if push and isinstance(push[0], TagBlock):
            for block in push:
                assert isinstance(block, TagBlock)
                edge.on_block(block)
                sent += len(block.values)
        else:
            edge.on_values(push)  # type: ignore[arg-type]
            sent += len(push)
    last, moved = -1, time.monotonic()
    while (stored := ingest.rows_stored - base) < sent:
        if stored != last:
            last, moved = stored, time.monotonic()
        elif time.monotonic() - moved > settle_s:
            break
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - began
    counted = await asyncio.to_thread(_stored, ingest.historian, tags, *span)
    return {"sent": sent, "stored": counted, "lost": sent - counted, "seconds": elapsed}


async def _run(folder: Path, broker: str, cfg: dict[str, int]) -> dict[str, Any]:
    d, a, s = cfg["devices"], cfg["array_tags"], cfg["scalar_tags"]
    plant = bench_plant(d, a, s)

    def bus(client_id: str, persistent: bool) -> Transport:
        return MqttTransport.from_url(broker, client_id=client_id, clean_session=not persistent)

    out: dict[str, Any] = {}
    with open_store(folder / "mqtt.duckdb") as historian:
        config = IngestConfig(log_every_s=0, query_endpoint=False, max_rows=500_000)
        ingest = IngestService(
            plant, historian, bus, folder, endpoints=IngestEndpoints(sparkplug=broker),
            config=config,
        )  # fmt: skip
        edge = SparkplugEdge(plant, _NoControl(), broker)
        await ingest.start()
        await edge.start()
        try:
            host_status = ingest.status.connector("sparkplug-host", "sparkplug")
            deadline = time.monotonic() + 30
            while len(host_status.snapshot(0)["devices"]) < d:
                if time.monotonic() > deadline:
                    raise ConfigError("the Sparkplug host did not see every bench device birth")
                await asyncio.sleep(0.05)
            eqs = [f"bench/area/line/cell/eq{i:03d}" for i in range(d)]
            arrays = [f"{e}/vib{i}" for e in eqs for i in range(a)]
            scalars = [f"{e}/temp{i}" for e in eqs for i in range(s)]
            t0 = (WallClock().now_ns() // NS_PER_S - 3600) * NS_PER_S
            seconds = cfg["seconds"]
            rng = np.random.default_rng(1)
            wave = rng.normal(0.0, 1.0, 100)
            step = NS_PER_S // 10  # the virtual plant's 0.1 s blocks: 100 samples at 1 kHz
            pushes: list[list[TagBlock] | list[TagValue]] = [
                [TagBlock(t, t0 + k * step, 1000.0, wave + k) for t in arrays]
                for k in range(seconds * 10)
            ]
            span = (t0, t0 + (seconds + 1) * NS_PER_S)
            out["array"] = await _phase(edge, ingest, arrays, pushes, span, cfg["window"], 10.0)
            out["array"]["ddata"] = edge.stats["messages"]
            t1 = span[1] + NS_PER_S
            rounds = cfg["scalar_rounds"]
            pushes = [
                [TagValue(t, t1 + r * 1_000_000, float(r * 10 + j)) for j, t in enumerate(scalars)]
                for r in range(rounds)
            ]
            span = (t1, t1 + NS_PER_S + rounds * 1_000_000)
            out["scalar"] = await _phase(edge, ingest, scalars, pushes, span, 20_000, 10.0)
            out["edge_stats"] = {
                k: v for k, v in edge.stats.items() if k in ("messages", "suppressed", "dropped")
            }
            out["buffer"] = {k: ingest.buffer.stats[k] for k in ("direct", "buffered", "replayed")}
        finally:
            await edge.stop()
            await ingest.stop()
    return out


def mqtt_ingest(
    *,
    devices: int = 10,
    array_tags: int = 10,
    scalar_tags: int = 20,
    seconds: int = 10,
    scalar_rounds: int = 200,
    window: int = 400_000,
) -> dict[str, Any]:
    """Run both shapes; returns the ``mqtt_*`` figures of ``shopfloor bench ingest``."""
    cfg = dict(
        devices=devices,
        array_tags=array_tags,
        scalar_tags=scalar_tags,
        seconds=seconds,
        scalar_rounds=scalar_rounds,
        window=window,
    )
    folder = Path(tempfile.mkdtemp(prefix="shopfloor-bench-mqtt-"))
    try:
        with MosquittoProcess() as broker:
            res = asyncio.run(_run(folder, broker.url, cfg))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    array, scalar = res["array"], res["scalar"]
    return {
        "mqtt_points_per_s": round(array["sent"] / array["seconds"]),
        "mqtt_lost": array["lost"],
        "mqtt_points": array["sent"],
        "mqtt_ddata_messages": array["ddata"],
        "mqtt_scalar_points_per_s": round(scalar["sent"] / scalar["seconds"]),
        "mqtt_scalar_lost": scalar["lost"],
        "mqtt_scalar_points": scalar["sent"],
        "mqtt_config": cfg,
        "mqtt_edge": res["edge_stats"],
        "mqtt_buffer": res["buffer"],
        "mqtt_payload_shape": PAYLOAD_SHAPE,
    }
