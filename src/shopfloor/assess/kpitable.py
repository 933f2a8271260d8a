"""The KPI table: ISO 22400 and energy KPIs per line and for the plant, baseline vs current.

Values come from :func:`shopfloor.kpi.evaluate` over the :class:`~shopfloor.kpi.Report` baskets
of each period, so they are exactly what ``shopfloor run`` and the KPI API give for the same
window. The plant row is :func:`~shopfloor.kpi.evaluate` of the lines' baskets added together
(:meth:`~shopfloor.kpi.Basket.add`): the same formulas over the summed time elements and
quantities. Each row carries the registry's formula, unit and reference and the source records
(the basket: time elements, PQ, GQ, SQ, kWh, value).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shopfloor.assess.periods import PeriodResult
from shopfloor.kpi import Basket, Report, evaluate, get

#: KPIs shown in the evidence pack, in this order.
SHOWN = (
    "oee",
    "availability",
    "effectiveness",
    "quality_ratio",
    "scrap_ratio",
    "first_pass_yield",
    "output_rate",
    "mtbf",
    "mttr",
    "kwh_per_unit",
    "kwh_per_value",
    "co2e_per_unit",
)
PLANT = "plant"


@dataclass(frozen=True)
class KpiRow:
    scope: str
    key: str
    kpi_id: str
    name: str
    name_zh: str
    formula: str
    unit: str
    trend: str
    reference: str
    baseline: float | None
    current: float | None
    records: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "kpi": self.key,
            "id": self.kpi_id,
            "name": self.name,
            "name_zh": self.name_zh,
            "formula": self.formula,
            "unit": self.unit,
            "trend": self.trend,
            "reference": self.reference,
            "baseline": self.baseline,
            "current": self.current,
            "source_records": self.records,
        }


def plant_basket(report: Report) -> Basket:
    """The lines of ``report`` added together (plant output, time and energy)."""
    total = Basket()
    for b in report.lines.values():
        total.add(b)
    return total


def scopes(report: Report) -> dict[str, Basket]:
    return {**report.lines, PLANT: plant_basket(report)}


def kpi_rows(baseline: PeriodResult, current: PeriodResult) -> list[KpiRow]:
    before, after = scopes(baseline.report), scopes(current.report)
    rows: list[KpiRow] = []
    for scope, basket in after.items():
        now = evaluate(basket)
        then = evaluate(before[scope]) if scope in before else {}
        for key in SHOWN:
            k = get(key)
            rows.append(
                KpiRow(
                    scope,
                    key,
                    k.id,
                    k.name,
                    k.name_zh,
                    k.formula,
                    k.unit,
                    k.trend.value,
                    k.reference,
                    then.get(key),
                    now.get(key),
                    {
                        "baseline": before[scope].to_dict() if scope in before else None,
                        "current": basket.to_dict(),
                    },
                )
            )
    return rows


def current_kpis(current: PeriodResult) -> dict[str, dict[str, float | None]]:
    """Scope -> KPI key -> value (every registered KPI) of the current period."""
    return {scope: evaluate(b) for scope, b in scopes(current.report).items()}
