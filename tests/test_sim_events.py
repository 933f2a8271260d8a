"""Events alone rebuild the ground truth: what kpi/ will compute from the data stream."""

from __future__ import annotations

from collections import defaultdict

import pytest

from shopfloor.events import EventKind, MachineEvent
from shopfloor.plant import load_plant
from shopfloor.plant.states import TIME_ELEMENT, PackMLState
from shopfloor.sim import SimResult, run_virtual
from shopfloor.sim.recorder import Recorder

DEMO = load_plant("demo")


@pytest.fixture(scope="module")
def run() -> tuple[SimResult, Recorder]:
    rec = Recorder()
    return run_virtual(DEMO, 30, 6, outlet=rec, emit_values=False), rec


def _by_equipment(events: list[MachineEvent]) -> dict[str, list[MachineEvent]]:
    out: dict[str, list[MachineEvent]] = defaultdict(list)
    for e in events:
        out[e.equipment].append(e)
    return out


def test_state_changes_rebuild_state_durations_and_time_elements(
    run: tuple[SimResult, Recorder],
) -> None:
    result, rec = run
    truth = result.truth
    by_eq = _by_equipment(rec.events)
    for path, t in truth.equipment.items():
        changes = [e for e in by_eq[path] if e.kind is EventKind.STATE_CHANGE]
        assert changes[0].ts_ns == truth.start_ns and changes[0].payload["previous"] is None
        durations: dict[str, int] = defaultdict(int)
        for e, nxt in zip(changes, [*changes[1:], None], strict=True):
            end = nxt.ts_ns if nxt is not None else truth.end_ns
            durations[e.payload["state"]] += end - e.ts_ns
            assert e.payload["element"] == TIME_ELEMENT[PackMLState(e.payload["state"])].value
        assert {k: v for k, v in durations.items() if v} == {
            s.value: ns for s, ns in t.state_ns.items() if ns
        }, path


def test_completions_rebuild_quantities(run: tuple[SimResult, Recorder]) -> None:
    result, rec = run
    by_eq = _by_equipment(rec.events)
    for path, t in result.truth.equipment.items():
        done = [e for e in by_eq[path] if e.kind is EventKind.PART_COMPLETE]
        scrap = [e for e in by_eq[path] if e.kind is EventKind.PART_SCRAP]
        assert len(done) == t.produced, path
        assert sum(e.payload["good"] for e in done) == t.good, path
        assert len(scrap) == t.scrap, path
        assert sum(e.payload["standard_time_s"] for e in done) == pytest.approx(t.pru_s)
        assert all(e.serial and e.order_id for e in done)
    for path, line in result.truth.lines.items():
        last = [
            e
            for e in rec.events
            if e.kind is EventKind.PART_COMPLETE
            and e.payload["last"]
            and e.payload["good"]
            and "/" + path.rsplit("/", 1)[1] + "/" in e.equipment
        ]
        assert len(last) == line.good, path


def test_meter_readings_rebuild_energy(run: tuple[SimResult, Recorder]) -> None:
    result, rec = run
    by_eq = _by_equipment(rec.events)
    metered = 0
    for path, t in result.truth.equipment.items():
        readings = [e for e in by_eq[path] if e.kind is EventKind.ENERGY]
        if not readings:
            continue
        metered += 1
        kwh = [e.payload["kwh"] for e in readings]
        assert kwh == sorted(kwh)
        assert kwh[-1] == pytest.approx(t.energy_kwh, abs=1e-9)
        assert readings[-1].ts_ns == result.truth.end_ns
        # energy per state: the reading at each state change closes the previous state
        per_state: dict[str, float] = defaultdict(float)
        state, last = None, 0.0
        for e in by_eq[path]:
            if e.kind is EventKind.STATE_CHANGE:
                state = e.payload["state"]
            elif e.kind is EventKind.ENERGY:
                if state is not None:
                    per_state[state] += e.payload["kwh"] - last
                last = e.payload["kwh"]
        for s, kwh_s in t.energy_kwh_by_state.items():
            assert per_state.get(s.value, 0.0) == pytest.approx(kwh_s, abs=1e-6), (path, s)
    assert metered >= 12


def test_failures_alarms_and_orders_are_reported(run: tuple[SimResult, Recorder]) -> None:
    result, rec = run
    failures = rec.events_of(EventKind.FAILURE)
    assert len(failures) == sum(len(t.failures) for t in result.truth.equipment.values())
    repairs = rec.events_of(EventKind.REPAIR)
    assert len(repairs) == sum(
        1 for t in result.truth.equipment.values() for f in t.failures if f.repair_s is not None
    )
    alarms = rec.events_of(EventKind.ALARM)
    assert sum(a.payload["active"] for a in alarms) >= len(alarms) / 2 > 0
    statuses = rec.events_of(EventKind.ORDER_STATUS)
    released = [e for e in statuses if e.payload["status"] == "released"]
    assert len(released) == sum(ln.orders_released for ln in result.truth.lines.values())


def test_events_are_versioned_json_in_order(run: tuple[SimResult, Recorder]) -> None:
    _result, rec = run
    by_eq = _by_equipment(rec.events)
    for events in by_eq.values():
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert [e.ts_ns for e in events] == sorted(e.ts_ns for e in events)
    for e in rec.events[:: max(1, len(rec.events) // 2000)]:
        assert MachineEvent.from_bytes(e.to_bytes()) == e
