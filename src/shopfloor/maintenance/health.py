"""Health models per equipment class: healthy baselines, anomaly detector, RUL, alarm rule.

Trained from what crossed the data stream of run-to-failure runs (feature windows per
equipment, failure and repair events), :func:`fit_health_models` builds per equipment class:

- the healthy vibration and temperature baselines per product (medians);
- an anomaly detector: robust z-scores (median, MAD) of the condition features against rows at
  least :data:`HEALTHY_H` operating hours before a wear-out failure; the score is the RMS of the
  positive z-scores, and each feature's share of it is the explanation;
- a RUL model (gradient boosting on the features and the anomaly score, target the operating
  hours to the next wear-out failure capped at ``cap_h``), when the class has failures enough;
- the alarm rule: RUL under ``rul_alarm_h`` for ``persist`` windows in a row, or the anomaly
  score over ``anomaly_alarm`` for ``anomaly_persist`` windows. Thresholds are chosen on
  out-of-fold predictions (folds by run) to keep false alarms under ``target_fa`` per
  machine-week while catching as many failures as possible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from shopfloor.maintenance.errors import DataError
from shopfloor.maintenance.live_state import (
    ANOMALY_FEATURES,
    FEATURES,
    Baselines,
    EquipmentTracker,
    Observation,
)

HEALTHY_H = 25.0
MIN_FAILURES = 3
_ANOM = [FEATURES.index(f) for f in ANOMALY_FEATURES]


@dataclass
class Score:
    """One equipment's health now."""

    anomaly: float
    health_index: float  # 1 healthy .. 0 at the failure level of the training data
    rul_h: float | None  # operating hours, None without a RUL model for the class
    top: list[tuple[str, float]]  # (feature, share of the anomaly score), largest first


@dataclass
class ClassModel:
    median: np.ndarray
    scale: np.ndarray
    score_healthy: float  # median anomaly score of healthy rows
    score_failing: float  # median anomaly score in the last 2 operating hours before failure
    anomaly_alarm: float
    rul: object | None = None  # a fitted regressor with .predict
    rul_alarm_h: float = 0.0
    rul_cols: tuple[int, ...] = ()  # columns of (features, score) the RUL model uses

    def anomaly(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Scores and per-feature contributions (rows x anomaly features)."""
        z = (x[:, _ANOM] - self.median) / self.scale
        z = np.where(np.isnan(z), 0.0, np.maximum(z, 0.0))
        sq = z * z
        return np.sqrt(sq.mean(axis=1)), sq


@dataclass
class HealthModels:
    baselines: Baselines
    classes: dict[str, ClassModel]
    cap_h: float = 40.0
    persist: int = 2
    anomaly_persist: int = 6
    info: dict[str, object] = field(default_factory=dict)

    def score(self, cls: str, row: tuple[float, ...]) -> Score | None:
        out = self.score_many(cls, [row])
        return out[0] if out else None

    def score_many(self, cls: str, rows: list[tuple[float, ...]]) -> list[Score]:
        """Scores of feature rows of one class (empty when the class has no model)."""
        m = self.classes.get(cls)
        if m is None or not rows:
            return []
        x = np.asarray(rows, dtype=np.float64)
        s, sq = m.anomaly(x)
        span = max(m.score_failing - m.score_healthy, 1e-6)
        hi = np.clip(1.0 - (s - m.score_healthy) / span, 0.0, 1.0)
        rul: np.ndarray | None = None
        if m.rul is not None:
            feats = np.column_stack([x, s])[:, list(m.rul_cols)]
            rul = np.clip(m.rul.predict(feats), 0.0, self.cap_h)  # type: ignore[attr-defined]
        out = []
        for i in range(len(rows)):
            total = float(sq[i].sum())
            top = sorted(
                (
                    (ANOMALY_FEATURES[k], float(sq[i, k]) / total)
                    for k in range(len(_ANOM))
                    if total > 0
                ),
                key=lambda t: -t[1],
            )[:3]
            out.append(
                Score(float(s[i]), float(hi[i]), None if rul is None else float(rul[i]), top)
            )
        return out


@dataclass
class RunRecord:
    """One training run: observations per equipment, its class, wear repairs and failures."""

    observations: dict[str, list[Observation]]
    classes: dict[str, str]
    resets: dict[str, list[int]]  # wear repairs (ns) per equipment
    wear_failures: dict[str, list[int]]  # wear-out failures (ns) per equipment
    end_ns: int


@dataclass
class _Rows:
    cls: list[str] = field(default_factory=list)
    eq: list[str] = field(default_factory=list)
    run: list[int] = field(default_factory=list)
    ts: list[int] = field(default_factory=list)
    x: list[tuple[float, ...]] = field(default_factory=list)
    rul: list[float] = field(default_factory=list)  # op hours to failure, NaN when censored
    floor: list[float] = field(default_factory=list)  # op hours to the end (censored rows)


def replay(
    equipment: str, cls: str, obs: list[Observation], resets: list[int], b: Baselines | None
) -> tuple[list[int], list[tuple[float, ...]], list[float]]:
    """Feature rows of recorded observations (times, rows, cumulative operating hours)."""
    tr = EquipmentTracker(equipment, cls, b)
    pending = sorted(resets)
    ts: list[int] = []
    rows: list[tuple[float, ...]] = []
    cum: list[float] = []
    total = 0.0
    for o in obs:
        while pending and pending[0] <= o.ts_ns:
            pending.pop(0)
            tr.reset()
        before = tr.run_h
        row = tr.observe(o)
        total += max(tr.run_h - before, 0.0)
        if row is not None:
            ts.append(o.ts_ns)
            rows.append(row)
            cum.append(total)
    return ts, rows, cum


def fit_baselines(runs: list[RunRecord]) -> Baselines:
    """Healthy medians: the first :data:`HEALTHY_H` operating hours of every component life."""
    vib: dict[tuple[str, str], list[float]] = {}
    temp: dict[tuple[str, str], list[float]] = {}
    for run in runs:
        for eq, obs in run.observations.items():
            cls = run.classes[eq]
            tr = EquipmentTracker(eq, cls, None)
            pending = sorted(run.resets.get(eq, []))
            for o in obs:
                while pending and pending[0] <= o.ts_ns:
                    pending.pop(0)
                    tr.reset()
                if tr.observe(o) is None or tr.run_h > HEALTHY_H:
                    continue
                for key in ((cls, o.product or ""), (cls, "*")):
                    vib.setdefault(key, []).append(o.vibration)
                    if not math.isnan(o.temperature):
                        temp.setdefault(key, []).append(o.temperature)
    if not vib:
        raise DataError("no healthy operating windows to learn baselines from")
    return Baselines(
        {k: float(np.median(v)) for k, v in vib.items()},
        {k: float(np.median(v)) for k, v in temp.items()},
    )


def training_rows(runs: list[RunRecord], b: Baselines) -> _Rows:
    out = _Rows()
    for i, run in enumerate(runs):
        for eq, obs in run.observations.items():
            ts, rows, cum = replay(eq, run.classes[eq], obs, run.resets.get(eq, []), b)
            fails = sorted(run.wear_failures.get(eq, []))
            ts_a = np.asarray(ts, dtype=np.int64)
            cum_a = np.asarray(cum)
            # cumulative operating hours at each failure: the last row before it
            at = np.searchsorted(ts_a, np.asarray(fails, dtype=np.int64), side="right") - 1
            fail_cum = [cum_a[j] if j >= 0 else 0.0 for j in at]
            end_cum = cum_a[-1] if len(cum_a) else 0.0
            k = 0
            for t, row, c in zip(ts, rows, cum, strict=True):
                while k < len(fails) and fails[k] < t:
                    k += 1
                out.cls.append(run.classes[eq])
                out.eq.append(f"{i}:{eq}")
                out.run.append(i)
                out.ts.append(t)
                out.x.append(row)
                out.rul.append(fail_cum[k] - c if k < len(fails) else math.nan)
                out.floor.append(end_cum - c)
    return out
