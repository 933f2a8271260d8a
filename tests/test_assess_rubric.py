"""The rubric as data: the shipped default is our draft verbatim, flags kept, schema enforced."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from shopfloor.assess.rubric import load_rubric, parse_rubric
from shopfloor.errors import ValidationFailed

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "gbt39116-rubric.yaml"


def test_default_rubric_is_the_team_draft_with_every_inferred_flag() -> None:
    rubric = load_rubric()
    reference = yaml.safe_load(REFERENCE.read_text("utf-8"))
    assert rubric.rubric_version == reference["rubric_version"]
    ref_reqs = {
        r["id"]: r
        for e in reference["elements"]
        for d in e["domains"]
        for s in d["subdomains"]
        for reqs in s["requirements"].values()
        for r in reqs
    }
    assert set(rubric.requirement_index) == set(ref_reqs)
    for rid, (_placed, _level, req) in rubric.requirement_index.items():
        assert req.inferred == ref_reqs[rid]["inferred"]
        assert req.zh == ref_reqs[rid]["zh"]
    assert len(rubric.placed()) == 20
    assert rubric.scale == (1.0, 0.8, 0.5, 0.0)


@pytest.mark.parametrize(
    ("total", "level"),
    [(0.79, None), (0.8, 1), (2.15, 2), (3.17, 3), (3.55, 3), (4.8, 5), (5.0, 5)],
)
def test_total_score_bands(total: float, level: int | None) -> None:
    assert load_rubric().band(total) == level


def _doc() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(REFERENCE.read_text("utf-8"))
    return doc


def test_a_requirement_id_that_does_not_match_its_place_is_refused_with_its_path() -> None:
    doc = _doc()
    sub = doc["elements"][0]["domains"][0]["subdomains"][0]
    sub["requirements"][2][0]["id"] = "organization_strategy.L3.z"
    with pytest.raises(ValidationFailed) as exc:
        parse_rubric(doc, "test")
    (path, msg), *_ = exc.value.errors
    assert path == "elements[0].domains[0].subdomains[0]"
    assert "organization_strategy.L2.<letter>" in msg


def test_unknown_fields_and_missing_flags_are_errors() -> None:
    doc = _doc()
    doc["elements"][0]["colour"] = "red"
    del doc["elements"][1]["domains"][0]["subdomains"][0]["requirements"][2][0]["inferred"]
    with pytest.raises(ValidationFailed) as exc:
        parse_rubric(doc, "test")
    assert exc.value.errors == [
        ("elements[0].colour", "unknown field"),
        (
            "elements[1].domains[0].subdomains[0].requirements[2][0].inferred",
            ("required field is missing"),
        ),
    ]


def test_another_rubric_version_loads_from_a_file(tmp_path: Path) -> None:
    doc = _doc()
    doc["rubric_version"] = "GB/T 39116-20xx (test)"
    path = tmp_path / "rubric.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    assert load_rubric(path).rubric_version == "GB/T 39116-20xx (test)"
