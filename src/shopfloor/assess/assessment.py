"""One assessment, start to finish: periods, evidence, scores, gates, gaps, the document.

:func:`assess` takes an :class:`AssessInput` (plant, rubric, settings, answers, windows or
simulation, interconnection test, live status) and returns an :class:`Assessment`: the
``assessment.json`` document (desensitised as configured) and the architecture SVG, from which
the HTML, PDF and Excel outputs are rendered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from shopfloor import __version__
from shopfloor.assess import metrics as mx
from shopfloor.assess.answers import Answers
from shopfloor.assess.architecture import architecture_svg
from shopfloor.assess.catalog import features
from shopfloor.assess.derived import economic_metrics, kpi_metrics
from shopfloor.assess.desensitise import Desensitiser
from shopfloor.assess.documents import requirement_rows, rubric_section
from shopfloor.assess.economics import economics
from shopfloor.assess.evidence import platform_scores
from shopfloor.assess.explain import gradient_lines, maturity_lines
from shopfloor.assess.gaps import gate_gaps, maturity_gaps, target_level
from shopfloor.assess.gates import GateValue, GradeResult, decide
from shopfloor.assess.i18n import Texts
from shopfloor.assess.integration import flows
from shopfloor.assess.kpitable import current_kpis, kpi_rows
from shopfloor.assess.networking import data_points, networking_list
from shopfloor.assess.options import AssessOptions
from shopfloor.assess.periods import (
    PeriodResult,
    legacy_settings,
    recorded,
    simulate,
)
from shopfloor.assess.probe import ProbeReport
from shopfloor.assess.proofs import EvidenceContext, prove
from shopfloor.assess.rubric import Rubric
from shopfloor.assess.scenarios import ai_share, coverage, links_covered
from shopfloor.assess.scoring import requirement_scores, score
from shopfloor.clock import DEFAULT_EPOCH
from shopfloor.errors import BadInput
from shopfloor.events import MachineEvent
from shopfloor.plant.model import Plant

SCHEMA = "shopfloor.assess/v1"
Interval = tuple[datetime, datetime]


@dataclass
class AssessInput:
    plant: Plant
    rubric: Rubric
    options: AssessOptions
    answers: Answers = field(default_factory=Answers.empty)
    lang: str = "zh"
    baseline: Interval | None = None
    current: Interval | None = None
    #: Recorded machine events for the windows (needed with ``baseline``/``current``).
    events: Sequence[MachineEvent] | None = None
    probe: ProbeReport | None = None
    #: Equipment path -> online, from live connector status (when no probe ran).
    online: Mapping[str, bool] | None = None
    mes_applied: int | None = None


@dataclass
class Assessment:
    doc: dict[str, Any]
    svg: str
    synthetic: bool
    lang: str


def periods(inp: AssessInput) -> tuple[PeriodResult, PeriodResult]:
    plant, sim = inp.plant, inp.options.simulate
    if (inp.baseline is None) != (inp.current is None):
        raise BadInput("give both --baseline and --current, or neither (then both are simulated)")
    if inp.baseline is not None and inp.current is not None:
        if inp.events is None:
            raise BadInput(
                "recorded windows need the platform's machine events (--events FILE, JSON Lines)"
            )
        return (
            recorded(plant, "baseline", *inp.baseline, inp.events),
            recorded(plant, "current", *inp.current, inp.events),
        )
    start = DEFAULT_EPOCH
    base = simulate(plant, "baseline", start, sim.hours, sim.seed, legacy_settings(plant, sim))
    cur = simulate(
        plant,
        "current",
        start + timedelta(days=sim.gap_days),
        sim.hours,
        sim.seed,
        sim.current_overrides,
    )
    return base, cur


def enterprise_type(inp: AssessInput) -> str:
    if inp.answers.enterprise_type:
        return inp.answers.enterprise_type
    if inp.options.enterprise_type:
        return inp.options.enterprise_type
    kinds = {ln.kind for _p, ln in inp.plant.lines()}
    return "process" if kinds and kinds <= {"process", "batch"} else "discrete"


def assess(inp: AssessInput) -> Assessment:
    plant, rubric, opts = inp.plant, inp.rubric, inp.options
    tx = Texts(inp.lang)
    base, cur = periods(inp)
    windows = {"baseline": base.window(), "current": cur.window()}
    online = inp.probe.online() if inp.probe is not None else inp.online
    as_of = inp.probe.started if inp.probe is not None else _now()
    metrics = mx.equipment_metrics(plant, online, as_of)
    models = mx.live_models(opts.model_registry, opts.pdm_models, plant)
    metrics["predictive_maintenance_coverage"] = mx.pdm_metric(plant, models)
    metrics["erp_mes_coverage"] = mx.erp_mes_metric(opts.business_processes, inp.mes_applied)
    kpis = current_kpis(cur)
    metrics.update(kpi_metrics(plant, cur))
    ctx = EvidenceContext(
        plant, cur, kpis,
        probe_ok=None if inp.probe is None else inp.probe.passed,
        probe_total=None if inp.probe is None else len(inp.probe.devices),
        models=models, mes_applied=inp.mes_applied,
        quality_models=mx.quality_models(opts.model_registry), lang=tx.lang,
    )  # fmt: skip
    scen = coverage(ctx, inp.answers.scenarios)
    metrics["ai_scenario_share"] = ai_share(scen)
    econ = economics(plant, base, cur, opts)
    metrics.update(economic_metrics(econ, windows))
    req = requirement_scores(
        rubric, inp.answers.answers, platform_scores(rubric, metrics, opts.evidence_bands)
    )
    etype = enterprise_type(inp)
    maturity = score(rubric, req, enterprise_type=etype, weights=opts.weights)
    values: dict[str, GateValue] = {k: m.value for k, m in metrics.items()}
    why = {k: tx.phrase(m.note) for k, m in metrics.items() if m.note}
    values["maturity_level"] = maturity.level
    values["links_covered"] = links_covered(scen)
    if maturity.level is None:
        why["maturity_level"] = tx.phrase("below level 1")
    reached, grades = decide(opts.grades, values, why)
    target = target_level(maturity, opts.target_level)
    services = [
        (tx.name(f.zh, f.en), p.status, p.detail)
        for f in features().values()
        if f.id
        in {
            "uns",
            "historian",
            "mes_execution",
            "equipment_monitoring",
            "predictive_maintenance",
            "scheduling",
            "twin",
        }
        for p in [prove(f, ctx)]
    ]
    probe_passed = _probe_passed(inp.probe)
    svg = architecture_svg(
        plant,
        tx,
        [(s.name or s.id, s.kind) for s in opts.systems],
        services,
        probe_passed,
        opts.pdf_font,
    )
    reached_grade = next((g for g in grades if g.id == reached), None)
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "generator": f"shopfloor {__version__}",
        "generated": _now(),
        "lang": tx.lang,
        "synthetic": base.synthetic or cur.synthetic,
        "plant": {
            "name": plant.name, "enterprise": plant.enterprise.name, "site": plant.site.name,
            "country": plant.site.country, "description": plant.description,
        },
        "level": reached,
        "level_name": _grade_name(tx, reached_grade),
        "maturity_level": maturity.level,
        "maturity": {**maturity.to_dict(), "explanation": maturity_lines(tx, rubric, maturity)},
        "gates": [g.to_dict() for gr in grades for g in gr.gates],
        "grades": [g.to_dict() for g in grades],
        "explanation": gradient_lines(tx, reached, grades),
        "rubric": rubric_section(rubric),
        "requirements": requirement_rows(rubric, maturity),
        "metrics": {k: _phrased(tx, m.to_dict(), "formula", "basis", "note")
                    for k, m in metrics.items()},
        "periods": {"baseline": base.to_dict(), "current": cur.to_dict()},
        "baseline_settings": legacy_settings(plant, opts.simulate) if base.synthetic else None,
        "kpis": [r.to_dict() for r in kpi_rows(base, cur)],
        "economics": _economics(tx, econ.to_dict()),
        "networking_list": networking_list(plant, inp.probe, online),
        "data_points": data_points(plant),
        "scenarios": [r.to_dict() for r in scen],
        "scenario_edition": "智能制造典型场景参考指引（2025年版）",
        "links_covered": list(links_covered(scen)),
        "interconnection_test": None if inp.probe is None else inp.probe.to_dict(),
        "integration": [f.to_dict() for f in flows(cur, inp.probe, inp.mes_applied, opts.systems)],
        "gaps": {
            "target_level": target,
            "maturity": [g.to_dict() for g in maturity_gaps(rubric, maturity, target)],
            "gates": [g.to_dict() for g in gate_gaps(grades)],
        },
        "answers": {
            "source": inp.answers.source,
            "answered": len(inp.answers.answers),
            "scenarios_declared": len(inp.answers.scenarios),
        },
        "settings": _settings(opts, etype, maturity.equal_weights),
        "desensitised": sorted(opts.sensitive_fields),
    }  # fmt: skip
    des = Desensitiser(opts.sensitive_fields)
    des.gather(plant.model_dump(mode="json", by_alias=True))
    doc = des.document(doc)
    return Assessment(doc, des.text(svg), bool(doc["synthetic"]), tx.lang)


def _phrased(tx: Texts, row: dict[str, Any], *fields: str) -> dict[str, Any]:
    return {**row, **{f: tx.phrase(row[f]) for f in fields if isinstance(row.get(f), str)}}


def _economics(tx: Texts, econ: dict[str, Any]) -> dict[str, Any]:
    """The economic table with the code's phrases in the report's language."""
    return {
        **econ,
        "rows": [_phrased(tx, r, "formula", "note") for r in econ["rows"]],
        "notes": [tx.phrase(n) for n in econ["notes"]],
    }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _grade_name(tx: Texts, grade: GradeResult | None) -> str | None:
    return None if grade is None else tx.name(grade.zh, grade.en)


def _probe_passed(probe: ProbeReport | None) -> dict[str, tuple[int, int]] | None:
    if probe is None:
        return None
    out: dict[str, tuple[int, int]] = {}
    for d in probe.devices:
        ok, n = out.get(d.protocol, (0, 0))
        out[d.protocol] = (ok + d.ok, n + 1)
    return out


def _settings(opts: AssessOptions, etype: str, equal: bool) -> dict[str, Any]:
    return {
        "enterprise_type": etype,
        "equal_weights": equal,
        "weights": opts.weights.model_dump(),
        "evidence_bands": [list(b) for b in opts.evidence_bands],
        "energy_benchmark": opts.energy_benchmark.model_dump(),
        "electricity_price": opts.electricity_price.model_dump(),
        "fixed_cost_per_hour": opts.fixed_cost_per_hour.model_dump(),
        "investment": {**opts.investment.model_dump(), "total": opts.investment.total},
        "simulate": opts.simulate.model_dump(),
        "business_processes": [p.model_dump() for p in opts.business_processes],
        "model_registry": None if opts.model_registry is None else str(Path(opts.model_registry)),
    }
