"""Failure classification of process data: will this operation fail, and by which mode?

One gradient-boosted tree model for the failure label, and one per failure mode present in the
training data. Thresholds such as "power below 3.5 kW or above 9 kW" sit in thin tails of the
data, so features are binned finely (``max_bin``) and leaves may be small; the physics features
of :mod:`shopfloor.maintenance.process` make those boundaries one split away.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from shopfloor.maintenance.errors import DataError
from shopfloor.maintenance.metrics import binary_scores
from shopfloor.maintenance.process import ProcessData, ProcessFeatures

DEFAULT_PARAMS: dict[str, Any] = {
    "n_estimators": 800,
    "learning_rate": 0.03,
    "num_leaves": 15,
    "min_child_samples": 3,
    "max_bin": 4095,
    "min_data_in_bin": 1,
}


def _booster(seed: int, n_jobs: int, params: dict[str, Any]) -> Any:
    from lightgbm import LGBMClassifier

    return LGBMClassifier(
        objective="binary", random_state=seed, n_jobs=n_jobs, verbose=-1, **params
    )


@dataclass
class FailureClassifier:
    """Probability of failure (and of each failure mode) for rows of process data."""

    seed: int = 0
    n_jobs: int = 1
    params: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_PARAMS))
    threshold: float = 0.5
    features: ProcessFeatures | None = None
    _failure: Any = None
    _modes: dict[str, Any] = field(default_factory=dict)

    def fit(self, data: ProcessData, *, modes: bool = True) -> FailureClassifier:
        if data.label is None:
            raise DataError("process data has no failure label column (e.g. 'Machine failure')")
        if len(np.unique(data.label)) < 2:
            raise DataError("the failure label needs both classes (0 and 1) to train on")
        self.features = ProcessFeatures.fit(data.inputs)
        x = self.features.transform(data.inputs)
        self._failure = _booster(self.seed, self.n_jobs, self.params).fit(x, data.label)
        self._modes = {}
        if modes:
            for mode in data.modes.columns:
                y = data.modes[mode].to_numpy()
                if 0 < y.sum() < len(y):
                    self._modes[mode] = _booster(self.seed, self.n_jobs, self.params).fit(x, y)
        return self

    def _x(self, data: ProcessData) -> pd.DataFrame:
        if self.features is None or self._failure is None:
            raise DataError("the classifier is not trained")
        return self.features.transform(data.inputs)

    def predict_proba(self, data: ProcessData) -> np.ndarray:
        """Probability of failure of each row."""
        return np.asarray(self._failure.predict_proba(self._x(data))[:, 1])

    def predict(self, data: ProcessData) -> np.ndarray:
        return (self.predict_proba(data) >= self.threshold).astype(np.int64)

    def predict_modes(self, data: ProcessData) -> pd.DataFrame:
        """Probability of each failure mode seen in training, one column per mode."""
        x = self._x(data)
        return pd.DataFrame({m: clf.predict_proba(x)[:, 1] for m, clf in self._modes.items()})


def cross_validate(
    data: ProcessData,
    *,
    folds: int = 5,
    seed: int = 0,
    n_jobs: int = 1,
    params: dict[str, Any] | None = None,
) -> dict[str, float]:
    """Stratified k-fold scores of the failure class (accuracy, precision, recall, F1, ROC AUC)."""
    from sklearn.model_selection import StratifiedKFold

    if data.label is None:
        raise DataError("process data has no failure label column (e.g. 'Machine failure')")
    y = data.label
    if min(int(y.sum()), int(len(y) - y.sum())) < folds:
        raise DataError(f"each class needs at least {folds} rows for {folds}-fold validation")
    proba = np.zeros(len(y))
    split = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in split.split(np.zeros(len(y)), y):
        clf = FailureClassifier(seed=seed, n_jobs=n_jobs, params=dict(params or DEFAULT_PARAMS))
        clf.fit(data.subset(train), modes=False)
        proba[test] = clf.predict_proba(data.subset(test))
    scores = binary_scores(y, (proba >= 0.5).astype(np.int64), proba)
    scores.update(rows=float(len(y)), failures=float(y.sum()), folds=float(folds))
    return scores
