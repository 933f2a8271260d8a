"""``shopfloor demo``'s composition ingests the virtual plant end to end: OPC UA, Sparkplug B over
the embedded broker and Modbus TCP into the historian, readable with ``shopfloor query`` while
the demo holds the store (through its endpoint) and after it stopped (directly); the plain
devices' tags reach MES as equipment states through their rules."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

from shopfloor.config import load_settings
from shopfloor.historian.cli import endpoint_path, query_history
from shopfloor.runtime.demo import compose
from shopfloor.runtime.ingest import IngestService
from shopfloor.runtime.ingest_feeds import networked

DEADLINE_S = 120.0
FROM, TO = "2025-01-01T00:00:00Z", "2025-02-01T00:00:00Z"


def equipment_with_data(store: str) -> set[str]:
    result = query_history("suzhou", FROM, TO, "1h", "count", store=store)
    return {r["tag"].rsplit("/", 1)[0] for r in result.to_records() if r["count"]}


async def test_demo_ingests_every_networked_device_and_query_reaches_it(tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path, opcua_port=0, modbus_port=0, mqtt_port=0, api_port=0, speed=1.0
    )
    rt, api, _credential = compose(settings, train_health=False)
    ingest = next(s for s in rt.runtime.services if isinstance(s, IngestService))
    wanted = {path for paths in networked(ingest.plant).values() for path in paths}
    assert {p.split("/")[-1] for p in wanted} >= {"vmc-01", "vmc-03", "lathe-02"}  # all three
    store = ingest.historian.url
    await rt.runtime.start()
    try:
        deadline = time.monotonic() + DEADLINE_S
        while (have := await asyncio.to_thread(equipment_with_data, store)) != wanted:
            assert time.monotonic() < deadline, f"no data yet from {sorted(wanted - have)}"
            await asyncio.sleep(0.5)
        assert ingest.query is not None and ingest.query.stats["queries"] > 0
        # the legacy machines behind the Modbus gateway are plain devices: their state-code
        # registers become MES equipment states through their rules
        mes = api.ctx.need_mes()
        plain = {p for p, *_r, e in ingest.plant.walk() if e.rules is not None}
        assert {p.rsplit("/", 1)[1] for p in plain} == {"lathe-02", "washer-01", "press-01"}
        while not plain <= {s.equipment for s in mes.states.current()}:
            assert time.monotonic() < deadline, "no MES state from the plain devices"
            await asyncio.sleep(0.5)
        live = {p: m.live(60.0) for p, m in ingest.meters.items()}
        assert live == {p: len(paths) for p, paths in networked(ingest.plant).items()}
        assert "devices live" in ingest.live_report()
        assert ingest.health().metrics["malformed"] == 0
        assert api.ctx.live.samples_seen > 0  # the API's live values subscribe to ingest
        snapshot = api.ctx.status.snapshot()["connectors"] if api.ctx.status else {}
        assert {c["kind"] for c in snapshot.values()} >= {"opcua", "sparkplug", "modbus"}
        # another process cannot open the DuckDB file: `shopfloor query` asks the demo
        cli = [sys.executable, "-m", "shopfloor.cli", "query", "suzhou/machining/line1"]
        cli += ["--from", FROM, "--to", TO, "--bucket", "1m", "--agg", "avg"]
        cli += ["--store", store, "--format", "json"]
        done = await asyncio.to_thread(subprocess.run, cli, capture_output=True, timeout=120)
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        answer = json.loads(done.stdout)
        assert answer["source"] == "rollup_1m" and answer["rows"]
    finally:
        await rt.runtime.stop()
    assert not endpoint_path(store).exists()
    assert equipment_with_data(store) == wanted  # the store opened directly, read-only
