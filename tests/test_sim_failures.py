"""Failures: random and wear-driven, repaired; wear shows in vibration before it fails."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pytest
import yaml

from shopfloor.plant import Plant
from shopfloor.plant.loader import parse_plant
from shopfloor.sim import SimResult, run_virtual
from shopfloor.sim.truth import NS

VMC1 = "suzhou/machining/line1/milling/vmc-01"


def fast_wearing_plant() -> Plant:
    """The demo plant with a spindle on vmc-01 that wears out within a day of operation."""
    text = resources.files("shopfloor.plant.examples").joinpath("demo.yaml").read_text("utf-8")
    doc = yaml.safe_load(text)
    vmc1 = doc["areas"][0]["lines"][0]["cells"][1]["equipment"][0]
    assert vmc1["id"] == "vmc-01"
    vmc1["sim"] = {
        "wear": {"onset_h": 3, "life_h": 7, "onset_cv": 0.3, "life_cv": 0.2},
        "failures": {"mtbf_h": 12},
    }
    doc["sim"]["condition_period_s"] = 120
    return parse_plant(doc)


@pytest.fixture(scope="module")
def long_run() -> SimResult:
    return run_virtual(fast_wearing_plant(), 96, 4)


def test_failures_happen_and_are_repaired(long_run: SimResult) -> None:
    failures = long_run.truth.equipment[VMC1].failures
    causes = {f.cause for f in failures}
    assert causes == {"wear", "random"}
    assert sum(f.cause == "wear" for f in failures) >= 3
    for f in failures[:-1]:
        assert f.repair_s is not None and f.repair_s > 0
    for f in failures:
        if f.cause == "wear":
            assert f.mode == "spindle_bearing"
            assert 0.55 <= f.wear <= 1.6  # the threshold varies from unit to unit
    times = [f.ts_ns for f in failures]
    assert times == sorted(times)
    line = long_run.truth.lines["suzhou/machining/line1"]
    assert line.failures >= len(failures)


def test_wear_failures_are_preceded_by_rising_vibration(long_run: SimResult) -> None:
    log = long_run.condition[VMC1].arrays()
    t0 = long_run.truth.start_ns
    running = log["state"] == "Execute"
    checked = 0
    previous_s = 0.0
    for f in long_run.truth.equipment[VMC1].failures:
        at_s = (f.ts_ns - t0) / NS
        if f.cause != "wear":
            continue
        life = (log["t_s"] > previous_s) & (log["t_s"] < at_s) & running
        times, vib, wear = log["t_s"][life], log["vibration_rms"][life], log["wear"][life]
        previous_s = at_s + (f.repair_s or 0.0)
        if len(times) < 40:
            continue
        early, late = vib[: len(vib) // 5], vib[-len(vib) // 10 :]
        assert np.median(late) > 1.8 * np.median(early)
        assert np.all(np.diff(wear[wear > 0]) >= -1e-12)  # wear only grows until the repair
        checked += 1
    assert checked >= 2


def test_repairs_take_their_time_as_aborted(long_run: SimResult) -> None:
    t = long_run.truth.equipment[VMC1]
    from shopfloor.plant import PackMLState

    aborted = t.state_ns[PackMLState.ABORTED] / NS
    repaired = [f.repair_s for f in t.failures if f.repair_s is not None]
    assert 0 < aborted <= sum(repaired) + 1e-6
