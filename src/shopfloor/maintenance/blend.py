"""A blend of RUL models: the mean of their predictions, intervals calibrated on the mean.

Each part trains on the same data with its own unit folds; the blended out-of-fold predictions
give the residuals from which the blend's intervals are calibrated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from shopfloor.maintenance.data import UNIT, RunData
from shopfloor.maintenance.errors import DataError
from shopfloor.maintenance.metrics import coverage, rmse
from shopfloor.maintenance.pipeline import capped_rul
from shopfloor.maintenance.rul import Bands, FoldEnsemble, RulPrediction


@dataclass
class BlendRul:
    """The mean of several RUL models, with intervals calibrated on the blended residuals."""

    parts: list[FoldEnsemble]
    name: str = "blend"
    cap: float = 125.0
    level: float = 0.8
    bands: Bands | None = None
    summary: dict[str, Any] = field(default_factory=dict)

    def fit(self, data: RunData) -> BlendRul:
        y = capped_rul(data, self.cap)
        for part in self.parts:
            part.fit(data)
        oof = np.mean([p.oof for p in self.parts], axis=0)
        degrading = y < self.cap if (y < self.cap).any() else np.ones(len(y), dtype=bool)
        self.bands = Bands.fit(oof, y, self.level, self.cap)
        lower, upper = self.bands.interval(oof)
        first = self.parts[0].summary
        self.summary = {
            **first,
            "model": self.name,
            "validation_rmse": rmse(oof, y),
            "validation_rmse_degrading": rmse(oof[degrading], y[degrading]),
            "validation_coverage": coverage(lower, upper, y),
            "members": [p.summary["members"] for p in self.parts],
            "train_s": sum(float(p.summary["train_s"]) for p in self.parts),
        }
        return self

    def predict(self, data: RunData) -> RulPrediction:
        if self.bands is None:
            raise DataError(f"model {self.name!r} is not trained")
        last = data.frame.groupby(UNIT, sort=False).cumcount(ascending=False).to_numpy() == 0
        rows = np.flatnonzero(last)
        point = np.mean([p.predict_at(data, rows) for p in self.parts], axis=0)
        lower, upper = self.bands.interval(point)
        return RulPrediction(data.units, point, lower, upper)


def gbm_cnn_blend(*, cap: float = 125.0, seed: int = 0, n_jobs: int = 1) -> BlendRul:
    """The mean of the tree model and the CNN (needs the ``deep`` extra)."""
    from shopfloor.maintenance.deep import CnnRul
    from shopfloor.maintenance.trees import TreeRul

    kw: dict[str, Any] = {"cap": cap, "seed": seed, "n_jobs": n_jobs}
    return BlendRul([TreeRul(**kw), CnnRul(**kw)], cap=cap)
