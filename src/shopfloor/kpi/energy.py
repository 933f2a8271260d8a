"""Energy performance: emission factors, energy baselines and EnPIs (after ISO 50006).

* **Carbon**: kg CO2e = kWh x emission factor. The factor carries its source and year; the
  default is China's national average electricity CO2 emission factor for 2022, 0.5366 kg/kWh,
  published by the Ministry of Ecology and Environment and the National Bureau of Statistics
  (announcement of 2024-12-20). Pass your own (a provincial factor, a supplier's contract
  factor, a newer year) wherever :class:`EnergySettings` is taken.
* **Baseline** (EnB): what energy the output should have needed, fitted on a baseline period:
  a ratio (kWh per unit) or a linear model kWh = a + b x units (a: fixed load of the period,
  b: energy per unit), fitted by least squares on (units, kWh) points of equal-length periods
  (shifts, hours).
* **EnPI**: actual / expected energy for the output of the reporting period (below 1 is
  better); the savings are expected - actual.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from shopfloor.errors import BadInput


@dataclass(frozen=True)
class EmissionFactor:
    kg_per_kwh: float
    source: str
    year: int | None = None

    def __post_init__(self) -> None:
        v = self.kg_per_kwh
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v < 0:
            raise BadInput(f"emission factor must be a number of kg CO2e per kWh >= 0, not {v!r}")
        if not self.source.strip():
            raise BadInput("emission factor: source must name where the factor comes from")

    def co2e_kg(self, kwh: float) -> float:
        return kwh * self.kg_per_kwh

    def to_dict(self) -> dict[str, Any]:
        return {"kg_per_kwh": self.kg_per_kwh, "source": self.source, "year": self.year}


CN_GRID_2022 = EmissionFactor(
    0.5366,
    "MEE & NBS, announcement of 2024-12-20: national average electricity CO2 emission factor "
    "2022 (全国电力平均二氧化碳排放因子)",
    2022,
)


@dataclass(frozen=True)
class EnergySettings:
    emission_factor: EmissionFactor = CN_GRID_2022


class Baseline(Protocol):
    def expected(self, units: float) -> float: ...

    def to_dict(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class RatioBaseline:
    kwh_per_unit: float

    def expected(self, units: float) -> float:
        return self.kwh_per_unit * units

    def to_dict(self) -> dict[str, Any]:
        return {"model": "ratio", "kwh_per_unit": self.kwh_per_unit}


@dataclass(frozen=True)
class LinearBaseline:
    a: float  # kWh of the period at zero output
    b: float  # kWh per unit
    r2: float | None
    n: int

    def expected(self, units: float) -> float:
        return self.a + self.b * units

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": "linear",
            "a_kwh": self.a,
            "b_kwh_per_unit": self.b,
            "r2": self.r2,
            "n": self.n,
        }


def _check(points: Sequence[tuple[float, float]]) -> None:
    for i, (u, e) in enumerate(points):
        for name, v in (("units", u), ("kwh", e)):
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise BadInput(f"baseline point {i}: {name} must be a finite number, not {v!r}")
            if v < 0:
                raise BadInput(f"baseline point {i}: {name} must be >= 0, not {v!r}")


def fit_ratio(points: Sequence[tuple[float, float]]) -> RatioBaseline:
    """kWh per unit over the baseline period: sum kWh / sum units."""
    _check(points)
    units = sum(u for u, _e in points)
    if units <= 0:
        raise BadInput("ratio baseline: the baseline period produced nothing")
    return RatioBaseline(sum(e for _u, e in points) / units)


def fit_linear(points: Sequence[tuple[float, float]]) -> LinearBaseline:
    """Least-squares kWh = a + b x units over (units, kWh) points of equal-length periods."""
    _check(points)
    n = len(points)
    if n < 2 or len({u for u, _e in points}) < 2:
        raise BadInput("linear baseline: needs at least two periods with different output")
    mu = sum(u for u, _e in points) / n
    me = sum(e for _u, e in points) / n
    suu = sum((u - mu) ** 2 for u, _e in points)
    sue = sum((u - mu) * (e - me) for u, e in points)
    b = sue / suu
    a = me - b * mu
    see = sum((e - me) ** 2 for _u, e in points)
    resid = sum((e - a - b * u) ** 2 for u, e in points)
    return LinearBaseline(a, b, None if see == 0 else 1 - resid / see, n)


@dataclass(frozen=True)
class EnPI:
    actual_kwh: float
    expected_kwh: float
    units: float

    @property
    def ratio(self) -> float | None:
        return None if self.expected_kwh <= 0 else self.actual_kwh / self.expected_kwh

    @property
    def savings_kwh(self) -> float:
        return self.expected_kwh - self.actual_kwh

    def to_dict(self) -> dict[str, Any]:
        return {
            "actual_kwh": self.actual_kwh,
            "expected_kwh": self.expected_kwh,
            "units": self.units,
            "enpi": self.ratio,
            "savings_kwh": self.savings_kwh,
        }


def enpi(actual_kwh: float, units: float, baseline: Baseline) -> EnPI:
    """The energy performance of a reporting period against ``baseline``."""
    _check([(units, actual_kwh)])
    return EnPI(actual_kwh, baseline.expected(units), units)
