"""Physical features of an equipment at feature level: vibration RMS, temperatures, ambient.

These are the true values (no sensor noise); the condition log and the tag sampler add noise
from their own random streams. Vibration RMS rises with wear (slowly, then steeply near the end
of life: the run-to-failure signature); the bearing temperature follows the heat input with a
first-order lag and rises with wear too. Baselines depend on the product (its spindle speed and
``sim.products.<id>.vibration_factor``).
"""

from __future__ import annotations

import math

from shopfloor.plant.states import PackMLState as S

#: Spindle speed (1/min) at which a class's vibration baseline is given.
REF_SPEED = 5000.0
POWERED_OFF = frozenset({S.STOPPED, S.ABORTED, S.STOPPING, S.ABORTING})


def ambient_c(t_s: float, start_hour: float, mean_c: float, swing_c: float) -> float:
    """Hall temperature: a daily cycle peaking mid-afternoon."""
    hour = (start_hour + t_s / 3600.0) % 24.0
    return mean_c + swing_c * math.sin(2 * math.pi * (hour - 9.0) / 24.0)


def vibration_rms(
    state: S, base_mm_s: float, wear: float, speed_ratio: float, product_factor: float
) -> float:
    """Velocity RMS (mm/s): a baseline per product while executing, multiplied by wear."""
    if state is S.EXECUTE:
        base = base_mm_s * speed_ratio**0.8 * product_factor
        return base * (1.0 + 0.6 * wear + 2.2 * wear**4)
    if state in POWERED_OFF:
        return 0.04
    return 0.12 + 0.08 * wear


def heat_rise_c(state: S, wear: float, speed_ratio: float) -> float:
    """Steady-state bearing temperature above ambient."""
    if state is S.EXECUTE:
        return 16.0 * speed_ratio + 14.0 * wear**2
    if state in POWERED_OFF:
        return 0.0
    return 5.0 + 4.0 * wear**2


class Thermal:
    """A first-order lag: the temperature approaches its target with time constant ``tau_s``."""

    def __init__(self, t_s: float, value: float, tau_s: float = 900.0) -> None:
        self.t0 = t_s
        self.v0 = value
        self.target = value
        self.tau_s = tau_s

    def at(self, t_s: float) -> float:
        return self.target + (self.v0 - self.target) * math.exp(-(t_s - self.t0) / self.tau_s)

    def retarget(self, t_s: float, target: float) -> None:
        self.v0 = self.at(t_s)
        self.t0 = t_s
        self.target = target
