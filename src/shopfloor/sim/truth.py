"""The simulator's ground truth: what really happened, per equipment and per line.

Kept independently of the events the plant emits, so that everything computed later from the
data stream (KPIs, energy per unit, MTBF...) can be checked against it. Durations are integer
nanoseconds so that they add up exactly: the state durations of every equipment sum to the
horizon, and good + scrap = produced everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shopfloor.plant.states import TIME_ELEMENT, PackMLState, TimeElement

NS = 1_000_000_000


def _zero_states() -> dict[PackMLState, int]:
    return dict.fromkeys(PackMLState, 0)


def _zero_energy() -> dict[PackMLState, float]:
    return dict.fromkeys(PackMLState, 0.0)


@dataclass
class FailureRecord:
    ts_ns: int
    mode: str
    cause: str  # "wear" or "random"
    #: From the failure until the equipment was back (incl. waiting); None: not yet repaired.
    repair_s: float | None = None
    wear: float = 0.0  # component wear at failure (1.0 is the nominal failure threshold)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ts_ns": self.ts_ns,
            "mode": self.mode,
            "cause": self.cause,
            "repair_s": None if self.repair_s is None else round(self.repair_s, 3),
            "wear": round(self.wear, 4),
        }


@dataclass
class EquipmentTruth:
    path: str
    cls: str
    line: str
    networked: bool
    produces: bool
    state_ns: dict[PackMLState, int] = field(default_factory=_zero_states)
    energy_kwh_by_state: dict[PackMLState, float] = field(default_factory=_zero_energy)
    produced: int = 0  # PQ
    good: int = 0  # GQ
    scrap: int = 0  # SQ
    #: Sum of standard_time_s over produced units (planned run time per unit, PRU).
    pru_s: float = 0.0
    cycles: int = 0  # handling cycles (robots), trips (AGVs), carried units (conveyors)
    setups: int = 0
    minor_stops: int = 0
    tool_changes: int = 0
    failures: list[FailureRecord] = field(default_factory=list)

    @property
    def energy_kwh(self) -> float:
        return sum(self.energy_kwh_by_state.values())

    @property
    def element_ns(self) -> dict[TimeElement, int]:
        out = dict.fromkeys(TimeElement, 0)
        for state, ns in self.state_ns.items():
            out[TIME_ELEMENT[state]] += ns
        return out

    def seconds(self, state: PackMLState) -> float:
        return self.state_ns[state] / NS

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "class": self.cls,
            "line": self.line,
            "networked": self.networked,
            "produced": self.produced,
            "good": self.good,
            "scrap": self.scrap,
            "pru_s": round(self.pru_s, 3),
            "states_s": {s.value: ns / NS for s, ns in self.state_ns.items() if ns},
            "time_elements_s": {e.value: ns / NS for e, ns in self.element_ns.items()},
            "energy_kwh": round(self.energy_kwh, 6),
            "energy_kwh_by_state": {
                s.value: round(k, 6) for s, k in self.energy_kwh_by_state.items() if k
            },
            "cycles": self.cycles,
            "setups": self.setups,
            "minor_stops": self.minor_stops,
            "tool_changes": self.tool_changes,
            "failures": [f.to_dict() for f in self.failures],
        }


@dataclass
class LineTruth:
    """Line output: units leaving the line's routings, good at the last operation or scrapped."""

    path: str
    produced: int = 0  # good + scrap
    good: int = 0  # good units completing the last operation
    scrap: int = 0  # units scrapped at any operation of the line's routings
    orders_released: int = 0
    orders_completed: int = 0
    energy_kwh: float = 0.0  # true energy of the line's equipment
    failures: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "produced": self.produced,
            "good": self.good,
            "scrap": self.scrap,
            "orders_released": self.orders_released,
            "orders_completed": self.orders_completed,
            "energy_kwh": round(self.energy_kwh, 6),
            "failures": self.failures,
        }


@dataclass
class Truth:
    seed: int
    start_ns: int
    end_ns: int
    equipment: dict[str, EquipmentTruth] = field(default_factory=dict)
    lines: dict[str, LineTruth] = field(default_factory=dict)

    @property
    def horizon_ns(self) -> int:
        return self.end_ns - self.start_ns

    def problems(self) -> list[str]:
        """Violations of the bookkeeping invariants (empty when the truth adds up)."""
        out: list[str] = []
        for p, t in self.equipment.items():
            total = sum(t.state_ns.values())
            if total != self.horizon_ns:
                out.append(f"{p}: state durations sum to {total} ns, horizon {self.horizon_ns}")
            if sum(t.element_ns.values()) != self.horizon_ns:
                out.append(f"{p}: time elements do not sum to the horizon")
            if t.good + t.scrap != t.produced:
                out.append(f"{p}: good {t.good} + scrap {t.scrap} != produced {t.produced}")
            if min(t.energy_kwh_by_state.values()) < 0:
                out.append(f"{p}: negative energy")
        for p, ln in self.lines.items():
            if ln.good + ln.scrap != ln.produced:
                out.append(f"{p}: line good + scrap != produced")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "start_ns": self.start_ns,
            "end_ns": self.end_ns,
            "horizon_s": self.horizon_ns / NS,
            "lines": {p: ln.to_dict() for p, ln in self.lines.items()},
            "equipment": {p: t.to_dict() for p, t in self.equipment.items()},
        }
