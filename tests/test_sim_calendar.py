"""Calendar: machines are Stopped outside shifts and during planned downtime, nowhere else."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shopfloor.clock import DEFAULT_EPOCH, to_ns
from shopfloor.events import EventKind, MachineEvent
from shopfloor.plant import EquipmentClass, PackMLState, TimeElement, load_plant
from shopfloor.sim import run_virtual, sim_params
from shopfloor.sim.calendar import Availability, downtime_for
from shopfloor.sim.recorder import Recorder

DEMO = load_plant("demo")

INSTRUMENTS = (EquipmentClass.ENERGY_METER, EquipmentClass.ENVIRONMENTAL_SENSOR)
HOURS = 30.0  # Monday 06:00 to Tuesday 12:00 (vmc-02 is down for maintenance 10:00-11:00)


def _at(text: str) -> int:
    return to_ns(datetime.fromisoformat(text.replace("Z", "+00:00")))


def _state_at(events: list[MachineEvent], ts_ns: int) -> tuple[str, str]:
    current = ("", "")
    for e in events:
        if e.kind is EventKind.STATE_CHANGE and e.ts_ns <= ts_ns:
            current = (e.payload["state"], e.payload["reason"])
    return current


@pytest.fixture(scope="module")
def recorded() -> Recorder:
    rec = Recorder()
    run_virtual(DEMO, HOURS, 2, outlet=rec, emit_values=False)
    return rec


def test_planned_downtime_equals_the_time_outside_the_calendar(recorded: Recorder) -> None:
    plant = DEMO
    params = sim_params(plant)
    truth = run_virtual(DEMO, HOURS, 2).truth
    for path, t in truth.equipment.items():
        p = params.equipment[path]
        if p.equipment.cls in INSTRUMENTS:
            continue
        avail = Availability(p.calendar, DEFAULT_EPOCH, downtime_for(plant, path), p.manual)
        off_s = HOURS * 3600 - avail.available_seconds(0, HOURS * 3600)
        assert abs(t.element_ns[TimeElement.PDOT] - off_s * 1e9) < 1000, path
        assert t.state_ns[PackMLState.STOPPED] == t.element_ns[TimeElement.PDOT]
    vmc2 = truth.equipment["suzhou/machining/line1/milling/vmc-02"]
    vmc1 = truth.equipment["suzhou/machining/line1/milling/vmc-01"]
    assert vmc2.state_ns[PackMLState.STOPPED] - vmc1.state_ns[PackMLState.STOPPED] == 3600 * 10**9


def test_every_machine_stops_at_shift_end_and_restarts_at_shift_start(recorded: Recorder) -> None:
    plant = DEMO
    for path, eq in plant.equipment_by_path.items():
        events = [e for e in recorded.events if e.equipment == path]
        if eq.cls in INSTRUMENTS:
            assert _state_at(events, _at("2025-01-07T01:00:00Z"))[0] == "Execute"
            continue
        assert _state_at(events, _at("2025-01-06T22:00:00Z")) == ("Stopped", "off_shift"), path
        assert _state_at(events, _at("2025-01-07T05:59:59Z")) == ("Stopped", "off_shift"), path
        assert _state_at(events, _at("2025-01-07T06:00:00Z"))[0] != "Stopped", path
        assert _state_at(events, _at("2025-01-06T21:59:59Z"))[0] != "Stopped", path


def test_planned_maintenance_stops_its_target_only(recorded: Recorder) -> None:
    vmc2 = [e for e in recorded.events if e.equipment.endswith("/vmc-02")]
    vmc1 = [e for e in recorded.events if e.equipment.endswith("/vmc-01")]
    during = _at("2025-01-07T10:30:00Z")
    assert _state_at(vmc2, during) == ("Stopped", "planned_maintenance")
    assert _state_at(vmc1, during)[0] != "Stopped"
    stops = [
        e
        for e in vmc2
        if e.kind is EventKind.STATE_CHANGE and e.payload["reason"] == "planned_maintenance"
    ]
    assert stops[0].ts_ns == _at("2025-01-07T10:00:00Z")
    after = [
        e
        for e in vmc2
        if e.kind is EventKind.STATE_CHANGE
        and e.ts_ns > stops[0].ts_ns
        and e.payload["reason"] != "planned_maintenance"
    ]
    assert after[0].ts_ns == _at("2025-01-07T11:00:00Z")
    downtime = [
        e
        for e in vmc2
        if e.kind is EventKind.DOWNTIME and e.payload["reason"] == "planned_maintenance"
    ]
    assert downtime and downtime[0].payload["planned"] is True


def test_a_line_wide_meeting_stops_the_whole_line() -> None:
    rec = Recorder()
    start = datetime(2025, 1, 8, 5, 0, tzinfo=UTC)  # Wednesday, an hour before the meeting
    run_virtual(DEMO, 2.5, 3, outlet=rec, emit_values=False, start=start)
    during = _at("2025-01-08T06:15:00Z")
    plant = DEMO
    for path, eq in plant.equipment_by_path.items():
        if eq.cls in INSTRUMENTS:
            continue
        state = _state_at([e for e in rec.events if e.equipment == path], during)
        if "/line2/" in path:
            assert state == ("Stopped", "team_meeting"), path
        else:
            assert state[0] != "Stopped", path


def test_manual_stations_stop_for_breaks() -> None:
    truth = run_virtual(DEMO, 8, 4).truth
    bench = truth.equipment["suzhou/assembly/line2/assembly/asm-02"]
    robot = truth.equipment["suzhou/assembly/line2/assembly/robot-02"]
    assert bench.state_ns[PackMLState.STOPPED] == 30 * 60 * 10**9
    assert robot.state_ns[PackMLState.STOPPED] == 0
