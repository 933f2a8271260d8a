"""Operating regimes found by clustering the settings; sensors normalised within each."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shopfloor.maintenance.bench import spread_over_conditions
from shopfloor.maintenance.data import RunData, read_cmapss
from shopfloor.maintenance.regimes import fit_regimes

CENTRES = np.array(
    [
        [0.0, 0.0, 100.0],
        [10.0, 0.25, 100.0],
        [20.0, 0.70, 100.0],
        [25.0, 0.62, 60.0],
        [35.0, 0.84, 100.0],
        [42.0, 0.84, 100.0],
    ]
)


def _runs(centres: np.ndarray, rows: int = 1800, seed: int = 0) -> tuple[RunData, np.ndarray]:
    rng = np.random.default_rng(seed)
    which = rng.integers(0, len(centres), rows)
    settings = centres[which] + rng.normal(0, 0.002, (rows, 3))
    level = 500.0 + 40.0 * which  # each regime reads differently
    frame = pd.DataFrame(
        {
            "unit": np.repeat(np.arange(rows // 100), 100),
            "time": np.tile(np.arange(1, 101), rows // 100),
            "s1": settings[:, 0],
            "s2": settings[:, 1],
            "s3": settings[:, 2],
            "temp": level + rng.normal(0, 2.0, rows),
            "flow": 3.0 * level + rng.normal(0, 5.0, rows),
            "const": 7.0 + 0.0 * level,
        }
    )
    return RunData(frame, ("s1", "s2", "s3"), ("temp", "flow", "const")), which


def test_six_regimes_found_and_normalised() -> None:
    data, which = _runs(CENTRES)
    regimes = fit_regimes(data)
    assert regimes.count == 6
    labels = regimes.assign(data)
    # the clusters are the true regimes (up to renumbering)
    assert len({(a, b) for a, b in zip(labels, which, strict=True)}) == 6
    z = regimes.normalise(data)
    assert regimes.sensors == ("temp", "flow")  # the constant channel is dropped
    for r in range(6):
        assert np.allclose(z[labels == r].mean(axis=0), 0.0, atol=1e-9)
        assert np.allclose(z[labels == r].std(axis=0), 1.0, atol=1e-9)


def test_noise_around_one_condition_is_one_regime() -> None:
    data, _ = _runs(CENTRES[:1])
    assert fit_regimes(data).count == 1


@pytest.mark.parametrize("k", [2, 3])
def test_other_regime_counts(k: int) -> None:
    data, _ = _runs(CENTRES[[0, 3, 5][:k]], seed=k)
    assert fit_regimes(data).count == k


def test_new_data_is_assigned_to_nearest_regime() -> None:
    data, _ = _runs(CENTRES)
    regimes = fit_regimes(data)
    other, which = _runs(CENTRES, rows=600, seed=9)
    labels = regimes.assign(other)
    assert len({(a, b) for a, b in zip(labels, which, strict=True)}) == 6


def test_cmapss_spread_over_six_conditions_is_recovered(shared_data: Path) -> None:
    train = read_cmapss(shared_data / "cmapss" / "train_FD001.txt.gz").subset([1, 2, 3, 4, 5])
    six = spread_over_conditions(train, seed=0)
    assert not np.allclose(six.frame["sensor_2"], train.frame["sensor_2"])
    regimes = fit_regimes(six)
    assert regimes.count == 6
    # per-regime z-scores undo the condition-specific offsets: sensor_11 still trends upwards
    z = regimes.normalise(six)[:, regimes.sensors.index("sensor_11")]
    unit1 = six.frame["unit"].to_numpy() == 1
    assert np.corrcoef(six.frame["time"].to_numpy()[unit1], z[unit1])[0, 1] > 0.5
