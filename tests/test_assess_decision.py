"""The decision moves with the answers and the thresholds, and says why; sensitive data is
masked; recorded windows read the platform's events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shopfloor.assess.answers import Answer, Answers
from shopfloor.assess.api import AssessRequest, assessment_document
from shopfloor.assess.desensitise import Desensitiser
from shopfloor.assess.options import parse_options
from shopfloor.assess.periods import parse_interval, read_events
from shopfloor.assess.report_html import render_html
from shopfloor.assess.rubric import load_rubric
from shopfloor.clock import DEFAULT_EPOCH
from shopfloor.errors import BadInput, ValidationFailed
from shopfloor.plant import load_plant
from shopfloor.sim import Recorder, run_virtual

RUBRIC = load_rubric()


def answers(**changes: float) -> Answers:
    """Level 1 and 2 fully met except equipment.L2.a (level 2 scores 0.875)."""
    given = {rid: 1.0 for rid, (_p, lv, _r) in RUBRIC.requirement_index.items() if lv <= 2}
    given["equipment.L2.a"] = 0.0
    given.update({k.replace("__", "."): v for k, v in changes.items()})
    return Answers({k: Answer(k, v) for k, v in given.items()}, {})


def request(ans: Answers, config: dict[str, object] | None = None) -> AssessRequest:
    opts = parse_options({"simulate": {"hours": 1}, **(config or {})})
    return AssessRequest(load_plant("demo"), RUBRIC, opts, ans, lang="en")


def test_changing_one_answer_changes_the_levels_and_the_explanation_says_why() -> None:
    before = assessment_document(request(answers()))
    assert before["maturity_level"] == 2 and before["level"] == "basic"
    assert before["explanation"][0] == "Reached Basic."
    after = assessment_document(request(answers(network__L2__a=0.0)))
    assert after["maturity_level"] == 1 and after["level"] is None
    assert "level 2 scores 0.750 (23/23 answered), < 0.8 by 0.050: not met" in "\n".join(
        after["maturity"]["explanation"]
    )
    assert any(
        "Maturity level = 1, needs >= 2: failed, short by 1" in line
        for line in after["explanation"]
    )


def test_changing_a_threshold_changes_the_level_and_says_by_how_much() -> None:
    config = {"thresholds": {"basic.device_networking_rate": 1.05}}
    doc = assessment_document(request(answers(), config))
    assert doc["level"] is None
    gate = next(
        g for g in doc["gates"] if g["grade"] == "basic" and g["metric"] == "device_networking_rate"
    )
    assert gate["threshold"] == 1.05 and not gate["passed"]
    assert gate["source"] == "your configured target"
    assert gate["margin"] == pytest.approx(-0.05)
    assert any("short by 5.0% (your configured target" in line for line in doc["explanation"])


def test_sensitive_fields_are_masked_everywhere() -> None:
    config = {"sensitive_fields": ["serial", "enterprise"]}
    doc = assessment_document(request(Answers.empty(), config))
    html = render_html(doc, "", font="Noto Sans CJK SC")
    text = json.dumps(doc, ensure_ascii=False)
    plant = load_plant("demo")
    for eq in plant.equipment_by_path.values():
        assert eq.serial not in text and eq.serial not in html
    assert plant.enterprise.name not in text and plant.enterprise.name not in html
    row = next(r for r in doc["networking_list"] if r["asset_id"] == "vmc-01")
    assert row["serial"] == "D*********7"
    assert doc["desensitised"] == ["enterprise", "serial"]


def test_recorded_windows_read_the_events_of_each_window(tmp_path: Path) -> None:
    plant = load_plant("demo")
    rec = Recorder(values=False)
    run_virtual(plant, 4, 3, outlet=rec, emit_values=False)
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(e.to_bytes() for e in rec.events))
    events = read_events(path)
    start = DEFAULT_EPOCH.isoformat()
    req = request(Answers.empty())
    req.baseline = parse_interval(f"{start}/PT2H", "--baseline")
    req.current = parse_interval(f"PT2H/{DEFAULT_EPOCH.replace(hour=10).isoformat()}", "--current")
    req.events = events
    doc = assessment_document(req)
    assert doc["synthetic"] is False
    assert doc["periods"]["current"]["window"]["start"] == "2025-01-06T08:00:00+00:00"
    assert doc["periods"]["baseline"]["events"] + doc["periods"]["current"]["events"] <= len(events)
    assert doc["periods"]["current"]["events"] > 0
    req.events = None
    with pytest.raises(BadInput, match="--events"):
        assessment_document(req)


def test_bad_event_lines_and_intervals_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"kind": "part_start"}\nnot json\n', "utf-8")
    with pytest.raises(ValidationFailed) as exc:
        read_events(path)
    assert [p for p, _m in exc.value.errors] == ["line 1", "line 2"]
    with pytest.raises(BadInput, match="--current"):
        parse_interval("2025-01-06T10:00:00Z/2025-01-06T08:00:00Z", "--current")
    with pytest.raises(BadInput, match="ISO 8601 duration"):
        parse_interval("2025-01-06T10:00:00Z/PXH", "--current")


def test_known_sensitive_values_are_masked_inside_other_documents_too() -> None:
    plant = load_plant("demo")
    des = Desensitiser(["enterprise"])
    des.gather(plant.model_dump(mode="json", by_alias=True))
    ws = des.document({"applicant": {"name": plant.enterprise.name, "contact": "张工"}})
    assert ws["applicant"]["name"] == "A******************."
    assert ws["applicant"]["contact"] == "张工"
