"""Self-assessment answers: a score per requirement, evidence by reference, scenario declarations.

An answers document (YAML or JSON file, the CLI's ``--answer ID=SCORE`` or the web page) reads::

    schema: shopfloor.assess.answers/v1        # optional
    rubric_version: "GB/T 39116-2020 + ..."    # optional; must match the rubric when given
    enterprise_type: discrete                  # optional
    answers:
      organization_strategy.L1.a: 1            # short form: the score
      data.L2.b: {score: 0.8, note: "...", evidence: [docs/data-rules.pdf,
                  {ref: "https://dms.example/123", title: Data standard}]}
    scenarios:                                 # what the platform cannot see for itself
      4: {implemented: true, ai: false, evidence: [plm-screenshot.png]}

Scores are the rubric's scale (GB/T 39117: 1, 0.8, 0.5, 0). Evidence is kept by reference: a
URL is kept as it is; anything else is a file path relative to the answers file, which must
exist (its size and SHA-256 are recorded). Every error is reported with its path, all at once.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from shopfloor.assess.rubric import Rubric
from shopfloor.errors import NotFound, ValidationFailed

ANSWERS_SCHEMA = "shopfloor.assess.answers/v1"
_TOP = {"schema", "rubric_version", "enterprise_type", "answers", "scenarios"}
_SCHEMES = ("http://", "https://", "doc:", "urn:")


@dataclass(frozen=True)
class Evidence:
    ref: str
    title: str = ""
    #: ``file`` (checked, hashed) or ``url`` (kept as given).
    kind: str = "url"
    size: int | None = None
    sha256: str | None = None
    path: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "title": self.title,
            "kind": self.kind,
            "size": self.size,
            "sha256": self.sha256,
        }


@dataclass(frozen=True)
class Answer:
    requirement: str
    score: float
    evidence: tuple[Evidence, ...] = ()
    note: str = ""
    source: str = "file"


@dataclass(frozen=True)
class ScenarioAnswer:
    number: int
    implemented: bool
    ai: bool = False
    evidence: tuple[Evidence, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Answers:
    answers: dict[str, Answer]
    scenarios: dict[int, ScenarioAnswer]
    enterprise_type: str | None = None
    source: str = "none"

    @classmethod
    def empty(cls) -> Answers:
        return cls({}, {})

    def with_answers(self, extra: Iterable[Answer]) -> Answers:
        """These answers with ``extra`` replacing answers to the same requirement."""
        merged = dict(self.answers)
        merged.update({a.requirement: a for a in extra})
        return replace(self, answers=merged)


class _Errors:
    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, path: str, message: str) -> None:
        self.items.append((path, message))


def _number(value: Any) -> bool:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def _score(value: Any, scale: Collection[float], path: str, err: _Errors) -> float | None:
    allowed = ", ".join(f"{s:g}" for s in sorted(scale, reverse=True))
    if not _number(value):
        err.add(path, f"must be a number (one of {allowed}), not {type(value).__name__} {value!r}")
        return None
    if not any(abs(float(value) - s) < 1e-9 for s in scale):
        err.add(path, f"{value!r} is out of range: use one of {allowed} (GB/T 39117 scale)")
        return None
    return float(value)


def _evidence(
    raw: Any, base: Path | None, path: str, err: _Errors, files: bool = True
) -> tuple[Evidence, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        err.add(path, "must be a list of references (paths, URLs or {ref, title})")
        return ()
    out: list[Evidence] = []
    for i, item in enumerate(raw):
        where = f"{path}[{i}]"
        title = ""
        if isinstance(item, dict):
            unknown = sorted(set(item) - {"ref", "title"})
            if unknown:
                err.add(where, f"unknown field(s) {', '.join(unknown)}")
            title = str(item.get("title") or "")
            item = item.get("ref")
        if not isinstance(item, str) or not item.strip():
            err.add(where, "must be a non-empty reference (a path, a URL or {ref, title})")
            continue
        if item.startswith(_SCHEMES):
            out.append(Evidence(item, title, "url"))
            continue
        if not files:
            err.add(
                where,
                f"{item!r}: evidence sent over the network is kept by reference: give a URL "
                "(http://, https://) or a document id (doc:, urn:)",
            )
            continue
        file = Path(item) if base is None or Path(item).is_absolute() else base / item
        if not file.is_file():
            err.add(where, f"evidence file {file} does not exist")
            continue
        data = file.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        out.append(Evidence(item, title, "file", len(data), digest, str(file)))
    return tuple(out)


def _answer(
    rid: str, raw: Any, rubric: Rubric, base: Path | None, err: _Errors, files: bool = True
) -> Answer | None:
    path = f"answers[{rid}]"
    if rid not in rubric.requirement_index:
        close = difflib.get_close_matches(rid, list(rubric.requirement_index), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        err.add(path, f"unknown requirement id in rubric {rubric.rubric_version!r}{hint}")
        return None
    if not isinstance(raw, dict):
        raw = {"score": raw}
    unknown = sorted(set(raw) - {"score", "evidence", "note"})
    if unknown:
        err.add(path, f"unknown field(s) {', '.join(unknown)}")
    if "score" not in raw:
        err.add(f"{path}.score", "required field is missing")
        return None
    score = _score(raw["score"], rubric.scale, f"{path}.score", err)
    note = raw.get("note") or ""
    if not isinstance(note, str):
        err.add(f"{path}.note", "must be text")
    evidence = _evidence(raw.get("evidence"), base, f"{path}.evidence", err, files)
    return None if score is None else Answer(rid, score, evidence, str(note))


def _scenario(
    key: Any, raw: Any, numbers: Collection[int], base: Path | None, err: _Errors, files: bool
) -> ScenarioAnswer | None:
    path = f"scenarios[{key}]"
    try:
        number = int(key)
    except (TypeError, ValueError):
        err.add(path, "scenario keys are the scenario numbers of the catalogue (1-40)")
        return None
    if number not in numbers:
        err.add(
            path, f"unknown scenario {number} (the catalogue has {min(numbers)}-{max(numbers)})"
        )
        return None
    if not isinstance(raw, dict):
        err.add(path, "must be a mapping {implemented, ai, evidence, note}")
        return None
    unknown = sorted(set(raw) - {"implemented", "ai", "evidence", "note"})
    if unknown:
        err.add(path, f"unknown field(s) {', '.join(unknown)}")
    flags = {}
    for name in ("implemented", "ai"):
        value = raw.get(name, False)
        if not isinstance(value, bool):
            err.add(f"{path}.{name}", f"must be true or false, not {value!r}")
        flags[name] = value is True
    evidence = _evidence(raw.get("evidence"), base, f"{path}.evidence", err, files)
    note = raw.get("note") or ""
    if not isinstance(note, str):
        err.add(f"{path}.note", "must be text")
    return ScenarioAnswer(number, flags["implemented"], flags["ai"], evidence, str(note))


def parse_answers(
    doc: Any,
    rubric: Rubric,
    scenario_numbers: Collection[int],
    *,
    base_dir: Path | None = None,
    source: str = "<answers>",
    files: bool = True,
) -> Answers:
    """Validate an answers document; :class:`ValidationFailed` lists every error with its path.

    With ``files=False`` (documents sent over the network) evidence must be a URL or a
    document id: a path would read a file of the server."""
    err = _Errors()
    if not isinstance(doc, dict):
        raise ValidationFailed(f"answers {source}", [("", "must be a mapping with 'answers'")])
    for key in sorted(set(doc) - _TOP, key=str):
        err.add(str(key), f"unknown field (expected {', '.join(sorted(_TOP))})")
    if doc.get("schema", ANSWERS_SCHEMA) != ANSWERS_SCHEMA:
        err.add(
            "schema", f"unsupported schema {doc['schema']!r}; this version reads {ANSWERS_SCHEMA}"
        )
    version = doc.get("rubric_version")
    if version is not None and version != rubric.rubric_version:
        err.add(
            "rubric_version", f"{version!r} does not match the rubric {rubric.rubric_version!r}"
        )
    etype = doc.get("enterprise_type")
    if etype is not None and (
        not isinstance(etype, str) or etype not in rubric.enterprise_type_ids
    ):
        err.add(
            "enterprise_type",
            f"unknown type {etype!r}; use {', '.join(rubric.enterprise_type_ids)}",
        )
        etype = None
    raw_answers = doc.get("answers") or {}
    answers: dict[str, Answer] = {}
    if not isinstance(raw_answers, dict):
        err.add("answers", "must map requirement ids to scores")
    else:
        for rid, raw in raw_answers.items():
            a = _answer(str(rid), raw, rubric, base_dir, err, files)
            if a is not None:
                answers[a.requirement] = replace(a, source=source)
    raw_scen = doc.get("scenarios") or {}
    scenarios: dict[int, ScenarioAnswer] = {}
    if not isinstance(raw_scen, dict):
        err.add("scenarios", "must map scenario numbers to {implemented, ai, evidence}")
    else:
        for key, raw in raw_scen.items():
            s = _scenario(key, raw, scenario_numbers, base_dir, err, files)
            if s is not None:
                scenarios[s.number] = s
    if err.items:
        raise ValidationFailed(f"answers {source}", err.items)
    return Answers(answers, scenarios, etype, source)


def load_answers(path: str | Path, rubric: Rubric, scenario_numbers: Collection[int]) -> Answers:
    """Answers from a YAML or JSON file (JSON is YAML; a ``.json`` file is read as JSON)."""
    p = Path(path)
    if not p.is_file():
        raise NotFound(f"answers file {p} does not exist")
    text = p.read_text("utf-8")
    try:
        doc = json.loads(text) if p.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ValidationFailed(f"answers {p}", [("", f"cannot be parsed: {exc}")]) from None
    return parse_answers(doc, rubric, scenario_numbers, base_dir=p.parent, source=str(p))


def parse_cli_answers(items: Iterable[str], rubric: Rubric) -> list[Answer]:
    """``--answer ID=SCORE`` options; every bad one is reported with its position."""
    err = _Errors()
    out: list[Answer] = []
    for i, item in enumerate(items):
        rid, sep, value = item.partition("=")
        where = f"--answer[{i}] {item!r}"
        if not sep:
            err.add(where, "must read REQUIREMENT_ID=SCORE")
            continue
        try:
            number: Any = float(value)
        except ValueError:
            number = value
        a = _answer(rid.strip(), {"score": number}, rubric, None, err)
        if a is not None:
            out.append(replace(a, source="cli"))
    if err.items:
        raise ValidationFailed("answers given on the command line", err.items)
    return out


def answers_from_mapping(
    doc: Mapping[str, Any], rubric: Rubric, scenario_numbers: Collection[int]
) -> Answers:
    """Answers sent by the web page (the same document as a file, evidence as URLs/refs)."""
    return parse_answers(dict(doc), rubric, scenario_numbers, source="web", files=False)
