"""The maturity rubric as versioned data: GB/T 39116 structure, GB/T 39117 scoring mechanics.

A rubric file (YAML) names its ``rubric_version`` and holds the five level definitions, the
scoring rules (requirement scale, level pass threshold, S -> level bands), the enterprise
types, the platform metric definitions and the capability tree: elements > domains >
sub-domains, each sub-domain with its requirements per level. Every statement the authors could
not take from the official text carries ``inferred: true``; the flags are kept as they are and
every output shows them.

The default rubric ships inside the package (``rubrics/``, our team's draft); :func:`load_rubric`
reads it or any other file following the same schema, reporting every error with its path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from shopfloor.errors import NotFound, ValidationFailed
from shopfloor.plant.loader import format_loc

RUBRICS_PACKAGE = "shopfloor.assess.rubrics"
DEFAULT_RUBRIC = "gbt39116-2020-draft-v0.1.yaml"
LEVELS = (1, 2, 3, 4, 5)
_REQ_ID = re.compile(r"^(?P<sub>[a-z0-9_]+)\.L(?P<level>[1-5])\.[a-z]$")


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Requirement(_M):
    id: str
    zh: str
    en: str
    inferred: bool


class SubDomain(_M):
    id: str
    zh: str
    en: str
    name_inferred: bool = False
    applicable_from_level: int = Field(default=1, ge=1, le=5)
    applicable_from_level_inferred: bool = False
    applies_to: tuple[str, ...] = ("discrete", "process")
    applies_to_inferred: bool = False
    weight: float | None = Field(default=None, ge=0)
    weight_inferred: bool = False
    evidence_hints: tuple[str, ...] = ()
    platform_metrics: tuple[str, ...] = ()
    related_scenarios_2025: tuple[int, ...] = ()
    requirements: dict[int, tuple[Requirement, ...]] = Field(default_factory=dict)
    note: str = ""

    @model_validator(mode="after")
    def _ids(self) -> SubDomain:
        for level, reqs in self.requirements.items():
            if level not in LEVELS:
                raise ValueError(f"requirements: level {level} is not one of 1-5")
            for r in reqs:
                m = _REQ_ID.match(r.id)
                if m is None or m["sub"] != self.id or int(m["level"]) != level:
                    raise ValueError(
                        f"requirement id {r.id!r} must read '{self.id}.L{level}.<letter>'"
                    )
        return self

    def at(self, level: int) -> tuple[Requirement, ...]:
        return self.requirements.get(level, ())


class Domain(_M):
    id: str
    zh: str
    en: str
    weight: float | None = Field(default=None, ge=0)
    weight_inferred: bool = False
    subdomains: tuple[SubDomain, ...] = Field(min_length=1)


class Element(_M):
    id: str
    zh: str
    en: str
    weight: float | None = Field(default=None, ge=0)
    weight_inferred: bool = False
    domains: tuple[Domain, ...] = Field(min_length=1)


class LevelDef(_M):
    level: int = Field(ge=1, le=5)
    zh: str
    en: str
    short_zh: str = ""
    definition_zh: str
    definition_en: str
    inferred: bool
    confidence: str = ""


class ScaleStep(_M):
    zh: str
    en: str
    score: float = Field(ge=0, le=1)


class Rule(_M):
    rule: str
    inferred: bool
    confidence: str = ""


class Band(_M):
    level: int = Field(ge=1, le=5)
    min: float
    max_exclusive: float | None = None
    max_inclusive: float | None = None

    def holds(self, s: float) -> bool:
        if s < self.min:
            return False
        if self.max_exclusive is not None:
            return s < self.max_exclusive
        return self.max_inclusive is None or s <= self.max_inclusive


class Scoring(_M):
    method: str
    requirement_scale: tuple[ScaleStep, ...] = Field(min_length=2)
    requirement_scale_inferred: bool
    requirement_scale_confidence: str = ""
    subdomain_score: Rule
    aggregation: Rule
    level_pass_threshold: float = Field(gt=0, le=1)
    level_pass_threshold_inferred: bool
    level_pass_threshold_confidence: str = ""
    total_score: Rule
    score_to_level: tuple[Band, ...] = Field(min_length=1)
    score_to_level_inferred: bool
    score_to_level_confidence: str = ""
    below_level_1: str = ""


class EnterpriseType(_M):
    id: str
    zh: str
    en: str
    assessed_subdomains: str = ""
    inferred: bool


class PlatformMetricDef(_M):
    zh: str = ""
    formula: str
    standard_basis: str = ""
    inferred: bool


class Placed(BaseModel):
    """A sub-domain with the element and domain it sits in."""

    model_config = ConfigDict(frozen=True)
    element: Element
    domain: Domain
    sub: SubDomain


class Rubric(_M):
    rubric_version: str = Field(min_length=1)
    status: str = ""
    notes: tuple[str, ...] = ()
    sources: dict[str, Any] = Field(default_factory=dict)
    levels: tuple[LevelDef, ...] = Field(min_length=5, max_length=5)
    scoring: Scoring
    enterprise_types: tuple[EnterpriseType, ...] = Field(min_length=1)
    gradient_cultivation_2025_minimum_level: dict[str, Any] = Field(default_factory=dict)
    platform_metrics: dict[str, PlatformMetricDef] = Field(default_factory=dict)
    elements: tuple[Element, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Rubric:
        if sorted(lv.level for lv in self.levels) != list(LEVELS):
            raise ValueError("levels must define each of the levels 1-5 once")
        seen: set[str] = set()
        for p in self.placed():
            for reqs in p.sub.requirements.values():
                for r in reqs:
                    if r.id in seen:
                        raise ValueError(f"requirement id {r.id!r} is used twice")
                    seen.add(r.id)
        subs = [p.sub.id for p in self.placed()]
        dup = sorted({s for s in subs if subs.count(s) > 1})
        if dup:
            raise ValueError(f"sub-domain ids used twice: {', '.join(dup)}")
        return self

    # ---- navigation ---------------------------------------------------------------------------

    def placed(self) -> list[Placed]:
        return [
            Placed(element=e, domain=d, sub=s)
            for e in self.elements
            for d in e.domains
            for s in d.subdomains
        ]

    @cached_property
    def requirement_index(self) -> dict[str, tuple[Placed, int, Requirement]]:
        """Requirement id -> (its sub-domain, level, requirement)."""
        out: dict[str, tuple[Placed, int, Requirement]] = {}
        for p in self.placed():
            for level, reqs in sorted(p.sub.requirements.items()):
                for r in reqs:
                    out[r.id] = (p, level, r)
        return out

    def requirements(self) -> Iterator[tuple[Placed, int, Requirement]]:
        yield from self.requirement_index.values()

    def level(self, n: int) -> LevelDef:
        return next(lv for lv in self.levels if lv.level == n)

    @property
    def scale(self) -> tuple[float, ...]:
        return tuple(s.score for s in self.scoring.requirement_scale)

    @property
    def enterprise_type_ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.enterprise_types)

    def applicable(self, sub: SubDomain, level: int, enterprise_type: str) -> bool:
        """Whether ``sub`` is assessed at ``level`` for ``enterprise_type``."""
        return (
            level >= sub.applicable_from_level
            and enterprise_type in sub.applies_to
            and bool(sub.at(level))
        )

    def band(self, total: float) -> int | None:
        """The maturity level of total score S, None below the lowest band."""
        for b in self.scoring.score_to_level:
            if b.holds(total):
                return b.level
        return None

    def inferred_rules(self) -> list[tuple[str, bool, str]]:
        """(what, inferred, confidence) of every scoring rule, for the provenance section."""
        sc = self.scoring
        return [
            ("requirement_scale", sc.requirement_scale_inferred, sc.requirement_scale_confidence),
            ("subdomain_score", sc.subdomain_score.inferred, sc.subdomain_score.confidence),
            ("aggregation", sc.aggregation.inferred, sc.aggregation.confidence),
            (
                "level_pass_threshold",
                sc.level_pass_threshold_inferred,
                sc.level_pass_threshold_confidence,
            ),
            ("total_score", sc.total_score.inferred, sc.total_score.confidence),
            ("score_to_level", sc.score_to_level_inferred, sc.score_to_level_confidence),
        ]


def parse_rubric(doc: Any, source: str = "<rubric>") -> Rubric:
    """Validate a parsed rubric document; :class:`ValidationFailed` lists every error."""
    if not isinstance(doc, dict):
        raise ValidationFailed(f"rubric {source}", [("", "must be a YAML mapping")])
    try:
        return Rubric.model_validate(doc)
    except ValidationError as exc:
        errors = []
        raw = exc.errors()
        locs = [tuple(e["loc"]) for e in raw]
        for e in raw:
            loc = tuple(e["loc"])
            if e["type"] == "too_short" and any(o[: len(loc)] == loc and o != loc for o in locs):
                continue  # only echoes the failed member below it
            msg = str(e["msg"]).removeprefix("Value error, ")
            if e["type"] == "extra_forbidden":
                msg = "unknown field"
            elif e["type"] == "missing":
                msg = "required field is missing"
            errors.append((format_loc(loc), msg))
        raise ValidationFailed(f"rubric {source}", errors) from None


def load_rubric(path: str | Path | None = None) -> Rubric:
    """The rubric in ``path``, or the default one shipped with the package."""
    if path is None:
        text = resources.files(RUBRICS_PACKAGE).joinpath(DEFAULT_RUBRIC).read_text("utf-8")
        source = f"default:{DEFAULT_RUBRIC}"
    else:
        p = Path(path)
        if not p.is_file():
            raise NotFound(f"rubric file {p} does not exist")
        text, source = p.read_text("utf-8"), str(p)
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationFailed(f"rubric {source}", [("", f"not valid YAML: {exc}")]) from None
    return parse_rubric(doc, source)
