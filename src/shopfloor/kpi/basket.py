"""The numbers every KPI is computed from: ISO 22400 time elements and quantities of one scope.

A :class:`Basket` holds, for one scope (an equipment, a line, an order, a product) and one time
window, the time elements in integer nanoseconds (so that they add up exactly) and the
quantities: produced (PQ), good (GQ), scrap (SQ) and rework (RQ) quantity, the planned run time
earned (PRU x PQ, the sum of the standard times of the units produced), inspected and first-pass
good parts (IP, GP), failures and restorations, energy, carbon and the value of the output.

Derived time elements follow :mod:`shopfloor.plant.states`: PBT = APT + ASUT + ADET + ADOT,
AUPT = APT + ASUT, AUBT = AUPT + ADET.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shopfloor.clock import NS_PER_S
from shopfloor.plant.states import PBT_ELEMENTS, TimeElement


def _zero_elements() -> dict[TimeElement, int]:
    return dict.fromkeys(TimeElement, 0)


def _add(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return a + b


@dataclass
class Basket:
    element_ns: dict[TimeElement, int] = field(default_factory=_zero_elements)
    pq: int = 0
    gq: int = 0
    sq: int = 0
    rq: int = 0
    #: PRU x PQ: planned run time of the units produced (sum of their standard times), s.
    pru_s: float = 0.0
    #: Units produced with no standard time known (a machine read before its standard time is
    #: given): counted in PQ, and they leave effectiveness undefined rather than understated.
    unrated: int = 0
    ip: int = 0
    gp: int = 0
    failures: int = 0
    repairs: int = 0
    #: Sum of the times to restoration of the repairs counted, s.
    ttr_s: float = 0.0
    #: Energy, kWh (None: nothing metered this scope).
    kwh: float | None = None
    co2e_kg: float | None = None
    #: Value of the good output (sum of the products' unit values), None where not defined.
    value: float | None = None
    #: Actual order execution time, s (orders and products only).
    aoet_s: float | None = None

    # ---- time elements in seconds --------------------------------------------------------------

    def seconds(self, element: TimeElement) -> float:
        return self.element_ns[element] / NS_PER_S

    @property
    def apt(self) -> float:
        return self.seconds(TimeElement.APT)

    @property
    def asut(self) -> float:
        return self.seconds(TimeElement.ASUT)

    @property
    def adet(self) -> float:
        return self.seconds(TimeElement.ADET)

    @property
    def adot(self) -> float:
        return self.seconds(TimeElement.ADOT)

    @property
    def pdot(self) -> float:
        return self.seconds(TimeElement.PDOT)

    @property
    def pbt(self) -> float:
        return sum(self.element_ns[e] for e in PBT_ELEMENTS) / NS_PER_S

    @property
    def aupt(self) -> float:
        return (self.element_ns[TimeElement.APT] + self.element_ns[TimeElement.ASUT]) / NS_PER_S

    @property
    def aubt(self) -> float:
        ns = self.element_ns
        return (ns[TimeElement.APT] + ns[TimeElement.ASUT] + ns[TimeElement.ADET]) / NS_PER_S

    # ---- combining -------------------------------------------------------------------------------

    def add(self, other: Basket) -> None:
        """Add ``other`` into this basket (scopes of the same window)."""
        for e, ns in other.element_ns.items():
            self.element_ns[e] += ns
        self.pq += other.pq
        self.gq += other.gq
        self.sq += other.sq
        self.rq += other.rq
        self.pru_s += other.pru_s
        self.unrated += other.unrated
        self.ip += other.ip
        self.gp += other.gp
        self.failures += other.failures
        self.repairs += other.repairs
        self.ttr_s += other.ttr_s
        self.kwh = _add(self.kwh, other.kwh)
        self.co2e_kg = _add(self.co2e_kg, other.co2e_kg)
        self.value = _add(self.value, other.value)
        self.aoet_s = _add(self.aoet_s, other.aoet_s)

    def copy(self) -> Basket:
        out = Basket()
        out.add(self)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "time_elements_s": {e.value: self.seconds(e) for e in TimeElement},
            "pbt_s": self.pbt,
            "pq": self.pq,
            "gq": self.gq,
            "sq": self.sq,
            "rq": self.rq,
            "pru_x_pq_s": self.pru_s,
            "unrated": self.unrated,
            "ip": self.ip,
            "gp": self.gp,
            "failures": self.failures,
            "repairs": self.repairs,
            "ttr_s": self.ttr_s,
            "kwh": self.kwh,
            "co2e_kg": self.co2e_kg,
            "value": self.value,
            "aoet_s": self.aoet_s,
        }
