"""``shopfloor serve`` on a plain Modbus TCP press served by the npm ``modbus-serial`` ServerTCP
(tests/interop/modbus_press.mjs, not written by us): tags in input registers, a holding register,
a coil and a discrete input are all stored, and the state code, the rolling-over stroke counter
and the reject counter give the script's state time, counts and OEE through the API.

A Modbus device has no source timestamps: values are stamped when polled, so the fixture runs in
real time (about 14 s) and time elements are checked, to the poll's resolution, against the
instants the fixture reports it changed state."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from shopfloor.config import load_settings
from shopfloor.runtime.serve import compose_serve
from tests.conftest import REPO, fixture_line, free_port, iso_ms

INTEROP = REPO / "tests" / "interop"
DEADLINE_S = 120.0
POLL_S = 0.1
#: A value is stamped when its read completes, so never before the device changed and late by
#: up to a poll plus scheduling on a loaded machine: bounded generously, below the 4 s hold.
LATE_S = 3.0
PRESS = "works/stamp/line-1/c/press-01"
PLANT = """
schema: shopfloor.plant/v1
enterprise: {id: acme}
site: {id: works}
areas:
  - id: stamp
    lines:
      - id: line-1
        cells:
          - id: c
            equipment:
              - id: press-01
                name: Press
                class: press
                connectivity: native
                protocol: modbus
                endpoint: {url: "URL", unit_id: 1}
                tags:
                  - {name: state, data_type: int, modbus: {table: input, address: 0, type: uint16}}
                  - {name: rejects, data_type: int,
                     modbus: {table: input, address: 1, type: uint16}}
                  - {name: kwh, unit: kW.h, modbus: {table: input, address: 4, type: float32}}
                  - {name: strokes, data_type: int, modbus: {address: 10, type: uint16}}
                  - {name: lube, data_type: bool, modbus: {table: coil, address: 0}}
                  - {name: door_closed, data_type: bool, modbus: {table: discrete, address: 3}}
                rules:
                  state: {tag: state, map: {1: Idle, 2: Execute, 3: Held}}
                  counts:
                    total: {tag: strokes, rollover: 65535}
                    reject: {tag: rejects}
                    standard_time_s: 0.19
                  energy: {tag: kwh}
products: []
routings: []
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
async def test_serve_reads_a_plain_modbus_device(tmp_path: Path) -> None:
    if not (INTEROP / "node_modules" / "modbus-serial").is_dir():
        pytest.fail("tests/interop/node_modules is missing: run `make node` (make test does)")
    port = free_port()
    proc = subprocess.Popen(
        ["node", "modbus_press.mjs", str(port)], cwd=INTEROP, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    try:
        await asyncio.to_thread(fixture_line, proc, "ready")
        plant = tmp_path / "plant.yaml"
        plant.write_text(PLANT.replace("URL", f"modbus+tcp://127.0.0.1:{port}"))
        settings = load_settings(
            plant=str(plant), data_dir=tmp_path / "data", api_port=0, modbus_poll_s=POLL_S
        )
        runtime, built = compose_serve(settings)
        await runtime.start()
        try:
            events = built.ctx.need_events()
            deadline = time.monotonic() + DEADLINE_S
            while not any(e.equipment == PRESS for e in events.until(None)):
                assert time.monotonic() < deadline, "no first state from the press"
                await asyncio.sleep(0.05)
            proc.stdin.write("go\n")
            proc.stdin.flush()
            t0 = int((await asyncio.to_thread(fixture_line, proc, "started")).split()[1])
            done = await asyncio.to_thread(fixture_line, proc, "done")
            held, resumed = (int(v) for v in done.split()[1:])
            window = {"start": iso_ms(t0), "end": iso_ms(resumed)}
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
                    press = r.json()["items"][PRESS]
                    if press["basket"]["pq"] >= 50 and press["basket"]["sq"] >= 2:
                        break
                    assert time.monotonic() < deadline, press["basket"]
                    await asyncio.sleep(0.2)
                last = await client.get("/api/v1/history/last", params={"tag": PRESS})
                downtime = await client.get("/api/v1/downtime", params={"equipment": PRESS})
        finally:
            await runtime.stop()
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
        proc.stdout.close()
    basket = press["basket"]
    assert (basket["pq"], basket["gq"], basket["sq"]) == (50, 48, 2)  # across the rollover
    te = basket["time_elements_s"]
    assert te["APT"] == pytest.approx((held - t0) / 1000, abs=LATE_S)
    # the window ends at `resumed`: the held time seen is the hold less the lateness of its poll
    assert (resumed - held) / 1000 - LATE_S <= te["ADET"] <= (resumed - held) / 1000 + 0.001
    assert press["kpi"]["quality_ratio"] == pytest.approx(0.96)
    assert last.status_code == 200, last.text
    values = {row["tag"].rsplit("/", 1)[1]: row["value"] for row in last.json()["items"]}
    assert values.keys() >= {"state", "rejects", "kwh", "strokes", "lube", "door_closed"}
    assert values["strokes"] == (65500 + 50) % 65536 and values["lube"] in (True, 1)
    assert values["kwh"] == pytest.approx(812.5 + 50 * 0.05, abs=1e-3)
    assert downtime.status_code == 200, downtime.text
    [stop] = [d for d in downtime.json()["items"] if d["equipment"] == PRESS]
    start_ms = datetime.fromisoformat(stop["start"]).timestamp() * 1000
    end_ms = datetime.fromisoformat(stop["end"]).timestamp() * 1000
    assert held - 1 <= start_ms <= held + LATE_S * 1000, (stop, held)
    assert resumed - 1 <= end_ms <= resumed + LATE_S * 1000, (stop, resumed)
    assert stop["source"] == "machine" and stop["category"] == "stop"
