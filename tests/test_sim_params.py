"""Bad ``sim:`` parameters and process overrides are rejected, each error with its path."""

from __future__ import annotations

from importlib import resources
from typing import Any

import pytest
import yaml

from shopfloor.errors import BadInput, ValidationFailed
from shopfloor.plant import EquipmentClass, load_plant
from shopfloor.plant.loader import parse_plant
from shopfloor.sim import run_virtual, sim_params
from shopfloor.sim.defaults import DEFAULTS
from shopfloor.sim.signal_specs import KNOWN_SIGNALS

VMC1 = "areas[0].lines[0].cells[1].equipment[0]"


def demo_doc() -> dict[str, Any]:
    text = resources.files("shopfloor.plant.examples").joinpath("demo.yaml").read_text("utf-8")
    doc: dict[str, Any] = yaml.safe_load(text)
    return doc


def _vmc1(doc: dict[str, Any]) -> dict[str, Any]:
    eq: dict[str, Any] = doc["areas"][0]["lines"][0]["cells"][1]["equipment"][0]
    assert eq["id"] == "vmc-01"
    return eq


def _errors(doc: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as exc:
        sim_params(parse_plant(doc))
    return exc.value.errors


@pytest.mark.parametrize(
    ("sim", "path", "words"),
    [
        ({"wear": {"lief_h": 3}}, "sim.wear.lief_h", "unknown field"),
        ({"failures": {"mtbf_h": -1}}, "sim.failures.mtbf_h", "greater than 0"),
        ({"power_kw": {"Running": 3}}, "sim.power_kw", "unknown PackML state Running"),
        ({"tends": ["vmc-02"]}, "sim.tends", "only industrial robots"),
        ({"calendar": "night"}, "sim.calendar", "unknown calendar 'night'"),
        ({"signals": {"nope": {"nominal": 1}}}, "sim.signals.nope", "has no tag 'nope'"),
        ({"travel_speed_m_s": 2}, "sim.travel_speed_m_s", "only AGVs"),
        ({"input_buffer": 0}, "sim.input_buffer", "greater than or equal to 1"),
    ],
)
def test_bad_equipment_sim_params_are_reported_with_their_path(
    sim: dict[str, Any], path: str, words: str
) -> None:
    doc = demo_doc()
    _vmc1(doc)["sim"] = sim
    errors = _errors(doc)
    assert len(errors) == 1, errors
    assert errors[0][0] == f"{VMC1}.{path}"
    assert words in errors[0][1]


@pytest.mark.parametrize(
    ("sim", "path", "words"),
    [
        ({"orders": {"mix": {"widget": 1}}}, "sim.orders.mix.widget", "unknown product"),
        ({"orders": {"size": [5, 2]}}, "sim.orders", "1 <= min <= max"),
        ({"transport": {"line2": "agv"}}, "sim.transport.line2", "has no agv"),
        ({"operators": {"line9": 2}}, "sim.operators.line9", "unknown line"),
        ({"calendar": "nope"}, "sim.calendar", "unknown calendar"),
        ({"technicians": 0}, "sim.technicians", "greater than or equal to 1"),
        ({"wat": 1}, "sim.wat", "unknown field"),
    ],
)
def test_bad_plant_sim_params_are_reported_with_their_path(
    sim: dict[str, Any], path: str, words: str
) -> None:
    doc = demo_doc()
    doc["sim"] = {"calendar": "two-shift", **sim}
    errors = _errors(doc)
    assert [p for p, _m in errors] == [path]
    assert words in errors[0][1]


def test_a_robot_that_runs_operations_cannot_tend_machines() -> None:
    doc = demo_doc()
    robot2 = doc["areas"][1]["lines"][0]["cells"][1]["equipment"][1]
    assert robot2["id"] == "robot-02"
    robot2["sim"] = {"tends": ["asm-01"]}
    errors = _errors(doc)
    assert errors == [
        (
            "areas[1].lines[0].cells[1].equipment[1].sim.tends",
            "'robot-02' runs operations; it cannot also tend machines",
        )
    ]


def test_all_errors_are_reported_together() -> None:
    doc = demo_doc()
    _vmc1(doc)["sim"] = {"wear": {"life_h": 0}}
    doc["sim"]["orders"] = {"mix": {"widget": 1}}
    assert len(_errors(doc)) == 2


def test_a_signal_the_simulator_does_not_know_needs_a_nominal_value() -> None:
    doc = demo_doc()
    _vmc1(doc)["tags"] = [{"name": "flux", "rate_hz": 1, "signal": "flux_density"}]
    errors = _errors(doc)
    assert errors[0][0] == f"{VMC1}.tags[24].signal"
    assert "sim.signals.flux.nominal" in errors[0][1]
    _vmc1(doc)["sim"] = {"signals": {"flux": {"nominal": 1.2, "noise": 0.01}}}
    sim_params(parse_plant(doc))


def test_example_plants_and_defaults_are_complete() -> None:
    assert set(DEFAULTS) == set(EquipmentClass)  # every class has a row of defaults
    for name in ("demo", "smt"):
        plant = load_plant(name)
        sim_params(plant)
        assert {t.signal for _p, *_r, e in plant.walk() for t in e.tags} <= KNOWN_SIGNALS | {
            "measurement"
        }


def test_bad_process_overrides_are_refused() -> None:
    with pytest.raises(BadInput, match="unknown product 'widget'"):
        run_virtual("demo", 1, 1, process_overrides={"widget": {"feed_rate": 1}})
    with pytest.raises(BadInput, match="has no process setting 'feed'"):
        run_virtual("demo", 1, 1, process_overrides={"housing-a": {"feed": 1}})
    with pytest.raises(BadInput, match="hours must be > 0"):
        run_virtual("demo", 0, 1)
