"""``shopfloor run --orders``: the orders of a B2MML document run instead of generated ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shopfloor.cli import main
from tests.test_erp_support import SCHEMAS, Request, v0701_schedule


def test_the_orders_of_a_b2mml_schedule_are_the_runs_orders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHOPFLOOR_B2MML_SCHEMA_DIR", str(SCHEMAS))
    doc = tmp_path / "schedule.xml"
    doc.write_bytes(
        v0701_schedule(
            "S-1", [Request("PO-1", "housing-a", 4), Request("PO-2", "pump-a", 6, scope="line2")]
        )
    )
    args = ["run", "--plant", "demo", "--hours", "3", "--no-mes", "--json", "--orders", str(doc)]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["orders"]) == {"PO-1", "PO-2"}
    assert out["orders"]["PO-2"]["product"] == "pump-a"
    pumps = out["lines"]["suzhou/assembly/line2"]["truth"]
    assert 0 < pumps["pq"] <= 6
    assert out["lines"]["suzhou/assembly/line2"]["kpi"]["quality_ratio"] == pytest.approx(
        pumps["gq"] / pumps["pq"]
    )
    doc.write_bytes(b"<not-b2mml/>")
    assert main(args) == 2
    assert "schedule.xml" in capsys.readouterr().err
