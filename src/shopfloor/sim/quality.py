"""Quality as a function of process settings, wear and tool wear; measured characteristics.

A part's defect probability is the equipment's base rate, plus a term growing with component
wear and with tool wear past 70 %, plus for each process setting its sensitivity times the
squared deviation from the product's nominal value in tolerances. Defects are caught at the
operation with the equipment's ``detect`` probability; the others travel on as latent defects
and show up as out-of-tolerance measurements at the next inspection or test station, which
judges a part by its measurements.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from shopfloor.sim.flow import Unit
from shopfloor.sim.resolve import EquipmentParams
from shopfloor.sim.signal_specs import CHARACTERISTICS, Characteristic


@dataclass(frozen=True)
class ProcessEffect:
    """How one process setting acts: tolerance, defect sensitivity, and exponents on
    cycle time, wear rate and Execute power of the ratio actual / nominal."""

    tolerance: float  # relative to nominal, or absolute if ``absolute``
    sensitivity: float
    time_exp: float = 0.0
    wear_exp: float = 0.0
    power_exp: float = 0.0
    noise: float = 0.005  # variation of the actual value (same units as tolerance)
    absolute: bool = False


PROCESS_EFFECTS: dict[str, ProcessEffect] = {
    "spindle_speed": ProcessEffect(
        0.10, 0.04, time_exp=-0.25, wear_exp=1.6, power_exp=1.0, noise=0.002
    ),
    "feed_rate": ProcessEffect(0.10, 0.05, time_exp=-0.7, wear_exp=1.0, power_exp=0.3, noise=0.003),
    "coolant_temp": ProcessEffect(2.0, 0.03, wear_exp=0.0, noise=0.4, absolute=True),
    "press_force": ProcessEffect(0.08, 0.05, power_exp=0.5, noise=0.02),
    "screw_torque": ProcessEffect(0.06, 0.05, noise=0.015),
    "squeegee_pressure": ProcessEffect(0.12, 0.04, noise=0.02),
    "print_speed": ProcessEffect(0.15, 0.03, time_exp=-0.5, noise=0.01),
    "peak_temp": ProcessEffect(5.0, 0.05, power_exp=1.5, noise=1.0, absolute=True),
    "conveyor_speed": ProcessEffect(0.10, 0.03, time_exp=-1.0, noise=0.005),
}
DEFAULT_EFFECT = ProcessEffect(0.10, 0.03, noise=0.01)

DEFECTS: dict[str, tuple[str, ...]] = {
    "cnc_machining_centre": ("dimension", "surface_finish", "chatter_marks"),
    "cnc_lathe": ("dimension", "surface_finish", "concentricity"),
    "press": ("press_depth", "bearing_seat"),
    "assembly_station": ("missing_part", "torque_out_of_range", "misalignment"),
}


def effect(key: str) -> ProcessEffect:
    return PROCESS_EFFECTS.get(key, DEFAULT_EFFECT)


def factors(setpoints: Mapping[str, float], nominal: Mapping[str, float]) -> tuple[float, ...]:
    """(cycle time, wear rate, Execute power) multipliers of settings against nominal."""
    t = w = kw = 1.0
    for key, value in setpoints.items():
        nom = nominal.get(key)
        if not nom or value <= 0:
            continue
        e = effect(key)
        r = value / nom
        t *= r**e.time_exp
        w *= r**e.wear_exp
        kw *= r**e.power_exp
    return t, w, kw


@dataclass
class PartResult:
    good: bool
    defect: str | None = None
    process: dict[str, float] = field(default_factory=dict)
    measurements: dict[str, float] = field(default_factory=dict)


def measure(c: Characteristic, rng: np.random.Generator, dev: float, bad: bool) -> float:
    if bad:
        return c.nominal + c.tolerance * float(rng.uniform(1.05, 1.8)) * (
            1.0 if c.one_sided or rng.random() < 0.5 else -1.0
        )
    if c.one_sided:
        return c.nominal * float(rng.lognormal(0.0, 0.15)) + 0.2 * c.tolerance * abs(dev)
    return c.nominal + c.tolerance * (0.22 * float(rng.standard_normal()) + 0.25 * dev)


def within(c: Characteristic, value: float) -> bool:
    if c.one_sided:
        return value <= c.nominal + c.tolerance
    return abs(value - c.nominal) <= c.tolerance


class QualityModel:
    def __init__(
        self, p: EquipmentParams, characteristics: Mapping[str, Characteristic], inspects: bool
    ) -> None:
        self.p = p
        self.characteristics = dict(characteristics)
        #: Inspection and test stations judge parts by measuring them.
        self.inspects = inspects or bool(characteristics)

    @staticmethod
    def build(p: EquipmentParams, names: Iterable[str], inspects: bool) -> QualityModel:
        """The model of an equipment measuring the characteristics ``names`` it knows."""
        chars: dict[str, Characteristic] = {}
        for name in names:
            own = p.signals.get(name)
            if own is not None and own.nominal is not None and own.tolerance is not None:
                chars[name] = Characteristic(own.nominal, own.tolerance)
            elif name in CHARACTERISTICS:
                chars[name] = CHARACTERISTICS[name]
        return QualityModel(p, chars, inspects)

    def judge(
        self,
        rng: np.random.Generator,
        unit: Unit,
        setpoints: Mapping[str, float],
        nominal: Mapping[str, float],
        wear: float,
        tool_wear: float,
    ) -> PartResult:
        actual: dict[str, float] = {}
        z2 = 0.0
        for key, sp in setpoints.items():
            e = effect(key)
            spread = e.noise if e.absolute else e.noise * abs(sp)
            value = sp + spread * float(rng.standard_normal())
            actual[key] = value
            nom = nominal.get(key, sp)
            tol = e.tolerance if e.absolute else e.tolerance * abs(nom) or 1.0
            z = (value - nom) / tol
            z2 += self.p.sensitivity.get(key, e.sensitivity) * z * z
            unit.dev += 0.4 * z
        tool_term = 0.08 * (max(0.0, tool_wear - 0.7) / 0.3) ** 2
        unit.dev += 0.6 * max(0.0, tool_wear - 0.5)
        p_defect = min(0.95, self.p.base_defect + self.p.wear_gain * wear**2 + tool_term + z2)
        if self.inspects:
            return self._inspect(rng, unit, actual)
        if rng.random() >= p_defect:
            return PartResult(True, process=actual)
        cls = self.p.equipment.cls.value
        defect = str(rng.choice(list(DEFECTS.get(cls, ("defect",)))))
        if rng.random() < self.p.detect:
            return PartResult(False, defect, actual)
        unit.latent = True
        return PartResult(True, process=actual)

    def _inspect(
        self, rng: np.random.Generator, unit: Unit, actual: dict[str, float]
    ) -> PartResult:
        names = sorted(self.characteristics)
        caught = unit.latent and rng.random() < self.p.detect
        false_reject = not unit.latent and rng.random() < self.p.base_defect
        if not names:
            rejected = caught or false_reject
            return PartResult(not rejected, "rejected" if rejected else None, actual)
        bad = str(rng.choice(names)) if caught or false_reject else None
        values = {n: measure(self.characteristics[n], rng, unit.dev, n == bad) for n in names}
        out = [n for n in names if not within(self.characteristics[n], values[n])]
        if out:
            unit.latent = False
            return PartResult(False, out[0], actual, values)
        return PartResult(True, process=actual, measurements=values)
