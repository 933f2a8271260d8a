"""Machine events: progress, units, states, alarms and downtime; once each on redelivery."""

from __future__ import annotations

from shopfloor.clock import NS_PER_S, VirtualClock
from shopfloor.events import EventKind, MachineEvent
from shopfloor.mes import MesService
from tests.test_mes_support import (  # noqa: F401 - fixtures
    Events,
    clock_fixture,
    db_url_fixture,
    mes_fixture,
    path,
    pg_database_fixture,
    sqlite_template_fixture,
)

HOUSING_OPS = [
    ("lathe-01", "turn", 10),
    ("vmc-01", "mill", 20),
    ("washer-01", "wash", 30),
    ("cmm-01", "measure", 40),
]


def _run_housings(
    ev: Events, order_id: str | None, serials: list[str], bad: str = ""
) -> list[MachineEvent]:
    out: list[MachineEvent] = []
    for serial in serials:
        for eq, op, seq in HOUSING_OPS:
            good = not (serial == bad and op == "mill")
            out += ev.part(
                eq,
                serial,
                order_id,
                "housing-a",
                op,
                seq,
                good=good,
                process={"spindle_speed": 6000.0},
            )
            if not good:
                break
    return out


def test_events_drive_order_progress_to_completion(mes: MesService, clock: VirtualClock) -> None:
    mes.orders.create("housing-a", 3, order_id="H1")
    mes.orders.release("H1")
    ev = Events(clock)
    events = _run_housings(ev, "H1", ["S1", "S2", "S3"], bad="S2")
    result = mes.apply_many(events[:6])
    assert result.applied == 6 and result.duplicates == 0 and result.parked == 0
    o = mes.orders.get("H1")
    assert o.status == "running" and o.operations[0].status == "running"
    assert o.operations[0].good == 1 and o.operations[0].equipment == path("lathe-01")
    mes.apply_many(events[6:])
    o = mes.orders.get("H1")
    assert [(op.good, op.scrap, op.status) for op in o.operations] == [
        (3, 0, "complete"),
        (2, 1, "complete"),
        (2, 0, "complete"),
        (2, 0, "complete"),
    ]
    assert (o.status, o.good, o.scrap) == ("complete", 2, 1)
    assert mes.material.unit("S1")["status"] == "complete"
    s2 = mes.material.unit("S2")
    assert (s2["status"], s2["defect"]) == ("scrapped", "bore_oversize")
    assert [op["op_id"] for op in s2["operations"]] == ["turn", "mill"]
    assert s2["operations"][1]["good"] is False
    assert s2["operations"][0]["process"] == {"spindle_speed": 6000.0}


def test_an_order_held_while_its_last_units_finish_completes_on_resume(
    mes: MesService, clock: VirtualClock
) -> None:
    mes.orders.create("housing-a", 1, order_id="H1")
    mes.orders.release("H1")
    events = _run_housings(Events(clock), "H1", ["S1"])
    mes.apply_many(events[:2])
    mes.orders.hold("H1", "quality check")
    mes.apply_many(events[2:])  # the machines finish what they had started
    o = mes.orders.get("H1")
    assert o.status == "held" and {op.status for op in o.operations} == {"complete"}
    assert mes.orders.resume("H1").status == "complete"


def test_a_redelivered_event_is_not_counted_twice(mes: MesService, clock: VirtualClock) -> None:
    mes.orders.create("housing-a", 5, order_id="H1")
    mes.orders.release("H1")
    events = _run_housings(Events(clock), "H1", ["S1", "S2"])
    first = mes.apply_many(events)
    again = mes.apply_many(events)
    assert (first.applied, again.applied, again.duplicates) == (len(events), 0, len(events))
    assert mes.apply(events[3]) == "duplicate"
    o = mes.orders.get("H1")
    assert [op.good for op in o.operations] == [2, 2, 2, 2]
    # the same seq from another equipment is another event
    other = MachineEvent(
        EventKind.PART_COMPLETE,
        path("lathe-02"),
        clock.now_ns(),
        "S9",
        "H1",
        {"product": "housing-a", "operation": "turn", "good": True},
        seq=events[0].seq,
    )
    assert mes.apply(other) == "applied"
    assert mes.orders.get("H1").operations[0].good == 3


def test_a_malformed_event_is_parked_and_the_others_still_apply(
    mes: MesService, clock: VirtualClock
) -> None:
    ev = Events(clock)
    good = ev(EventKind.STATE_CHANGE, "vmc-01", state="Execute", previous="Idle", reason="")
    bad = ev(EventKind.PART_COMPLETE, "vmc-01", "S1", None, product="housing-a")
    unknown = MachineEvent(
        EventKind.STATE_CHANGE,
        "suzhou/x/y/z/ghost",
        clock.now_ns(),
        payload={"state": "Idle"},
        seq=1,
    )
    weird_state = ev(EventKind.STATE_CHANGE, "vmc-01", state="Dancing")
    result = mes.apply_many([good, bad, unknown, weird_state])
    assert (result.applied, result.parked) == (1, 3)
    assert "payload has no 'operation'" in result.errors[0]
    assert "unknown equipment 'suzhou/x/y/z/ghost'" in result.errors[1]
    assert "unknown PackML state 'Dancing'" in result.errors[2]
    parked = mes.parked()
    assert len(parked) == 3 and parked[-1].event["payload"] == {"product": "housing-a"}
    assert mes.apply(bad) == "duplicate"  # parked once, not again
    assert [s.state for s in mes.states.current()] == ["Execute"]


def test_state_changes_give_the_current_state_and_time_per_element(
    mes: MesService, clock: VirtualClock
) -> None:
    ev = Events(clock)
    t0 = clock.now_ns()
    events = [ev(EventKind.STATE_CHANGE, "vmc-01", state="Idle")]
    clock.advance_s(60)
    events.append(ev(EventKind.STATE_CHANGE, "vmc-01", state="Execute", reason="producing"))
    clock.advance_s(600)
    events.append(ev(EventKind.STATE_CHANGE, "vmc-01", state=11, reason="tool_change"))
    clock.advance_s(120)
    mes.apply_many(events)
    (cur,) = mes.states.current("vmc-01")
    assert (cur.state, cur.element, cur.reason) == ("Held", "ADET", "tool_change")
    spent = mes.states.time_elements("vmc-01", t0, clock.now_ns())
    assert spent == {
        "ADOT": 60.0,
        "state:Idle": 60.0,
        "APT": 600.0,
        "state:Execute": 600.0,
        "ADET": 120.0,
        "state:Held": 120.0,
    }
    late = MachineEvent(
        EventKind.STATE_CHANGE, path("vmc-01"), t0 + NS_PER_S, payload={"state": "Stopped"}, seq=99
    )
    assert mes.apply(late) == "applied"
    assert mes.states.current("vmc-01")[0].state == "Held"  # older than the current state
    assert len(mes.states.history("vmc-01", t0, clock.now_ns())) == 3


def test_alarm_and_downtime_events(mes: MesService, clock: VirtualClock) -> None:
    ev = Events(clock)
    t0 = clock.now_ns()
    raised = ev(
        EventKind.ALARM, "lathe-01", code=3101, text="spindle_bearing", priority=800, active=True
    )
    clock.advance_s(900)
    cleared = ev(
        EventKind.ALARM, "lathe-01", code=3101, text="spindle_bearing", priority=800, active=False
    )
    failure = ev(
        EventKind.DOWNTIME,
        "lathe-01",
        reason="spindle_bearing",
        category="failure",
        planned=False,
        start_ns=t0,
        end_ns=clock.now_ns(),
    )
    odd = ev(
        EventKind.DOWNTIME,
        "lathe-01",
        reason="gremlins",
        category="failure",
        planned=False,
        start_ns=t0,
        end_ns=clock.now_ns(),
    )
    energy = ev(EventKind.ENERGY, "lathe-01", kwh=1.5, kw=3.0)
    assert mes.apply_many([raised, cleared, failure, odd, energy]).applied == 5
    (alarm,) = mes.alarms.list()
    assert (alarm.code, alarm.state, alarm.priority) == ("3101", "unack_cleared", 800)
    downs = mes.downtime.list(equipment="lathe-01")
    assert [(d.reason, d.planned, d.machine_reason) for d in downs] == [
        ("unplanned.breakdown.mechanical", False, "spindle_bearing"),
        (None, False, "gremlins"),
    ]
    assert [d.id for d in mes.downtime.list(unexplained=True)] == [downs[1].id]
