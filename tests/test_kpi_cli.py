"""``shopfloor kpi``: a machine's window asked of the running API, as JSON and as text."""

from __future__ import annotations

import asyncio
import json

import pytest

from shopfloor.api import ApiServer
from shopfloor.cli import main
from shopfloor.clock import NS_PER_S
from shopfloor.events import EventKind, MachineEvent
from tests.test_api_support import (  # noqa: F401 - fixtures
    LATHE,
    T0,
    Platform,
    platform_fixture,
    server_fixture,
    templates_fixture,
)

pytestmark = pytest.mark.asyncio
WINDOW = ["--from", "2025-01-06T06:00:00Z", "--to", "2025-01-06T08:00:00Z"]


async def _events(platform: Platform) -> None:
    h = 3600 * NS_PER_S
    ev = [MachineEvent(EventKind.STATE_CHANGE, LATHE, T0, payload={"state": "Execute"})]
    for good in (True, True, False):
        ev.append(
            MachineEvent(
                EventKind.PART_COMPLETE, LATHE, T0 + h, payload={"good": good,
                                                                 "standard_time_s": 600}
            )
        )  # fmt: skip
    ev.append(MachineEvent(EventKind.STATE_CHANGE, LATHE, T0 + h, payload={"state": "Held"}))
    await platform.ctx.live.on_events(ev)


async def test_kpi_prints_state_time_counts_and_oee_components(
    server: ApiServer, platform: Platform, capsys: pytest.CaptureFixture[str]
) -> None:
    await _events(platform)
    token = platform.tokens["viewer"]
    base = ["kpi", LATHE, *WINDOW, "--api", server.url, "--token", token]
    assert await asyncio.to_thread(main, [*base, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["target"] == LATHE and doc["scope"] == "equipment"
    assert doc["time_elements_s"]["APT"] == 3600 and doc["time_elements_s"]["ADET"] == 3600
    assert (doc["produced"], doc["good"], doc["defective"]) == (3, 2, 1)
    assert doc["kpi"]["availability"] == pytest.approx(0.5)
    assert doc["kpi"]["effectiveness"] == pytest.approx(1800 / 3600)
    assert doc["kpi"]["quality_ratio"] == pytest.approx(2 / 3)
    assert await asyncio.to_thread(main, base) == 0
    text = capsys.readouterr().out
    assert "produced 3  good 2  defective 1" in text and "50.00 %" in text
    by_id = [*base[:1], LATHE.rsplit("/", 1)[1], *base[2:], "--json"]
    assert await asyncio.to_thread(main, by_id) == 0
    assert json.loads(capsys.readouterr().out)["target"] == LATHE


async def test_kpi_names_what_is_wrong(
    server: ApiServer, platform: Platform, capsys: pytest.CaptureFixture[str]
) -> None:
    token = platform.tokens["viewer"]
    args = ["kpi", "nowhere/lathe-99", *WINDOW, "--api", server.url, "--token", token]
    assert await asyncio.to_thread(main, args) == 2
    assert "neither an equipment nor a line" in capsys.readouterr().err
    args = ["kpi", LATHE, *WINDOW, "--api", server.url, "--token", "wrong"]
    assert await asyncio.to_thread(main, args) == 2
    assert "401" in capsys.readouterr().err
    assert main(["kpi", LATHE, *WINDOW, "--api", "http://127.0.0.1:1", "--token", "t"]) == 1
    assert "no shopfloor API at http://127.0.0.1:1" in capsys.readouterr().err
