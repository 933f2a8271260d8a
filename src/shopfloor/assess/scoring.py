"""GB/T 39117 scoring: requirement scores -> sub-domain means -> level scores -> S -> level.

1. Each requirement has a score on the rubric's scale (1 / 0.8 / 0.5 / 0): the assessor's
   answer, else the platform's own evidence (:mod:`shopfloor.assess.evidence`), else it is
   *unanswered* and counts 0 (stated in every output; the answered share is shown per level).
2. Sub-domain score at level n = mean of its requirement scores at n.
3. Level score = sum over elements (w_e x sum over domains (w_d x sum over sub-domains (w_s x
   sub-domain score))) over the sub-domains assessed at that level for the enterprise type;
   the weights of each group are normalised over its assessed members. Without weights (the
   GB/T 39117 tables were not available) every member of a group weighs the same, and the
   result says ``equal_weights: true``.
4. A level is met when its score >= the rubric's pass threshold (0.8). S adds the level scores
   from level 1 up and stops after the first level not met (its score still counts).
5. The maturity level is the rubric's S band (0.8-1.8 -> 1 ... 4.8-5 -> 5); below: none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shopfloor.assess.answers import Answer
from shopfloor.assess.evidence import PlatformScore
from shopfloor.assess.options import Weights
from shopfloor.assess.rubric import LEVELS, Placed, Rubric
from shopfloor.errors import ConfigError


@dataclass(frozen=True)
class RequirementScore:
    id: str
    level: int
    subdomain: str
    score: float | None  # None: unanswered (counts 0)
    source: str  # "answer", "platform" or "unanswered"
    inferred: bool
    answer: Answer | None = None
    platform: PlatformScore | None = None

    @property
    def counted(self) -> float:
        return 0.0 if self.score is None else self.score

    @property
    def disagrees(self) -> bool:
        """The assessor's answer differs from what the platform measured."""
        return (
            self.answer is not None
            and self.platform is not None
            and abs(self.answer.score - self.platform.score) > 1e-9
        )


@dataclass(frozen=True)
class SubdomainScore:
    subdomain: str
    level: int
    mean: float
    weight: float  # effective share in the level score (sums to 1 over the level)
    answered: int
    total: int


@dataclass
class LevelScore:
    level: int
    score: float
    passed: bool
    counted: bool  # part of S
    answered: int
    total: int
    subdomains: list[SubdomainScore] = field(default_factory=list)


@dataclass
class Maturity:
    enterprise_type: str
    threshold: float
    levels: list[LevelScore]
    total: float
    level: int | None
    equal_weights: bool
    requirements: dict[str, RequirementScore]

    def level_score(self, n: int) -> LevelScore:
        return self.levels[n - 1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "enterprise_type": self.enterprise_type,
            "pass_threshold": self.threshold,
            "total_score": self.total,
            "maturity_level": self.level,
            "equal_weights": self.equal_weights,
            "levels": [
                {
                    "level": lv.level,
                    "score": lv.score,
                    "passed": lv.passed,
                    "counted_in_total": lv.counted,
                    "answered": lv.answered,
                    "requirements": lv.total,
                    "subdomains": [
                        {
                            "id": s.subdomain,
                            "mean": s.mean,
                            "weight": s.weight,
                            "answered": s.answered,
                            "requirements": s.total,
                        }
                        for s in lv.subdomains
                    ],
                }
                for lv in self.levels
            ],
        }


def requirement_scores(
    rubric: Rubric, answers: Mapping[str, Answer], platform: Mapping[str, PlatformScore]
) -> dict[str, RequirementScore]:
    """Every requirement's score: the answer, else the platform's evidence, else unanswered."""
    out: dict[str, RequirementScore] = {}
    for placed, level, req in rubric.requirements():
        a, p = answers.get(req.id), platform.get(req.id)
        if a is not None:
            score, source = a.score, "answer"
        elif p is not None:
            score, source = p.score, "platform"
        else:
            score, source = None, "unanswered"
        out[req.id] = RequirementScore(
            req.id, level, placed.sub.id, score, source, req.inferred, a, p
        )
    return out


def check_weights(rubric: Rubric, weights: Weights) -> None:
    """Unknown ids, and groups where only some members have a weight, are errors."""
    errors: list[str] = []
    tiers: dict[str, set[str]] = {
        "elements": {e.id for e in rubric.elements},
        "domains": {d.id for e in rubric.elements for d in e.domains},
        "subdomains": {p.sub.id for p in rubric.placed()},
    }
    for tier, known in tiers.items():
        for key in getattr(weights, tier):
            if key not in known:
                errors.append(f"weights.{tier}.{key}: not in rubric {rubric.rubric_version!r}")
    groups: list[tuple[str, list[str], dict[str, float]]] = [
        ("elements", [e.id for e in rubric.elements], weights.elements)
    ]
    for e in rubric.elements:
        groups.append((f"domains of {e.id}", [d.id for d in e.domains], weights.domains))
        for d in e.domains:
            groups.append(
                (f"subdomains of {d.id}", [s.id for s in d.subdomains], weights.subdomains)
            )
    for what, members, given in groups:
        have = [m for m in members if m in given]
        if have and len(have) != len(members):
            missing = ", ".join(m for m in members if m not in given)
            errors.append(
                f"weights: {what}: give every member a weight or none (missing {missing})"
            )
    if errors:
        raise ConfigError("; ".join(errors), errors=errors)


def _weight(given: Mapping[str, float], own: float | None, key: str) -> float:
    if key in given:
        return given[key]
    return 1.0 if own is None else own


def _shares(rubric: Rubric, weights: Weights, assessed: list[Placed]) -> dict[str, float]:
    """Sub-domain id -> its share of the level score (normalised within each group)."""
    shares: dict[str, float] = {}
    ids = {p.sub.id for p in assessed}
    elements = [e for e in rubric.elements if any(p.element.id == e.id for p in assessed)]
    we = {e.id: _weight(weights.elements, e.weight, e.id) for e in elements}
    for e in elements:
        domains = [d for d in e.domains if any(s.id in ids for s in d.subdomains)]
        wd = {d.id: _weight(weights.domains, d.weight, d.id) for d in domains}
        for d in domains:
            subs = [s for s in d.subdomains if s.id in ids]
            ws = {s.id: _weight(weights.subdomains, s.weight, s.id) for s in subs}
            for s in subs:
                shares[s.id] = _norm(we, e.id) * _norm(wd, d.id) * _norm(ws, s.id)
    return shares


def _norm(group: Mapping[str, float], key: str) -> float:
    total = sum(group.values())
    return 1.0 / len(group) if total <= 0 else group[key] / total


def score(
    rubric: Rubric,
    requirements: Mapping[str, RequirementScore],
    *,
    enterprise_type: str,
    weights: Weights,
) -> Maturity:
    """Level scores, S and the maturity level (see the module doc)."""
    if enterprise_type not in rubric.enterprise_type_ids:
        raise ConfigError(
            f"enterprise type {enterprise_type!r} is not in the rubric "
            f"({', '.join(rubric.enterprise_type_ids)})"
        )
    check_weights(rubric, weights)
    threshold = rubric.scoring.level_pass_threshold
    levels: list[LevelScore] = []
    for n in LEVELS:
        assessed = [p for p in rubric.placed() if rubric.applicable(p.sub, n, enterprise_type)]
        shares = _shares(rubric, weights, assessed)
        lv = LevelScore(n, 0.0, False, False, 0, 0)
        for p in assessed:
            scores = [requirements[r.id] for r in p.sub.at(n)]
            answered = sum(1 for s in scores if s.score is not None)
            mean = sum(s.counted for s in scores) / len(scores)
            lv.subdomains.append(
                SubdomainScore(p.sub.id, n, mean, shares[p.sub.id], answered, len(scores))
            )
            lv.score += shares[p.sub.id] * mean
            lv.answered += answered
            lv.total += len(scores)
        lv.passed = lv.score >= threshold - 1e-12
        levels.append(lv)
    total = 0.0
    for lv in levels:
        lv.counted = True
        total += lv.score
        if not lv.passed:
            break
    return Maturity(
        enterprise_type=enterprise_type,
        threshold=threshold,
        levels=levels,
        total=total,
        level=rubric.band(total),
        equal_weights=not weights.given
        and all(p.sub.weight is None for p in rubric.placed())
        and all(e.weight is None for e in rubric.elements),
        requirements=dict(requirements),
    )
