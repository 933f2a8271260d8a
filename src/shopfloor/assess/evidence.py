"""Requirement scores the platform can give by itself, from its own metrics.

``data/evidence_rules.yaml`` maps a requirement id to the metrics that evidence it. The score is
the first of the settings' ``evidence_bands`` ((min, score), highest min first) that the value
reaches, 0 below them all; with several metrics the lowest value counts. A metric without a
value gives no score (the requirement stays unanswered). The mapping is ours, not the
standard's, so every platform score says ``inferred: true``. Rules naming a requirement the
loaded rubric does not have are skipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from shopfloor.assess.metric import Metric
from shopfloor.assess.rubric import Rubric

DATA_PACKAGE = "shopfloor.assess.data"


@dataclass(frozen=True)
class PlatformScore:
    requirement: str
    score: float
    value: float
    metrics: tuple[tuple[str, float | None], ...]
    rule: str
    inferred: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "value": self.value,
            "metrics": dict(self.metrics),
            "rule": self.rule,
            "inferred": self.inferred,
        }


@cache
def rules() -> dict[str, tuple[str, ...]]:
    """Requirement id -> the metrics that evidence it."""
    text = resources.files(DATA_PACKAGE).joinpath("evidence_rules.yaml").read_text("utf-8")
    doc = yaml.safe_load(text)
    return {rid: tuple(spec["metrics"]) for rid, spec in doc.items()}


def band_score(value: float, bands: Sequence[tuple[float, float]]) -> float:
    for low, s in sorted(bands, reverse=True):
        if value >= low - 1e-12:
            return s
    return 0.0


def platform_scores(
    rubric: Rubric, metrics: Mapping[str, Metric], bands: Sequence[tuple[float, float]]
) -> dict[str, PlatformScore]:
    out: dict[str, PlatformScore] = {}
    text = ", ".join(f">= {low:g} -> {s:g}" for low, s in sorted(bands, reverse=True))
    for rid, names in rules().items():
        if rid not in rubric.requirement_index:
            continue
        values = tuple((n, metrics[n].value if n in metrics else None) for n in names)
        known = [v for _n, v in values if v is not None]
        if len(known) != len(values):
            continue
        value = min(known)
        rule = f"min({', '.join(names)}) = {value:.3f}; bands {text}, else 0"
        out[rid] = PlatformScore(rid, band_score(value, bands), value, values, rule)
    return out
