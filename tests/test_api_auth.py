"""Authentication, CSRF, roles and audit through the API.

Every write route is tried without credentials (401) and with a role that lacks its permission
(403): each attempt must leave the audit log and the state it would change as they were.
"""

from __future__ import annotations

import re

import httpx
import pytest

from shopfloor.api import ApiServer
from shopfloor.api.app import endpoints
from shopfloor.auth import Permission, Role
from shopfloor.auth.roles import lowest_role
from tests.test_api_support import (  # noqa: F401 - fixtures
    API,
    LATHE,
    Platform,
    assert_error,
    client_fixture,
    platform_fixture,
    server_fixture,
    templates_fixture,
)

pytestmark = pytest.mark.asyncio

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
PATH_VALUES = {
    "order_id": "JO-000001",
    "action": "release",
    "equipment": LATHE,
    "alarm_id": "1",
    "product": "pump-a",
    "characteristic": "bore_diameter",
    "downtime_id": "1",
    "username": "viewer",
    "token_id": "0123456789ab",
    "schedule_id": "SCH-000001",
}


def write_routes() -> list[tuple[str, str, Permission | None]]:
    """(method, url, permission) of every write route but login."""
    out = []
    for method, path, permission, _summary in endpoints():
        if method in WRITES and path != f"{API}/auth/login":
            url = re.sub(r"\{(\w+)(:path)?\}", lambda m: PATH_VALUES[m.group(1)], path)
            out.append((method, url, permission))
    return out


async def _state(client: httpx.AsyncClient, platform: Platform) -> tuple[object, ...]:
    admin = platform.bearer("admin")
    orders = (await client.get(f"{API}/orders", headers=admin)).json()["items"]
    users = (await client.get(f"{API}/users", headers=admin)).json()["items"]
    tokens = [(t.id, t.revoked_ns) for t, _u in platform.auth.tokens.list()]
    return orders, users, tokens, platform.audit_count()


async def test_denied_writes_get_401_or_403_and_change_nothing(
    server: ApiServer, client: httpx.AsyncClient, platform: Platform
) -> None:
    r = await client.post(
        f"{API}/orders", json={"product": "pump-a", "quantity": 2}, headers=platform.bearer("admin")
    )
    assert r.status_code == 201
    routes = write_routes()
    assert len(routes) >= 15
    before = await _state(client, platform)
    for method, url, permission in routes:
        r = await client.request(method, url, json={})
        assert_error(r, 401, "auth.unauthenticated")
        assert r.headers["www-authenticate"] == "Bearer"
        r = await client.request(
            method, url, json={}, headers={"Authorization": "Bearer sft_0000_wrong"}
        )
        assert_error(r, 401, "auth.unauthenticated")
        assert permission is not None, url
        for role in Role:
            if role >= lowest_role(permission):
                continue
            r = await client.request(method, url, json={}, headers=platform.bearer(role.label))
            body = assert_error(r, 403, "auth.forbidden")
            assert permission.value in str(body["message"]), (url, body)
    assert await _state(client, platform) == before


async def test_each_role_may_do_what_the_table_says(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    order = {"product": "pump-a", "quantity": 1}
    r = await client.post(f"{API}/orders", json=order, headers=platform.bearer("operator"))
    assert_error(r, 403, "auth.forbidden")
    r = await client.post(f"{API}/orders", json=order, headers=platform.bearer("engineer"))
    assert r.status_code == 201
    r = await client.post(
        f"{API}/users",
        json={"username": "wang", "role": "operator"},
        headers=platform.bearer("engineer"),
    )
    assert_error(r, 403, "auth.forbidden")
    r = await client.post(
        f"{API}/users",
        json={"username": "wang", "role": "operator"},
        headers=platform.bearer("admin"),
    )
    assert r.status_code == 201 and len(r.json()["password"]) >= 16
    r = await client.get(f"{API}/audit", headers=platform.bearer("operator"))
    assert_error(r, 403, "auth.forbidden")
    r = await client.get(f"{API}/audit", headers=platform.bearer("engineer"))
    assert r.status_code == 200
    r = await client.patch(
        f"{API}/users/admin", json={"role": "viewer"}, headers=platform.bearer("admin")
    )
    assert_error(r, 409, "auth.conflict")


async def test_session_cookie_needs_the_csrf_token_for_writes(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    r = await client.post(
        f"{API}/auth/login", json={"username": "engineer", "password": "wrong-password"}
    )
    assert_error(r, 401, "auth.unauthenticated")
    r = await client.post(
        f"{API}/auth/login",
        json={"username": "engineer", "password": platform.passwords["engineer"]},
    )
    assert r.status_code == 200, r.text
    csrf = r.json()["csrf_token"]
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("shopfloor_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    r = await client.get(f"{API}/auth/session")
    assert r.json() == {
        "username": "engineer",
        "role": "engineer",
        "via": "session",
        "csrf_token": csrf,
        "expires": None,
    }
    order = {"product": "pump-a", "quantity": 1}
    audited = platform.audit_count()
    r = await client.post(f"{API}/orders", json=order)
    assert_error(r, 403, "auth.csrf")
    r = await client.post(f"{API}/orders", json=order, headers={"X-CSRF-Token": "forged"})
    assert_error(r, 403, "auth.csrf")
    assert platform.audit_count() == audited
    assert platform.ctx.mes is not None and platform.ctx.mes.orders.list() == []
    r = await client.post(f"{API}/orders", json=order, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201
    (entry,) = platform.auth.audit.query(action="order.create")
    assert (entry.actor, entry.via, entry.role) == ("engineer", "session", "engineer")
    session_id = client.cookies["shopfloor_session"]
    r = await client.post(f"{API}/auth/logout", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 204
    client.cookies.clear()
    client.cookies.set("shopfloor_session", session_id)
    assert_error(await client.get(f"{API}/orders"), 401, "auth.unauthenticated")


async def test_writes_are_audited_with_before_after_and_request_id(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    eng = platform.bearer("engineer")
    r = await client.post(f"{API}/orders", json={"product": "pump-a", "quantity": 3}, headers=eng)
    oid = r.json()["id"]
    r = await client.post(
        f"{API}/orders/{oid}/release", json={}, headers=eng | {"X-Request-ID": "release-1"}
    )
    assert r.status_code == 200
    r = await client.get(f"{API}/audit", params={"target": f"order/{oid}"}, headers=eng)
    release, create = r.json()["items"]
    assert create["action"] == "order.create" and create["before"] is None
    assert create["after"]["status"] == "created"
    assert release["action"] == "order.release" and release["request_id"] == "release-1"
    assert (release["before"]["status"], release["after"]["status"]) == ("created", "released")
    assert release["actor"] == "engineer" and release["via"] == "token"
    r = await client.get(
        f"{API}/audit", params={"action": "order.", "actor": "engineer", "limit": 1}, headers=eng
    )
    page = r.json()
    assert [e["action"] for e in page["items"]] == ["order.release"] and page["next_offset"] == 1


async def test_tokens_are_shown_once_and_can_be_revoked(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    r = await client.post(
        f"{API}/tokens",
        json={"name": "wall", "role": "viewer"},
        headers=platform.bearer("operator"),
    )
    assert r.status_code == 201
    made = r.json()
    token = made["token"]
    assert made["role"] == "viewer" and token.startswith(f"sft_{made['id']}_")
    r = await client.get(f"{API}/tokens", headers=platform.bearer("operator"))
    assert all("token" not in t for t in r.json()["items"])
    wall = {"Authorization": f"Bearer {token}"}
    assert (await client.get(f"{API}/plant", headers=wall)).status_code == 200
    r = await client.post(f"{API}/alarms/1/ack", json={}, headers=wall)
    assert_error(r, 403, "auth.forbidden")
    r = await client.post(f"{API}/tokens", json={"name": "up", "role": "admin"}, headers=wall)
    assert_error(r, 422, "input.invalid")
    r = await client.delete(f"{API}/tokens/{made['id']}", headers=platform.bearer("viewer"))
    assert_error(r, 403, "auth.forbidden")
    r = await client.delete(f"{API}/tokens/{made['id']}", headers=platform.bearer("operator"))
    assert r.status_code == 200 and r.json()["revoked"] is not None
    assert_error(await client.get(f"{API}/plant", headers=wall), 401, "auth.unauthenticated")
