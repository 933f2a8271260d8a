"""Answers from files and the command line: every error with its path, evidence by reference."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from shopfloor.assess.answers import answers_from_mapping, load_answers, parse_cli_answers
from shopfloor.assess.catalog import scenarios
from shopfloor.assess.rubric import load_rubric
from shopfloor.cli import main
from shopfloor.errors import ValidationFailed

NUMBERS = scenarios().numbers


def test_bad_answers_file_lists_every_error_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text(
        "answers:\n"
        "  data.L2.x: 1\n"
        "  data.L2.a: 1.5\n"
        "  data.L2.b: high\n"
        "  data.L3.a: {score: 0.8, evidence: [missing.pdf]}\n"
        "  data.L3.b: {note: no score}\n"
        "scenarios:\n"
        "  99: {implemented: true}\n"
        "  4: {implemented: maybe}\n",
        "utf-8",
    )
    with pytest.raises(ValidationFailed) as exc:
        load_answers(path, load_rubric(), NUMBERS)
    errors = dict(exc.value.errors)
    assert "unknown requirement id" in errors["answers[data.L2.x]"]
    assert "did you mean" in errors["answers[data.L2.x]"]
    assert "out of range" in errors["answers[data.L2.a].score"]
    assert "must be a number" in errors["answers[data.L2.b].score"]
    assert "does not exist" in errors["answers[data.L3.a].evidence[0]"]
    assert errors["answers[data.L3.b].score"] == "required field is missing"
    assert "unknown scenario 99" in errors["scenarios[99]"]
    assert "true or false" in errors["scenarios[4].implemented"]


def test_json_answers_with_file_and_url_evidence(tmp_path: Path) -> None:
    (tmp_path / "plan.pdf").write_bytes(b"%PDF-1.4 plan")
    doc = {
        "answers": {
            "organization_strategy.L1.a": 1,
            "organization_strategy.L2.a": {
                "score": 0.8,
                "note": "plan approved",
                "evidence": ["plan.pdf", {"ref": "https://dms.example/42", "title": "budget"}],
            },
        },
        "scenarios": {"4": {"implemented": True, "evidence": ["https://plm.example"]}},
    }
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(doc), "utf-8")
    ans = load_answers(path, load_rubric(), NUMBERS)
    a = ans.answers["organization_strategy.L2.a"]
    assert a.score == 0.8 and a.note == "plan approved"
    assert a.evidence[0].kind == "file"
    assert a.evidence[0].sha256 == hashlib.sha256(b"%PDF-1.4 plan").hexdigest()
    assert a.evidence[1].kind == "url" and a.evidence[1].title == "budget"
    assert ans.scenarios[4].implemented


def test_cli_answers_override_and_are_checked() -> None:
    rb = load_rubric()
    assert parse_cli_answers(["data.L2.a=0.5"], rb)[0].score == 0.5
    with pytest.raises(ValidationFailed) as exc:
        parse_cli_answers(["data.L2.a", "nope.L1.a=1", "data.L2.b=0.7"], rb)
    paths = [p for p, _m in exc.value.errors]
    assert paths == ["--answer[0] 'data.L2.a'", "answers[nope.L1.a]", "answers[data.L2.b].score"]


def test_a_bad_answers_file_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pack"
    out.mkdir()
    (out / "keep.txt").write_text("previous pack")
    answers = tmp_path / "bad.yaml"
    answers.write_text("answers: {data.L2.a: 2}\n", "utf-8")
    code = main(["assess", "--plant", "demo", "--answers", str(answers), "--out", str(out)])
    assert code == 2
    assert "answers[data.L2.a].score" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml", "pack"]


def test_answers_sent_over_the_network_take_references_only_and_odd_values_are_errors(
    tmp_path: Path,
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("server file", "utf-8")
    doc = {
        "enterprise_type": ["discrete"],
        "answers": {
            "data.L2.a": 10**400,
            "data.L2.b": {"score": 1, "evidence": [str(secret), "https://dms.example/9"]},
        },
        "scenarios": {"4": {"implemented": True, "note": 7}},
    }
    with pytest.raises(ValidationFailed) as exc:
        answers_from_mapping(doc, load_rubric(), NUMBERS)
    errors = dict(exc.value.errors)
    assert set(errors) == {
        "enterprise_type",
        "answers[data.L2.a].score",
        "answers[data.L2.b].evidence[0]",
        "scenarios[4].note",
    }
    assert "URL" in errors["answers[data.L2.b].evidence[0]"]
    ok = answers_from_mapping(
        {"answers": {"data.L2.b": {"score": 1, "evidence": ["doc:QA-1", "urn:x:y"]}}},
        load_rubric(),
        NUMBERS,
    )
    assert [e.kind for e in ok.answers["data.L2.b"].evidence] == ["url", "url"]
    assert ok.source == "web"
