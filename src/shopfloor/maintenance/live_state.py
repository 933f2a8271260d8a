"""Per-equipment condition state, updated once per feature window.

An :class:`EquipmentTracker` turns the window observations of one equipment (executing or not,
vibration RMS, bearing temperature, product, optional waveform features) into the model
features: vibration relative to the healthy baseline of the equipment class and product (log
ratio) smoothed over one and eight operating hours, their difference (the trend), the bearing
temperature above its healthy baseline, and the operating hours since the last wear repair.
Smoothing runs on operating time, so 10-minute condition samples and 1 Hz tags give the same
features. The same code computes training features (replaying recorded observations) and live
ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

FAST_H = 1.0
SLOW_H = 8.0
TEMP_H = 2.0
#: Feature columns, in model order.
FEATURES = ("vib_fast", "vib_slow", "vib_trend", "temp_fast", "run_h", "kurtosis", "band_hi")
#: Features the anomaly detector judges (the others are context for the RUL model).
ANOMALY_FEATURES = ("vib_fast", "vib_trend", "temp_fast", "kurtosis", "band_hi")


@dataclass
class Observation:
    """One feature window of one equipment, as it crossed the data stream."""

    ts_ns: int
    executing: float  # share of the window in Execute (0..1)
    vibration: float  # mean velocity RMS while executing (mm/s), NaN if none
    temperature: float  # mean bearing temperature (Cel), NaN if none
    product: str | None
    kurtosis: float = math.nan  # waveform kurtosis while executing
    band_hi: float = math.nan  # share of waveform energy in the highest band


@dataclass
class Baselines:
    """Healthy medians per (class, product) and per class: vibration (mm/s), temperature."""

    vibration: dict[tuple[str, str], float] = field(default_factory=dict)
    temperature: dict[tuple[str, str], float] = field(default_factory=dict)

    def get(self, table: dict[tuple[str, str], float], cls: str, product: str | None) -> float:
        v = table.get((cls, product or ""))
        return v if v is not None else table.get((cls, "*"), math.nan)


def _blend(old: float, new: float, dt_h: float, tau_h: float) -> float:
    if math.isnan(new):
        return old
    if math.isnan(old):
        return new
    a = 1.0 - math.exp(-dt_h / tau_h)
    return old + a * (new - old)


class EquipmentTracker:
    """Features of one equipment, updated by :meth:`observe`; :meth:`reset` after a repair."""

    def __init__(self, equipment: str, cls: str, baselines: Baselines | None) -> None:
        self.equipment = equipment
        self.cls = cls
        self.baselines = baselines
        self.last_ts: int | None = None
        self.reset()

    def reset(self) -> None:
        """A new component: forget the smoothed features and the operating hours."""
        self.run_h = 0.0
        self.vib_fast = self.vib_slow = self.temp_fast = math.nan
        self.kurt = self.band = math.nan

    def observe(self, obs: Observation) -> tuple[float, ...] | None:
        """Update with one window; the feature row (see :data:`FEATURES`), or None while the
        equipment is not executing (features only mean something under load)."""
        dt_h = 0.0 if self.last_ts is None else max(obs.ts_ns - self.last_ts, 0) / 3.6e12
        self.last_ts = obs.ts_ns
        op_h = dt_h * min(max(obs.executing, 0.0), 1.0)
        self.run_h += op_h
        if obs.executing <= 0 or math.isnan(obs.vibration) or obs.vibration <= 0:
            return None
        b = self.baselines
        if b is None:
            r, u = math.log(obs.vibration), obs.temperature
        else:
            r = math.log(obs.vibration / b.get(b.vibration, self.cls, obs.product))
            u = obs.temperature - b.get(b.temperature, self.cls, obs.product)
        step = max(op_h, 1e-3)
        self.vib_fast = _blend(self.vib_fast, r, step, FAST_H)
        self.vib_slow = _blend(self.vib_slow, r, step, SLOW_H)
        self.temp_fast = _blend(self.temp_fast, u, step, TEMP_H)
        self.kurt = _blend(self.kurt, obs.kurtosis, step, FAST_H)
        self.band = _blend(self.band, obs.band_hi, step, FAST_H)
        return (
            self.vib_fast,
            self.vib_slow,
            self.vib_fast - self.vib_slow,
            self.temp_fast,
            self.run_h,
            self.kurt,
            self.band,
        )
