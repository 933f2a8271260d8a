"""``shopfloor serve`` on two machines served by node-opcua (not by us), one PackML-named and one
Machine-Tools-named (tests/interop/opcua_machines.mjs), each given only its preset and endpoint:
state time, counts and OEE from the API equal the fixture's script. Discovery also finds the
fixture's third machine, which follows no companion specification, with its variables' units
and ranges."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from shopfloor.cli import main
from shopfloor.config import load_settings
from shopfloor.plant.loader import load_plant
from shopfloor.runtime.serve import compose_serve
from tests.conftest import REPO, fixture_line, free_port

INTEROP = REPO / "tests" / "interop"
DEADLINE_S = 120.0
T0_MS = 1_764_568_800_000  # 2025-12-01T06:00:00Z, the script's virtual start
WINDOW = {"start": "2025-12-01T06:00:00Z", "end": "2025-12-01T06:05:00Z"}
PLANT = """
schema: shopfloor.plant/v1
enterprise: {id: acme}
site: {id: works}
areas:
  - id: pack
    lines:
      - id: line-1
        cells:
          - id: c
            equipment:
              - id: filler-01
                name: Filler
                class: packaging
                preset: packml
                endpoint: {url: "URL", node: "nsu=urn:interop:machines;s=Filler"}
                rules: {counts: {total: {tag: prod_processed_count},
                                 reject: {tag: prod_defective_count}, standard_time_s: 2.0}}
              - id: lathe-01
                name: Lathe
                class: cnc_lathe
                preset: machine_tools
                endpoint: {url: "URL", node: "nsu=urn:interop:machines;s=Lathe"}
                rules: {counts: {total: {tag: parts_completed}, standard_time_s: 2.0}}
products: []
routings: []
"""


WRITTEN = ("works/pack/line-1/c/filler-01", "works/pack/line-1/c/lathe-01")
DISCOVERED = ("site/area-1/line-1/cell-1/filler", "site/area-1/line-1/cell-1/lathe")


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize("source", ["written", "discovered"])
async def test_serve_gives_the_scripted_states_counts_and_oee(tmp_path: Path, source: str) -> None:
    """The plant file written by hand (with standard times), or the one ``shopfloor plant
    discover`` drafts from the server, used unchanged (no standard time: effectiveness
    undefined)."""
    filler_path, lathe_path = WRITTEN if source == "written" else DISCOVERED
    if not (INTEROP / "node_modules" / "node-opcua-server").is_dir():
        pytest.fail("tests/interop/node_modules is missing: run `make node` (make test does)")
    port = free_port()
    proc = subprocess.Popen(
        ["node", "opcua_machines.mjs", str(port)], cwd=INTEROP, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    try:
        await asyncio.to_thread(fixture_line, proc, "ready")
        plant = tmp_path / "plant.yaml"
        if source == "written":
            plant.write_text(PLANT.replace("URL", f"opc.tcp://127.0.0.1:{port}/"))
        else:
            url = f"opc.tcp://127.0.0.1:{port}/"
            args = ["plant", "discover", url, "--out", str(plant)]
            assert await asyncio.to_thread(main, args) == 0
            drafted = load_plant(plant)
            assert [e.preset for *_r, e in drafted.walk()] == ["packml", "machine_tools", None]
            oven = drafted.equipment("oven")  # no companion spec: its variables, described
            temp = oven.tag("temperature")
            assert (temp.unit, temp.eu_range, temp.data_type.value) == ("Cel", (0.0, 400.0),
                                                                        "double")  # fmt: skip
            assert oven.tag("door_open").data_type.value == "bool"
        settings = load_settings(plant=str(plant), data_dir=tmp_path / "data", api_port=0)
        runtime, built = compose_serve(settings)
        await runtime.start()
        try:
            events = built.ctx.need_events()
            deadline = time.monotonic() + DEADLINE_S
            while {e.equipment for e in events.until(None)} != {filler_path, lathe_path}:
                assert time.monotonic() < deadline, "no first state from both machines"
                await asyncio.sleep(0.1)
            proc.stdin.write(f"go {T0_MS} 40\n")
            proc.stdin.flush()
            await asyncio.to_thread(fixture_line, proc, "done")
            async with httpx.AsyncClient(base_url=built.api.url, timeout=30) as client:
                c = built.credential
                r = await client.post(
                    "/api/v1/auth/login", json={"username": c.username, "password": c.password}
                )
                assert r.status_code == 200, r.text
                params = {"scope": "equipment", "detail": True, **WINDOW}
                while True:
                    r = await client.get("/api/v1/kpi", params=params)
                    items = r.json()["items"]
                    f = items[filler_path]
                    lathe = items[lathe_path]
                    if f["basket"]["pq"] == 100 and lathe["basket"]["pq"] == 100:
                        break
                    assert time.monotonic() < deadline, (f["basket"], lathe["basket"])
                    await asyncio.sleep(0.2)
        finally:
            await runtime.stop()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        proc.stdin.close()
        proc.stdout.close()
    for entry in (f, lathe):
        te = entry["basket"]["time_elements_s"]
        assert (te["APT"], te["ADET"]) == (240.0, 60.0)
        assert entry["kpi"]["availability"] == pytest.approx(0.8)
        if source == "written":
            assert entry["kpi"]["effectiveness"] == pytest.approx(100 * 2.0 / 240)
        else:  # no standard time in a discovered file
            assert entry["kpi"]["effectiveness"] is None and entry["basket"]["unrated"] == 100
    assert (f["basket"]["gq"], f["basket"]["sq"]) == (96, 4)
    assert f["kpi"]["quality_ratio"] == pytest.approx(0.96)
    assert (lathe["basket"]["gq"], lathe["basket"]["sq"]) == (100, 0)
