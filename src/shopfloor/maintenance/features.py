"""Windowed health features: what a unit's history says at each time, using only its past.

From the per-regime z-scores of each sensor, at every row of a unit: exponentially smoothed levels
over several spans, moving means and least-squares slopes over several window lengths, the drift
of the smoothed level from the unit's own early baseline (units start with different wear), the
slope since the start, and the age of the unit. Every feature of a row depends only on that row
and the rows before it, so the feature of a unit's last row is what a live scorer would compute.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter


@dataclass(frozen=True)
class FeatureSpec:
    """Window lengths (in rows) of the features."""

    ewm_spans: tuple[int, ...] = (5, 10, 25)
    mean_windows: tuple[int, ...] = (10, 30)
    slope_windows: tuple[int, ...] = (15, 30, 60)
    baseline: int = 20

    def names(self, sensors: tuple[str, ...]) -> list[str]:
        per = (
            [f"ewm{s}" for s in self.ewm_spans]
            + [f"mean{w}" for w in self.mean_windows]
            + [f"slope{w}" for w in self.slope_windows]
            + ["drift", "slope_all"]
        )
        return ["age"] + [f"{s}:{p}" for s in sensors for p in per]


def _ewm(z: np.ndarray, span: int) -> np.ndarray:
    """Exponentially weighted mean, bias-corrected at the start (like pandas ``adjust=True``)."""
    decay = 1.0 - 2.0 / (span + 1.0)
    num = lfilter([1.0], [1.0, -decay], z, axis=0)
    den = lfilter([1.0], [1.0, -decay], np.ones(z.shape[0]))
    return np.asarray(num / den[:, None])


def _window_sum(c: np.ndarray, w: int) -> np.ndarray:
    """Sum over the last ``w`` rows (fewer at the start) from a cumulative sum with a 0 row."""
    n = c.shape[0] - 1
    hi = np.arange(1, n + 1)
    lo = np.maximum(hi - w, 0)
    return np.asarray(c[hi] - c[lo])


def _unit_features(z: np.ndarray, t: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    n, s = z.shape
    tc = t - t[0]
    zero = np.zeros((1, s))
    cz = np.vstack([zero, np.cumsum(z, axis=0)])
    ctz = np.vstack([zero, np.cumsum(tc[:, None] * z, axis=0)])
    ct = np.concatenate([[0.0], np.cumsum(tc)])
    ct2 = np.concatenate([[0.0], np.cumsum(tc * tc)])
    count = np.arange(1, n + 1, dtype=float)

    def slope(w: int) -> np.ndarray:
        m = np.minimum(count, w)[:, None]
        st, st2 = _window_sum(ct, w)[:, None], _window_sum(ct2, w)[:, None]
        sz, stz = _window_sum(cz, w), _window_sum(ctz, w)
        den = m * st2 - st * st
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(den > 1e-9, (m * stz - st * sz) / np.where(den > 1e-9, den, 1.0), 0.0)
        return np.asarray(out)

    blocks: list[np.ndarray] = [_ewm(z, span) for span in spec.ewm_spans]
    blocks += [_window_sum(cz, w) / np.minimum(count, w)[:, None] for w in spec.mean_windows]
    blocks += [slope(w) for w in spec.slope_windows]
    early = np.minimum(count, spec.baseline)
    base = cz[early.astype(int)] / early[:, None]
    mid = spec.ewm_spans[len(spec.ewm_spans) // 2]
    blocks.append(_ewm(z, mid) - base)
    blocks.append(slope(n + 1))
    per = np.stack(blocks, axis=2)  # rows x sensors x kinds
    return np.hstack([tc[:, None] + 1.0, per.reshape(n, -1)])


def window_features(
    z: np.ndarray, units: np.ndarray, time: np.ndarray, spec: FeatureSpec
) -> np.ndarray:
    """Features of every row; ``z`` rows are grouped by unit and time-ordered within a unit."""
    out = np.empty((z.shape[0], 1 + z.shape[1] * _kinds(spec)))
    starts = np.flatnonzero(np.r_[True, units[1:] != units[:-1]])
    ends = np.r_[starts[1:], len(units)]
    t = time.astype(float)
    for a, b in zip(starts, ends, strict=True):
        out[a:b] = _unit_features(z[a:b], t[a:b], spec)
    return out


def _kinds(spec: FeatureSpec) -> int:
    return len(spec.ewm_spans) + len(spec.mean_windows) + len(spec.slope_windows) + 2
