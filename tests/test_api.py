"""The API over a real server: error shape, request ids, pagination, history, live values and
their SSE stream, orders, alarms, KPIs."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3

import httpx
import pytest
from sqlalchemy.exc import OperationalError

from shopfloor.api import ApiServer
from shopfloor.clock import NS_PER_S
from shopfloor.events import EventKind, MachineEvent
from tests.test_api_support import (  # noqa: F401 - fixtures
    API,
    LATHE,
    T0,
    TAG,
    Platform,
    assert_error,
    batch,
    client_fixture,
    platform_fixture,
    server_fixture,
    templates_fixture,
)

pytestmark = pytest.mark.asyncio


async def test_errors_have_one_shape_and_requests_have_ids(
    client: httpx.AsyncClient, platform: Platform, caplog: pytest.LogCaptureFixture
) -> None:
    viewer = platform.bearer("viewer")
    caplog.set_level(logging.INFO, logger="shopfloor.api.access")
    r = await client.get(f"{API}/nothing-here", headers=viewer | {"X-Request-ID": "req-42.a"})
    assert_error(r, 404, "http.not_found")
    assert r.headers["x-request-id"] == "req-42.a"
    for _ in range(500):  # the access line is logged once the answer is sent: wait for it
        if any("request_id=req-42.a" in m for m in caplog.messages):
            break
        await asyncio.sleep(0.02)
    assert any("request_id=req-42.a" in m for m in caplog.messages)
    r = await client.get(f"{API}/plant/equipment", params={"limit": 0}, headers=viewer)
    body = assert_error(r, 422, "input.validation")
    assert body["details"]["errors"][0]["path"] == "query.limit"  # type: ignore[index]
    assert r.headers["x-request-id"] != "req-42.a"
    bad_id = "x" * 200
    r = await client.get(f"{API}/plant", headers=viewer | {"X-Request-ID": bad_id})
    assert r.status_code == 200 and r.headers["x-request-id"] != bad_id
    r = await client.get(f"{API}/plant/equipment/no-such-thing", headers=viewer)
    assert "no-such-thing" in assert_error(r, 404, "input.not_found")["message"]  # type: ignore[operator]
    r = await client.get(f"{API}/orders/JO-999999", headers=viewer)
    assert_error(r, 404, "mes.not_found")


async def test_pagination_walks_every_item_once(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    seen: list[str] = []
    offset: int | None = 0
    while offset is not None:
        r = await client.get(
            f"{API}/plant/equipment",
            params={"limit": 5, "offset": offset},
            headers=platform.bearer("viewer"),
        )
        page = r.json()
        assert page["limit"] == 5 and page["offset"] == offset and len(page["items"]) <= 5
        seen += [e["path"] for e in page["items"]]
        offset = page["next_offset"]
    assert seen == list(platform.ctx.plant.equipment_by_path)
    r = await client.get(
        f"{API}/plant/equipment",
        params={"under": "suzhou/assembly", "class": "industrial_robot"},
        headers=platform.bearer("viewer"),
    )
    assert [e["id"] for e in r.json()["items"]] == ["robot-02"]


async def test_history_range_buckets_and_last_values(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    h = platform.bearer("viewer")
    window = {"start": "2025-01-06T06:00:00Z", "end": "2025-01-06T07:00:00Z"}
    r = await client.get(
        f"{API}/history/buckets",
        params={"tag": TAG, "bucket": "1m", "agg": "avg,max", **window, "limit": 1000},
        headers=h,
    )
    body = r.json()
    assert r.status_code == 200 and body["source"] == "rollup_1m"
    assert len(body["items"]) == 60
    assert body["items"][0] == {
        "tag": TAG,
        "bucket": "2025-01-06T06:00:00Z",
        "avg": 49.5,
        "max": 79.0,
    }
    r = await client.get(
        f"{API}/history/raw",
        params={"tag": TAG, "start": "2025-01-06T06:00:00Z", "end": "2025-01-06T06:00:10Z"},
        headers=h,
    )
    assert [row["value"] for row in r.json()["items"]] == [20.0 + i for i in range(10)]
    r = await client.get(f"{API}/history/last", params={"tag": LATHE}, headers=h)
    last = {row["tag"]: row["value"] for row in r.json()["items"]}
    assert last == {TAG: 79.0, f"{LATHE}/spindle_speed": 1000.0}
    r = await client.get(
        f"{API}/history/buckets", params={"tag": TAG, "bucket": "1ms", **window}, headers=h
    )
    assert "at most" in assert_error(r, 422, "input.invalid")["message"]  # type: ignore[operator]
    r = await client.get(
        f"{API}/history/raw", params={"tag": TAG, "start": "yesterday", "end": "now"}, headers=h
    )
    assert assert_error(r, 422, "input.invalid")["details"] == {"field": "start"}


async def test_live_values_and_the_sse_stream_deliver_new_values(
    server: ApiServer, platform: Platform
) -> None:
    live = platform.ctx.live
    await live.on_samples(batch({TAG: 21.5, f"{LATHE}/spindle_speed": 1200.0}, T0))
    headers = platform.bearer("viewer")
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        r = await client.get(f"{API}/live/values", params={"tag": LATHE}, headers=headers)
        values = {v["tag"]: v["value"] for v in r.json()["items"]}
        assert values == {TAG: 21.5, f"{LATHE}/spindle_speed": 1200.0}
        params: dict[str, str | float] = {"tag": TAG, "interval": 0.05}
        async with client.stream("GET", f"{API}/live/stream", params=params, headers=headers) as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            events = _sse(r)
            kind, data = await asyncio.wait_for(anext(events), 20)
            assert kind == "snapshot" and [v["value"] for v in data] == [21.5]
            await live.on_samples(batch({TAG: 22.5}, T0 + NS_PER_S))
            kind, data = await asyncio.wait_for(anext(events), 20)
            assert kind == "values"
            assert data == [
                {
                    "tag": TAG,
                    "ts": "2025-01-06T06:00:01Z",
                    "value": 22.5,
                    "text": None,
                    "quality": "good",
                }
            ]
        await live.on_samples(batch({TAG: 20.0}, T0))  # older than what is there: ignored
        r = await client.get(f"{API}/live/values", params={"tag": TAG}, headers=headers)
        assert r.json()["items"][0]["value"] == 22.5


async def _sse(response: httpx.Response):  # type: ignore[no-untyped-def]
    kind, data = "", ""
    async for line in response.aiter_lines():
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            data = line[6:]
        elif line == "" and kind:
            yield kind, json.loads(data)
            kind, data = "", ""


async def test_orders_lifecycle_through_the_api(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    eng = platform.bearer("engineer")
    r = await client.post(
        f"{API}/orders",
        json={"product": "pump-a", "quantity": 5, "priority": 3, "due": "2025-01-07T00:00:00Z"},
        headers=eng,
    )
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["status"] == "created" and order["due"] == "2025-01-07T00:00:00Z"
    oid = order["id"]
    r = await client.post(f"{API}/orders/{oid}/release", json={}, headers=eng)
    assert r.json()["status"] == "released" and r.json()["operations"]
    r = await client.post(f"{API}/orders/{oid}/hold", json={}, headers=eng)
    assert_error(r, 422, "input.invalid")
    r = await client.post(f"{API}/orders/{oid}/complete", json={}, headers=eng)
    assert_error(r, 409, "mes.illegal_transition")
    r = await client.post(f"{API}/orders/{oid}/hold", json={"reason": "tooling"}, headers=eng)
    assert r.json()["status"] == "held"
    r = await client.get(
        f"{API}/orders", params={"status": "held"}, headers=platform.bearer("viewer")
    )
    assert [o["id"] for o in r.json()["items"]] == [oid]
    first = order["operations"] or r.json()["items"][0]
    r = await client.get(f"{API}/orders/{oid}/history", headers=platform.bearer("viewer"))
    assert [t["to_status"] for t in r.json()["items"]][:3] == ["created", "released", "held"]
    assert first is not None


async def test_alarm_acknowledged_by_an_operator(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    mes = platform.ctx.mes
    assert mes is not None
    now = mes.ctx.clock.now_ns()
    mes.apply(
        MachineEvent(
            EventKind.ALARM,
            LATHE,
            now,
            payload={"code": "E42", "active": True, "priority": 900, "text": "spindle hot"},
            seq=1,
        )
    )
    r = await client.get(f"{API}/alarms", headers=platform.bearer("viewer"))
    (alarm,) = r.json()["items"]
    assert alarm["priority_class"] == "urgent" and alarm["state"] == "unack_active"
    r = await client.post(
        f"{API}/alarms/{alarm['id']}/ack",
        json={"note": "seen"},
        headers=platform.bearer("operator"),
    )
    assert r.status_code == 200 and r.json()["state"] == "ack_active"
    assert r.json()["acked_by"] == "operator"
    r = await client.post(
        f"{API}/alarms/{alarm['id']}/shelve",
        json={"duration_s": 600},
        headers=platform.bearer("operator"),
    )
    assert r.json()["shelved_until"] is not None
    r = await client.get(f"{API}/alarms", headers=platform.bearer("viewer"))
    assert r.json()["items"] == []


async def test_kpis_over_a_window_from_received_events(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    h = 3600 * NS_PER_S
    await platform.ctx.live.on_events(
        [
            MachineEvent(EventKind.STATE_CHANGE, LATHE, T0, payload={"state": "Execute"}),
            MachineEvent(
                EventKind.PART_COMPLETE,
                LATHE,
                T0 + h,
                payload={"good": True, "standard_time_s": 1800},
            ),
            MachineEvent(
                EventKind.PART_COMPLETE,
                LATHE,
                T0 + h,
                payload={"good": False, "standard_time_s": 1800},
            ),
            MachineEvent(EventKind.STATE_CHANGE, LATHE, T0 + h, payload={"state": "Held"}),
        ]
    )
    r = await client.get(
        f"{API}/kpi",
        params={
            "scope": "equipment",
            "id": LATHE,
            "start": "2025-01-06T06:00:00Z",
            "end": "2025-01-06T08:00:00Z",
        },
        headers=platform.bearer("viewer"),
    )
    assert r.status_code == 200, r.text
    kpi = r.json()["items"][LATHE]["kpi"]
    assert (kpi["availability"], kpi["quality_ratio"], kpi["oee"]) == (0.5, 0.5, 0.25)
    r = await client.get(f"{API}/kpi/definitions", headers=platform.bearer("viewer"))
    assert "iso22400.oee" in {k["id"] for k in r.json()["items"]}


async def test_a_busy_sqlite_database_is_a_503_to_retry(
    client: httpx.AsyncClient, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    mes = platform.ctx.mes
    assert mes is not None

    def locked(*_args: object, **_kw: object) -> None:
        raise OperationalError(
            "UPDATE mes_dispatch", {}, sqlite3.OperationalError("database is locked")
        )

    monkeypatch.setattr(mes.orders, "list", locked)
    r = await client.get(f"{API}/orders", headers=platform.bearer("viewer"))
    body = assert_error(r, 503, "db.busy")
    assert "retry" in str(body["message"]) and r.headers["retry-after"] == "1"
