"""The condition log: feature-level health of every wearing equipment, sampled every few minutes.

This is what a condition-monitoring system would store (vibration RMS, bearing temperature,
tool wear), computed cheaply from the feature model whether or not an outlet is attached, and
kept with the ground truth (true wear, failures) so that failure prediction can be trained and
scored on virtual-time runs without synthesising every sample.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from shopfloor.sim.asset import Asset, Proc
from shopfloor.sim.features import vibration_rms
from shopfloor.sim.rng import stream
from shopfloor.sim.world import World


def sensed_vibration(rng: np.random.Generator, true_mm_s: float) -> float:
    """What a velocity sensor reads: multiplicative noise of about 6 %."""
    return true_mm_s * float(rng.lognormal(0.0, 0.06))


def true_vibration(a: Asset) -> float:
    return vibration_rms(a.state, a.p.vibration_mm_s, a.wear_now(), a.speed_ratio, a.vib_factor)


@dataclass
class ConditionSeries:
    path: str
    t_s: list[float] = field(default_factory=list)
    state: list[str] = field(default_factory=list)
    product: list[str | None] = field(default_factory=list)
    wear: list[float] = field(default_factory=list)  # true, normalised (failure near 1)
    vibration_rms: list[float] = field(default_factory=list)  # sensed, mm/s
    bearing_temperature: list[float] = field(default_factory=list)  # sensed, Cel
    tool_wear: list[float] = field(default_factory=list)  # 0..1
    operating_h: list[float] = field(default_factory=list)

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "t_s": np.asarray(self.t_s),
            "wear": np.asarray(self.wear),
            "vibration_rms": np.asarray(self.vibration_rms),
            "bearing_temperature": np.asarray(self.bearing_temperature),
            "tool_wear": np.asarray(self.tool_wear),
            "operating_h": np.asarray(self.operating_h),
            "state": np.asarray(self.state),
            "product": np.asarray(self.product, dtype=object),
        }


class ConditionLog:
    def __init__(self, world: World, assets: list[Asset]) -> None:
        self.world = world
        self.period_s = world.params.sim.condition_period_s
        self.assets = [
            a for a in assets if a.degradation is not None and a.degradation.component is not None
        ]
        self.series = {a.path: ConditionSeries(a.path) for a in self.assets}
        self.rng = stream(world.seed, "condition-log")

    def start(self) -> None:
        self.world.env.process(self._run())

    def _run(self) -> Proc:
        env = self.world.env
        while True:
            yield env.timeout(self.period_s)
            for a in self.assets:
                self.sample(a, env.now)

    def sample(self, a: Asset, t: float) -> None:
        s = self.series[a.path]
        deg = a.degradation
        assert deg is not None
        tool = a.tool
        s.t_s.append(t)
        s.state.append(a.state.value)
        s.product.append(a.product.id if a.product is not None else None)
        s.wear.append(a.wear_now())
        s.vibration_rms.append(sensed_vibration(self.rng, true_vibration(a)))
        s.bearing_temperature.append(a.thermal.at(t) + float(self.rng.normal(0.0, 0.3)))
        s.tool_wear.append(tool.wear if tool is not None else 0.0)
        extra = t - a.exec_since if a.exec_since is not None else 0.0
        s.operating_h.append((deg.op_s + extra) / 3600)
