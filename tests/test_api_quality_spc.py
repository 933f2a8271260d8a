"""``GET /api/v1/quality/spc`` before enough inspections: an empty chart, not an error."""

from __future__ import annotations

import httpx
import pytest

from tests.test_api_support import (  # noqa: F401 - fixtures
    API,
    Platform,
    client_fixture,
    platform_fixture,
    server_fixture,
    templates_fixture,
)

pytestmark = pytest.mark.asyncio


async def test_spc_with_too_few_results_is_an_empty_chart_not_an_error(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    """The dashboard's Quality page asked and got 422 before the first inspections (a console
    error in the browser); too few results is a normal state."""
    viewer = platform.bearer("viewer")
    params = {"product": "pump-a", "characteristic": "flow_rate"}
    r = await client.get(f"{API}/quality/spc", params=params, headers=viewer)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["charts"], body["results"], body["needed"]) == ([], 0, 2)
    r = await client.get(f"{API}/quality/spc", params={"product": "nope"}, headers=viewer)
    assert r.status_code in (400, 404, 422)  # a bad request still is one
