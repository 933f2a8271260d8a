"""``shopfloor serve`` on a plant file whose machine is a bare OPC UA server with PackML names:
every tag stored in the historian, states and counts from the preset's rules, OEE from the API."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
from asyncua import ua

from shopfloor.config import load_settings
from shopfloor.historian.cli import query_history
from shopfloor.plantclock import running_clock
from shopfloor.runtime.serve import compose_serve
from tests.conftest import free_port
from tests.test_opcua_plain_device import PLANT, _machine

DEADLINE_S = 60.0
F = "works/pack/line-1/c/filler-01"


async def _until(what: str, check) -> object:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + DEADLINE_S
    while not (got := await check()):
        assert time.monotonic() < deadline, f"no {what} within {DEADLINE_S} s"
        await asyncio.sleep(0.1)
    return got


async def test_serve_reads_a_plain_packml_machine_into_history_mes_and_kpis(
    tmp_path: Path,
) -> None:
    port = free_port()
    server, var = await _machine(port)
    url = f"opc.tcp://127.0.0.1:{port}/"
    plant_file = tmp_path / "plant.yaml"
    text = PLANT.replace("URL", url).split("              - id: other-01", 1)[0]
    plant_file.write_text(text + "products: []\nroutings: []\n")
    settings = load_settings(plant=str(plant_file), data_dir=tmp_path / "data", api_port=0)
    runtime, built = compose_serve(settings)
    await runtime.start()
    try:
        # it publishes the plant's clock (here the wall clock) for the commands beside it
        published = running_clock(settings.data_dir)
        assert published is not None and published[1] == "shopfloor serve"
        assert abs(published[0].now_ns() - time.time_ns()) < 60 * 10**9
        api = built.api.url
        async with httpx.AsyncClient(base_url=api, timeout=30) as client:
            c = built.credential
            r = await client.post(
                "/api/v1/auth/login", json={"username": c.username, "password": c.password}
            )
            assert r.status_code == 200, r.text

            async def kpi() -> dict:  # type: ignore[type-arg]
                r = await client.get(
                    "/api/v1/kpi", params={"scope": "equipment", "id": "filler-01", "detail": True}
                )
                assert r.status_code == 200, r.text
                return r.json()["items"][F]  # type: ignore[no-any-return]

            async def baseline() -> bool:
                return any(e.equipment == F for e in built.ctx.need_events().until(2**62))

            await _until("first state", baseline)
            for n in range(1, 6):
                await var["processed"].write_value(ua.Variant(500 + n, ua.VariantType.Int32))
                await _until(f"part {n}", lambda n=n: _pq(kpi, n))
            await var["defective"].write_value(ua.Variant(21, ua.VariantType.Int32))
            await var["state"].write_value(ua.Variant(11, ua.VariantType.Int32))
            await _until("the reject", lambda: _sq(kpi, 1))
            entry = await kpi()
            basket = entry["basket"]
            assert (basket["pq"], basket["gq"], basket["sq"]) == (5, 4, 1)
            assert basket["time_elements_s"]["APT"] > 0
            assert entry["kpi"]["quality_ratio"] == 0.8

        def stored() -> set[str]:
            res = query_history(
                F, "2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z", "1d", "count",
                store=built.ingest.historian.url,
            )  # fmt: skip
            return {r["tag"].rsplit("/", 1)[1] for r in res.to_records() if r["count"]}

        async def all_tags() -> bool:
            want = {"state_current", "prod_processed_count", "prod_defective_count", "stop_reason"}
            return await asyncio.to_thread(stored) == want

        await _until("every tag in the historian", all_tags)
        await runtime.stop()
        assert running_clock(settings.data_dir) is None  # withdrawn at the clean stop
        # a restart on the same data keeps the recorded window: the events were journalled
        runtime, built = compose_serve(settings)
        await runtime.start()
        async with httpx.AsyncClient(base_url=built.api.url, timeout=30) as client:
            c = built.credential
            r = await client.post(
                "/api/v1/auth/login", json={"username": c.username, "password": c.password}
            )
            r = await client.get(
                "/api/v1/kpi", params={"scope": "equipment", "id": "filler-01", "detail": True}
            )
            again = r.json()["items"][F]["basket"]
        assert (again["pq"], again["gq"], again["sq"]) == (5, 4, 1)
    finally:
        await runtime.stop()
        await server.stop()


async def _pq(kpi, n: int) -> bool:  # type: ignore[no-untyped-def]
    return bool((await kpi())["basket"]["pq"] >= n)


async def _sq(kpi, n: int) -> bool:  # type: ignore[no-untyped-def]
    return bool((await kpi())["basket"]["sq"] >= n)
