"""What keeps the API fast under load: the token cache (revocation still honoured), the live
snapshot rendered once per change, history answers made once for concurrent askers, and the
benchmark's keep-alive client."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import httpx
import pytest

from shopfloor.api import ApiServer
from shopfloor.api.answers import AnswerCache
from shopfloor.api.bench import open_loop
from shopfloor.api.bench_client import ConnectionPool
from shopfloor.api.live import LiveValue, LiveValues
from shopfloor.api.security import TOKEN_CACHE_S, TokenCache
from shopfloor.auth.principal import Principal, system
from shopfloor.auth.roles import Role
from shopfloor.errors import BadInput
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

DEADLINE_S = 30.0


def test_token_cache_keeps_a_principal_until_its_time_is_up() -> None:
    who = Principal("wall", Role.VIEWER, "token")
    cache = TokenCache(ttl_s=60.0)
    key = cache.key("sft_abc_secret")
    assert key != b"sft_abc_secret" and cache.get(key) is None
    cache.put(key, who)
    assert cache.get(key) is who
    cache.clear()
    assert cache.get(key) is None
    stale = TokenCache(ttl_s=0.0)
    stale.put(key, who)
    assert stale.get(key) is None
    small = TokenCache(ttl_s=60.0, size=2)
    for name in ("a", "b", "c"):
        small.put(small.key(name), who)
    assert small.get(small.key("a")) is None and small.get(small.key("c")) is who


@pytest.mark.asyncio
async def test_a_token_revoked_outside_the_api_is_refused_soon(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    token, row = platform.auth.tokens.create("viewer", "wall", by=system())
    wall = {"Authorization": f"Bearer {token}"}
    assert (await client.get(f"{API}/plant", headers=wall)).status_code == 200  # now cached
    platform.auth.tokens.revoke(row.id, by=system())  # as `shopfloor user token revoke` does
    deadline = time.monotonic() + DEADLINE_S
    refused = False
    while not refused and time.monotonic() < deadline:
        r = await client.get(f"{API}/plant", headers=wall)
        refused = r.status_code == 401
        if not refused:
            await asyncio.sleep(TOKEN_CACHE_S / 10)
    assert refused, f"revoked token still accepted after {DEADLINE_S} s"
    assert_error(r, 401, "auth.unauthenticated")


def test_live_answer_is_rendered_again_only_after_a_change() -> None:
    live = LiveValues()
    renders: list[int] = []

    def render(rows: list[LiveValue], seq: int) -> bytes:
        renders.append(seq)
        return json.dumps([v.to_dict() for v in rows]).encode()

    live.update(batch({TAG: 1.0}, T0))
    first = live.rendered("all", None, render)
    assert live.rendered("all", None, render) is first and len(renders) == 1
    live.update(batch({TAG: 2.0}, T0 + 1))
    second = json.loads(live.rendered("all", None, render))
    assert [v["value"] for v in second] == [2.0] and len(renders) == 2
    live.update(batch({TAG: 0.5}, T0))  # older than what is there: no change, no rendering
    assert json.loads(live.rendered("all", None, render)) == second and len(renders) == 2


def test_answer_made_once_for_concurrent_askers_and_failures_not_kept() -> None:
    cache = AnswerCache(ttl_s=60.0)
    release = threading.Event()
    calls: list[int] = []

    def make() -> bytes:
        calls.append(1)
        assert release.wait(DEADLINE_S)
        return b"answer"

    results: list[bytes] = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get("k", make))) for _ in range(5)
    ]
    for t in threads:
        t.start()
    deadline = time.monotonic() + DEADLINE_S
    while not calls and time.monotonic() < deadline:
        time.sleep(0.01)
    release.set()
    for t in threads:
        t.join(DEADLINE_S)
    assert results == [b"answer"] * 5 and len(calls) == 1
    assert cache.made == 1 and cache.served == 4

    def fail() -> bytes:
        raise BadInput("no such tag")

    for _ in range(2):  # a failure is raised to each caller and never kept
        with pytest.raises(BadInput, match="no such tag"):
            cache.get("bad", fail)
    with pytest.raises(BadInput, match="ttl_s"):
        AnswerCache(ttl_s=0)


@pytest.mark.asyncio
async def test_bucket_answers_repeat_and_live_values_follow_changes(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    h = platform.bearer("viewer")
    params = {
        "tag": TAG,
        "bucket": "1m",
        "agg": "avg,max",
        "start": "2025-01-06T06:00:00Z",
        "end": "2025-01-06T07:00:00Z",
        "limit": 10,
    }
    first = await client.get(f"{API}/history/buckets", params=params, headers=h)
    again = await client.get(f"{API}/history/buckets", params=params, headers=h)
    assert first.status_code == again.status_code == 200
    assert first.headers["content-type"] == "application/json"
    assert first.content == again.content and first.json()["next_offset"] == 10
    other = await client.get(f"{API}/history/buckets", params=params | {"offset": 10}, headers=h)
    assert other.json()["items"][0]["bucket"] == "2025-01-06T06:10:00Z"
    live = platform.ctx.live
    for n, value in enumerate((30.0, 31.0)):
        await live.on_samples(batch({TAG: value}, T0 + n * 10**9))
        r = await client.get(f"{API}/live/values", params={"tag": LATHE}, headers=h)
        assert {v["tag"]: v["value"] for v in r.json()["items"]}[TAG] == value
        assert r.json()["seq"] == live.seq


@pytest.mark.asyncio
async def test_bench_client_open_loop_smoke(server: ApiServer, platform: Platform) -> None:
    pool = ConnectionPool(server.url, 4, platform.bearer("viewer"))
    try:
        status, body = await pool.get(pool.request(f"{API}/plant"))
        assert status == 200 and json.loads(body)
        missing = await pool.get(pool.request(f"{API}/no-such-route"))
        assert missing[0] == 404
        result = await open_loop(pool, pool.request(f"{API}/live/values"), 40.0, 0.5)
        assert result["requests"] == 20 and result["errors"] == 0
    finally:
        await pool.close()
    with pytest.raises(BadInput, match="http://host:port"):
        ConnectionPool("https://example.invalid", 1)
