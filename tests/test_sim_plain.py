"""Plain devices in the virtual plant: equipment with tag-to-event rules reports tags only, and
the rules rebuild from those tags the states, parts, products, orders, energy and failures the
same model reports as events when it is not served plain."""

from __future__ import annotations

import pytest

from shopfloor.clock import DEFAULT_EPOCH
from shopfloor.connect.rules import PlantRules
from shopfloor.events import EventKind, MachineEvent
from shopfloor.plant import load_plant
from shopfloor.sim import Recorder, build_model
from shopfloor.sim.plain import PlainDevices, PlainOutlet, plain_paths

DEMO = load_plant("demo")
HOURS = 6


def _run(plain: bool) -> tuple[Recorder, PlainDevices | None]:
    rec = Recorder(values=True)
    outlet = PlainOutlet(rec) if plain else rec
    model = build_model(DEMO, 5, start=DEFAULT_EPOCH, outlet=outlet, emit_values=False)
    devices = None
    if isinstance(outlet, PlainOutlet):
        devices = PlainDevices(model.world, model.assets, DEMO)
        outlet.bind(devices)
    model.run_until(HOURS * 3600)
    model.finish()
    return rec, devices


def _of(events: list[MachineEvent], path: str, kind: EventKind) -> list[MachineEvent]:
    return [e for e in events if e.equipment == path and e.kind is kind]


def test_the_demo_serves_part_of_its_equipment_as_plain_devices() -> None:
    names = {p.rsplit("/", 1)[1] for p in plain_paths(DEMO)}
    assert names == {"lathe-02", "washer-01", "press-01"}
    protocols = {DEMO.equipment_by_path[p].protocol.value for p in plain_paths(DEMO)}
    assert protocols == {"modbus"}  # the legacy machines behind the Modbus gateway


def test_rules_rebuild_what_the_model_reports_as_events() -> None:
    own, _ = _run(plain=False)
    served, devices = _run(plain=True)
    assert devices is not None and devices.reported > 0
    plain = plain_paths(DEMO)
    assert not [e for e in served.events if e.equipment in plain]  # tags only
    read = {
        f"{p}/{name}" for p in plain for _w, name, _k in DEMO.equipment_by_path[p].rules.tag_refs()
    }
    assert {v.tag for v in served.values} <= read
    rebuilt = PlantRules(DEMO).events((v.tag, v.ts_ns, v.value) for v in served.values)
    alarmed = 0
    for path in sorted(plain):
        truth = [
            (e.ts_ns, e.payload["state"]) for e in _of(own.events, path, EventKind.STATE_CHANGE)
        ]
        states = [(e.ts_ns, e.payload["state"]) for e in _of(rebuilt, path, EventKind.STATE_CHANGE)]
        # the model also reports a new reason in the same state; a state tag shows changes only
        assert states == [s for i, s in enumerate(truth) if i == 0 or s[1] != truth[i - 1][1]]
        made = [
            (e.ts_ns, e.payload["product"], e.order_id, e.payload["good"])
            for e in _of(own.events, path, EventKind.PART_COMPLETE)
        ]
        counted = _of(rebuilt, path, EventKind.PART_COMPLETE)
        assert made and len(counted) == len(made), path
        rules = DEMO.equipment_by_path[path].rules
        assert rules is not None
        for (ts, product, order, good), ev in zip(made, counted, strict=True):
            assert ev.ts_ns == ts and ev.payload["good"] == good, path
            if rules.product is not None:
                assert ev.payload["product"] == product, path
            if rules.order is not None:
                assert ev.order_id == order, path
        raised = [
            (e.ts_ns, str(e.payload["code"]), e.payload["active"])
            for e in _of(own.events, path, EventKind.ALARM)
        ]
        alarms = [
            (e.ts_ns, e.payload["code"], e.payload["active"])
            for e in _of(rebuilt, path, EventKind.ALARM)
        ]
        assert alarms == raised, path
        alarmed += len(alarms)
        failures = [e.ts_ns for e in _of(own.events, path, EventKind.FAILURE)]
        assert [e.ts_ns for e in _of(rebuilt, path, EventKind.FAILURE)] == failures, path
        kwh = _of(own.events, path, EventKind.ENERGY)[-1].payload["kwh"]
        first = _of(own.events, path, EventKind.STATE_CHANGE)[0]
        assert first.ts_ns == DEFAULT_EPOCH.timestamp() * 1e9  # the meter's baseline is at 0
        assert _of(rebuilt, path, EventKind.ENERGY)[-1].payload["kwh"] == pytest.approx(kwh)
    assert alarmed > 0  # alarm numbers were raised and cleared
