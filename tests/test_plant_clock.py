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


def test_a_command_uses_the_running_service_clock_else_the_recorded_time(tmp_path: Path) -> None:
    import os

    from shopfloor import plantclock
    from shopfloor.plantclock import FixedClock, PlantClock

    anchor = 1_736_143_200 * NS_PER_S  # 2025-01-06T06:00:00Z
    recorded = anchor + 7200 * NS_PER_S
    # nothing recorded, nothing running: the wall clock
    assert isinstance(PlantClock(tmp_path).resolve(), WallClock)
    # a stopped plant: where it stopped
    clock = PlantClock(tmp_path, recorded=lambda: recorded)
    assert isinstance(clock.resolve(), FixedClock) and clock.now_ns() == recorded
    assert "recorded time" in clock.source
    # a service running on the data_dir (this process stands in for it): its clock
    path = plantclock.publish(tmp_path, LinearClock(anchor, time.time_ns(), 60.0), "demo")
    assert json.loads(path.read_text())["pid"] == os.getpid()
    running = PlantClock(tmp_path, recorded=lambda: recorded)
    assert isinstance(running.resolve(), LinearClock) and "demo running on" in running.source
    assert anchor <= running.now_ns() < recorded
    # killed without its clean stop: its file is left, its process is gone
    doc = json.loads(path.read_text())
    path.write_text(json.dumps(doc | {"pid": _dead_pid()}))
    assert isinstance(PlantClock(tmp_path, recorded=lambda: recorded).resolve(), FixedClock)
    # the plant_clock setting wins over everything
    other = tmp_path / "other.json"
    LinearClock(anchor, time.time_ns(), 1.0).write(other)
    assert isinstance(PlantClock(tmp_path, other, lambda: recorded).resolve(), LinearClock)
    # a clean stop withdraws only its own file
    plantclock.publish(tmp_path, LinearClock(anchor, time.time_ns(), 1.0), "serve")
    plantclock.withdraw(tmp_path)
    assert not path.exists()


def _dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_propose_plans_in_the_plant_time_and_refuses_a_clock_far_from_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's ``mes schedule propose`` beside a stopped demo plans from where the plant
    stopped (2025), not from the computer's date; a clock file from elsewhere is refused."""
    from shopfloor.cli import main
    from shopfloor.config import settings
    from shopfloor.events import EventKind, MachineEvent
    from shopfloor.mes import open_mes

    monkeypatch.setenv("SHOPFLOOR_DATA_DIR", str(tmp_path))
    settings.cache_clear()
    try:
        db = f"sqlite:///{tmp_path / 'mes.sqlite'}"
        t = 1_736_150_400 * NS_PER_S  # 2025-01-06T08:00:00Z: the plant's last event
        with open_mes(db, plant="demo") as mes:
            lathe = "suzhou/machining/line1/turning/lathe-01"
            mes.apply(MachineEvent(EventKind.STATE_CHANGE, lathe, t, payload={"state": "Idle"},
                                   seq=1))  # fmt: skip
        for args in (("order", "create", "--product", "pump-a", "--quantity", "2", "--id", "P1"),
                     ("order", "release", "P1")):  # fmt: skip
            assert main(["mes", *args, "--db", db]) == 0
        capsys.readouterr()
        assert main(["mes", "schedule", "propose", "--time-limit", "0.5", "--db", db,
                     "--json"]) == 0  # fmt: skip
        row = json.loads(capsys.readouterr().out)
        assert row["created"] == "2025-01-06T08:00:00Z"
        wrong = tmp_path / "wall.json"  # a clock two years on
        LinearClock(t + 700 * 86400 * NS_PER_S, time.time_ns(), 1.0).write(wrong)
        monkeypatch.setenv("SHOPFLOOR_PLANT_CLOCK", str(wrong))
        settings.cache_clear()
        assert main(["mes", "schedule", "propose", "--time-limit", "0.5", "--db", db]) == 2
        err = capsys.readouterr().err
        assert "schedule.clock_mismatch" in err and "700 days after" in err
    finally:
        settings.cache_clear()
