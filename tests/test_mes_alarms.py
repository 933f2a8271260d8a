"""Alarms (ISA-18.2 states, ack, shelve with expiry, history), downtime reasons, reason tree."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from shopfloor.clock import NS_PER_S, VirtualClock
from shopfloor.errors import BadInput, ValidationFailed
from shopfloor.events import EventKind
from shopfloor.mes import IllegalTransition, MesService
from shopfloor.mes.reasons import load_reasons, parse_reasons
from tests.test_mes_support import (  # noqa: F401 - fixtures
    Events,
    clock_fixture,
    db_url_fixture,
    mes_fixture,
    path,
    pg_database_fixture,
    sqlite_template_fixture,
)


def _alarm(ev: Events, active: bool, code: int = 42, priority: int = 800) -> Any:
    return ev(
        EventKind.ALARM,
        "vmc-01",
        code=code,
        text="spindle overload",
        priority=priority,
        active=active,
    )


def test_alarm_lifecycle_ack_before_and_after_clear(mes: MesService, clock: VirtualClock) -> None:
    ev = Events(clock)
    mes.apply(_alarm(ev, True))
    (a,) = mes.alarms.list()
    assert (a.state, a.priority, a.source) == ("unack_active", 800, "machine")
    clock.advance_s(5)
    assert mes.alarms.ack(a.id, who="zhang").state == "ack_active"
    with pytest.raises(IllegalTransition, match="acknowledged already"):
        mes.alarms.ack(a.id, who="zhang")
    clock.advance_s(5)
    mes.apply(_alarm(ev, False))
    assert mes.alarms.list() == []
    assert [x.state for x in mes.alarms.list(include_normal=True)] == ["normal"]
    # a second occurrence: cleared first, acknowledged after
    mes.apply(_alarm(ev, True))
    mes.apply(_alarm(ev, False))
    (b,) = mes.alarms.list()
    assert b.id != a.id and b.state == "unack_cleared"
    mes.apply(_alarm(ev, True))  # active again before anyone acknowledged it
    assert mes.alarms.list()[0].state == "unack_active"
    mes.apply(_alarm(ev, False))
    assert mes.alarms.ack(b.id, who="li").state == "normal"
    steps = [(h.action, h.from_state, h.to_state, h.who) for h in mes.alarms.history(b.id)]
    assert steps == [
        ("raise", None, "unack_active", "system"),
        ("clear", "unack_active", "unack_cleared", "system"),
        ("raise", "unack_cleared", "unack_active", "system"),
        ("clear", "unack_active", "unack_cleared", "system"),
        ("ack", "unack_cleared", "normal", "li"),
    ]
    with pytest.raises(BadInput, match="needs the operator's name"):
        mes.alarms.ack(b.id, who="")


def test_shelving_hides_an_alarm_until_it_expires(mes: MesService, clock: VirtualClock) -> None:
    ev = Events(clock)
    mes.apply(_alarm(ev, True, code=7, priority=300))
    mes.apply(_alarm(ev, True, code=8, priority=900))
    urgent, medium = mes.alarms.list()
    assert (urgent.code, medium.code) == ("8", "7")  # most urgent first
    shelved_at = clock.now_ns()
    s = mes.alarms.shelve(medium.id, 600, who="zhang", note="known, maintenance booked")
    assert s.shelved_until_ns == shelved_at + 600 * NS_PER_S
    assert [a.code for a in mes.alarms.list()] == ["8"]
    assert {a.code for a in mes.alarms.list(include_shelved=True)} == {"7", "8"}
    clock.advance_s(601)
    assert {a.code for a in mes.alarms.list()} == {"7", "8"}  # the shelve expired
    history = mes.alarms.history(medium.id)
    assert [(h.action, h.who) for h in history] == [
        ("raise", "system"),
        ("shelve", "zhang"),
        ("unshelve", "system"),
    ]
    assert history[-1].ts_ns == shelved_at + 600 * NS_PER_S and history[-1].note == "shelve expired"
    with pytest.raises(BadInput, match="at most 604800 s"):
        mes.alarms.shelve(medium.id, 30 * 86400, who="zhang")
    mes.alarms.shelve(medium.id, 60, who="zhang")
    assert mes.alarms.unshelve(medium.id, who="zhang").shelved_until_ns is None
    with pytest.raises(IllegalTransition, match="not shelved"):
        mes.alarms.unshelve(medium.id, who="zhang")


def test_operator_downtime_and_reason_assignment(mes: MesService, clock: VirtualClock) -> None:
    t0 = clock.now_ns()
    clock.advance_s(3600)
    row = mes.downtime.report(
        "pack-01",
        t0,
        t0 + 900 * NS_PER_S,
        "unplanned.material_shortage",
        who="li",
        note="no cartons",
    )
    assert (row.planned, row.source, row.reason) == (
        False,
        "operator",
        "unplanned.material_shortage",
    )
    with pytest.raises(BadInput, match="overlaps downtime"):
        mes.downtime.report("pack-01", t0 + 60 * NS_PER_S, t0 + 120 * NS_PER_S, "planned.meeting")
    with pytest.raises(BadInput, match=r"'unplanned\.breakdown' is a category; choose one of"):
        mes.downtime.report(
            "pack-01", t0 + 1000 * NS_PER_S, t0 + 1100 * NS_PER_S, "unplanned.breakdown"
        )
    with pytest.raises(BadInput, match="unknown reason code 'coffee'"):
        mes.downtime.report("pack-01", t0 + 1000 * NS_PER_S, t0 + 1100 * NS_PER_S, "coffee")
    with pytest.raises(BadInput, match="vmc-01 is networked"):
        mes.downtime.report("vmc-01", t0, t0 + NS_PER_S, "planned.meeting")
    with pytest.raises(BadInput, match="cannot end in the future"):
        mes.downtime.report(
            "pack-01", t0 + 3000 * NS_PER_S, t0 + 4000 * NS_PER_S, "planned.meeting"
        )
    ev = Events(clock)
    mes.apply(
        ev(
            EventKind.DOWNTIME,
            "vmc-01",
            reason="probe_crash",
            category="failure",
            planned=False,
            start_ns=t0,
            end_ns=t0 + 300 * NS_PER_S,
        )
    )
    (open_,) = mes.downtime.list(unexplained=True)
    fixed = mes.downtime.assign(open_.id, "unplanned.breakdown.mechanical", who="zhang")
    assert (fixed.reason, fixed.planned, fixed.who) == (
        "unplanned.breakdown.mechanical",
        False,
        "zhang",
    )
    assert mes.downtime.list(unexplained=True) == []
    with pytest.raises(IllegalTransition, match="already has reason"):
        mes.downtime.assign(open_.id, "unplanned.minor_stop", who="zhang")
    mes.downtime.assign(open_.id, "unplanned.breakdown.electrical", who="zhang", replace=True)
    summary = mes.downtime.summary()
    assert summary == [
        {"reason": "unplanned.material_shortage", "seconds": 900.0, "count": 1},
        {"reason": "unplanned.breakdown.electrical", "seconds": 300.0, "count": 1},
    ]


def test_planned_downtime_and_shifts_come_from_the_plant_file(mes: MesService) -> None:
    from datetime import UTC, datetime

    from shopfloor.clock import to_ns

    start, end = datetime(2025, 1, 6, tzinfo=UTC), datetime(2025, 1, 9, tzinfo=UTC)
    rows = mes.downtime.import_planned(to_ns(start), to_ns(end))
    got = {(r.equipment.rsplit("/", 1)[1], r.reason) for r in rows}
    assert ("vmc-02", "planned.planned_maintenance") in got
    assert ("asm-02", "planned.meeting") in got and ("conveyor-01", "planned.meeting") not in got
    assert mes.downtime.import_planned(to_ns(start), to_ns(end)) == []  # once per window
    windows = mes.planned_downtime("vmc-02", start, end)
    assert [(w.name, w.end_ns - w.start_ns) for w in windows] == [
        ("planned_maintenance", 3600 * NS_PER_S)
    ]
    shifts = mes.shifts(start, datetime(2025, 1, 7, tzinfo=UTC))
    assert [(w.name, w.to_dict()["start"]) for w in shifts] == [
        ("early", "2025-01-06T06:00:00+00:00"),
        ("late", "2025-01-06T14:00:00+00:00"),
    ]


def _tree(**change: Any) -> dict[str, Any]:
    doc = yaml.safe_load(
        "schema: shopfloor.mes.reasons/v1\n"
        "reasons:\n"
        "  - {code: planned, children: [{code: meeting}]}\n"
        "  - {code: unplanned, children: [{code: breakdown, children: [{code: mechanical}]}]}\n"
        "machine_reasons: {bearing: unplanned.breakdown.mechanical}\n"
    )
    doc.update(change)
    return doc


def test_reason_tree_validation_names_each_error() -> None:
    tree = parse_reasons(_tree())
    assert tree.leaves == ["planned.meeting", "unplanned.breakdown.mechanical"]
    assert tree.from_machine("bearing") == "unplanned.breakdown.mechanical"
    assert tree.from_machine("nope", "minor") is None
    bad = _tree(
        reasons=[
            {"code": "planned", "children": [{"code": "Meeting"}, {"code": "x", "colour": 1}]},
            {"code": "other", "children": [{"code": "a"}, {"code": "a"}]},
        ],
        machine_reasons={"bearing": "unplanned.breakdown", "jam": "planned.nothing"},
        extra=1,
    )
    with pytest.raises(ValidationFailed) as exc:
        parse_reasons(bad, "test.yaml")
    assert exc.value.errors == [
        ("extra", "unknown field"),
        (
            "reasons[0].children[0].code",
            "must be a-z, 0-9 and '_', starting with a letter or digit",
        ),
        ("reasons[0].children[1].colour", "unknown field"),
        ("reasons[1].code", "top-level reasons are planned and unplanned"),
        ("reasons[1].children[1].code", "duplicate reason code 'other.a'"),
        ("machine_reasons.bearing", "unknown reason code 'unplanned.breakdown'"),
        ("machine_reasons.jam", "unknown reason code 'planned.nothing'"),
    ]
    assert "reason file test.yaml: 7 error(s)" in exc.value.message
    with pytest.raises(ValidationFailed, match="the top-level reason 'unplanned' is missing"):
        parse_reasons(_tree(reasons=[{"code": "planned"}]))
    with pytest.raises(ValidationFailed, match="is a category, not a leaf"):
        parse_reasons(_tree(machine_reasons={"x": "unplanned.breakdown"}))


def test_the_shipped_reason_tree_is_valid() -> None:
    tree = load_reasons()
    assert tree.reasons["planned.shift_change"].planned is True
    assert tree.reasons["unplanned.breakdown.hydraulic"].planned is False
    assert {"planned", "unplanned"} <= set(tree.reasons)
    assert all(tree.reasons[c].leaf for c in tree.machine.values())
