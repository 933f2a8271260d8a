"""Measure a RUL model the way published C-MAPSS results are measured.

Train on the training trajectories (run to failure), predict the RUL at the last cycle of every
test unit, and compare with the true RUL file: ``rmse`` and ``score`` (PHM08) against the true
RUL capped at the target cap (the convention of the published results), ``rmse_uncapped`` and
``score_uncapped`` against the file as given, and the empirical coverage of the intervals.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from shopfloor.maintenance.catalogue import DEFAULT_RUL_MODEL, make_rul_model
from shopfloor.maintenance.data import RunData, read_cmapss, read_rul_file
from shopfloor.maintenance.errors import DataError
from shopfloor.maintenance.metrics import coverage, phm08_score, rmse


def evaluate_rul(
    train: RunData,
    test: RunData,
    true_rul: np.ndarray,
    *,
    model: str = DEFAULT_RUL_MODEL,
    seed: int = 0,
    cap: float = 125.0,
    n_jobs: int = 1,
) -> dict[str, Any]:
    """Train ``model`` on ``train`` and score its last-row predictions on ``test``."""
    if len(true_rul) != len(test.units):
        raise DataError(f"{len(true_rul)} true RUL values for {len(test.units)} test units")
    if not train.has_rul:
        train = train.with_failure_at_end()
    started = time.perf_counter()
    fitted = make_rul_model(model, cap=cap, seed=seed, n_jobs=n_jobs).fit(train)
    train_s = time.perf_counter() - started
    pred = fitted.predict(test)
    capped = np.minimum(true_rul, cap)
    return {
        "rmse": rmse(pred.rul, capped),
        "score": phm08_score(pred.rul, capped),
        "rmse_uncapped": rmse(pred.rul, true_rul),
        "score_uncapped": phm08_score(pred.rul, true_rul),
        "coverage": coverage(pred.lower, pred.upper, capped),
        "interval_level": fitted.level,
        "n_units": len(pred.units),
        "train_s": train_s,
        "model": model,
        "seed": seed,
        "cap": cap,
        "regimes": fitted.summary.get("regimes"),
        "validation_rmse": fitted.summary.get("validation_rmse_degrading"),
        "predictions": [float(p) for p in pred.rul],
        "lower": [float(v) for v in pred.lower],
        "upper": [float(v) for v in pred.upper],
    }


def evaluate_cmapss_files(
    train: str | Path,
    test: str | Path,
    rul: str | Path,
    *,
    model: str = DEFAULT_RUL_MODEL,
    seed: int = 0,
    cap: float = 125.0,
    n_jobs: int = 1,
) -> dict[str, Any]:
    """:func:`evaluate_rul` on C-MAPSS files (train, test and RUL files, plain or gzip)."""
    return evaluate_rul(
        read_cmapss(train),
        read_cmapss(test),
        read_rul_file(rul),
        model=model,
        seed=seed,
        cap=cap,
        n_jobs=n_jobs,
    )
