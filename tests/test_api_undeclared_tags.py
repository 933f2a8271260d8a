"""``GET /api/v1/tags/undeclared``: what the platform received that the plant file lacks."""

from __future__ import annotations

import httpx
import pytest

from shopfloor.samples import Sample
from tests.test_api_support import (  # noqa: F401 - fixtures
    API,
    LATHE,
    T0,
    TAG,
    Platform,
    batch,
    client_fixture,
    platform_fixture,
    server_fixture,
    templates_fixture,
)

pytestmark = pytest.mark.asyncio

#: A metric the lathe's Sparkplug device sends that the plant file does not declare, and a
#: foreign edge node's device (ids as the Sparkplug host makes them).
EXTRA = f"{LATHE}/coolant_level"
FOREIGN = "suzhou/sparkplug/edge-9/edge/dev-1/temp"


async def test_lists_tags_received_but_not_declared_with_their_newest_value(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    viewer = platform.bearer("viewer")
    r = await client.get(f"{API}/tags/undeclared", headers=viewer)
    assert r.status_code == 200, r.text
    assert r.json()["items"] == []  # everything received so far is in the plant file
    ctx = platform.ctx
    ctx.live.update(batch({EXTRA: 71.5, TAG: 30.0}, T0))
    assert ctx.historian is not None
    ctx.historian.registry.ensure([FOREIGN])  # as ingest's writers do for what arrives
    ctx.historian.write_samples([Sample(FOREIGN, T0, 22.0)])
    r = await client.get(f"{API}/tags/undeclared", headers=viewer)
    items = {i["tag"]: i for i in r.json()["items"]}
    assert set(items) == {EXTRA, FOREIGN}  # the declared TAG is not listed
    assert items[EXTRA]["equipment"] == LATHE and items[EXTRA]["last"]["value"] == 71.5
    assert not items[EXTRA]["stored"]
    assert items[FOREIGN]["equipment"] is None and items[FOREIGN]["stored"]
    assert items[FOREIGN]["last"] is None
    r = await client.get(f"{API}/tags/undeclared", params={"limit": 1}, headers=viewer)
    assert [i["tag"] for i in r.json()["items"]] == [EXTRA] and r.json()["next_offset"] == 1
    assert (await client.get(f"{API}/tags/undeclared")).status_code == 401
