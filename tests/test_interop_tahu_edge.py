"""``shopfloor serve`` on an Eclipse Tahu JavaScript edge node (npm ``sparkplug-client``, not
written by us; tests/interop/tahu_edge.mjs) publishing to the embedded broker: a device with its
own Sparkplug ids and metric names such as ``Status/State``, given only its endpoint and rules.
Every metric is stored, and state time, counts and OEE from the API equal the fixture's script."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from shopfloor.bus.broker import Broker
from shopfloor.cli import main
from shopfloor.config import load_settings
from shopfloor.plant.loader import load_plant
from shopfloor.runtime.serve import compose_serve
from tests.conftest import REPO, fixture_line, free_port, iso_ms

INTEROP = REPO / "tests" / "interop"
DEADLINE_S = 120.0
OVEN = "works/bake/line-3/c/oven-01"
PLANT = """
schema: shopfloor.plant/v1
enterprise: {id: acme}
site: {id: works}
areas:
  - id: bake
    lines:
      - id: line-3
        cells:
          - id: c
            equipment:
              - id: oven-01
                name: Reflow oven 3
                class: reflow_oven
                protocol: sparkplug
                endpoint: {group: Plant1, edge_node: Line3, device: Oven-3}
                tags:
                  - {name: state, data_type: int, sparkplug_metric: Status/State}
                  - {name: produced, data_type: int, sparkplug_metric: Counts/Produced}
                  - {name: scrap, data_type: int, sparkplug_metric: Counts/Scrap}
                  - {name: zone1_temp, unit: Cel, sparkplug_metric: Zone1/Temperature}
                  - {name: kwh, unit: kW.h, sparkplug_metric: Energy/kWh}
                  - {name: recipe, data_type: string, sparkplug_metric: Recipe}
                rules:
                  state: {tag: state, map: {4: Idle, 6: Execute, 11: Held}}
                  counts: {total: {tag: produced}, reject: {tag: scrap}, standard_time_s: 2.0}
                  energy: {tag: kwh}
products: []
routings: []
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
async def test_serve_reads_a_tahu_edge_node(tmp_path: Path) -> None:
    if not (INTEROP / "node_modules" / "sparkplug-client").is_dir():
        pytest.fail("tests/interop/node_modules is missing: run `make node` (make test does)")
    plant = tmp_path / "plant.yaml"
    plant.write_text(PLANT)
    settings = load_settings(
        plant=str(plant), data_dir=tmp_path / "data", api_port=0, mqtt_port=free_port()
    )
    runtime, built = compose_serve(settings)
    await runtime.start()
    proc: subprocess.Popen[str] | None = None
    try:
        proc = subprocess.Popen(
            ["node", "tahu_edge.mjs", f"mqtt://127.0.0.1:{settings.mqtt_port}"], cwd=INTEROP,
            text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        assert proc.stdin is not None
        await asyncio.to_thread(fixture_line, proc, "ready")
        events = built.ctx.need_events()
        deadline = time.monotonic() + DEADLINE_S
        while not any(e.equipment == OVEN for e in events.until(None)):
            assert time.monotonic() < deadline, "no first state from the Tahu device"
            await asyncio.sleep(0.05)
        t0 = (int(time.time()) - 3600) * 1000  # an hour ago, in the host's accepted past
        proc.stdin.write(f"go {t0} 40\n")
        proc.stdin.flush()
        await asyncio.to_thread(fixture_line, proc, "done")
        window = {"start": iso_ms(t0), "end": iso_ms(t0 + 300_000)}
        async with httpx.AsyncClient(base_url=built.api.url, timeout=30) as client:
            c = built.credential
            r = await client.post(
                "/api/v1/auth/login", json={"username": c.username, "password": c.password}
            )
            assert r.status_code == 200, r.text
            params = {"scope": "equipment", "detail": True, **window}
            while True:
                r = await client.get("/api/v1/kpi", params=params)
                assert r.status_code == 200, r.text
                oven = r.json()["items"][OVEN]
                if oven["basket"]["pq"] >= 100:
                    break
                assert time.monotonic() < deadline, oven["basket"]
                await asyncio.sleep(0.2)
            raw_params = {
                "tag": OVEN,
                "start": iso_ms(t0),
                "end": iso_ms(t0 + 301_000),
                "limit": 1000,
            }
            while True:  # the historian stores a moment after the events are counted
                raw = await client.get("/api/v1/history/raw", params=raw_params)
                assert raw.status_code == 200, raw.text
                stored = [r for r in raw.json()["items"] if r["tag"].endswith("/state")]
                if len(stored) == 3 and len(raw.json()["items"]) >= 3 + 3 * 100 + 31:
                    break
                assert time.monotonic() < deadline, raw.json()["items"][-5:]
                await asyncio.sleep(0.2)
            last = await client.get("/api/v1/history/last", params={"tag": OVEN})
    finally:
        await runtime.stop()
        if proc is not None:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.close()
            proc.wait(timeout=30)
            proc.stdout.close()
    basket = oven["basket"]
    assert (basket["pq"], basket["gq"], basket["sq"]) == (100, 96, 4)
    te = basket["time_elements_s"]
    assert (te["APT"], te["ADET"]) == (240.0, 60.0)
    assert oven["kpi"]["availability"] == pytest.approx(0.8)
    assert oven["kpi"]["effectiveness"] == pytest.approx(100 * 2.0 / 240)
    assert oven["kpi"]["quality_ratio"] == pytest.approx(0.96)
    assert last.status_code == 200 and raw.status_code == 200, (last.text, raw.text)
    born = {row["tag"].rsplit("/", 1)[1]: row for row in last.json()["items"]}
    assert born.keys() == {"state", "produced", "scrap", "zone1_temp", "kwh", "recipe"}
    assert born["recipe"]["text"] == "PCB-A12" and born["state"]["value"] == 4  # the DBIRTH
    script: dict[str, list[float]] = {}
    for row in raw.json()["items"]:
        script.setdefault(row["tag"].rsplit("/", 1)[1], []).append(row["value"])
    assert script.keys() == {"state", "produced", "scrap", "zone1_temp", "kwh"}
    assert (max(script["produced"]), max(script["scrap"])) == (600, 24)
    assert script["state"] == [6, 11, 6] and len(script["produced"]) == 100
    assert max(script["kwh"]) == pytest.approx(1500 + 100 * 0.1)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
async def test_discover_drafts_the_tahu_device(tmp_path: Path) -> None:
    """``shopfloor plant discover mqtt://...`` joins after the edge node was born: the edge's
    data makes it ask for a rebirth, and the births give the device's ids and metrics."""
    broker = Broker("127.0.0.1", free_port())
    await broker.start()
    proc: subprocess.Popen[str] | None = None
    try:
        proc = subprocess.Popen(
            ["node", "tahu_edge.mjs", broker.url], cwd=INTEROP, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        assert proc.stdin is not None
        await asyncio.to_thread(fixture_line, proc, "ready")  # born before discovery listens
        out = tmp_path / "draft.yaml"
        args = ["plant", "discover", broker.url, "--seconds", "8", "--out", str(out)]
        found = asyncio.create_task(asyncio.to_thread(main, args))
        proc.stdin.write(f"go {(int(time.time()) - 3600) * 1000} 40\n")  # data, no birth
        proc.stdin.flush()
        assert await found == 0
    finally:
        if proc is not None:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.close()
            proc.wait(timeout=30)
            proc.stdout.close()
        await broker.stop()
    [(_path, *_r, eq)] = load_plant(out).walk()
    ep = eq.endpoint
    assert (ep.url, ep.group, ep.edge_node, ep.device) == (broker.url, "Plant1", "Line3", "Oven-3")
    metrics = {t.sparkplug_metric: t.data_type.value for t in eq.tags}
    assert metrics == {
        "Status/State": "int", "Counts/Produced": "int", "Counts/Scrap": "int",
        "Zone1/Temperature": "double", "Energy/kWh": "double", "Recipe": "string",
    }  # fmt: skip
