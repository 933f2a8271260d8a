"""The decision in words: why the maturity level and the gradient level are what they are."""

from __future__ import annotations

from collections.abc import Sequence

from shopfloor.assess.gates import GateResult, GateValue, GradeResult
from shopfloor.assess.i18n import Texts
from shopfloor.assess.rubric import Rubric
from shopfloor.assess.scoring import Maturity

#: Gate metrics that are not fractions, with their unit label.
PLAIN = {"maturity_level": "", "payback_years": "unit.years"}


def fmt_value(tx: Texts, metric: str, value: GateValue | float) -> str:
    if value is None:
        return tx("value.none")
    if isinstance(value, tuple):
        sep = "、" if tx.lang == "zh" else ", "
        return sep.join(tx(f"link.{v}") for v in value) if value else tx("value.empty")
    if metric in PLAIN:
        unit = tx(PLAIN[metric]) if PLAIN[metric] else ""
        return f"{value:g}{unit}" if float(value).is_integer() else f"{value:.2f}{unit}"
    return f"{100 * value:.1f}%"


def gate_line(tx: Texts, g: GateResult) -> str:
    name = tx.metric(g.metric)
    source = g.source if g.source is not None else tx("gate.unsourced")
    value = fmt_value(tx, g.metric, g.value)
    threshold = fmt_value(tx, g.metric, g.threshold)
    if g.value is None:
        return tx(
            "gate.novalue", metric=name, why=g.why_missing, threshold=threshold, source=source
        )
    if isinstance(g.margin, tuple):
        key = "gate.includes_pass" if g.passed else "gate.includes_fail"
        return tx(key, metric=name, value=value, missing=fmt_value(tx, g.metric, g.margin),
                  threshold=threshold, source=source)  # fmt: skip
    assert g.margin is not None
    margin = fmt_value(tx, g.metric, abs(g.margin))
    key = "gate.pass" if g.passed else "gate.fail"
    return tx(key, metric=name, value=value, op=g.op, threshold=threshold, margin=margin,
              source=source)  # fmt: skip


def gradient_lines(tx: Texts, reached: str | None, grades: Sequence[GradeResult]) -> list[str]:
    lines = []
    for g in grades:
        name = tx.name(g.zh, g.en)
        n, bad = len(g.gates), len(g.failed)
        if g.reached:
            lines.append(tx("grade.reached", grade=name, n=n))
        elif g.passed:
            lines.append(tx("grade.blocked", grade=name, n=n))
        else:
            lines.append(tx("grade.failed", grade=name, k=bad, n=n))
        lines += ["  - " + gate_line(tx, gate) for gate in g.gates]
    first = grades[0] if grades else None
    if reached is None and first is not None:
        lines.insert(0, tx("grade.none", grade=tx.name(first.zh, first.en)))
    elif reached is not None:
        top = next(g for g in grades if g.id == reached)
        lines.insert(0, tx("grade.result", grade=tx.name(top.zh, top.en)))
    return lines


def maturity_lines(tx: Texts, rubric: Rubric, m: Maturity) -> list[str]:
    lines = []
    if m.level is None:
        lines.append(tx("maturity.none", total=f"{m.total:.3f}"))
    else:
        lv = rubric.level(m.level)
        lines.append(tx("maturity.result", total=f"{m.total:.3f}", level=tx.name(lv.zh, lv.en)))
    for lv_score in m.levels:
        args = dict(
            level=lv_score.level,
            score=f"{lv_score.score:.3f}",
            threshold=f"{m.threshold:g}",
            answered=lv_score.answered,
            total=lv_score.total,
            gap=f"{m.threshold - lv_score.score:.3f}",
        )
        key = "maturity.level_met" if lv_score.passed else "maturity.level_not_met"
        line = tx(key, **args)
        if not lv_score.counted:
            line += tx("maturity.not_counted")
        lines.append("  - " + line)
    counted = [f"{lv.score:.3f}" for lv in m.levels if lv.counted]
    lines.append(tx("maturity.sum", terms=" + ".join(counted), total=f"{m.total:.3f}"))
    if m.equal_weights:
        lines.append(tx("maturity.equal_weights"))
    unanswered = sum(1 for r in m.requirements.values() if r.source == "unanswered")
    if unanswered:
        lines.append(tx("maturity.unanswered", n=unanswered))
    return lines
