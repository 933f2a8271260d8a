"""Auto-evidence derived from the KPI report and the economic benefit table.

* ``oee_coverage`` = key producing equipment whose OEE the KPI engine computed from its events
  in the current window / key producing equipment;
* ``energy_metering_coverage`` = lines whose energy comes from their main meter / lines;
* the gate values of the economic benefit table (efficiency gain, cost and defect reduction,
  energy per output value against the industry average, ROI, payback), each with its formula
  and both windows.
"""

from __future__ import annotations

from typing import Any

from shopfloor.assess.economics import Economics
from shopfloor.assess.metric import Metric, ratio_metric
from shopfloor.assess.periods import PeriodResult
from shopfloor.kpi import evaluate
from shopfloor.plant.model import Plant


def kpi_metrics(plant: Plant, cur: PeriodResult) -> dict[str, Metric]:
    window = cur.window()
    equipment = cur.report.equipment
    key = [p for p, *_r, e in plant.walk() if e.key and e.cls.produces]
    rows = [
        {"equipment": p, "oee": evaluate(equipment[p])["oee"] if p in equipment else None}
        for p in key
    ]
    lines = [{"line": p, "kwh_source": s} for p, s in cur.report.line_kwh_source.items()]
    basis = "KPI engine over the current window"
    return {
        "oee_coverage": ratio_metric(
            "oee_coverage",
            sum(1 for r in rows if r["oee"] is not None),
            len(rows),
            formula="key producing equipment with OEE computed from its events / key producing "
            "equipment",
            basis=basis,
            records=rows,
            window=window,
        ),
        "energy_metering_coverage": ratio_metric(
            "energy_metering_coverage",
            sum(1 for r in lines if r["kwh_source"] == "meter"),
            len(lines),
            formula="lines whose energy comes from their main meter / lines",
            basis=basis,
            records=lines,
            window=window,
        ),
    }


def economic_metrics(e: Economics, windows: dict[str, Any]) -> dict[str, Metric]:
    rows = {r.id: r for r in e.rows}

    def m(mid: str, value: float | None, formula: str, why: str) -> Metric:
        note = "" if value is not None else why
        return Metric(mid, value, formula, "economic benefit table", window=windows, note=note)

    def neg(x: float | None) -> float | None:
        return None if x is None else -x

    no_invest = "investment not configured" if e.investment <= 0 else "no annual net benefit"
    return {
        "production_efficiency_gain": m(
            "production_efficiency_gain",
            rows["production_efficiency"].change,
            "current / baseline good units per hour - 1",
            "no good units in the baseline",
        ),
        "operating_cost_reduction": m(
            "operating_cost_reduction",
            neg(rows["operating_cost"].change),
            "1 - current / baseline operating cost per good unit",
            "operating cost unknown in a period",
        ),
        "defect_rate_reduction": m(
            "defect_rate_reduction",
            neg(rows["defect_rate"].change),
            "1 - current / baseline defect rate (SQ / PQ)",
            "baseline defect rate is 0 or unknown",
        ),
        "energy_per_output_value_ratio": m(
            "energy_per_output_value_ratio",
            e.energy_ratio,
            "current energy per output value (tce/10^4) / industry average",
            "industry average not configured (energy_benchmark)",
        ),
        "roi": m("roi", e.roi, "annual net benefit / investment", no_invest),
        "payback_years": m(
            "payback_years", e.payback_years, "investment / annual net benefit", no_invest
        ),
    }
