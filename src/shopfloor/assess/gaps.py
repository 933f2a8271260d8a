"""The gap list: what stands between the assessment and the next level, and what to do.

* **Maturity gaps**: for the target level (settings ``target_level``, else the level after the
  one reached), every requirement up to that level scoring below 1 (unanswered ones first:
  answer them with evidence), with the sub-domain's evidence hints and the platform features
  that would close it.
* **Gate gaps**: the failed gates of the first gradient level not reached, with the shortfall
  and the features that would raise the metric.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shopfloor.assess.catalog import features_closing
from shopfloor.assess.gates import GradeResult
from shopfloor.assess.rubric import Rubric
from shopfloor.assess.scoring import Maturity


@dataclass(frozen=True)
class Gap:
    kind: str  # "requirement" or "gate"
    target: str  # requirement id, or "<grade>.<metric>"
    level: int | str
    subject: str  # sub-domain id or metric id
    current: Any
    needed: Any
    action: str  # "answer", "raise", "improve"
    hints: tuple[str, ...]
    features: tuple[tuple[str, str, str, str], ...]  # (id, zh, en, command)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "target": self.target,
            "level": self.level,
            "subject": self.subject,
            "current": list(self.current) if isinstance(self.current, tuple) else self.current,
            "needed": list(self.needed) if isinstance(self.needed, tuple) else self.needed,
            "action": self.action,
            "evidence_hints": list(self.hints),
            "features": [
                {"id": f, "zh": zh, "en": en, "command": cmd} for f, zh, en, cmd in self.features
            ],
        }


def _features(target: str) -> tuple[tuple[str, str, str, str], ...]:
    return tuple((f.id, f.zh, f.en, f.command) for f in features_closing(target))


def target_level(maturity: Maturity, configured: int | None) -> int:
    if configured is not None:
        return configured
    return min(5, (maturity.level or 0) + 1)


def maturity_gaps(rubric: Rubric, maturity: Maturity, target: int) -> list[Gap]:
    subs = {p.sub.id: p.sub for p in rubric.placed()}
    out: list[Gap] = []
    for level in range(1, target + 1):
        for rs in maturity.requirements.values():
            sub = subs[rs.subdomain]
            if rs.level != level or not rubric.applicable(sub, level, maturity.enterprise_type):
                continue
            if rs.score is not None and rs.score >= 1:
                continue
            action = "answer" if rs.score is None else "raise"
            out.append(
                Gap(
                    "requirement",
                    rs.id,
                    level,
                    rs.subdomain,
                    rs.score,
                    1.0,
                    action,
                    sub.evidence_hints,
                    _features(rs.subdomain),
                )
            )
    out.sort(key=lambda g: (g.level, g.action != "answer", g.current or 0.0, g.target))
    return out


def gate_gaps(grades: list[GradeResult]) -> list[Gap]:
    first = next((g for g in grades if not g.reached), None)
    if first is None:
        return []
    return [
        Gap(
            "gate",
            f"{first.id}.{g.metric}",
            first.id,
            g.metric,
            g.value,
            g.threshold,
            "improve" if g.value is not None else "measure",
            (g.why_missing,) if g.why_missing else (),
            _features(g.metric),
        )
        for g in first.failed
    ]
