"""1 kHz vibration acceleration, synthesised in numpy blocks only when something serves it.

A running spindle shows its rotation frequency and second harmonic (amplitude from the velocity
RMS feature), broadband noise, and bearing-defect impulses at the outer-race defect frequency
(BPFO, 3.58 x shaft) ringing at a structural resonance. The impulses grow with wear, so the
waveform's kurtosis and its energy near the BPFO rise before a wear-driven failure.
"""

from __future__ import annotations

import math

import numpy as np

BPFO_RATIO = 3.58
RESONANCE_HZ = 380.0
RING_DECAY_S = 0.004
FLOOR_M_S2 = 0.02


def vibration_block(
    rng: np.random.Generator,
    t0_s: float,
    n: int,
    rate_hz: float,
    running: bool,
    shaft_hz: float,
    velocity_rms_mm_s: float,
    wear: float,
) -> np.ndarray:
    """``n`` acceleration samples (m/s2) from ``t0_s`` at ``rate_hz``."""
    noise = rng.standard_normal(n)
    if not running:
        return FLOOR_M_S2 * noise
    t = t0_s + np.arange(n) / rate_hz
    a_rms = velocity_rms_mm_s / 1000.0 * 2 * math.pi * shaft_hz
    sig = math.sqrt(2) * a_rms * np.sin(2 * math.pi * shaft_hz * t)
    sig += 0.35 * math.sqrt(2) * a_rms * np.sin(2 * math.pi * 2 * shaft_hz * t + 0.7)
    if wear > 0:
        bpfo = BPFO_RATIO * shaft_hz
        since = (t * bpfo) % 1.0 / bpfo  # time since the last impulse
        amp = a_rms * 6.0 * min(wear, 1.5) ** 2
        sig += amp * np.exp(-since / RING_DECAY_S) * np.sin(2 * math.pi * RESONANCE_HZ * since)
    return sig + (0.15 * a_rms + FLOOR_M_S2) * noise
