"""MIIT gradient levels (智能工厂梯度培育: basic, advanced, excellent, leading) as gates.

Each level of the settings' ``grades`` lists gates ``metric op threshold``, each with its public
source (document, issuer, clause) or none: then the threshold is the user's own, reported as
"your configured target" (:data:`CONFIGURED`). A level is reached when all its gates pass and
every level below it is reached too (先进级 presupposes 基础级...). Every gate reports its value,
threshold, source and margin (how far above or below the threshold), so the decision explains
itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shopfloor.assess.options import Gate, Grade

GateValue = float | int | tuple[str, ...] | None
#: What a gate without a public source says it is (in the JSON; the reports use their labels).
CONFIGURED = "your configured target"


@dataclass(frozen=True)
class GateResult:
    grade: str
    metric: str
    op: str
    threshold: float | tuple[str, ...]
    value: GateValue
    passed: bool
    #: >=: value - threshold; <=: threshold - value (positive: room, negative: shortfall);
    #: includes: the links still missing.
    margin: float | tuple[str, ...] | None
    source: str | None
    confidence: str
    note: str
    why_missing: str = ""

    @property
    def sourced(self) -> bool:
        return self.source is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "grade": self.grade,
            "metric": self.metric,
            "op": self.op,
            "threshold": list(self.threshold)
            if isinstance(self.threshold, tuple)
            else self.threshold,
            "value": list(self.value) if isinstance(self.value, tuple) else self.value,
            "passed": self.passed,
            "margin": list(self.margin) if isinstance(self.margin, tuple) else self.margin,
            "source": self.source if self.source is not None else CONFIGURED,
            "sourced": self.sourced,
            "confidence": self.confidence,
            "note": self.note,
            "why_missing": self.why_missing,
        }


@dataclass(frozen=True)
class GradeResult:
    id: str
    zh: str
    en: str
    passed: bool  # its own gates all pass
    reached: bool  # passed, and so did every level below
    gates: tuple[GateResult, ...]

    @property
    def failed(self) -> list[GateResult]:
        return [g for g in self.gates if not g.passed]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "zh": self.zh,
            "en": self.en,
            "passed": self.passed,
            "reached": self.reached,
            "gates": [g.to_dict() for g in self.gates],
        }


def check_gate(grade: str, gate: Gate, value: GateValue, why: str = "") -> GateResult:
    def result(
        passed: bool, margin: float | tuple[str, ...] | None, missing: str = ""
    ) -> GateResult:
        return GateResult(
            grade, gate.metric, gate.op, gate.threshold, value, passed, margin, gate.source,
            gate.confidence, gate.note, missing,
        )  # fmt: skip

    if value is None:
        return result(False, None, why or "no value")
    if gate.op == "includes":
        assert isinstance(gate.threshold, tuple)
        have = set(value) if isinstance(value, tuple) else set()
        missing = tuple(x for x in gate.threshold if x not in have)
        return result(not missing, missing)
    assert not isinstance(gate.threshold, tuple) and not isinstance(value, tuple)
    margin = value - gate.threshold if gate.op == ">=" else gate.threshold - value
    return result(margin >= -1e-12, margin)


def decide(
    grades: Sequence[Grade], values: Mapping[str, GateValue], why: Mapping[str, str]
) -> tuple[str | None, list[GradeResult]]:
    """The highest level reached (None: not even the first) and every level's gates."""
    results: list[GradeResult] = []
    below = True
    reached: str | None = None
    for grade in grades:
        gates = tuple(
            check_gate(grade.id, g, values.get(g.metric), why.get(g.metric, ""))
            for g in grade.gates
        )
        passed = all(g.passed for g in gates)
        below = below and passed
        if below:
            reached = grade.id
        results.append(GradeResult(grade.id, grade.zh, grade.en, passed, below, gates))
    return reached, results
