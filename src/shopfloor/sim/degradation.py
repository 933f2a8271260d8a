"""Wear, failures and minor stops of one equipment, advanced at feature level.

Nothing here ticks: the equipment tells how many operating seconds passed and at which wear
rate, and asks how many operating seconds remain until the next incident. A wearing component
has its own onset, life and failure threshold, drawn per unit (and again after each repair), so
that no two machines fail alike. Normalised wear ``w`` grows as ``((t - onset) / life)^2`` of
effective operating hours and the component fails when ``w`` reaches its threshold (about 1).
Random failures and minor stops are exponential in operating hours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from shopfloor.sim.resolve import EquipmentParams
from shopfloor.sim.rng import lognormal

EPS = 1e-9


@dataclass(frozen=True)
class Incident:
    kind: Literal["failure", "minor"]
    mode: str
    cause: Literal["wear", "random", "minor"]
    duration_s: float  # repair time (without waiting for a technician) or stop duration
    wear: float


class Component:
    """One instance of the wearing component (replaced at each wear-driven repair)."""

    def __init__(self, p: EquipmentParams, rng: np.random.Generator) -> None:
        self.onset_h = lognormal(rng, p.onset_h, p.onset_cv) if p.onset_h > 0 else 0.0
        self.life_h = lognormal(rng, p.life_h, p.life_cv)
        self.threshold = float(np.clip(rng.normal(1.0, p.threshold_sd), 0.6, 1.5))
        self.eff_h = 0.0  # effective operating hours (operating hours x wear rate)

    @property
    def failure_h(self) -> float:
        return self.onset_h + self.life_h * math.sqrt(self.threshold)

    def wear(self, extra_h: float = 0.0) -> float:
        x = self.eff_h + extra_h - self.onset_h
        return 0.0 if x <= 0 else (x / self.life_h) ** 2


class Degradation:
    def __init__(self, p: EquipmentParams, rng: np.random.Generator) -> None:
        self.p = p
        self.rng = rng
        self.op_s = 0.0
        self.component = Component(p, rng) if p.wear_mode else None
        self.next_random = self._draw(p.mtbf_h)
        self.next_minor = self._draw(1 / p.minor_per_h if p.minor_per_h > 0 else None)

    def _draw(self, mean_h: float | None) -> float:
        if mean_h is None:
            return math.inf
        return self.op_s + float(self.rng.exponential(mean_h * 3600))

    def wear(self, extra_op_s: float = 0.0, rate: float = 1.0) -> float:
        """Normalised wear now (plus ``extra_op_s`` operating seconds not yet accounted)."""
        if self.component is None:
            return 0.0
        return self.component.wear(extra_op_s * rate / 3600)

    def op_to_next(self, rate: float) -> float:
        """Operating seconds until the next incident at wear rate ``rate``."""
        d = min(self.next_random, self.next_minor) - self.op_s
        if self.component is not None:
            d = min(d, (self.component.failure_h - self.component.eff_h) * 3600 / rate)
        return max(d, 0.0)

    def advance(self, op_s: float, rate: float) -> None:
        self.op_s += op_s
        if self.component is not None:
            self.component.eff_h += op_s * rate / 3600

    def due(self) -> Incident | None:
        c = self.component
        if c is not None and c.eff_h >= c.failure_h - EPS:
            assert self.p.wear_mode is not None
            return Incident(
                "failure",
                self.p.wear_mode,
                "wear",
                lognormal(self.rng, self.p.wear_mttr_min * 60, 0.4),
                c.wear(),
            )
        if self.op_s >= self.next_random - 1e-6:
            mode = str(self.rng.choice(list(self.p.random_modes)))
            return Incident(
                "failure",
                mode,
                "random",
                lognormal(self.rng, self.p.mttr_min * 60, 0.6),
                self.wear(),
            )
        if self.op_s >= self.next_minor - 1e-6:
            reason = str(self.rng.choice(list(self.p.minor_reasons)))
            return Incident(
                "minor",
                reason,
                "minor",
                float(self.rng.exponential(self.p.minor_mean_s)) + 5.0,
                self.wear(),
            )
        return None

    def done(self, incident: Incident) -> None:
        """The incident is over: replace the worn component or draw the next random event."""
        if incident.cause == "wear":
            self.component = Component(self.p, self.rng)
        elif incident.cause == "random":
            self.next_random = self._draw(self.p.mtbf_h)
        else:
            self.next_minor = self._draw(1 / self.p.minor_per_h)


class Tool:
    """Cutting tool (or nozzle, stencil) wear per part; changed near its limit."""

    def __init__(self, life_parts: float, rng: np.random.Generator) -> None:
        self.life_parts = life_parts
        self.rng = rng
        self.wear = float(rng.uniform(0.0, 0.6))  # tools are mid-life when the run starts
        self.number = 1 + int(rng.integers(0, 12))
        self.limit = self._limit()

    def _limit(self) -> float:
        return float(np.clip(self.rng.normal(0.95, 0.03), 0.85, 1.0))

    def add_part(self, rate: float) -> None:
        self.wear += rate / self.life_parts * float(self.rng.lognormal(0.0, 0.1))

    @property
    def due(self) -> bool:
        return self.wear >= self.limit

    def change(self) -> None:
        self.wear = 0.0
        self.number = self.number % 24 + 1
        self.limit = self._limit()
