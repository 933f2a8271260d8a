"""Training the health models and choosing their alarm thresholds (see :mod:`.health`)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from shopfloor.maintenance.errors import DataError
from shopfloor.maintenance.health import (
    _ANOM,
    HEALTHY_H,
    MIN_FAILURES,
    ClassModel,
    HealthModels,
    RunRecord,
    _Rows,
    fit_baselines,
    training_rows,
)
from shopfloor.maintenance.live_score import AlarmRecord, Failure, score_alarms

RUL_GRID = (2.0, 3.0, 4.0, 6.0, 8.0, 10.0, 12.0, 15.0, 20.0, 25.0, 30.0)
#: Lead time asked of the thresholds on training data (margin over the 1 h judged).
CALIBRATION_LEAD_H = 4.0
ANOMALY_GRID = (math.inf, 6.0, 4.0, 3.0)  # multiples of the healthy 99.9th percentile


def _regressor(seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(
        max_iter=200, learning_rate=0.05, min_samples_leaf=100, random_state=seed
    )


def simulate_alarms(
    keys: np.ndarray,
    ts: np.ndarray,
    rul: np.ndarray,
    score: np.ndarray,
    resets: dict[str, list[int]],
    *,
    rul_alarm_h: float,
    anomaly_alarm: float,
    persist: int,
    anomaly_persist: int,
) -> list[AlarmRecord]:
    """The alarms the live rule raises on rows (one alarm per component life at most)."""
    out: list[AlarmRecord] = []
    for key in np.unique(keys):
        idx = np.flatnonzero(keys == key)
        pending = sorted(resets.get(str(key), []))
        latched = False
        n_rul = n_anom = 0
        for i in idx:
            while pending and pending[0] <= ts[i]:
                pending.pop(0)
                latched, n_rul, n_anom = False, 0, 0
            n_rul = n_rul + 1 if rul[i] < rul_alarm_h else 0
            n_anom = n_anom + 1 if score[i] > anomaly_alarm else 0
            if not latched and (n_rul >= persist or n_anom >= anomaly_persist):
                latched = True
                out.append(AlarmRecord(str(key), int(ts[i])))
    return out


def fit_health_models(
    runs: list[RunRecord],
    *,
    cap_h: float = 40.0,
    target_fa: float = 0.4,
    persist: int = 2,
    anomaly_persist: int = 6,
    seed: int = 0,
) -> HealthModels:
    """Health models per equipment class from run-to-failure runs (see :mod:`.health`)."""
    if not runs:
        raise DataError("no training runs given")
    b = fit_baselines(runs)
    rows = training_rows(runs, b)
    x = np.asarray(rows.x, dtype=np.float64)
    rul = np.asarray(rows.rul)
    floor = np.asarray(rows.floor)
    cls_a = np.asarray(rows.cls)
    run_a = np.asarray(rows.run)
    keys = np.asarray(rows.eq)
    ts = np.asarray(rows.ts, dtype=np.int64)
    healthy = np.where(np.isnan(rul), floor >= HEALTHY_H, rul >= HEALTHY_H)
    resets = {f"{i}:{eq}": r for i, run in enumerate(runs) for eq, r in run.resets.items()}
    failures = [
        Failure(f"{i}:{eq}", t, "wear")
        for i, run in enumerate(runs)
        for eq, ts_list in run.wear_failures.items()
        for t in ts_list
    ]
    week_ns = 7 * 24 * 3_600_000_000_000
    classes: dict[str, ClassModel] = {}
    info: dict[str, Any] = {}
    for cls in sorted(set(rows.cls)):
        sel = cls_a == cls
        h = sel & healthy
        if h.sum() < 50:
            continue
        xa = x[h][:, _ANOM]
        med, scale = _robust(xa)
        m = ClassModel(med, scale, 0.0, 1.0, math.inf)
        score_all = m.anomaly(x)[0]
        m.score_healthy = float(np.median(score_all[h]))
        near = sel & (rul < 2.0)
        m.score_failing = float(np.median(score_all[near])) if near.any() else m.score_healthy + 3.0
        q999 = float(np.quantile(score_all[h], 0.999))
        eq_cls = set(keys[sel].tolist())
        n_fail = sum(1 for f in failures if f.equipment in eq_cls)
        target = np.where(np.isnan(rul), cap_h, np.minimum(rul, cap_h))
        usable = sel & (~np.isnan(rul) | (floor >= cap_h))
        feats = np.column_stack([x, score_all])
        m.rul_cols = tuple(np.flatnonzero(np.isfinite(feats[sel]).any(axis=0)).tolist())
        feats = feats[:, list(m.rul_cols)]
        oof = np.full(len(x), cap_h)
        if n_fail >= MIN_FAILURES:
            for fold in (0, 1):
                tr, te = usable & (run_a % 2 != fold), sel & (run_a % 2 == fold)
                if tr.sum() > 200 and te.any():
                    oof[te] = _regressor(seed).fit(feats[tr], target[tr]).predict(feats[te])
            m.rul = _regressor(seed).fit(feats[usable], target[usable])
        mw = sum(
            sum(1 for eq, c in run.classes.items() if c == cls) * _span(run) / week_ns
            for run in runs
        )
        best: tuple[float, float, float, float] | None = None
        for r_h in RUL_GRID if m.rul is not None else (0.0,):
            for k_a in ANOMALY_GRID:
                alarms = simulate_alarms(
                    keys[sel], ts[sel], oof[sel], score_all[sel], resets,
                    rul_alarm_h=r_h, anomaly_alarm=k_a * q999,
                    persist=persist, anomaly_persist=anomaly_persist,
                )  # fmt: skip
                res = score_alarms(
                    alarms,
                    [f for f in failures if f.equipment in eq_cls],
                    end_ns=0,
                    machine_weeks=mw,
                    min_lead_h=CALIBRATION_LEAD_H,
                )
                fa = res["false_alarms_per_machine_week"] or 0.0
                share = res["predicted_share"] or 0.0
                cand = (share, -fa, r_h, k_a)  # ties: fewer false alarms
                if fa <= target_fa and (best is None or cand[:2] > best[:2]):
                    best = cand
        if best is not None:
            m.rul_alarm_h, m.anomaly_alarm = best[2], best[3] * q999
            info[cls] = {
                "train_share": best[0],
                "train_fa_per_mw": -best[1],
                "anomaly_alarm": None if math.isinf(best[3]) else round(best[3] * q999, 3),
            }
        info.setdefault(cls, {})
        info[cls] |= {"wear_failures": n_fail, "rul_alarm_h": m.rul_alarm_h, "rows": int(sel.sum())}
        classes[cls] = m
    return HealthModels(b, classes, cap_h, persist, anomaly_persist, info)


def _robust(xa: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median and MAD scale per column; 0 and 1 for columns without a finite value."""
    med = np.zeros(xa.shape[1])
    scale = np.ones(xa.shape[1])
    for j in range(xa.shape[1]):
        col = xa[:, j][np.isfinite(xa[:, j])]
        if len(col):
            med[j] = float(np.median(col))
            mad = float(np.median(np.abs(col - med[j]))) * 1.4826
            scale[j] = mad if mad > 0 else 1.0
    return med, scale


def _span(run: RunRecord) -> int:
    starts = [o[0].ts_ns for o in run.observations.values() if o]
    return run.end_ns - min(starts) if starts else 0


def rows_of(runs: list[RunRecord], models: HealthModels) -> _Rows:
    """Training rows with the models' baselines (inspection, notebooks)."""
    return training_rows(runs, models.baselines)
