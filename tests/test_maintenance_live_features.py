"""Condition features from 1 kHz batches: known signals give known values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from shopfloor.maintenance.errors import DataError
from shopfloor.maintenance.live_features import (
    EquipmentTags,
    WaveformWindows,
    waveform_features,
)
from shopfloor.plant import load_plant

RATE = 1000.0


def sine(freq: float, amp: float, n: int = 1000) -> np.ndarray:
    t = np.arange(n) / RATE
    return amp * np.sin(2 * math.pi * freq * t)


def test_sine_rms_peak_crest_kurtosis() -> None:
    f = waveform_features(np.stack([sine(50.0, 2.0), sine(125.0, 0.5)]), RATE)
    assert f["rms"] == pytest.approx([2 / math.sqrt(2), 0.5 / math.sqrt(2)], rel=1e-6)
    assert f["peak"] == pytest.approx([2.0, 0.5], rel=1e-3)
    assert f["crest"] == pytest.approx([math.sqrt(2)] * 2, rel=1e-3)
    assert f["kurtosis"] == pytest.approx([1.5, 1.5], rel=1e-3)  # a sine's kurtosis is 3/2


def test_band_energies_sum_to_mean_square_and_land_in_the_right_band() -> None:
    x = np.stack([sine(50.0, 1.0) + sine(380.0, 1.0)])
    f = waveform_features(x, RATE)
    bands = np.array([f[f"band{i}"][0] for i in range(4)])
    assert bands.sum() == pytest.approx(f["rms"][0] ** 2, rel=1e-6)
    assert bands[0] == pytest.approx(0.5, rel=1e-3)  # 50 Hz in 0-60 Hz
    assert bands[3] == pytest.approx(0.5, rel=1e-3)  # 380 Hz above 330 Hz
    assert bands[1] + bands[2] == pytest.approx(0.0, abs=1e-9)


def test_impulses_raise_kurtosis_over_gaussian_noise() -> None:
    rng = np.random.default_rng(0)
    noise = rng.standard_normal((4, 1000))
    spiky = noise.copy()
    spiky[:, ::100] += 25.0
    assert waveform_features(noise, RATE)["kurtosis"] == pytest.approx([3.0] * 4, abs=0.5)
    assert (waveform_features(spiky, RATE)["kurtosis"] > 10).all()


def test_bad_windows_are_refused() -> None:
    with pytest.raises(DataError, match="at least 8"):
        waveform_features(np.zeros((1, 4)), RATE)
    with pytest.raises(DataError, match="rate"):
        waveform_features(np.zeros((1, 100)), 0.0)


def test_windows_carry_the_remainder_and_skip_gaps() -> None:
    w = WaveformWindows(RATE, 1.0)
    ts = 10**12 + np.arange(1500, dtype=np.int64) * 1_000_000
    end, x = w.add(ts, np.ones(1500))
    assert x.shape == (1, 1000) and end[0] == ts[999]
    end, x = w.add(ts[-1] + (1 + np.arange(500, dtype=np.int64)) * 1_000_000, np.ones(500))
    assert x.shape == (1, 1000)  # 500 carried + 500 new
    later = ts[-1] + 10**10 + np.arange(600, dtype=np.int64) * 1_000_000
    end, x = w.add(later, np.full(600, np.nan))
    assert x.shape == (0, 1000)  # bad rows are dropped, not counted


def test_roles_come_from_the_plant_signals() -> None:
    tags = EquipmentTags.of_plant(load_plant("demo"))
    lathe = tags["suzhou/machining/line1/turning/lathe-01"]
    assert lathe.cls == "cnc_lathe"
    assert lathe.roles["vibration_rms"].endswith("/vibration_rms")
    assert lathe.roles["state"].endswith("/state")
    assert lathe.rates[lathe.roles["waveform"]] == 1000.0
