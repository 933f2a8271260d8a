"""One equipment's accumulator on hand-made event streams: windows, energy, parts, failures."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from shopfloor.errors import BadInput, DecodeError
from shopfloor.events import EventKind as K
from shopfloor.events import MachineEvent
from shopfloor.kpi import Accumulator, Window, evaluate
from shopfloor.kpi.meter import Meter
from shopfloor.plant.states import TimeElement as E

EQ = "suzhou/machining/line1/turning/lathe-01"
M = 60_000_000_000  # one minute in ns
T0 = 1_736_143_200_000_000_000  # 2025-01-06T06:00Z


def ev(
    kind: K, minute: float, order: str | None = None, serial: str | None = None, **payload: Any
) -> MachineEvent:
    return MachineEvent(kind, EQ, T0 + round(minute * M), serial, order, payload)


def state(minute: float, name: str) -> MachineEvent:
    return ev(K.STATE_CHANGE, minute, state=name)


def done(
    minute: float,
    good: bool = True,
    order: str | None = None,
    serial: str | None = None,
    std: float = 60.0,
    **extra: Any,
) -> MachineEvent:
    return ev(
        K.PART_COMPLETE,
        minute,
        order,
        serial,
        good=good,
        standard_time_s=std,
        operation="turn",
        **extra,
    )


def minutes(acc: Accumulator, element: E, until: float | None = None) -> float:
    basket, _ = acc.snapshot(None if until is None else T0 + round(until * M))
    return basket.element_ns[element] / M


def run(events: list[MachineEvent], window: Window | None = None) -> Accumulator:
    acc = Accumulator(EQ, window)
    for e in events:
        acc.feed(e)
    return acc


STREAM = [
    state(0, "Idle"),  # ADOT 0-10
    state(10, "Starting"),  # ASUT 10-20
    state(20, "Execute"),  # APT 20-50
    done(30),
    done(40, good=False),
    done(50),
    state(50, "Aborted"),  # ADET 50-70
    state(70, "Execute"),  # APT 70-...
    done(80),
]


def test_state_intervals_become_time_elements() -> None:
    acc = run(STREAM)
    assert minutes(acc, E.ADOT) == 10 and minutes(acc, E.ASUT) == 10
    assert minutes(acc, E.ADET) == 20
    assert minutes(acc, E.APT) == 40  # 20-50 and 70-80 (the last event)
    assert minutes(acc, E.APT, until=90) == 50  # the open interval counts up to "until"
    b = acc.basket
    assert (b.pq, b.gq, b.sq, b.pru_s) == (4, 3, 1, 240.0)


def test_window_clips_intervals_and_counts_point_events_inside() -> None:
    w = Window(T0 + 15 * M, T0 + 60 * M)
    acc = run(STREAM, w)
    assert minutes(acc, E.ADOT) == 0  # 0-10 is before the window
    assert minutes(acc, E.ASUT) == 5  # 10-20 clipped at 15
    assert minutes(acc, E.APT, until=200) == 30  # 20-50; 70-200 is after the window
    assert minutes(acc, E.ADET, until=200) == 10  # 50-70 clipped at 60
    assert acc.basket.pq == 3  # completions at 30, 40, 50; not 80
    edge = run(STREAM, Window(T0 + 30 * M, T0 + 50 * M))
    assert edge.basket.pq == 2  # start included (30), end excluded (50)
    with pytest.raises(BadInput, match="must be after its start"):
        Window(T0, T0)


def test_windows_split_the_whole_exactly() -> None:
    cuts = [0, 7, 15, 33, 61, 75, 90]
    whole = run(STREAM).snapshot(T0 + 90 * M)[0]
    parts = [
        run(STREAM, Window(T0 + a * M, T0 + b * M)).snapshot(T0 + 90 * M)[0]
        for a, b in itertools.pairwise(cuts)
    ]
    for e in E:
        assert sum(p.element_ns[e] for p in parts) == whole.element_ns[e]
    assert sum(p.pq for p in parts) == whole.pq and sum(p.gq for p in parts) == whole.gq


def test_incremental_snapshots_do_not_disturb_the_batch_result() -> None:
    live = Accumulator(EQ)
    for e in STREAM:
        live.feed(e)
        live.snapshot(e.ts_ns + 5 * M)  # a dashboard asking now and then
    assert live.snapshot(T0 + 90 * M)[0] == run(STREAM).snapshot(T0 + 90 * M)[0]


def test_energy_by_differencing_readings_with_a_reset_and_clipping() -> None:
    events = [
        state(0, "Execute"),
        ev(K.ENERGY, 30, kwh=105.0, kw=10.0),  # first reading: 30 min at 10 kW before it
        state(30, "Idle"),
        ev(K.ENERGY, 60, kwh=106.0, kw=2.0),  # 1 kWh
        state(60, "Execute"),
        ev(K.ENERGY, 90, kwh=2.0, kw=10.0),  # counter reset: 2 kWh since
        ev(K.ENERGY, 120, kwh=7.0, kw=10.0),  # 5 kWh
    ]
    acc = run(events)
    assert acc.basket.kwh == pytest.approx(5 + 1 + 2 + 5)
    assert acc.meter.resets == 1
    clipped = run(events, Window(T0 + 45 * M, T0 + 105 * M))
    assert clipped.basket.kwh == pytest.approx(0.5 + 2 + 2.5)  # halves of 45-60 and 90-120
    assert run([state(0, "Execute")]).basket.kwh is None  # no meter: None, not 0


def test_meter_splits_energy_over_who_used_the_time() -> None:
    m = Meter(Window())
    m.reading(T0, 10.0, 0.0)
    m.occupy("a", T0, T0 + 10 * M)
    m.occupy("b", T0 + 10 * M, T0 + 40 * M)
    assert m.reading(T0 + 40 * M, 14.0, 5.0) == {"a": pytest.approx(1.0), "b": pytest.approx(3.0)}
    assert m.reading(T0 + 40 * M, 15.0, 5.0, now_key="c") == {"c": 1.0}  # no time: instant


def test_orders_get_their_processing_time_setup_and_energy() -> None:
    events = [  # the order of a station's events: setup, part start, the reading closing setup
        state(0, "Idle"),
        state(10, "Starting"),  # setup for whatever comes next: charged to O1 at its start
        ev(K.PART_START, 20, "O1", "S1"),
        ev(K.ENERGY, 20, kwh=1.0, kw=3.0),  # first reading: 20 min at 3 kW, half of it setup
        state(20, "Execute"),
        done(50, order="O1", serial="S1"),
        ev(K.ENERGY, 50, kwh=6.0, kw=10.0),  # 5 kWh producing S1
        state(50, "Suspended"),  # blocked after the completion: nobody's
        ev(K.ENERGY, 60, kwh=6.3, kw=1.8),
    ]
    acc = run(events)
    _b, orders = acc.snapshot()
    o1 = orders["O1"]
    assert o1.element_ns[E.ASUT] == 10 * M and o1.element_ns[E.APT] == 30 * M
    assert o1.element_ns[E.ADOT] == 0 and o1.pru_s == 60.0
    assert o1.kwh == pytest.approx(0.5 + 5.0)
    assert acc.basket.kwh == pytest.approx(6.3)


def test_scrap_events_confirm_or_count_on_their_own() -> None:
    acc = run(
        [
            state(0, "Execute"),
            done(1, good=False, serial="S1"),
            ev(K.PART_SCRAP, 1, serial="S1", operation="turn", defect="bore_oversize"),
            ev(K.PART_SCRAP, 2, serial="S9", operation="turn", defect="crack"),
            done(3, rework=True),
        ]
    )
    b = acc.basket
    assert (b.pq, b.gq, b.sq, b.rq) == (3, 1, 2, 1)
    assert acc.defects == {"bore_oversize": 1, "crack": 1}
    assert evaluate(b)["rework_ratio"] == pytest.approx(1 / 3)


def test_failures_and_restorations_mtbf_mttr() -> None:
    events = [
        state(0, "Execute"),
        ev(K.FAILURE, 100, mode="servo_fault"),
        state(100, "Aborted"),
        ev(K.REPAIR, 130, duration_s=1800.0),
        state(130, "Execute"),
        ev(K.FAILURE, 200, mode="chuck_fault"),
        state(200, "Aborted"),
        ev(K.REPAIR, 250, duration_s=3000.0),
        state(250, "Execute"),
        ev(K.REPAIR, 300, duration_s=600.0),  # its failure is before we listened
    ]
    acc = run(events)
    b, _ = acc.snapshot(T0 + 300 * M)
    assert (b.failures, b.repairs) == (2, 3)
    k = evaluate(b)
    assert k["mttr"] == pytest.approx((30 + 50 + 10) / 3)
    assert k["mtbf"] == pytest.approx((100 + 70 + 50) / 60 / 2)
    late = run(events, Window(T0 + 150 * M, None)).snapshot(T0 + 300 * M)[0]
    assert (late.failures, late.repairs, late.ttr_s) == (1, 2, 3000.0 + 600.0)


def test_bad_events_name_what_is_wrong() -> None:
    acc = run([state(10, "Execute")])
    with pytest.raises(BadInput, match="older than the event before it"):
        acc.feed(state(5, "Idle"))
    with pytest.raises(DecodeError, match="unknown PackML state 'Running'"):
        acc.feed(state(11, "Running"))
    with pytest.raises(DecodeError, match="'standard_time_s' must be >= 0"):
        acc.feed(ev(K.PART_COMPLETE, 12, good=True, standard_time_s=-1))
    with pytest.raises(DecodeError, match="'good' must be true or false"):
        acc.feed(ev(K.PART_COMPLETE, 12, good="yes", standard_time_s=1))
    with pytest.raises(DecodeError, match="'kwh' must be >= 0"):
        acc.feed(ev(K.ENERGY, 12, kwh=-1.0))
    with pytest.raises(BadInput, match="fed to the accumulator"):
        acc.feed(MachineEvent(K.STATE_CHANGE, "s/a/l/c/other", T0, payload={"state": "Idle"}))
    assert acc.element is E.APT and acc.basket.pq == 0  # nothing half-applied
    acc.feed(ev(K.STATE_CHANGE, 13, element="ADOT"))  # an element without a PackML state
    assert acc.element is E.ADOT
