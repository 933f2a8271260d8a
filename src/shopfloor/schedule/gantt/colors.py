"""One colour per job, spread around the hue circle so neighbours differ."""

from __future__ import annotations

import colorsys

GOLDEN = 0.618033988749895


def job_color(job: int) -> str:
    """``#rrggbb`` for job ``job``: golden-ratio hue steps, mid saturation and lightness."""
    hue = (job * GOLDEN) % 1.0
    light = 0.62 if job % 2 == 0 else 0.52
    r, g, b = colorsys.hls_to_rgb(hue, light, 0.55)
    return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"
