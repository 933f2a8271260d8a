"""The built-in KPIs: ISO 22400-2:2014 formulas and our energy indicators, one row each.

Each row goes through :func:`~shopfloor.kpi.registry.register` exactly as a third party's
would. A KPI is None when its denominator is zero (no planned busy time, nothing produced, no
failure...). Fractions are fractions (0.85), never percent. OEE is computed as the product of
the availability, effectiveness and quality ratio functions below, so it equals A x E x Q
exactly.
"""

from __future__ import annotations

from shopfloor.kpi.basket import Basket
from shopfloor.kpi.registry import Kpi, Trend, register

H = Trend.HIGHER
L = Trend.LOWER
ISO = "ISO 22400-2:2014, KPI"


def ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator <= 0 else numerator / denominator


def availability(b: Basket) -> float | None:
    return ratio(b.apt, b.pbt)


def effectiveness(b: Basket) -> float | None:
    """PRU x PQ / APT; undefined while some unit produced has no standard time."""
    return None if b.unrated else ratio(b.pru_s, b.apt)


def quality_ratio(b: Basket) -> float | None:
    return ratio(b.gq, b.pq)


def oee(b: Basket) -> float | None:
    a, e, q = availability(b), effectiveness(b), quality_ratio(b)
    return None if a is None or e is None or q is None else a * e * q


def nee(b: Basket) -> float | None:
    r, e, q = ratio(b.aupt, b.pbt), effectiveness(b), quality_ratio(b)
    return None if r is None or e is None or q is None else r * e * q


def _mtbf_h(b: Basket) -> float | None:
    return None if b.failures == 0 else b.aupt / 3600 / b.failures


def _mttr_min(b: Basket) -> float | None:
    return None if b.repairs == 0 else b.ttr_s / 60 / b.repairs


def _per(x: float | None, n: float) -> float | None:
    return None if x is None else ratio(x, n)


def _throughput(b: Basket) -> float | None:
    return None if b.aoet_s is None else ratio(b.pq, b.aoet_s / 3600)


def _kwh_per_value(b: Basket) -> float | None:
    return None if b.kwh is None or b.value is None else ratio(b.kwh, b.value)


BUILTIN: tuple[Kpi, ...] = (
    Kpi("iso22400.availability", "Availability", "可用率", "APT / PBT", "1", H,
        f"{ISO} Availability", availability),
    Kpi("iso22400.effectiveness", "Effectiveness", "有效率（性能）", "PRU × PQ / APT", "1", H,
        f"{ISO} Effectiveness", effectiveness),
    Kpi("iso22400.quality_ratio", "Quality ratio", "质量比率", "GQ / PQ", "1", H,
        f"{ISO} Quality ratio", quality_ratio),
    Kpi("iso22400.oee", "OEE index", "设备综合效率（OEE）",
        "Availability × Effectiveness × Quality ratio", "1", H, f"{ISO} OEE index", oee),
    Kpi("iso22400.nee", "NEE index", "设备净效率（NEE）",
        "AUPT / PBT × Effectiveness × Quality ratio", "1", H, f"{ISO} NEE index", nee),
    Kpi("iso22400.technical_efficiency", "Technical efficiency", "技术效率",
        "APT / (APT + ADET)", "1", H, f"{ISO} Technical efficiency",
        lambda b: ratio(b.apt, b.apt + b.adet)),
    Kpi("iso22400.allocation_efficiency", "Allocation efficiency", "分配效率", "AUBT / PBT",
        "1", H, f"{ISO} Allocation efficiency", lambda b: ratio(b.aubt, b.pbt)),
    Kpi("iso22400.utilisation_efficiency", "Utilisation efficiency", "利用效率", "APT / AUBT",
        "1", H, f"{ISO} Utilization efficiency", lambda b: ratio(b.apt, b.aubt)),
    Kpi("iso22400.setup_rate", "Setup rate", "换型时间比", "ASUT / AUPT", "1", L,
        f"{ISO} Setup rate", lambda b: ratio(b.asut, b.aupt)),
    Kpi("iso22400.scrap_ratio", "Scrap ratio", "废品率", "SQ / PQ", "1", L,
        f"{ISO} Scrap ratio", lambda b: ratio(b.sq, b.pq)),
    Kpi("iso22400.rework_ratio", "Rework ratio", "返工率", "RQ / PQ", "1", L,
        f"{ISO} Rework ratio", lambda b: ratio(b.rq, b.pq)),
    Kpi("iso22400.first_pass_yield", "First pass yield", "一次合格率", "GP / IP", "1", H,
        f"{ISO} First pass yield (GP: serials passing every inspection the first time)",
        lambda b: ratio(b.gp, b.ip)),
    Kpi("iso22400.throughput_rate", "Throughput rate", "产出率", "PQ / AOET", "1/h", H,
        f"{ISO} Throughput rate (AOET: first part start to last unit out; orders, products)",
        _throughput),
    Kpi("shopfloor.output_rate", "Output per planned busy hour", "单位计划忙时产量",
        "PQ / PBT", "1/h", H,
        "shopfloor: ISO 22400-2 throughput rate with PBT for AOET (defined for work units)",
        lambda b: ratio(b.pq, b.pbt / 3600)),
    Kpi("iso22400.mtbf", "Mean operating time between failures", "平均故障间隔时间",
        "AUPT / number of failures", "h", H,
        f"{ISO} Mean operating time between failures (TBF: setup + production time)", _mtbf_h),
    Kpi("iso22400.mttr", "Mean time to restoration", "平均修复时间",
        "Σ TTR / number of restorations", "min", L,
        f"{ISO} Mean time to restoration (TTR: failure event to repair event)", _mttr_min),
    Kpi("iso22400.kwh_per_unit", "Comprehensive energy consumption", "单位产品能耗",
        "kWh / PQ", "kW.h", L, f"{ISO} Comprehensive energy consumption (electricity)",
        lambda b: _per(b.kwh, b.pq)),
    Kpi("shopfloor.kwh_per_good_unit", "Energy per good unit", "单位合格品能耗", "kWh / GQ",
        "kW.h", L, "shopfloor: energy per good unit", lambda b: _per(b.kwh, b.gq)),
    Kpi("shopfloor.kwh_per_value", "Energy per output value", "单位产值能耗",
        "kWh / Σ(GQ × unit_value)", "kW.h/currency", L,
        "shopfloor: after GB/T 2589-2020 energy per output value (electricity, kWh)",
        _kwh_per_value),
    Kpi("shopfloor.co2e_per_unit", "Carbon per unit", "单位产品碳排放",
        "kWh × emission factor / PQ", "kg", L,
        "shopfloor: indirect emissions of purchased electricity (GB/T 32150-2015 method)",
        lambda b: _per(b.co2e_kg, b.pq)),
)  # fmt: skip

for _kpi in BUILTIN:
    register(_kpi)
