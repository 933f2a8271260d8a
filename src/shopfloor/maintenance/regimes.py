"""Operating regimes: found by clustering the operating settings; sensors normalised per regime.

A machine that runs under several operating conditions (altitude, speed, load...) reads very
different sensor values in each; degradation is the slow drift *within* a condition. The number of
regimes is chosen from the data: k-means for k = 2..``max_regimes`` on the standardised settings,
kept only when its best silhouette shows well separated clusters (>= ``min_silhouette``);
otherwise the data has one regime. Nothing is set per dataset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from threadpoolctl import threadpool_limits

from shopfloor.maintenance.data import RunData
from shopfloor.maintenance.errors import DataError

#: Silhouette that counts as distinct operating conditions (C-MAPSS' six regimes score ~0.99,
#: pure measurement noise around one condition scores ~0.35).
MIN_SILHOUETTE = 0.75
MAX_REGIMES = 10
_SAMPLE = 3000


@dataclass(frozen=True)
class Regimes:
    """Regime centres in the standardised settings space and per-regime sensor statistics."""

    settings: tuple[str, ...]
    settings_mean: np.ndarray
    settings_scale: np.ndarray
    centres: np.ndarray
    sensors: tuple[str, ...]
    mean: np.ndarray
    std: np.ndarray

    @property
    def count(self) -> int:
        return int(self.centres.shape[0])

    def assign(self, data: RunData) -> np.ndarray:
        """The regime index of each row (nearest centre)."""
        if self.count == 1:
            return np.zeros(len(data.frame), dtype=np.int64)
        x = self._scaled(data)
        d = ((x[:, None, :] - self.centres[None, :, :]) ** 2).sum(axis=2)
        return np.asarray(d.argmin(axis=1), dtype=np.int64)

    def normalise(self, data: RunData) -> np.ndarray:
        """The kept sensors as z-scores within each row's regime, shape (rows, sensors)."""
        missing = [s for s in self.sensors if s not in data.frame.columns]
        if missing:
            raise DataError(f"data lacks sensor column(s) {', '.join(missing)}")
        labels = self.assign(data)
        raw = data.frame[list(self.sensors)].to_numpy(dtype=float)
        return (raw - self.mean[labels]) / self.std[labels]

    def _scaled(self, data: RunData) -> np.ndarray:
        x = data.frame[list(self.settings)].to_numpy(dtype=float)
        return (x - self.settings_mean) / self.settings_scale


def detect_regimes(
    x: np.ndarray,
    *,
    max_regimes: int = MAX_REGIMES,
    min_silhouette: float = MIN_SILHOUETTE,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Cluster standardised settings ``x``: (centres, labels); one centre if no clear split."""
    rows = x.shape[0]
    if x.shape[1] == 0 or rows < 4:
        return np.zeros((1, x.shape[1])), np.zeros(rows, dtype=np.int64)
    rng = np.random.default_rng(seed)
    sample = x[rng.choice(rows, size=min(rows, _SAMPLE), replace=False)]
    distinct = len(np.unique(np.round(sample, 9), axis=0))
    best: tuple[float, KMeans | None] = (-1.0, None)
    with threadpool_limits(1):  # tiny problems: threads only contend
        for k in range(2, min(max_regimes, distinct) + 1):
            km = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(sample)
            labels = km.labels_
            score = float(silhouette_score(sample, labels, sample_size=1000, random_state=seed))
            if score > best[0]:
                best = (score, km)
    score, km = best
    if km is None or score < min_silhouette:
        return np.zeros((1, x.shape[1])), np.zeros(rows, dtype=np.int64)
    centres = np.asarray(km.cluster_centers_)
    labels = ((x[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    return centres, np.asarray(labels, dtype=np.int64)


def fit_regimes(data: RunData, *, seed: int = 0, max_regimes: int = MAX_REGIMES) -> Regimes:
    """Find the regimes of ``data`` and each informative sensor's mean and spread in each.

    A sensor is dropped when it is constant (or takes at most two values) within every regime:
    such a channel carries the operating condition, not the health of the machine.
    """
    settings = data.settings
    xs = data.frame[list(settings)].to_numpy(dtype=float)
    mean = xs.mean(axis=0) if settings else np.zeros(0)
    scale = xs.std(axis=0) if settings else np.zeros(0)
    varying = scale > 1e-12
    settings = tuple(s for s, v in zip(settings, varying, strict=True) if v)
    mean, scale = mean[varying], scale[varying]
    x = (xs[:, varying] - mean) / scale if settings else np.zeros((len(xs), 0))
    centres, labels = detect_regimes(x, max_regimes=max_regimes, seed=seed)

    raw = data.frame[list(data.sensors)].to_numpy(dtype=float)
    k = centres.shape[0]
    means = np.zeros((k, raw.shape[1]))
    stds = np.ones((k, raw.shape[1]))
    informative = np.zeros(raw.shape[1], dtype=bool)
    for r in range(k):
        block = raw[labels == r]
        if len(block) == 0:
            continue
        means[r] = block.mean(axis=0)
        stds[r] = block.std(axis=0)
        distinct = np.array([len(np.unique(block[:, j])) for j in range(block.shape[1])])
        informative |= (distinct > 2) & (stds[r] > 1e-12)
    if not informative.any():
        raise DataError("no sensor varies within an operating regime: nothing to learn from")
    stds = np.where(stds > 1e-12, stds, 1.0)
    return Regimes(
        settings=settings,
        settings_mean=mean,
        settings_scale=scale,
        centres=centres,
        sensors=tuple(s for s, keep in zip(data.sensors, informative, strict=True) if keep),
        mean=means[:, informative],
        std=stds[:, informative],
    )
