"""Gradient-level gates: sources, margins, lower levels first, thresholds from the settings."""

from __future__ import annotations

import re

import pytest

from shopfloor.assess.api import AssessRequest, assessment_document
from shopfloor.assess.explain import gradient_lines
from shopfloor.assess.gates import decide
from shopfloor.assess.i18n import LANGS, PHRASES, Texts, labels
from shopfloor.assess.options import load_options, parse_options
from shopfloor.errors import ValidationFailed
from shopfloor.plant.loader import load_plant

GOOD = {
    "maturity_level": 3,
    "links_covered": ("production_operations", "production_management", "operations_management"),
    "device_networking_rate": 0.9,
    "key_equipment_cnc_rate": 0.75,
    "erp_mes_coverage": 0.85,
    "production_efficiency_gain": 0.25,
    "operating_cost_reduction": 0.2,
    "defect_rate_reduction": 0.4,
    "energy_per_output_value_ratio": 0.7,
    "roi": 0.3,
    "payback_years": 3.0,
    "ai_scenario_share": 0.1,
}


def test_highest_level_with_every_gate_passed() -> None:
    reached, grades = decide(load_options().grades, GOOD, {})
    assert reached == "advanced"
    excellent = next(g for g in grades if g.id == "excellent")
    failed = {g.metric: g for g in excellent.failed}
    assert set(failed) == {
        "links_covered",
        "ai_scenario_share",
        "key_equipment_cnc_rate",
        "predictive_maintenance_coverage",
    }
    assert failed["ai_scenario_share"].margin == pytest.approx(-0.1)
    assert failed["ai_scenario_share"].sourced
    assert not failed["key_equipment_cnc_rate"].sourced
    assert failed["key_equipment_cnc_rate"].to_dict()["source"] == "your configured target"
    assert failed["predictive_maintenance_coverage"].why_missing == "no value"


def test_a_level_needs_the_levels_below_it() -> None:
    values = {**GOOD, "device_networking_rate": 0.5, "maturity_level": 4}
    reached, grades = decide(load_options().grades, values, {})
    assert reached is None
    assert [g.reached for g in grades] == [False, False, False, False]
    lines = gradient_lines(Texts("en"), reached, grades)
    assert lines[0] == "No gradient level reached (Basic failed)."
    assert any(
        "networking rate = 50.0%, needs >= 85.0%: failed, short by 35.0%" in x for x in lines
    )


def test_links_gate_names_the_missing_links() -> None:
    values = {**GOOD, "links_covered": ("production_operations",)}
    _reached, grades = decide(load_options().grades, values, {})
    gate = next(g for g in grades[1].gates if g.metric == "links_covered")
    assert gate.margin == ("production_management", "operations_management")
    assert not gate.passed


def test_thresholds_can_be_changed_one_by_one_and_lose_their_source() -> None:
    opts = parse_options({"thresholds": {"advanced.roi": 0.5, "basic.maturity_level": {
        "threshold": 3, "source": "provincial scoring sheet 2026"}}})  # fmt: skip
    roi = next(g for g in opts.grade("advanced").gates if g.metric == "roi")
    assert (roi.threshold, roi.source) == (0.5, None)
    mat = next(g for g in opts.grade("basic").gates if g.metric == "maturity_level")
    assert (mat.threshold, mat.source) == (3, "provincial scoring sheet 2026")
    reached, _ = decide(opts.grades, GOOD, {})
    assert reached == "basic"
    with pytest.raises(ValidationFailed) as exc:
        parse_options({"thresholds": {"basic.nope": 1, "gold.roi": 1}})
    assert [p for p, _m in exc.value.errors] == ["thresholds.basic.nope", "thresholds.gold.roi"]


def test_every_label_has_both_languages() -> None:
    for key, texts in labels().items():
        assert set(texts) >= set(LANGS), key
        assert all(isinstance(texts[lang], str) and texts[lang] for lang in LANGS), key


def test_reasons_for_a_missing_value_are_in_the_report_language() -> None:
    assert Texts("zh").phrase("investment not configured") == "未配置投资额"
    assert Texts("en").phrase("investment not configured") == "investment not configured"
    assert Texts("zh").phrase("no label for this") == "no label for this"
    phrases = [v["en"] for k, v in labels().items() if k.startswith(PHRASES)]
    assert len(set(phrases)) == len(phrases)  # one label per English phrase


def test_a_chinese_report_states_formulas_reasons_notes_and_proofs_in_chinese() -> None:
    doc = assessment_document(AssessRequest(plant=load_plant("demo"), lang="zh", online={}))
    econ = doc["economics"]
    texts = [m[f] for m in doc["metrics"].values() for f in ("formula", "basis", "note")]
    texts += [r[f] for r in econ["rows"] for f in ("formula", "note")] + econ["notes"]
    texts += [g["why_missing"] for g in doc["gates"]]
    texts += [f["detail"] for s in doc["scenarios"] for f in s["features"]]
    english = [t for t in texts if t and not re.search(r"[\u4e00-\u9fff]", t)]
    assert english == []
    assert "未配置投资额：无投资回报率与回收期" in econ["notes"]
