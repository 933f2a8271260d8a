"""Remaining-useful-life models: a k-fold ensemble by unit, with calibrated 80 % intervals.

Every RUL model here trains the same way. The training units are split into ``folds`` groups
(by unit, never by row: rows of one unit are strongly correlated). Each member trains on all but
one group and stops early on the held-out group; the model predicts the mean of its members. The
out-of-fold predictions of every training row give honest residuals, from which the prediction
intervals are calibrated (split-conformal, per band of predicted RUL, since errors are small
near failure and large mid-life).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np

from shopfloor.maintenance.data import UNIT, RunData
from shopfloor.maintenance.errors import DataError
from shopfloor.maintenance.metrics import coverage, rmse
from shopfloor.maintenance.pipeline import Featurizer, capped_rul, fingerprint, schema_of


@dataclass(frozen=True)
class RulPrediction:
    """RUL at the last row of each unit, with the lower and upper bounds of its interval."""

    units: list[object]
    rul: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    def records(self) -> list[dict[str, Any]]:
        return [
            {"unit": _plain(u), "rul": float(r), "lower": float(lo), "upper": float(hi)}
            for u, r, lo, hi in zip(self.units, self.rul, self.lower, self.upper, strict=True)
        ]


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


def unit_folds(units: np.ndarray, folds: int, seed: int) -> list[np.ndarray]:
    """Split unit ids into ``folds`` shuffled groups of near-equal size."""
    ids = np.array(list(dict.fromkeys(units.tolist())), dtype=object)
    if len(ids) < max(folds, 2):
        raise DataError(f"{len(ids)} training units: at least {max(folds, 2)} are needed")
    np.random.default_rng(seed).shuffle(ids)
    return [np.asarray(g) for g in np.array_split(ids, folds)]


BANDS = 5
MIN_BAND_ROWS = 20


@dataclass
class Bands:
    """Split-conformal intervals: residual quantiles per band of predicted value."""

    edges: np.ndarray
    low: np.ndarray
    high: np.ndarray
    cap: float

    @classmethod
    def fit(cls, pred: np.ndarray, true: np.ndarray, level: float, cap: float) -> Bands:
        """Calibrate on out-of-fold predictions ``pred`` of targets ``true``."""
        a = (1.0 - level) / 2.0
        resid = true - pred
        edges = np.unique(np.quantile(pred, np.linspace(0, 1, BANDS + 1)[1:-1]))
        which = np.searchsorted(edges, pred)
        low, high = [], []
        for b in range(len(edges) + 1):
            r = resid[which == b]
            r = r if len(r) >= MIN_BAND_ROWS else resid
            low.append(np.quantile(r, a))
            high.append(np.quantile(r, 1.0 - a))
        # the interval always holds its own point prediction (a biased band widens instead)
        return cls(edges, np.minimum(low, 0.0), np.maximum(high, 0.0), cap)

    def interval(self, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        which = np.searchsorted(self.edges, pred)
        lower = np.clip(pred + self.low[which], 0.0, self.cap)
        upper = np.clip(pred + self.high[which], 0.0, self.cap)
        return lower, upper


@dataclass
class FoldEnsemble(ABC):
    """Base of the RUL models: featurize, train one member per fold, calibrate intervals."""

    name: str = "rul"
    cap: float = 125.0
    folds: int = 5
    seed: int = 0
    level: float = 0.8
    n_jobs: int = 1
    featurizer: Featurizer | None = None
    members: list[Any] = field(default_factory=list)
    bands: Bands | None = None
    oof: np.ndarray = field(default_factory=lambda: np.zeros(0))
    summary: dict[str, Any] = field(default_factory=dict)

    @abstractmethod
    def _design(self, data: RunData) -> Any:
        """Model inputs for every row of ``data`` (from the fitted featurizer)."""

    @abstractmethod
    def _fit_member(
        self, design: Any, y: np.ndarray, train: np.ndarray, valid: np.ndarray, seed: int
    ) -> tuple[Any, dict[str, Any]]:
        """Train on rows ``train``, stop early on rows ``valid``; return (member, info)."""

    @abstractmethod
    def _predict_member(self, member: Any, design: Any, rows: np.ndarray) -> np.ndarray:
        """Predictions (capped scale) of ``member`` for ``rows`` of ``design``."""

    def fit(self, data: RunData) -> Self:
        """Train on run data that carries remaining life (``rul``) on every row."""
        started = time.perf_counter()
        y = capped_rul(data, self.cap)
        self.featurizer = Featurizer(cap=self.cap, seed=self.seed).fit(data)
        design = self._design(data)
        units = data.frame[UNIT].to_numpy()
        oof = np.zeros(len(y))
        self.members, infos = [], []
        for k, group in enumerate(unit_folds(units, self.folds, self.seed)):
            valid = np.flatnonzero(np.isin(units, group))
            train = np.flatnonzero(~np.isin(units, group))
            member, info = self._fit_member(design, y, train, valid, self.seed * 100 + k)
            self.members.append(member)
            infos.append(info)
            oof[valid] = np.clip(self._predict_member(member, design, valid), 0.0, self.cap)
        self.oof = oof
        degrading = y < self.cap if (y < self.cap).any() else np.ones(len(y), dtype=bool)
        self.bands = Bands.fit(oof, y, self.level, self.cap)
        lower, upper = self.bands.interval(oof)
        self.summary = {
            "model": self.name,
            "rows": len(y),
            "units": len(np.unique(units)),
            "regimes": self.featurizer.regimes.count if self.featurizer.regimes else 1,
            "sensors_kept": list(self.featurizer.regimes.sensors)
            if self.featurizer.regimes
            else [],
            "validation_rmse": rmse(oof, y),
            "validation_rmse_degrading": rmse(oof[degrading], y[degrading]),
            "validation_coverage": coverage(lower, upper, y),
            "members": infos,
            "train_s": time.perf_counter() - started,
            "data_fingerprint": fingerprint(data),
            "schema": schema_of(data),
        }
        return self

    def predict_at(self, data: RunData, rows: np.ndarray) -> np.ndarray:
        """Predicted RUL at the given row positions of ``data`` (the mean of the members)."""
        if not self.members:
            raise DataError(f"model {self.name!r} is not trained")
        design = self._design(data)
        preds = [self._predict_member(m, design, rows) for m in self.members]
        return np.clip(np.mean(preds, axis=0), 0.0, self.cap)

    def predict_rows(self, data: RunData) -> np.ndarray:
        """Predicted RUL at every row of ``data`` (the mean of the members, capped)."""
        return self.predict_at(data, np.arange(len(data.frame)))

    def predict(self, data: RunData) -> RulPrediction:
        """RUL at the last row of each unit, in unit order, with its interval."""
        if self.bands is None:
            raise DataError(f"model {self.name!r} is not trained")
        last = data.frame.groupby(UNIT, sort=False).cumcount(ascending=False).to_numpy() == 0
        point = self.predict_at(data, np.flatnonzero(last))
        lower, upper = self.bands.interval(point)
        return RulPrediction(data.units, point, lower, upper)
