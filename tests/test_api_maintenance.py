"""The maintenance routes over a real server: live equipment health, work orders, closing one."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.test_api_support import (  # noqa: F401 - fixtures
    API,
    LATHE,
    T0,
    Platform,
    assert_error,
    client_fixture,
    platform_fixture,
    server_fixture,
    templates_fixture,
)

pytestmark = pytest.mark.asyncio
ROBOT = "suzhou/assembly/line2/assembly/robot-02"


def _health(path: str, hi: float) -> dict[str, Any]:
    return {"equipment": path, "health_index": hi, "rul_h": 40.0 * hi, "top": ["rms"]}


def _served(row: dict[str, Any]) -> dict[str, Any]:
    """As the API serves it: ``ts_ns`` becomes ISO 8601 ``ts``."""
    return {k: v for k, v in row.items() if k != "ts_ns"} | {"ts": "2025-01-06T06:00:00Z"}


async def test_health_is_served_with_the_service_state_and_503_without_a_service(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    viewer = platform.bearer("viewer")
    r = await client.get(f"{API}/maintenance/health", headers=viewer)
    assert "no live health service" in str(assert_error(r, 503, "api.unavailable")["message"])

    platform.ctx.maintenance = lambda: ("training health models", {})
    r = await client.get(f"{API}/maintenance/health", headers=viewer)
    assert r.json() == {"state": "training health models", "items": [], "count": 0}

    robot = platform.ctx.plant.resolve("robot-02")
    rows = {LATHE: _health(LATHE, 0.9), robot: _health(robot, 0.4)}
    for row in rows.values():
        row["ts_ns"] = T0
    platform.ctx.maintenance = lambda: ("scoring", rows)
    r = await client.get(f"{API}/maintenance/health", headers=viewer)
    assert r.status_code == 200
    assert r.json() == {
        "state": "scoring",
        "items": [_served(row) for row in rows.values()],
        "count": 2,
    }
    r = await client.get(
        f"{API}/maintenance/health", params={"equipment": "lathe-01"}, headers=viewer
    )
    assert r.json() == {"state": "scoring", "items": [_served(rows[LATHE])], "count": 1}
    r = await client.get(f"{API}/maintenance/health", params={"equipment": "nope"}, headers=viewer)
    assert_error(r, 404, "input.not_found")


async def test_work_orders_are_listed_and_closed_with_an_audit_record(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    mes = platform.ctx.mes
    assert mes is not None
    first, created = mes.maintenance.open_predictive(
        LATHE, code="PDM-RUL", text="RUL 8 h under 24 h", evidence={"rul_h": 8.0}
    )
    assert created
    second, _ = mes.maintenance.open_predictive(ROBOT, code="PDM-ANOM", text="anomaly")
    viewer, operator = platform.bearer("viewer"), platform.bearer("operator")

    r = await client.get(f"{API}/maintenance/orders", headers=viewer)
    items = r.json()["items"]
    assert {o["id"] for o in items} == {first.id, second.id}
    assert next(o for o in items if o["id"] == first.id)["evidence"] == {"rul_h": 8.0}
    r = await client.get(
        f"{API}/maintenance/orders", params={"equipment": "lathe-01"}, headers=viewer
    )
    assert [o["id"] for o in r.json()["items"]] == [first.id]
    r = await client.get(f"{API}/maintenance/orders", params={"status": "done"}, headers=viewer)
    assert_error(r, 422, "input.validation")

    url = f"{API}/maintenance/orders/{first.id}/close"
    r = await client.post(url, json={"note": "bearing replaced"}, headers=viewer)
    assert_error(r, 403, "auth.forbidden")
    assert mes.maintenance.get(first.id).status == "open", "a refused close changes nothing"
    before = platform.audit_count()
    r = await client.post(url, json={"note": "bearing replaced"}, headers=operator)
    assert r.status_code == 200 and r.json()["status"] == "closed"
    assert platform.audit_count() == before + 1
    entry = platform.auth.audit.query(action="maintenance.close", limit=1)[0]
    assert entry.before is not None and entry.before["status"] == "open"
    assert entry.after is not None and entry.after["status"] == "closed"
    r = await client.get(f"{API}/maintenance/orders", params={"status": "open"}, headers=viewer)
    assert [o["id"] for o in r.json()["items"]] == [second.id]
    r = await client.post(f"{API}/maintenance/orders/WO-999999/close", json={}, headers=operator)
    assert_error(r, 404, "mes.not_found")
