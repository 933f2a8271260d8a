"""Assessment settings: gradient-level gates, weights, benchmarks, money, systems, simulation.

The defaults ship in ``data/defaults.yaml``; a user's file (``--config``) is merged over them
(mappings key by key, lists replaced whole). Every threshold of a gate carries its ``source``;
a gate without one is reported as "unsourced". Money and benchmarks carry their source too.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from shopfloor.errors import NotFound, ValidationFailed
from shopfloor.plant.loader import format_loc

DATA_PACKAGE = "shopfloor.assess.data"
GRADES = ("basic", "advanced", "excellent", "leading")
LINKS = (
    "factory_construction",
    "rd_design",
    "production_operations",
    "production_management",
    "operations_management",
)


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Gate(_M):
    """One condition of a gradient level: ``metric op threshold``."""

    metric: str
    op: Literal[">=", "<=", "includes"]
    threshold: float | tuple[str, ...]
    #: Where the threshold comes from; None is reported as "unsourced".
    source: str | None = None
    confidence: str = ""
    note: str = ""

    @model_validator(mode="after")
    def _shape(self) -> Gate:
        if self.op == "includes":
            if not isinstance(self.threshold, tuple):
                raise ValueError("an 'includes' gate needs a list of link ids as threshold")
            unknown = [x for x in self.threshold if x not in LINKS]
            if unknown:
                raise ValueError(f"unknown link ids {unknown}; use {', '.join(LINKS)}")
        elif isinstance(self.threshold, tuple):
            raise ValueError(f"a '{self.op}' gate needs a number as threshold")
        return self


class Grade(_M):
    """A gradient-cultivation level (智能工厂梯度培育) and its gates."""

    id: Literal["basic", "advanced", "excellent", "leading"]
    zh: str
    en: str
    gates: tuple[Gate, ...] = Field(min_length=1)


class Sourced(_M):
    value: float | None = None
    unit: str = ""
    source: str | None = None
    year: int | None = None


class Weights(_M):
    """Relative weights within each group of the rubric tree (GB/T 39117 weight tables)."""

    elements: dict[str, float] = Field(default_factory=dict)
    domains: dict[str, float] = Field(default_factory=dict)
    subdomains: dict[str, float] = Field(default_factory=dict)

    @property
    def given(self) -> bool:
        return bool(self.elements or self.domains or self.subdomains)

    @model_validator(mode="after")
    def _positive(self) -> Weights:
        for tier in ("elements", "domains", "subdomains"):
            bad = [k for k, w in getattr(self, tier).items() if not w >= 0]
            if bad:
                raise ValueError(f"{tier}: weights must be >= 0 (bad: {', '.join(bad)})")
        return self


class Investment(_M):
    equipment: float = Field(default=0.0, ge=0)
    software: float = Field(default=0.0, ge=0)
    integration: float = Field(default=0.0, ge=0)
    other: float = Field(default=0.0, ge=0)
    currency: str = "CNY"
    source: str | None = None

    @property
    def total(self) -> float:
        return self.equipment + self.software + self.integration + self.other


class Exchange(_M):
    to: str
    messages: str
    interface: str = ""
    count: int | None = Field(default=None, ge=0)
    source: str | None = None


class System(_M):
    """An enterprise system outside the platform (ERP, PLM, SCM, WMS...)."""

    id: str
    kind: str
    name: str = ""
    exchanges: tuple[Exchange, ...] = ()


class BusinessProcess(_M):
    id: str
    zh: str
    en: str
    #: Which system carries it: ``mes`` and ``platform`` are proved by the platform itself.
    system: Literal["mes", "erp", "platform", "other", "none"] = "none"
    note: str = ""


class Simulate(_M):
    """The synthetic baseline and current periods run on the plant's twin."""

    hours: float = Field(default=8.0, gt=0, le=168)
    seed: int = 1
    #: Days between the start of the baseline and the start of the current period.
    gap_days: int = Field(default=7, ge=1, le=3650)
    #: Legacy settings of the baseline: each product's process setting times its factor, plus
    #: its offset; ``baseline_overrides`` (product -> setting -> value) win over both.
    baseline_factors: dict[str, float] = Field(default_factory=dict)
    baseline_offsets: dict[str, float] = Field(default_factory=dict)
    baseline_overrides: dict[str, dict[str, float]] = Field(default_factory=dict)
    #: The current period runs the products' nominal settings, with these overrides.
    current_overrides: dict[str, dict[str, float]] = Field(default_factory=dict)


class Probe(_M):
    observe_s: float = Field(default=5.0, gt=0, le=600)
    timeout_s: float = Field(default=15.0, gt=0, le=600)


class AssessOptions(_M):
    enterprise_type: str | None = None
    target_level: int | None = Field(default=None, ge=1, le=5)
    weights: Weights = Field(default_factory=lambda: Weights())
    #: Platform metric -> requirement score: the first band whose ``min`` the value reaches.
    evidence_bands: tuple[tuple[float, float], ...] = ((0.9, 1.0), (0.7, 0.8), (0.4, 0.5))
    grades: tuple[Grade, ...] = Field(min_length=1)
    energy_benchmark: Sourced = Field(default_factory=lambda: Sourced())
    electricity_price: Sourced = Field(default_factory=lambda: Sourced())
    fixed_cost_per_hour: Sourced = Field(default_factory=lambda: Sourced())
    investment: Investment = Field(default_factory=lambda: Investment())
    annual_hours: float | None = Field(default=None, gt=0, le=8784)
    sensitive_fields: tuple[str, ...] = ()
    #: The model registry folder (``shopfloor pdm`` writes it) and which model watches which
    #: equipment (id or path -> model name; a model named like the equipment id needs no entry).
    model_registry: Path | None = None
    pdm_models: dict[str, str] = Field(default_factory=dict)
    systems: tuple[System, ...] = ()
    business_processes: tuple[BusinessProcess, ...] = ()
    simulate: Simulate = Field(default_factory=lambda: Simulate())
    probe: Probe = Field(default_factory=lambda: Probe())
    pdf_font: str = "Noto Sans CJK SC"

    @model_validator(mode="after")
    def _checks(self) -> AssessOptions:
        ids = [g.id for g in self.grades]
        if ids != [g for g in GRADES if g in ids]:
            raise ValueError(f"grades must be listed in the order {', '.join(GRADES)}")
        return self

    def grade(self, grade_id: str) -> Grade:
        return next(g for g in self.grades if g.id == grade_id)


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = _merge(base.get(k), v) if k in base else v
        return out
    return over


def default_document() -> dict[str, Any]:
    text = resources.files(DATA_PACKAGE).joinpath("defaults.yaml").read_text("utf-8")
    doc: dict[str, Any] = yaml.safe_load(text)
    return doc


def _apply_thresholds(doc: dict[str, Any], thresholds: Any) -> list[tuple[str, str]]:
    """``thresholds: {"advanced.roi": 0.3}`` or ``{"advanced.roi": {threshold, source}}``:
    change one gate without restating the grades. A new threshold without a source is
    unsourced."""
    if not isinstance(thresholds, dict):
        return [("thresholds", "must map 'grade.metric' to a threshold")]
    errors: list[tuple[str, str]] = []
    for key, value in thresholds.items():
        where = f"thresholds.{key}"
        grade_id, _, metric = str(key).partition(".")
        grade = next((g for g in doc.get("grades") or [] if g.get("id") == grade_id), None)
        gates = (
            []
            if grade is None
            else [g for g in grade.get("gates") or [] if g.get("metric") == metric]
        )
        if not gates:
            errors.append((where, f"no gate {metric!r} in grade {grade_id!r}"))
            continue
        change = dict(value) if isinstance(value, dict) else {"threshold": value}
        unknown = sorted(set(change) - {"threshold", "source", "note", "confidence"})
        if unknown:
            errors.append((where, f"unknown field(s) {', '.join(unknown)}"))
            continue
        change.setdefault("source", None)
        for g in gates:
            g.update(change)
    return errors


def parse_options(doc: Any, source: str = "<config>") -> AssessOptions:
    """Validate a settings document merged over the defaults; errors name their path."""
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise ValidationFailed(f"assessment config {source}", [("", "must be a mapping")])
    doc = dict(doc)
    thresholds = doc.pop("thresholds", None) or {}
    merged = _merge(default_document(), doc)
    errors = _apply_thresholds(merged, thresholds)
    if errors:
        raise ValidationFailed(f"assessment config {source}", errors)
    try:
        return AssessOptions.model_validate(merged)
    except ValidationError as exc:
        errors = []
        for e in exc.errors():
            msg = str(e["msg"]).removeprefix("Value error, ")
            if e["type"] == "extra_forbidden":
                msg = "unknown field"
            errors.append((format_loc(tuple(e["loc"])), msg))
        raise ValidationFailed(f"assessment config {source}", errors) from None


def load_options(path: str | Path | None = None) -> AssessOptions:
    """The defaults, with the YAML/JSON file at ``path`` merged over them."""
    if path is None:
        return parse_options({}, "defaults")
    p = Path(path)
    if not p.is_file():
        raise NotFound(f"assessment config {p} does not exist")
    try:
        doc = yaml.safe_load(p.read_text("utf-8"))
    except yaml.YAMLError as exc:
        raise ValidationFailed(f"assessment config {p}", [("", f"not valid YAML: {exc}")]) from None
    return parse_options(doc, str(p))
