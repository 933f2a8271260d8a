"""``shopfloor bench api``: open-loop HTTP load on the demo's API.

The demo runs in a separate process (``shopfloor demo --port 0`` in a fresh data folder whose
historian holds the hour before the virtual start: every tag of the plant at 1 Hz). The load
generator sends requests at fixed instants (``rate`` per second, over at most ``connections``
connections) whatever the answers do, and measures each latency from its scheduled instant, so
a slow server cannot hide its queueing (no coordinated omission). Two phases, one after the
other: the live values of every tag, and a one-hour bucket query (1 min avg/min/max of one
equipment's tags). The load itself goes through :class:`~shopfloor.api.bench_client.ConnectionPool`
(a lean keep-alive client that costs about a tenth of the server's CPU per request; httpx, used
to log in, costs more than the server and capped the offered rate). Prints one JSON object.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import typer

from shopfloor.api.bench_client import ConnectionPool, HttpError
from shopfloor.clock import DEFAULT_EPOCH, NS_PER_S, to_ns
from shopfloor.errors import ShopfloorError
from shopfloor.historian import open_store
from shopfloor.plant import load_plant
from shopfloor.samples import samples_table

BUCKET_EQUIPMENT = "suzhou/machining/line1/turning/lathe-01"
START_TIMEOUT_S = 120.0
#: A request not answered this long after it was sent counts as an error.
REQUEST_TIMEOUT_S = 30.0


def seed_history(data_dir: Path, plant_name: str) -> None:
    """One hour before the virtual start, every tag of the plant at 1 Hz."""
    plant = load_plant(plant_name)
    with open_store(data_dir / "historian.duckdb") as store:
        store.registry.register_plant(plant)
        ids = np.array(store.registry.ensure(plant.tag_ids()), dtype=np.uint32)
        end = to_ns(DEFAULT_EPOCH)
        ts = np.arange(end - 3600 * NS_PER_S, end, NS_PER_S, dtype=np.int64)
        rng = np.random.default_rng(1)
        for chunk in np.array_split(ids, max(1, len(ids) // 40)):
            tag = np.repeat(chunk, len(ts))
            when = np.tile(ts, len(chunk))
            values = rng.normal(50.0, 5.0, len(tag))
            store.write(samples_table(tag, when, values, np.zeros(len(tag), np.uint8)))


def start_demo(data_dir: Path, speed: float) -> tuple[subprocess.Popen[str], str, str]:
    """The demo in its own process: (process, base URL, admin password)."""
    env = os.environ | {
        "SHOPFLOOR_DATA_DIR": str(data_dir),
        "SHOPFLOOR_OPCUA_PORT": "0",
        "SHOPFLOOR_MODBUS_PORT": "0",
        "SHOPFLOOR_MQTT_PORT": "0",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "shopfloor.cli", "demo", "--port", "0", "--speed", str(speed)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=data_dir,
    )
    assert proc.stdout is not None
    url = password = ""
    deadline = time.monotonic() + START_TIMEOUT_S
    for line in proc.stdout:
        if m := re.search(r"dashboard (http://\S+?)/?$", line.strip()):
            url = m.group(1)
        if m := re.search(r"password '([^']+)'", line):
            password = m.group(1)
        if "press Ctrl-C" in line or time.monotonic() > deadline:
            break
    if not url or not password:
        proc.terminate()
        raise ShopfloorError("bench api: the demo did not start (no URL or credential printed)")
    return proc, url, password


async def _token(client: httpx.AsyncClient, password: str) -> str:
    r = await client.post("/api/v1/auth/login", json={"username": "admin", "password": password})
    r.raise_for_status()
    csrf = r.json()["csrf_token"]
    r = await client.post(
        "/api/v1/tokens", json={"name": "bench", "role": "viewer"}, headers={"X-CSRF-Token": csrf}
    )
    r.raise_for_status()
    return str(r.json()["token"])


async def _wait_live(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        r = await client.get("/api/v1/live/values", params={"limit": 1000}, headers=headers)
        if r.status_code == 200 and r.json()["items"]:
            return len(r.json()["items"])
        await asyncio.sleep(0.2)
    raise ShopfloorError("bench api: no live value arrived")


async def open_loop(
    pool: ConnectionPool, request: bytes, rate: float, seconds: float
) -> dict[str, Any]:
    """Requests at ``t0 + i / rate``; latency from the scheduled instant."""
    loop = asyncio.get_running_loop()
    n = int(rate * seconds)
    t0 = loop.time() + 0.5
    latencies: list[float] = []
    errors = 0
    done_at = t0

    async def one(i: int) -> None:
        nonlocal errors, done_at
        at = t0 + i / rate
        await asyncio.sleep(max(0.0, at - loop.time()))
        try:
            status, _body = await asyncio.wait_for(pool.get(request), REQUEST_TIMEOUT_S)
            ok = status == 200
        except (HttpError, TimeoutError):
            ok = False
        end = loop.time()
        done_at = max(done_at, end)
        if ok:
            latencies.append((end - at) * 1000)
        else:
            errors += 1

    await asyncio.gather(*(one(i) for i in range(n)))
    lat = np.array(latencies) if latencies else np.array([float("nan")])
    return {
        "p50_ms": round(float(np.percentile(lat, 50)), 2),
        "p95_ms": round(float(np.percentile(lat, 95)), 2),
        "p99_ms": round(float(np.percentile(lat, 99)), 2),
        "rps": round(len(latencies) / max(done_at - t0, 1e-9), 1),
        "requests": n,
        "errors": errors,
    }


async def run_bench(
    url: str, password: str, rate: float, connections: int, seconds: float
) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        headers = {"Authorization": f"Bearer {await _token(client, password)}"}
        tags = await _wait_live(client, headers)
    pool = ConnectionPool(url, connections, headers)
    try:
        live_get = pool.request("/api/v1/live/values", {"limit": 1000})
        live = await open_loop(pool, live_get, rate, seconds)
        end = DEFAULT_EPOCH
        params = {
            "tag": BUCKET_EQUIPMENT,
            "start": (end - timedelta(hours=1)).isoformat(),
            "end": end.isoformat(),
            "bucket": "1m",
            "agg": "avg,min,max",
            "limit": 1000,
        }
        bucket_get = pool.request("/api/v1/history/buckets", params)
        bucket = await open_loop(pool, bucket_get, rate, seconds)
    finally:
        await pool.close()
    return {
        "live": live | {"tags": tags},
        "bucket": bucket,
        "config": {
            "rate_per_s": rate,
            "connections": connections,
            "seconds_per_phase": seconds,
            "bucket_query": "1 h of one equipment's tags, 1 min buckets, avg/min/max",
            "client": "keep-alive HTTP/1.1, one request per connection at a time",
        },
    }


def api_command(
    as_json: bool = typer.Option(False, "--json", help="Print JSON (the only output)."),
    rate: float = typer.Option(200.0, "--rate", help="Requests per second (open loop)."),
    connections: int = typer.Option(100, "--connections", help="Most connections at once."),
    seconds: float = typer.Option(15.0, "--seconds", help="Length of each phase."),
    speed: float = typer.Option(1.0, "--speed", help="Speed of the demo's virtual plant."),
) -> None:
    """Open-loop load on the demo API: live values and a 1-hour bucket query."""
    with tempfile.TemporaryDirectory(prefix="shopfloor-bench-api-") as tmp:
        data_dir = Path(tmp)
        seed_history(data_dir, "demo")
        proc, url, password = start_demo(data_dir, speed)
        try:
            result = asyncio.run(run_bench(url, password, rate, connections, seconds))
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    typer.echo(json.dumps(result, indent=None if as_json else 2))


def register(app: typer.Typer) -> None:
    app.command("api")(api_command)
