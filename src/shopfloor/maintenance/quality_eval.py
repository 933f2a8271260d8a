"""Defect-risk prediction judged on held-out simulation seeds, beside simple baselines.

The virtual plant runs ``hours`` on each training seed and each test seed; the model trains on
the training seeds' events only and is scored on the test seeds'. Baselines are fitted on the
same training rows and scored on the same test rows:

- ``majority``: every unit good (the defect rate as a constant risk);
- ``tool_wear_rule``: flag when the tool wear at the operation reaches a threshold, chosen
  for the best F1 on the training rows;
- ``operation_prior``: the training reject rate of the row's product and operation (where
  defects are found, nothing about this unit).

Scores are per row (a unit at an operation: did this operation reject it?), with the ROC AUC
inside each operation beside the overall one, and counted per unit: rejected units flagged at
the operation that rejected them, good units flagged anywhere. There is no ROC AUC over whole
units: a good unit passes every operation while a rejected one stops early, so any score that
accumulates over a unit's operations ranks good units higher for their longer path alone.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from shopfloor.errors import ShopfloorError
from shopfloor.maintenance.errors import DataError
from shopfloor.maintenance.quality import (
    DEFAULT_PARAMS,
    best_threshold,
    fit_quality,
    require_defects,
    scores,
)
from shopfloor.maintenance.quality_data import QualityTable, simulate_table
from shopfloor.plant.model import Plant

DEFINITIONS = {
    "row": "one unit at one operation it went through (finished units only: rejected, or "
    "through their last operation); positive = this operation rejected the unit",
    "risk": "model probability that the operation rejects the unit; flagged when >= threshold",
    "roc_auc_within_operation": "ROC AUC inside each operation, weighted by its rejects: "
    "what a score knows beyond where defects are usually found",
    "threshold": "best F1 on out-of-fold training predictions (folds by training seed); "
    "baselines: best F1 on the training rows",
    "units": "rejected units flagged at the operation that rejected them; good units flagged "
    "at any operation",
    "features": "process values, tool wear, cycle time, equipment hours since wear repair, "
    "the unit's earlier operations and passed inspections; never the verdict, defect, "
    "own measurements, serial or simulator truth",
}


def load_plant_option(name: str) -> Plant:
    """The plant ``--plant`` names, with errors that say so."""
    from shopfloor.plant.loader import load_plant

    try:
        return load_plant(name)
    except ShopfloorError as exc:
        raise DataError(f"--plant: {exc.message}") from None


def check_options(
    train_seeds: Sequence[int], hours: float, test_seeds: Sequence[int] | None = None
) -> None:
    """Raise :class:`DataError` naming the option that is wrong."""
    if not hours > 0:
        raise DataError(f"--hours must be > 0, not {hours!r}")
    if not train_seeds:
        raise DataError("--train-seeds: no seed given")
    if test_seeds is None:
        return
    if not test_seeds:
        raise DataError("--test-seeds: no seed given")
    both = sorted(set(train_seeds) & set(test_seeds))
    if both:
        raise DataError(
            f"--test-seeds: seed(s) {', '.join(map(str, both))} are training seeds too; "
            "held-out seeds must differ"
        )


def _counts(table: QualityTable) -> dict[str, int]:
    units = table.units()
    return {
        "units": len(units),
        "rejected_units": int(units["scrap"].sum()),
        "rows": len(table),
    }


def _prior(train: QualityTable, test: QualityTable) -> tuple[np.ndarray, np.ndarray]:
    """Reject rate of each row's (product, operation) in training, for the train and test rows."""
    key = ["product", "operation"]
    rate = train.frame.groupby(key)["scrap"].mean().rename("rate").reset_index()
    overall = float(train.label.mean())

    def lookup(t: QualityTable) -> np.ndarray:
        got = t.frame[key].merge(rate, on=key, how="left")["rate"].fillna(overall)
        return got.to_numpy(dtype=float)

    return lookup(train), lookup(test)


def _baselines(train: QualityTable, test: QualityTable) -> dict[str, tuple[np.ndarray, float]]:
    """Name -> (score of each test row, threshold fitted on the training rows)."""
    y_tr = train.label
    rate = float(y_tr.mean())
    tw_tr = train.frame["tool_wear"].fillna(0.0).to_numpy(dtype=float)
    tw_te = test.frame["tool_wear"].fillna(0.0).to_numpy(dtype=float)
    pr_tr, pr_te = _prior(train, test)
    return {
        "majority": (np.full(len(test), rate), 2.0),  # never reaches it: every unit good
        "tool_wear_rule": (tw_te, best_threshold(y_tr, tw_tr)),
        "operation_prior": (pr_te, best_threshold(y_tr, pr_tr)),
    }


def _per_unit(test: QualityTable, flags: np.ndarray) -> dict[str, Any]:
    """Rejected units flagged at the operation that rejected them; good units ever flagged."""
    f = pd.DataFrame({"key": test.unit_keys.to_numpy(), "y": test.label, "flag": flags})
    f = f.join(test.frame[["defect", "operation"]])
    bad = f[f["y"] == 1]
    per_key = f.groupby("key", sort=False).agg(y=("y", "max"), flag=("flag", "max"))
    good = per_key[per_key["y"] == 0]

    def caught(column: str) -> dict[str, dict[str, int]]:
        return {
            str(k): {"units": len(g), "flagged": int(g["flag"].sum())}
            for k, g in bad.groupby(column)
        }

    return {
        "rejected_units": len(bad),
        "flagged_at_rejection": int(bad["flag"].sum()),
        "good_units": len(good),
        "good_units_flagged": int(good["flag"].sum()),
        "by_defect": caught("defect"),
        "by_rejecting_operation": caught("operation"),
    }


def evaluate_quality(
    train: QualityTable,
    test: QualityTable,
    *,
    seed: int = 0,
    folds: int = 3,
    n_jobs: int = 1,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Train on ``train``, score ``test``: the model and the baselines on the same rows."""
    require_defects(train, "--train-seeds")
    require_defects(test, "--test-seeds", least=1)
    t0 = time.perf_counter()
    model, oof = fit_quality(train, folds=folds, seed=seed, n_jobs=n_jobs, params=params)
    t_fit = time.perf_counter() - t0
    risk = model.predict_proba(test)
    y, ops = test.label, test.frame["operation"].to_numpy()
    result = {"model": scores(y, risk, model.threshold, ops)}
    for name, (score, threshold) in _baselines(train, test).items():
        result[name] = scores(y, score, threshold, ops)
    units_tr, units_te = train.units(), test.units()
    return {
        "data": {"train": _counts(train), "test": _counts(test)},
        "base_defect_rate": {
            "rows": round(float(y.mean()), 5),
            "units": round(float(units_te["scrap"].mean()), 4),
            "train_units": round(float(units_tr["scrap"].mean()), 4),
        },
        "result": result,
        "units": _per_unit(test, risk >= model.threshold),
        "top_features": model.importances(10),
        "out_of_fold_train": {
            k: v for k, v in oof.items() if k.endswith(("roc_auc", "pr_auc", "within_operation"))
        },
        "model": {
            "kind": "LightGBM, balanced class weights, probability corrected to the defect rate",
            "params": dict(params or DEFAULT_PARAMS),
            "features": model.n_features,
            "threshold": float(f"{model.threshold:.4g}"),
        },
        "fit_s": round(t_fit, 1),
    }


def quality_eval(
    plant_name: str = "demo",
    *,
    train_seeds: Sequence[int] = (1, 2, 3, 4),
    test_seeds: Sequence[int] = (101, 102),
    hours: float = 168.0,
    seed: int = 0,
    n_jobs: int = 1,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Simulate, train on ``train_seeds``, judge on ``test_seeds``: the figures as JSON."""
    check_options(train_seeds, hours, test_seeds)
    plant = load_plant_option(plant_name)
    t0 = time.perf_counter()
    train = simulate_table(plant, train_seeds, hours)
    test = simulate_table(plant, test_seeds, hours)
    t_sim = time.perf_counter() - t0
    result = evaluate_quality(train, test, seed=seed, n_jobs=n_jobs, params=params)
    t_fit = result.pop("fit_s")
    return {
        "plant": plant_name,
        "plant_parameters": "the plant's own sim defaults (unchanged)",
        "hours_per_seed": hours,
        "train_seeds": list(train_seeds),
        "test_seeds": list(test_seeds),
        **result,
        "definitions": DEFINITIONS,
        "timing_s": {
            "simulate": round(t_sim, 1),
            "fit": t_fit,
            "total": round(time.perf_counter() - t0, 1),
        },
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
