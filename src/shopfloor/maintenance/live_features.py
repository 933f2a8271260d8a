"""Condition features computed next to the connector, from 1 kHz batches and slower tags.

High-rate vibration arrives in blocks (:class:`~shopfloor.connect.sink.SampleBatch` rows of one
tag); :class:`WaveformWindows` cuts each tag's rows into windows of ``window_s`` (carrying the
remainder to the next batch) and :func:`waveform_features` reduces a stack of windows to RMS,
peak, crest factor, kurtosis and spectral band energies in a few numpy calls, with no Python
loop over samples or windows. :class:`EquipmentTags` finds, from the plant model, which tag of
an equipment plays which role (vibration waveform, vibration RMS, bearing temperature, state).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from shopfloor.maintenance.errors import DataError
from shopfloor.plant.model import Plant

#: Spectral bands (Hz) whose energy is reported; the last one runs to the Nyquist frequency.
BANDS_HZ: tuple[tuple[float, float], ...] = ((0.0, 60.0), (60.0, 200.0), (200.0, 330.0))
WAVEFORM_FEATURES = ("rms", "peak", "crest", "kurtosis", "band0", "band1", "band2", "band3")

#: Tag roles by the plant's ``signal`` field.
ROLES: dict[str, str] = {
    "spindle_vibration": "waveform",
    "vibration_rms": "vibration_rms",
    "bearing_temperature": "bearing_temperature",
    "packml_state": "state",
}


def waveform_features(x: np.ndarray, rate_hz: float) -> dict[str, np.ndarray]:
    """Features of each row of ``x`` (windows x samples), one value per window.

    ``band0..band3`` are mean-square energies in :data:`BANDS_HZ` and above the last band up to
    the Nyquist frequency; by Parseval they sum to the window's mean square (minus its mean).
    """
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    n = x.shape[1]
    if n < 8:
        raise DataError(f"waveform window of {n} samples: need at least 8")
    if not rate_hz > 0:
        raise DataError(f"waveform rate must be > 0 Hz, got {rate_hz!r}")
    ms = np.mean(x * x, axis=1)
    rms = np.sqrt(ms)
    peak = np.max(np.abs(x), axis=1)
    centred = x - x.mean(axis=1, keepdims=True)
    var = np.mean(centred * centred, axis=1)
    safe_var = np.where(var > 0, var, np.nan)
    kurt = np.mean(centred**4, axis=1) / safe_var**2
    spec = np.abs(np.fft.rfft(centred, axis=1)) ** 2
    spec[:, 1 : (n + 1) // 2] *= 2.0  # one-sided: every bin but DC and Nyquist counts twice
    power = spec / (n * n)
    freqs = np.fft.rfftfreq(n, 1.0 / rate_hz)
    edges = [lo for lo, _hi in BANDS_HZ] + [BANDS_HZ[-1][1], np.inf]
    out = {
        "rms": rms,
        "peak": peak,
        "crest": np.where(rms > 0, peak / np.where(rms > 0, rms, 1.0), np.nan),
        "kurtosis": kurt,
    }
    for i in range(len(edges) - 1):
        mask = (freqs >= edges[i]) & (freqs < edges[i + 1])
        out[f"band{i}"] = power[:, mask].sum(axis=1)
    return out


@dataclass
class WaveformWindows:
    """Cuts one high-rate tag's rows into whole windows, keeping the rest for the next batch."""

    rate_hz: float
    window_s: float = 1.0
    _ts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    _values: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def size(self) -> int:
        return max(8, round(self.rate_hz * self.window_s))

    def add(self, ts_ns: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(end_ts_ns, windows)`` of the whole windows now complete (bad rows dropped).

        A gap longer than two sample periods starts a new window: a window never spans a gap.
        """
        good = ~np.isnan(values)
        ts = np.concatenate([self._ts, ts_ns[good]])
        v = np.concatenate([self._values, values[good]])
        if len(ts) > 1:
            gaps = np.flatnonzero(np.diff(ts) > 2e9 / self.rate_hz)
            if len(gaps):  # keep only what follows the last gap
                ts, v = ts[gaps[-1] + 1 :], v[gaps[-1] + 1 :]
        k = len(v) // self.size
        used = k * self.size
        self._ts, self._values = ts[used:], v[used:]
        if k == 0:
            return np.zeros(0, np.int64), np.zeros((0, self.size))
        return ts[self.size - 1 : used : self.size], v[:used].reshape(k, self.size)


@dataclass(frozen=True)
class EquipmentTags:
    """Which tag of an equipment plays which role, found once from the plant model."""

    equipment: str
    cls: str
    roles: dict[str, str]  # role -> tag id
    rates: dict[str, float]  # tag id -> rate (Hz)

    @classmethod
    def of_plant(cls, plant: Plant) -> dict[str, EquipmentTags]:
        """Every networked equipment with a vibration RMS or waveform tag, by path."""
        out: dict[str, EquipmentTags] = {}
        for path, *_rest, eq in plant.walk():
            if not eq.networked:
                continue
            roles: dict[str, str] = {}
            rates: dict[str, float] = {}
            for tag in eq.tags:
                role = ROLES.get(tag.signal)
                if role is not None and role not in roles:
                    roles[role] = f"{path}/{tag.name}"
                    rates[roles[role]] = tag.rate_hz
            if "vibration_rms" in roles or "waveform" in roles:
                out[path] = cls(path, str(eq.cls), roles, rates)
        return out
