"""The schedule routes over a real server: propose (solve), list, show, apply, audit, errors."""

from __future__ import annotations

import inspect

import httpx
import pytest

from shopfloor.api.routes import schedules
from shopfloor.mes import MesService
from tests.test_api_support import (  # noqa: F401 - fixtures
    API,
    Platform,
    assert_error,
    client_fixture,
    platform_fixture,
    server_fixture,
    templates_fixture,
)

pytestmark = pytest.mark.asyncio
LIMIT = 0.5
H = 3_600 * 10**9


def _orders(platform: Platform) -> MesService:
    mes = platform.ctx.mes
    assert mes is not None
    now = mes.ctx.now()
    for i, (product, qty) in enumerate((("housing-a", 3), ("housing-b", 2), ("pump-a", 2))):
        mes.orders.create(product, qty, due_ns=now + (i + 1) * H, order_id=f"JO-{i + 1}")
        mes.orders.release(f"JO-{i + 1}")
    mes.orders.create("pump-a", 1, order_id="JO-9")  # never released
    return mes


async def test_propose_list_show_apply_with_permissions_and_audit(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    mes = _orders(platform)
    viewer, engineer = platform.bearer("viewer"), platform.bearer("engineer")
    body = {"time_limit_s": LIMIT}

    r = await client.post(f"{API}/schedules", json=body, headers=viewer)
    assert_error(r, 403, "auth.forbidden")
    assert mes.planning.list() == [], "a refused request stores nothing"
    count = platform.audit_count()
    r = await client.post(f"{API}/schedules", json=body, headers=engineer)
    assert r.status_code == 201, r.text
    sch = r.json()
    assert sch["id"] == "SCH-000001" and sch["status"] == "proposed" and sch["who"] == "engineer"
    assert [o["order_id"] for o in sch["orders"]] == ["JO-1", "JO-2", "JO-3"]
    entries = [e for es in sch["units"].values() for e in es]
    assert len(entries) == 4 + 4 + 6 and {e["state"] for e in entries} == {"planned"}
    assert set(entries[0]) == {"order_id", "seq", "op_id", "start_at", "end_at", "state"}
    assert platform.audit_count() == count + 1
    entry = platform.auth.audit.query(action="schedule.propose", limit=1)[0]
    assert entry.target == "schedule/SCH-000001" and entry.before is None
    assert entry.after is not None
    assert entry.after["status"] == "proposed" and entry.after["units"]

    r = await client.get(f"{API}/schedules", headers=viewer)
    assert r.status_code == 200
    page = r.json()
    assert [s["id"] for s in page["items"]] == ["SCH-000001"] and page["next_offset"] is None
    assert page["items"][0]["units"] == {u: len(es) for u, es in sch["units"].items()}
    r = await client.get(f"{API}/schedules/SCH-000001", headers=viewer)
    assert r.status_code == 200 and r.json() == sch
    r = await client.get(f"{API}/schedules/SCH-000404", headers=viewer)
    assert_error(r, 404, "mes.not_found")

    url = f"{API}/schedules/SCH-000001/apply"
    r = await client.post(url, headers=viewer)
    assert_error(r, 403, "auth.forbidden")
    count = platform.audit_count()
    r = await client.post(url, headers=engineer)
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "applied" and done["applied_by"] == "engineer"
    assert isinstance(done["moved"], int) and done["skipped"] == []
    assert platform.audit_count() == count + 1
    entry = platform.auth.audit.query(action="schedule.apply", limit=1)[0]
    assert entry.before is not None and entry.after is not None
    assert entry.before["status"] == "proposed" and entry.after["moved"] == done["moved"]
    for unit, planned in sch["units"].items():
        r = await client.get(f"{API}/dispatch/{unit}", headers=viewer)
        got = [(e["order_id"], e["seq"]) for e in r.json()["items"]]
        assert got == [(e["order_id"], e["seq"]) for e in planned], unit
    r = await client.post(url, headers=engineer)
    assert "applied already" in str(assert_error(r, 409, "mes.conflict")["message"])

    r = await client.post(
        f"{API}/schedules",
        json={"orders": ["JO-2"], "time_limit_s": LIMIT, "apply": True},
        headers=engineer,
    )
    assert r.status_code == 201, r.text
    both = r.json()
    assert both["id"] == "SCH-000002" and both["status"] == "applied"
    assert both["apply"]["moved"] >= 0 and [o["order_id"] for o in both["orders"]] == ["JO-2"]


async def test_bad_requests_name_what_is_wrong(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    mes = _orders(platform)
    engineer = platform.bearer("engineer")
    r = await client.post(f"{API}/schedules", json={"solver": "magic"}, headers=engineer)
    message = str(assert_error(r, 422, "schedule.unknown_solver")["message"])
    assert "'magic'" in message and "known: default, rules, cpsat" in message
    r = await client.post(f"{API}/schedules", json={"time_limit_s": 100}, headers=engineer)
    assert "time_limit_s" in str(assert_error(r, 422, "input.validation")["message"])
    r = await client.post(f"{API}/schedules", json={"orders": ["NOPE"]}, headers=engineer)
    assert "no job order 'NOPE'" in str(assert_error(r, 404, "mes.not_found")["message"])
    r = await client.post(f"{API}/schedules", json={"orders": ["JO-9"]}, headers=engineer)
    assert "release it first" in str(assert_error(r, 422, "input.invalid")["message"])
    r = await client.post(f"{API}/schedules/SCH-000404/apply", headers=engineer)
    assert_error(r, 404, "mes.not_found")
    assert mes.planning.list() == []


async def test_the_solve_runs_off_the_event_loop() -> None:
    # plain functions: FastAPI runs them in its thread pool, the server keeps answering
    assert not inspect.iscoroutinefunction(schedules.propose)
    assert not inspect.iscoroutinefunction(schedules.apply_schedule)
