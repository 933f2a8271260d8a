"""The simulator's ground truth adds up: states, time elements, quantities, energy."""

from __future__ import annotations

import json

import pytest

from shopfloor.plant import EquipmentClass, PackMLState, TimeElement, load_plant
from shopfloor.sim import SimResult, run_virtual, sim_params
from shopfloor.sim.truth import NS

DEMO = load_plant("demo")

HOURS = 20.0  # Monday 06:00 to Tuesday 02:00: two shifts and four hours off shift


@pytest.fixture(scope="module")
def result() -> SimResult:
    return run_virtual(DEMO, HOURS, 3)


def test_state_durations_and_time_elements_sum_to_the_horizon(result: SimResult) -> None:
    truth = result.truth
    assert truth.horizon_ns == HOURS * 3600 * NS
    assert set(truth.equipment) == set(DEMO.equipment_by_path)
    for path, t in truth.equipment.items():
        assert sum(t.state_ns.values()) == truth.horizon_ns, path
        assert sum(t.element_ns.values()) == truth.horizon_ns, path
    assert truth.problems() == []


def test_quantities_add_up(result: SimResult) -> None:
    truth = result.truth
    produced = 0
    for path, t in truth.equipment.items():
        assert t.good + t.scrap == t.produced, path
        if t.produced:
            # performance: planned run time of the units over the actual production time
            apt = t.element_ns[TimeElement.APT] / NS
            assert 0.6 < t.pru_s / apt <= 1.05, path
        produced += t.produced
    assert produced > 500
    for path, line in truth.lines.items():
        assert line.good + line.scrap == line.produced, path
        assert line.good > 50, path
        assert line.orders_completed <= line.orders_released


def test_every_eligible_work_unit_produces(result: SimResult) -> None:
    plant = DEMO
    eligible = {plant.resolve(e) for r in plant.routings for o in r.operations for e in o.eligible}
    for path in eligible:
        assert result.truth.equipment[path].produced > 0, path


def test_energy_is_the_integral_of_power_by_state(result: SimResult) -> None:
    params = sim_params(DEMO)
    for path, t in result.truth.equipment.items():
        power = params.equipment[path].power_kw
        for state, kwh in t.energy_kwh_by_state.items():
            assert kwh >= 0
            hours = t.state_ns[state] / NS / 3600
            if state is PackMLState.EXECUTE:
                # Execute power depends on the process settings of the product worked on
                assert kwh <= power[state] * hours * 1.5 + 1e-9, path
            else:
                assert kwh == pytest.approx(power[state] * hours, rel=1e-9, abs=1e-12), path
        assert t.energy_kwh == pytest.approx(sum(t.energy_kwh_by_state.values()))
    for path, line in result.truth.lines.items():
        eqs = [t for t in result.truth.equipment.values() if t.line == path]
        assert line.energy_kwh == pytest.approx(sum(t.energy_kwh for t in eqs))
        assert line.energy_kwh > 10


def test_instruments_measure_around_the_clock(result: SimResult) -> None:
    plant = DEMO
    for path, eq in plant.equipment_by_path.items():
        if eq.cls in (EquipmentClass.ENERGY_METER, EquipmentClass.ENVIRONMENTAL_SENSOR):
            t = result.truth.equipment[path]
            assert t.state_ns[PackMLState.EXECUTE] == result.truth.horizon_ns


def test_summary_is_json_with_the_figures_per_line_and_equipment(result: SimResult) -> None:
    summary = json.loads(json.dumps(result.to_json()))
    assert summary["problems"] == []
    assert summary["horizon_h"] == pytest.approx(HOURS)
    line = summary["lines"]["suzhou/machining/line1"]
    assert {"produced", "good", "scrap", "energy_kwh", "failures"} <= set(line)
    eq = summary["equipment"]["suzhou/machining/line1/milling/vmc-01"]
    assert {
        "produced",
        "good",
        "scrap",
        "states_s",
        "time_elements_s",
        "energy_kwh",
        "failures",
        "pru_s",
    } <= set(eq)
    assert sum(eq["states_s"].values()) == pytest.approx(HOURS * 3600)
    assert eq["states_s"]["Stopped"] == pytest.approx(4 * 3600)  # 22:00 to 02:00
    assert summary["orders"]["released"] >= summary["orders"]["completed"] > 0
