"""From raw run data to model inputs: regimes, per-regime z-scores, health indices, features.

A health index is a linear read-out of all normalised sensors fitted (ridge) to the capped
remaining life of the training rows, one per target cap in ``hi_caps``; it averages the noise of
single sensors away, so its level and slopes are sharper signals than any one sensor's. The
z-scores plus the health indices are the *signals*; :func:`window_features` turns them into the
rows of a feature table, and a sequence model reads the signals directly.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from shopfloor.maintenance.data import RUL, TIME, UNIT, RunData
from shopfloor.maintenance.errors import DataError
from shopfloor.maintenance.features import FeatureSpec, window_features
from shopfloor.maintenance.regimes import Regimes, fit_regimes
from shopfloor.maintenance.registry import require_schema


def capped_rul(data: RunData, cap: float) -> np.ndarray:
    """The piece-wise linear target: remaining life, flat at ``cap`` early in life."""
    if not data.has_rul:
        raise DataError(
            "training data needs remaining useful life (a 'rul' column or run-to-failure)"
        )
    return np.minimum(data.frame[RUL].to_numpy(dtype=float), cap)


def fingerprint(data: RunData) -> str:
    """SHA-256 over the column names and values of the data (order-sensitive)."""
    h = hashlib.sha256()
    cols = [c for c in (UNIT, TIME, *data.settings, *data.sensors, RUL) if c in data.frame]
    h.update("\x1f".join(cols).encode())
    h.update(pd.util.hash_pandas_object(data.frame[cols], index=False).to_numpy().tobytes())
    return h.hexdigest()


def schema_of(data: RunData) -> dict[str, list[str]]:
    """The feature schema a model trained on ``data`` expects of the data it scores."""
    return {"settings": list(data.settings), "sensors": list(data.sensors)}


def check_schema(expected: dict[str, list[str]], data: RunData) -> None:
    """Raise :class:`SchemaMismatch` naming missing and unexpected columns of ``data``."""
    require_schema(expected, schema_of(data), "the model")


@dataclass
class Featurizer:
    """Learns regimes and health indices on training data; turns any run data into inputs."""

    cap: float = 125.0
    spec: FeatureSpec = field(default_factory=FeatureSpec)
    hi_caps: tuple[float, ...] = (125.0, 50.0)
    ridge: float = 1.0
    seed: int = 0
    schema: dict[str, list[str]] = field(default_factory=dict)
    regimes: Regimes | None = None
    hi_weights: np.ndarray | None = None
    hi_offset: np.ndarray | None = None

    def fit(self, data: RunData) -> Featurizer:
        self.schema = schema_of(data)
        self.regimes = fit_regimes(data, seed=self.seed)
        z = self.regimes.normalise(data)
        rul = data.frame[RUL].to_numpy(dtype=float)
        a = np.hstack([z, np.ones((len(z), 1))])
        reg = self.ridge * np.eye(a.shape[1])
        reg[-1, -1] = 0.0
        weights, offsets = [], []
        for cap in self.hi_caps:
            coef = np.linalg.solve(a.T @ a + reg, a.T @ np.minimum(rul, cap))
            h = a @ coef
            mu, sd = float(h.mean()), float(h.std()) or 1.0
            weights.append(coef[:-1] / sd)
            offsets.append((coef[-1] - mu) / sd)
        self.hi_weights = np.stack(weights, axis=1)
        self.hi_offset = np.asarray(offsets)
        return self

    @property
    def channels(self) -> list[str]:
        """Names of the signal channels: kept sensors, then health indices."""
        if self.regimes is None:
            raise DataError("the featurizer is not fitted")
        return [*self.regimes.sensors, *(f"hi{int(c)}" for c in self.hi_caps)]

    def signals(self, data: RunData) -> np.ndarray:
        """Per-regime z-scores of the kept sensors plus the health indices, (rows, channels)."""
        if self.regimes is None or self.hi_weights is None or self.hi_offset is None:
            raise DataError("the featurizer is not fitted")
        check_schema(self.schema, data)
        z = self.regimes.normalise(data)
        return np.hstack([z, z @ self.hi_weights + self.hi_offset])

    def table(self, data: RunData) -> np.ndarray:
        """The windowed feature table of every row (see :mod:`.features`)."""
        return window_features(
            self.signals(data),
            data.frame[UNIT].to_numpy(),
            data.frame[TIME].to_numpy(dtype=float),
            self.spec,
        )

    def feature_names(self) -> list[str]:
        return self.spec.names(tuple(self.channels))
