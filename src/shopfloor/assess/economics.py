"""The economic benefit table (经济效益测算表): baseline window vs current window, ROI, payback.

Per period, from the plant totals of its KPI report (:func:`.kpitable.plant_basket`):

* production efficiency = good units per hour of the window (GQ / hours);
* operating cost per good unit = (kWh x electricity price + material cost of every unit made
  (good and scrap, from the products' bills of material) + fixed cost per hour x hours) / GQ;
  a price or fixed cost that is not configured is left out, and the row says so;
* defect rate = SQ / PQ (ISO 22400 scrap ratio);
* energy per output value = kWh / value of the good output (``shopfloor.kwh_per_value``), also
  as tce per 10^4 currency units with GB/T 2589's 0.1229 kgce/kWh, and against the configured
  industry average (with its source);
* delivery cycle = mean actual order execution time (AOET) of the orders finished in the window.

Annual net benefit = (baseline - current operating cost per good unit) x current good units per
hour x annual operating hours (settings, or the plant calendar's net shift hours x 52 weeks).
Static ROI = annual net benefit / investment; static payback = investment / annual net benefit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shopfloor.assess.kpitable import plant_basket
from shopfloor.assess.options import AssessOptions
from shopfloor.assess.periods import PeriodResult
from shopfloor.kpi import evaluate
from shopfloor.plant.model import Plant

KGCE_PER_KWH = 0.1229  # GB/T 2589-2020, electricity, equivalent value
WEEKS_PER_YEAR = 52


@dataclass(frozen=True)
class Row:
    id: str
    unit: str
    baseline: float | None
    current: float | None
    change: float | None  # relative change, current / baseline - 1
    formula: str
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "unit": self.unit,
            "baseline": self.baseline,
            "current": self.current,
            "change": self.change,
            "formula": self.formula,
            "note": self.note,
        }


def _change(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or a == 0 else b / a - 1


def annual_hours(plant: Plant, options: AssessOptions) -> tuple[float | None, str]:
    if options.annual_hours is not None:
        return options.annual_hours, "settings: annual_hours"
    if not plant.calendars:
        return None, "no plant calendar and no annual_hours setting"
    cal = plant.calendars[0]
    weekly = sum((s.duration_s - s.breaks_min * 60) * len(s.days) for s in cal.shifts) / 3600
    return weekly * WEEKS_PER_YEAR, f"calendar {cal.id}: {weekly:g} h/week x {WEEKS_PER_YEAR}"


def material_cost(plant: Plant, product: str) -> float:
    costs = {m.id: m.unit_cost for m in plant.materials}
    p = plant.product_by_id.get(product)
    return 0.0 if p is None else sum(b.quantity * costs.get(b.material, 0.0) for b in p.bom)


def _period(plant: Plant, period: PeriodResult, options: AssessOptions) -> dict[str, Any]:
    b = plant_basket(period.report)
    k = evaluate(b)
    hours = period.hours
    price, fixed = options.electricity_price.value, options.fixed_cost_per_hour.value
    energy_cost = None if price is None or b.kwh is None else b.kwh * price
    materials = sum(pb.pq * material_cost(plant, pid) for pid, pb in period.report.products.items())
    cost = materials + (energy_cost or 0.0) + (0.0 if fixed is None else fixed * hours)
    aoet = [o.aoet_s for o in period.report.orders.values() if o.aoet_s is not None]
    kpv = k.get("kwh_per_value")
    return {
        "efficiency": b.gq / hours if hours > 0 else None,
        "cost": cost / b.gq if b.gq else None,
        "defects": k.get("scrap_ratio"),
        "kwh_per_value": kpv,
        "tce_per_1e4": None if kpv is None else kpv * 1e4 * KGCE_PER_KWH / 1000,
        "cycle_h": sum(aoet) / len(aoet) / 3600 if aoet else None,
    }


@dataclass
class Economics:
    rows: list[Row]
    investment: float
    currency: str
    annual_hours: float | None
    annual_hours_basis: str
    annual_benefit: float | None
    roi: float | None
    payback_years: float | None
    energy_ratio: float | None  # current energy per output value / industry average
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": [r.to_dict() for r in self.rows],
            "investment": self.investment,
            "currency": self.currency,
            "annual_hours": self.annual_hours,
            "annual_hours_basis": self.annual_hours_basis,
            "annual_net_benefit": self.annual_benefit,
            "roi": self.roi,
            "payback_years": self.payback_years,
            "energy_per_output_value_vs_industry": self.energy_ratio,
            "notes": self.notes,
        }


def economics(
    plant: Plant, baseline: PeriodResult, current: PeriodResult, options: AssessOptions
) -> Economics:
    a, b = _period(plant, baseline, options), _period(plant, current, options)
    notes: list[str] = []
    if options.electricity_price.value is None:
        notes.append("electricity_price not configured: energy cost left out of operating cost")
    if options.fixed_cost_per_hour.value is None:
        notes.append("fixed_cost_per_hour not configured: fixed cost left out of operating cost")
    cur = options.investment.currency
    bench = options.energy_benchmark
    ratio = None
    if bench.value is None:
        notes.append("energy_benchmark not configured: no comparison with the industry average")
    elif b["tce_per_1e4"] is not None and bench.value > 0:
        ratio = b["tce_per_1e4"] / bench.value
    rows = [
        Row("production_efficiency", "1/h", a["efficiency"], b["efficiency"],
            _change(a["efficiency"], b["efficiency"]), "GQ / window hours"),
        Row("operating_cost", f"{cur}/unit", a["cost"], b["cost"], _change(a["cost"], b["cost"]),
            "(kWh x price + material of units made + fixed cost x hours) / GQ"),
        Row("defect_rate", "1", a["defects"], b["defects"], _change(a["defects"], b["defects"]),
            "SQ / PQ (ISO 22400-2 scrap ratio)"),
        Row("energy_per_output_value", f"kW.h/{cur}", a["kwh_per_value"], b["kwh_per_value"],
            _change(a["kwh_per_value"], b["kwh_per_value"]), "kWh / Σ(GQ x unit_value)"),
        Row("energy_per_output_value_tce", f"tce/10^4 {cur}", a["tce_per_1e4"], b["tce_per_1e4"],
            _change(a["tce_per_1e4"], b["tce_per_1e4"]),
            f"kWh x {KGCE_PER_KWH} kgce/kWh (GB/T 2589) / 1000 per 10^4 of output value",
            note=(f"industry average {bench.value:g} {bench.unit} "
                  f"({bench.source or 'source not given'}, {bench.year or 'year not given'})"
                  if bench.value is not None else "industry average not configured")),
        Row("delivery_cycle", "h", a["cycle_h"], b["cycle_h"], _change(a["cycle_h"], b["cycle_h"]),
            "mean AOET of the orders finished in the window"),
    ]  # fmt: skip
    hours, basis = annual_hours(plant, options)
    benefit = None
    if a["cost"] is not None and b["cost"] is not None and b["efficiency"] and hours:
        benefit = (a["cost"] - b["cost"]) * b["efficiency"] * hours
    invest = options.investment.total
    roi = payback = None
    if invest <= 0:
        notes.append("investment not configured: no ROI or payback period")
    elif benefit is not None:
        roi = benefit / invest
        payback = invest / benefit if benefit > 0 else None
        if benefit <= 0:
            notes.append("no annual net benefit: the investment does not pay back")
    return Economics(rows, invest, cur, hours, basis, benefit, roi, payback, ratio, notes)
