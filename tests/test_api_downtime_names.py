"""Downtime reasons carry their names by language (the Chinese UI showed raw codes such as
``unplanned.minor_stop``)."""

from __future__ import annotations

import httpx
import pytest

from shopfloor.errors import ValidationFailed
from shopfloor.mes.reasons import load_reasons, parse_reasons
from tests.test_api_support import (  # noqa: F401 - fixtures
    API,
    Platform,
    client_fixture,
    platform_fixture,
    server_fixture,
    templates_fixture,
)

pytestmark = pytest.mark.asyncio


async def test_the_downtime_pareto_names_its_reasons_in_every_language(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    body = {"equipment": "pack-01", "start": "2025-01-06T09:00:00Z",
            "end": "2025-01-06T09:20:00Z", "reason": "unplanned.minor_stop"}  # fmt: skip
    r = await client.post(f"{API}/downtime", json=body, headers=platform.bearer("operator"))
    assert r.status_code == 201, r.text
    r = await client.get(f"{API}/downtime/summary", headers=platform.bearer("viewer"))
    (row,) = [x for x in r.json()["items"] if x["reason"] == "unplanned.minor_stop"]
    assert row["name"] == "Minor stop" and row["names"]["zh"] == "短暂停机"


async def test_every_shipped_reason_is_named_in_chinese_and_a_bad_name_is_refused() -> None:
    tree = load_reasons(None)
    assert all(dict(r.names).get("zh") for r in tree.reasons.values())
    doc = {"schema": "shopfloor.mes.reasons/v1", "reasons": [
        {"code": "planned", "name": {"zh": 1}}, {"code": "unplanned", "name": "U"}]}  # fmt: skip
    with pytest.raises(ValidationFailed, match=r"reasons\[0\].name: a text, or texts by language"):
        parse_reasons(doc)
