"""A plant that keeps its own time hands its clock to ``serve`` through a clock file."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from shopfloor.clock import NS_PER_S, LinearClock, WallClock, read_clock_file
from shopfloor.config import load_settings
from shopfloor.errors import ConfigError
from shopfloor.runtime.serve import plant_clock


def test_the_clock_file_carries_the_plant_clock(tmp_path: Path) -> None:
    anchor = 1_736_143_200 * NS_PER_S  # 2025-01-06T06:00:00Z
    LinearClock(anchor, time.time_ns(), 60.0).write(tmp_path / "plant-clock.json")
    doc = json.loads((tmp_path / "plant-clock.json").read_text())
    assert doc["anchor"] == "2025-01-06T06:00:00Z" and doc["rate"] == 60.0
    clock = plant_clock(load_settings(plant_clock=tmp_path / "plant-clock.json"))
    assert isinstance(clock, LinearClock)
    # at 60x a second of wall time is a minute of plant time: the clock is near the anchor
    assert anchor <= clock.now_ns() < anchor + 3600 * NS_PER_S
    assert isinstance(plant_clock(load_settings()), WallClock)


def test_a_missing_or_bad_clock_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"plant_clock: .*nope\.json does not exist"):
        read_clock_file(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match=r"bad\.json is not a clock file"):
        read_clock_file(bad)
    bad.write_text(json.dumps({"anchor_ns": 1, "wall_ns": 2}))
    with pytest.raises(ConfigError, match="needs anchor_ns, wall_ns and rate"):
        read_clock_file(bad)
    bad.write_text(json.dumps({"anchor_ns": 1, "wall_ns": 2, "rate": 0}))
    with pytest.raises(ConfigError, match="rate must be > 0"):
        read_clock_file(bad)
