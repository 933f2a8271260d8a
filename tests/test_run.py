"""``shopfloor run``: KPIs from the events that crossed the bus match the simulator's truth."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shopfloor.cli import main
from shopfloor.plant import load_plant

DEMO = load_plant("demo")
COMPARED = ("oee", "availability", "effectiveness", "quality_ratio", "kwh_per_unit")


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main(["run", "--plant", "demo", "--json", *args]) == 0
    return dict(json.loads(capsys.readouterr().out))


def test_a_day_of_kpis_from_the_event_stream_matches_the_ground_truth(
    capsys: pytest.CaptureFixture[str],
) -> None:
    doc = _run(capsys, "--hours", "24", "--seed", "7", "--no-mes")
    unmetered = {p for p, *_r, e in DEMO.walk() if not any(t.signal == "energy" for t in e.tags)}
    checked = failed = 0
    for group in ("lines", "equipment"):
        for path, entry in doc[group].items():
            kpi, truth = entry["kpi"], entry["truth"]
            if not truth["pq"]:
                continue
            for k in COMPARED:
                if k == "kwh_per_unit" and group == "equipment" and path in unmetered:
                    assert kpi[k] is None, path  # no meter, no energy: not a made-up number
                    continue
                assert kpi[k] == pytest.approx(truth[k], rel=0.005), (path, k)
                checked += 1
            assert kpi["oee"] == kpi["availability"] * kpi["effectiveness"] * kpi["quality_ratio"]
            for k in ("mtbf", "mttr"):  # where the equipment failed and was repaired
                if truth[k] is None:
                    assert kpi[k] is None, (path, k)
                else:
                    assert kpi[k] == pytest.approx(truth[k], rel=1e-6), (path, k)
                    failed += group == "equipment"
            assert truth["oee"] == (
                truth["availability"] * truth["effectiveness"] * truth["quality_ratio"]
            )
    assert checked >= 5 * 2 + 4 * 12 and failed >= 2
    assert doc["lines"]["suzhou/machining/line1"]["kwh_source"] == "meter"
    assert doc["kpi_rejected_events"] == 0
    assert set(doc["bus"]["unroutable"]) <= {"order_status"}
    assert doc["bus"]["received"]["kpi"] == doc["bus"]["published"] > 20_000
    assert doc["mes"] is None
    assert list(doc["shifts"]) == [
        "2025-01-06T06:00:00+00:00 early",
        "2025-01-06T14:00:00+00:00 late",
    ]
    assert {"housing-a", "housing-b", "pump-a"} == set(doc["products"])


def test_mes_consumes_the_same_events_from_the_bus(capsys: pytest.CaptureFixture[str]) -> None:
    doc = _run(capsys, "--hours", "0.5", "--seed", "3")
    mes = doc["mes"]
    assert mes["applied"] == doc["bus"]["received"]["mes"] == doc["bus"]["published"] > 100
    assert mes["parked"] == 0 and mes["errors"] == []


def test_table_output_and_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--plant", "demo", "--hours", "0.5", "--no-mes"]) == 0
    out = capsys.readouterr().out
    assert "kpi  / truth" in out and "line1" in out and "vmc-01" in out
    assert main(["run", "--plant", "demo", "--hours", "0", "--no-mes"]) == 2
    assert "--hours must be > 0 and finite, not 0.0" in capsys.readouterr().err
    assert main(["run", "--plant", "demo", "--emission-factor", "-1", "--no-mes"]) == 2
    assert "kg CO2e per kWh" in capsys.readouterr().err
