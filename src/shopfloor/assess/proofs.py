"""Live proof that a platform feature works on this plant, from what the assessment observed.

A feature is **live** when its proof holds in the current window (events of the right kinds or
equipment classes crossed the platform, a KPI was computed, a device answered the
interconnection test, a model is in the registry, a schedule was solved...), **available**
when its package is installed but this assessment saw no proof, and **missing** when the
platform does not have it.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from shopfloor.assess.catalog import Feature
from shopfloor.assess.i18n import Texts
from shopfloor.assess.periods import PeriodResult
from shopfloor.clock import from_ns
from shopfloor.errors import ShopfloorError
from shopfloor.plant.model import Plant

LIVE, AVAILABLE, MISSING = "live", "available", "missing"
SCHEDULE_ORDERS = 8


@dataclass(frozen=True)
class Proof:
    status: str
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"status": self.status, "detail": self.detail}


@dataclass
class EvidenceContext:
    """What an assessment observed, for proofs to look at."""

    plant: Plant
    current: PeriodResult
    kpis: Mapping[str, Mapping[str, float | None]]
    probe_ok: int | None = None
    probe_total: int | None = None
    models: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: Defect-risk models in the registry (:func:`~shopfloor.assess.metrics.quality_models`).
    quality_models: Sequence[Mapping[str, Any]] = ()
    mes_applied: int | None = None
    #: The language of the proofs' details.
    lang: str = "en"
    _cache: dict[str, Proof] = field(default_factory=dict)

    def t(self, label: str, **values: Any) -> str:
        return Texts(self.lang).t(f"proof.{label}", **values)


def _events(ctx: EvidenceContext, spec: Mapping[str, Any]) -> Proof:
    cur = ctx.current
    if spec.get("classes"):
        n = sum(cur.event_classes.get(c, 0) for c in spec["classes"])
        what = ctx.t("events_from", classes=", ".join(spec["classes"]))
    elif spec.get("kinds"):
        n = sum(cur.event_kinds.get(k, 0) for k in spec["kinds"])
        what = ctx.t("events_of", kinds=", ".join(spec["kinds"]))
    else:
        n, what = cur.events, ctx.t("machine_events")
    if n > 0:
        return Proof(LIVE, ctx.t("events_live", n=n, what=what))
    return Proof(AVAILABLE, ctx.t("events_none", what=what))


def _kpi(ctx: EvidenceContext, key: str) -> Proof:
    scopes = [s for s, k in ctx.kpis.items() if k.get(key) is not None and s != "plant"]
    if scopes:
        v = ctx.kpis.get("plant", {}).get(key)
        shown = "" if v is None else ctx.t("kpi_plant", value=f"{v:.4g}")
        return Proof(LIVE, ctx.t("kpi_live", kpi=key, n=len(scopes), shown=shown))
    return Proof(AVAILABLE, ctx.t("kpi_none", kpi=key))


def _schedule(ctx: EvidenceContext) -> Proof:
    from shopfloor.schedule import OrderRecord, problem_from_orders, solve

    rep = ctx.current.report
    orders = []
    for oid, info in list(rep.order_info.items())[:SCHEDULE_ORDERS]:
        if info.product is None:
            continue
        qty = max(1, rep.orders[oid].pq)
        orders.append(OrderRecord(oid, info.product, qty, from_ns(info.first_ns)))
    if not orders:
        return Proof(AVAILABLE, ctx.t("schedule_none"))
    origin = from_ns(ctx.current.start_ns)
    try:
        pp = problem_from_orders(orders, ctx.plant, origin, horizon=timedelta(days=14))
        res = solve(pp.problem, "rules", time_limit=2.0)
    except ShopfloorError as exc:
        return Proof(AVAILABLE, ctx.t("schedule_failed", error=exc.message))
    span_h = res.schedule.makespan / 3600
    return Proof(
        LIVE,
        ctx.t(
            "schedule_live",
            orders=len(orders),
            units=len(pp.problem.machines),
            hours=f"{span_h:.1f}",
        ),
    )


def prove(feature: Feature, ctx: EvidenceContext) -> Proof:
    cached = ctx._cache.get(feature.id)
    if cached is not None:
        return cached
    proof = _prove(feature, ctx)
    ctx._cache[feature.id] = proof
    return proof


def _prove(feature: Feature, ctx: EvidenceContext) -> Proof:
    if importlib.util.find_spec(feature.module) is None:
        return Proof(MISSING, ctx.t("missing", module=feature.module))
    spec = feature.proof or {}
    kind = spec.get("kind")
    if kind == "events":
        return _events(ctx, spec)
    if kind == "kpi":
        return _kpi(ctx, str(spec["key"]))
    if kind == "probe":
        if not ctx.probe_total:
            return Proof(AVAILABLE, ctx.t("probe_none"))
        status = LIVE if ctx.probe_ok else AVAILABLE
        return Proof(status, ctx.t("probe", ok=ctx.probe_ok, total=ctx.probe_total))
    if kind == "twin":
        if ctx.current.synthetic:
            return Proof(LIVE, ctx.t("twin_live", n=ctx.current.events))
        return Proof(AVAILABLE, ctx.t("twin_none"))
    if kind == "models":
        if ctx.models:
            return Proof(LIVE, ctx.t("models_live", n=len(ctx.models)))
        return Proof(AVAILABLE, ctx.t("models_none"))
    if kind == "quality_models":
        if ctx.quality_models:
            names = ", ".join(f"{m['model']} v{m['version']}" for m in ctx.quality_models)
            return Proof(LIVE, ctx.t("quality_live", names=names))
        return Proof(AVAILABLE, ctx.t("quality_none"))
    if kind == "mes":
        if ctx.mes_applied:
            return Proof(LIVE, ctx.t("mes_live", n=ctx.mes_applied))
        return Proof(AVAILABLE, ctx.t("mes_none"))
    if kind == "serials":
        n = ctx.current.serials
        if n:
            return Proof(LIVE, ctx.t("serials_live", n=n))
        return Proof(AVAILABLE, ctx.t("serials_none"))
    if kind == "schedule":
        return _schedule(ctx)
    return Proof(AVAILABLE, ctx.t("installed", module=feature.module))
