"""Scenario coverage: the 40 typical scenarios of the 2025 guide against the platform, with proof.

A scenario is **live** when one of its platform features is proved live in this assessment
(:mod:`shopfloor.assess.proofs`), **declared** when the answers say it is implemented (by the
platform or another system, with evidence), **available** when a feature that could carry it is
installed but unproved, and **none** otherwise. A 要素条件 link is covered when at least one of
its scenarios is live or declared (our reading of "覆盖", inferred).

AI scenario share = covered scenarios that run on an AI feature (a live AI feature, or declared
``ai: true``) / covered scenarios.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shopfloor.assess.answers import ScenarioAnswer
from shopfloor.assess.catalog import ScenarioCatalogue, features, scenarios
from shopfloor.assess.metric import Metric, ratio_metric
from shopfloor.assess.proofs import LIVE, MISSING, EvidenceContext, Proof, prove

COVERED = ("live", "declared")


@dataclass(frozen=True)
class FeatureProof:
    feature: str
    zh: str
    en: str
    ai: bool
    proof: Proof

    def to_dict(self) -> dict[str, Any]:
        return {"feature": self.feature, "ai": self.ai, **self.proof.to_dict()}


@dataclass(frozen=True)
class ScenarioRow:
    n: int
    link: str
    element_link: str
    zh: str
    en: str
    status: str
    ai: bool
    features: tuple[FeatureProof, ...]
    declared: ScenarioAnswer | None

    def to_dict(self) -> dict[str, Any]:
        d = self.declared
        return {
            "n": self.n,
            "link": self.link,
            "element_link": self.element_link,
            "zh": self.zh,
            "en": self.en,
            "status": self.status,
            "ai": self.ai,
            "features": [f.to_dict() for f in self.features],
            "declared": None
            if d is None
            else {
                "implemented": d.implemented,
                "ai": d.ai,
                "note": d.note,
                "evidence": [e.to_dict() for e in d.evidence],
            },
        }


def coverage(ctx: EvidenceContext, declared: Mapping[int, ScenarioAnswer]) -> list[ScenarioRow]:
    cat: ScenarioCatalogue = scenarios()
    feats = features()
    rows = []
    for s in cat.scenarios:
        proofs = tuple(
            FeatureProof(f, feats[f].zh, feats[f].en, feats[f].ai, prove(feats[f], ctx))
            for f in s.features
        )
        live = [p for p in proofs if p.proof.status == LIVE]
        d = declared.get(s.n)
        if live:
            status = "live"
        elif d is not None and d.implemented:
            status = "declared"
        elif any(p.proof.status != MISSING for p in proofs):
            status = "available"
        else:
            status = "none"
        ai = any(p.ai for p in live) or (d is not None and d.implemented and d.ai)
        element_link = cat.links[s.link].element_link
        rows.append(ScenarioRow(s.n, s.link, element_link, s.zh, s.en, status, ai, proofs, d))
    return rows


def links_covered(rows: list[ScenarioRow]) -> tuple[str, ...]:
    return tuple(sorted({r.element_link for r in rows if r.status in COVERED}))


def ai_share(rows: list[ScenarioRow]) -> Metric:
    covered = [r for r in rows if r.status in COVERED]
    return ratio_metric(
        "ai_scenario_share",
        sum(1 for r in covered if r.ai),
        len(covered),
        formula="covered scenarios running on an AI feature / covered scenarios",
        basis="scenario coverage (live proof + declared answers)",
        records=[{"scenario": r.n, "status": r.status, "ai": r.ai} for r in covered],
    )
