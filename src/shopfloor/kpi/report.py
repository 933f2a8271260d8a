"""A KPI report: baskets per equipment, line, order and product, and their KPIs as JSON.

Every entry of :meth:`Report.to_json` is ``{"kpi": {key: value}, "losses": {...},
"basket": {...}}``; KPI values are fractions or the unit their registry row states, None where
undefined. Values are not rounded, so ``oee == availability * effectiveness * quality_ratio``
holds exactly in the JSON too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shopfloor.clock import NS_PER_S, from_ns
from shopfloor.kpi.basket import Basket
from shopfloor.kpi.energy import EmissionFactor, EnergySettings
from shopfloor.kpi.layout import Layout
from shopfloor.kpi.losses import loss_breakdown
from shopfloor.kpi.registry import evaluate
from shopfloor.kpi.window import Window


@dataclass
class Output:
    """Units leaving a line (or of an order): PQ = GQ + SQ, and the value of the good ones."""

    pq: int = 0
    gq: int = 0
    sq: int = 0
    value: float = 0.0

    def add(self, good: bool, value: float) -> None:
        self.pq += 1
        if good:
            self.gq += 1
            self.value += value
        else:
            self.sq += 1


@dataclass(frozen=True)
class OrderInfo:
    product: str | None
    line: str | None
    first_ns: int
    last_out_ns: int | None


@dataclass
class Report:
    window: Window
    until_ns: int | None
    emission_factor: EmissionFactor
    equipment: dict[str, Basket] = field(default_factory=dict)
    lines: dict[str, Basket] = field(default_factory=dict)
    orders: dict[str, Basket] = field(default_factory=dict)
    products: dict[str, Basket] = field(default_factory=dict)
    order_info: dict[str, OrderInfo] = field(default_factory=dict)
    #: Line path -> "meter" (the line's main meter), "equipment_sum" or "none".
    line_kwh_source: dict[str, str] = field(default_factory=dict)
    rejected: int = 0

    @staticmethod
    def entry(basket: Basket) -> dict[str, Any]:
        return {
            "kpi": evaluate(basket),
            "losses": loss_breakdown(basket).to_dict(),
            "basket": basket.to_dict(),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "window": self.window.to_dict(),
            "until": None if self.until_ns is None else from_ns(self.until_ns).isoformat(),
            "emission_factor": self.emission_factor.to_dict(),
            "rejected_events": self.rejected,
            "equipment": {p: self.entry(b) for p, b in self.equipment.items()},
            "lines": {
                p: {**self.entry(b), "kwh_source": self.line_kwh_source[p]}
                for p, b in self.lines.items()
            },
            "orders": {
                oid: {
                    **self.entry(b),
                    "product": self.order_info[oid].product,
                    "line": self.order_info[oid].line,
                }
                for oid, b in self.orders.items()
            },
            "products": {p: self.entry(b) for p, b in self.products.items()},
        }


def _time_and_work(into: Basket, b: Basket) -> None:
    for e, ns in b.element_ns.items():
        into.element_ns[e] += ns
    into.pru_s += b.pru_s
    into.unrated += b.unrated
    into.failures += b.failures
    into.repairs += b.repairs
    into.ttr_s += b.ttr_s


def _output(into: Basket, out: Output | None) -> None:
    into.value = 0.0
    if out is not None:
        into.pq, into.gq, into.sq, into.value = out.pq, out.gq, out.sq, out.value


def build_report(
    *,
    layout: Layout,
    window: Window,
    until_ns: int | None,
    snapshots: Mapping[str, tuple[Basket, dict[str, Basket]]],
    line_meters: Mapping[str, float | None],
    line_output: Mapping[str, Output],
    order_output: Mapping[str, Output],
    orders: Mapping[str, OrderInfo],
    fpy: Mapping[str, tuple[int, int]],
    energy: EnergySettings,
    rejected: int,
) -> Report:
    r = Report(window, until_ns, energy.emission_factor, rejected=rejected)
    for path, (b, _shares) in snapshots.items():
        b.ip, b.gp = fpy.get(path, (0, 0))
        r.equipment[path] = b
    for path, ln in layout.lines.items():
        b = Basket()
        for unit in ln.work_units:
            _time_and_work(b, r.equipment[unit])
        _output(b, line_output[path])
        b.ip, b.gp = fpy.get(path, (0, 0))
        metered = [r.equipment[m].kwh for m in ln.equipment if r.equipment[m].kwh is not None]
        if ln.meter is not None and line_meters.get(path) is not None:
            b.kwh, r.line_kwh_source[path] = line_meters[path], "meter"
        elif metered:
            b.kwh, r.line_kwh_source[path] = (
                sum(k for k in metered if k is not None),
                "equipment_sum",
            )
        else:
            r.line_kwh_source[path] = "none"
        r.lines[path] = b
    for oid, info in orders.items():
        b = Basket()
        for _b, shares in snapshots.values():
            share = shares.get(oid)
            if share is not None:
                _time_and_work(b, share)
                if share.kwh is not None:
                    b.kwh = (b.kwh or 0.0) + share.kwh
        _output(b, order_output.get(oid))
        b.ip, b.gp = fpy.get(oid, (0, 0))
        if info.last_out_ns is not None:
            b.aoet_s = window.clip(info.first_ns, info.last_out_ns) / NS_PER_S
        r.orders[oid] = b
        r.order_info[oid] = info
        if info.product is not None:
            r.products.setdefault(info.product, Basket()).add(b)
    for group in (r.equipment, r.lines, r.orders, r.products):
        for b in group.values():
            b.co2e_kg = None if b.kwh is None else energy.emission_factor.co2e_kg(b.kwh)
    return r
