"""GB/T 39117 scoring: sub-domain means, weighted level scores, the 0.8 gate, S and its band."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from shopfloor.assess.answers import Answer
from shopfloor.assess.options import Weights
from shopfloor.assess.rubric import Rubric, load_rubric, parse_rubric
from shopfloor.assess.scoring import requirement_scores, score
from shopfloor.errors import ConfigError

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "gbt39116-rubric.yaml"


def _sub(sid: str) -> dict[str, Any]:
    return {
        "id": sid,
        "zh": sid,
        "en": sid,
        "requirements": {
            n: [{"id": f"{sid}.L{n}.a", "zh": "x", "en": "x", "inferred": True}]
            for n in range(1, 6)
        },
    }


def tiny() -> Rubric:
    """Two elements: e1 with sub-domains s1 and s2 (one domain), e2 with s3."""
    doc = yaml.safe_load(REFERENCE.read_text("utf-8"))
    doc["elements"] = [
        {"id": "e1", "zh": "e1", "en": "e1",
         "domains": [{"id": "d1", "zh": "d1", "en": "d1", "subdomains": [_sub("s1"), _sub("s2")]}]},
        {"id": "e2", "zh": "e2", "en": "e2",
         "domains": [{"id": "d2", "zh": "d2", "en": "d2", "subdomains": [_sub("s3")]}]},
    ]  # fmt: skip
    return parse_rubric(doc, "tiny")


def run(rubric: Rubric, answers: dict[str, float], weights: Weights | None = None) -> Any:
    given = {k: Answer(k, v) for k, v in answers.items()}
    req = requirement_scores(rubric, given, {})
    return score(rubric, req, enterprise_type="discrete", weights=weights or Weights())


def test_levels_accumulate_up_to_the_first_level_not_met() -> None:
    rb = tiny()
    per_level = {1: 1.0, 2: 0.8, 3: 0.5, 4: 1.0, 5: 1.0}
    m = run(rb, {f"{s}.L{n}.a": v for s in ("s1", "s2", "s3") for n, v in per_level.items()})
    assert [lv.score for lv in m.levels] == pytest.approx([1.0, 0.8, 0.5, 1.0, 1.0])
    assert [lv.passed for lv in m.levels] == [True, True, False, True, True]
    assert [lv.counted for lv in m.levels] == [True, True, True, False, False]
    assert m.total == pytest.approx(2.3)
    assert m.level == 2
    assert m.equal_weights


def test_equal_weights_are_per_group_and_unanswered_counts_zero() -> None:
    rb = tiny()
    m = run(rb, {"s1.L1.a": 1.0, "s3.L1.a": 1.0})  # s2 unanswered
    lv1 = m.level_score(1)
    shares = {s.subdomain: s.weight for s in lv1.subdomains}
    assert shares == pytest.approx({"s1": 0.25, "s2": 0.25, "s3": 0.5})
    assert lv1.score == pytest.approx(0.75)
    assert (lv1.answered, lv1.total) == (2, 3)
    assert m.requirements["s2.L1.a"].source == "unanswered"
    assert m.level is None  # 0.75 < 0.8: S = 0.75 is below the first band


def test_configured_weights_change_the_level_score() -> None:
    rb = tiny()
    answers = {"s1.L1.a": 1.0, "s2.L1.a": 1.0, "s3.L1.a": 0.5}
    assert run(rb, answers).level_score(1).score == pytest.approx(0.75)
    weighted = run(rb, answers, Weights(elements={"e1": 3, "e2": 1}))
    assert weighted.level_score(1).score == pytest.approx(0.875)
    assert not weighted.equal_weights


def test_partial_or_unknown_weights_are_refused() -> None:
    rb = tiny()
    with pytest.raises(ConfigError) as exc:
        run(rb, {}, Weights(subdomains={"s1": 2}, domains={"nope": 1}))
    assert "weights.domains.nope" in exc.value.message
    assert "missing s2" in exc.value.message


def test_process_manufacturers_are_not_assessed_on_product_design() -> None:
    rb = load_rubric()
    req = requirement_scores(rb, {}, {})
    discrete = score(rb, req, enterprise_type="discrete", weights=Weights())
    process = score(rb, req, enterprise_type="process", weights=Weights())
    subs = {s.subdomain for s in discrete.level_score(1).subdomains}
    assert "product_design" in subs
    assert "product_design" not in {s.subdomain for s in process.level_score(1).subdomains}
    # technical domains start at level 2 (inferred flag in the rubric)
    assert "network" not in subs and "network" in {
        s.subdomain for s in discrete.level_score(2).subdomains
    }


def test_full_marks_reach_level_five() -> None:
    rb = load_rubric()
    m = run(rb, {rid: 1.0 for rid in rb.requirement_index})
    assert m.total == pytest.approx(5.0)
    assert m.level == 5
