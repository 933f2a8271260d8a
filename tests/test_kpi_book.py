"""The plant-wide book on a simulated day: lines, orders, products, shifts, first pass yield."""

from __future__ import annotations

from collections import defaultdict

import pytest

from shopfloor.errors import BadInput
from shopfloor.events import EventKind as K
from shopfloor.events import MachineEvent
from shopfloor.kpi import (
    KpiBook,
    PeriodBooks,
    Span,
    Window,
    energy_points,
    enpi,
    evaluate,
    fit_linear,
    hours,
)
from shopfloor.kpi.inspection import FirstPass
from shopfloor.mes.calendar import calendar_for, shift_windows
from shopfloor.plant import load_plant
from shopfloor.plant.states import TimeElement as E
from shopfloor.sim import Recorder, SimResult, run_virtual

DEMO = load_plant("demo")
LINE1, LINE2 = "suzhou/machining/line1", "suzhou/assembly/line2"


@pytest.fixture(scope="module")
def day() -> tuple[SimResult, list[MachineEvent]]:
    rec = Recorder(values=False)
    return run_virtual(DEMO, 24, 11, outlet=rec, emit_values=False), rec.events


def test_live_feed_with_reports_in_between_equals_the_batch(
    day: tuple[SimResult, list[MachineEvent]],
) -> None:
    result, events = day
    batch = KpiBook(DEMO)
    assert batch.feed_many(events) == 0
    live = KpiBook(DEMO)
    for i, ev in enumerate(events):
        live.feed(ev)
        if i % 2000 == 0:
            live.report()
    end = result.truth.end_ns
    assert live.report(end).to_json() == batch.report(end).to_json()


def test_shifts_and_the_night_add_up_to_the_day(day: tuple[SimResult, list[MachineEvent]]) -> None:
    result, events = day
    t = result.truth
    shifts = shift_windows(calendar_for(DEMO), t.start_ns, t.end_ns)
    assert [s.name for s in shifts] == ["early", "late"]
    night = Span("night", shifts[-1].end_ns, t.end_ns)
    books = PeriodBooks(DEMO, [*shifts, night])
    books.feed_many(events)
    reports = books.reports(t.end_ns)
    whole = KpiBook(DEMO)
    whole.feed_many(events)
    day_report = whole.report(t.end_ns)
    for line in (LINE1, LINE2):
        parts = [r.lines[line] for r in reports.values()]
        total = day_report.lines[line]
        for e in E:
            assert sum(p.element_ns[e] for p in parts) == total.element_ns[e]
        assert sum(p.pq for p in parts) == total.pq and sum(p.gq for p in parts) == total.gq
        assert sum(p.kwh or 0 for p in parts) == pytest.approx(total.kwh)
        assert parts[-1].element_ns[E.APT] == 0  # nobody works at night on a two-shift plant
    quarters = hours(t.start_ns, t.end_ns - 1, 6)
    assert [q.end_ns - q.start_ns for q in quarters] == [6 * 3600 * 10**9] * 3 + [
        6 * 3600 * 10**9 - 1
    ]
    assert len(PeriodBooks(DEMO, quarters).books) == 4


def test_an_energy_baseline_fitted_on_periods_of_the_day(
    day: tuple[SimResult, list[MachineEvent]],
) -> None:
    result, events = day
    t = result.truth
    books = PeriodBooks(DEMO, hours(t.start_ns, t.end_ns, 6))
    books.feed_many(events)
    points = energy_points(books.reports(t.end_ns), LINE1)
    assert len(points) == 4 and points[-1][0] == 0  # the night quarter produces nothing
    base = fit_linear(points)
    assert base.a > 0 and base.b > 0  # standby load and energy per unit
    units, kwh = points[0]
    assert enpi(kwh, units, base).ratio == pytest.approx(kwh / (base.a + base.b * units))
    assert sum(k for _u, k in points) == pytest.approx(sum(base.expected(u) for u, _k in points))
    with pytest.raises(BadInput, match="unknown line 'line9'"):
        energy_points(books.reports(), "line9")


def test_orders_and_products_add_up_to_the_lines(
    day: tuple[SimResult, list[MachineEvent]],
) -> None:
    result, events = day
    book = KpiBook(DEMO)
    book.feed_many(events)
    r = book.report(result.truth.end_ns)
    for line in (LINE1, LINE2):
        orders = [b for oid, b in r.orders.items() if r.order_info[oid].line == line]
        assert sum(b.pq for b in orders) == r.lines[line].pq == result.truth.lines[line].produced
        assert sum(b.gq for b in orders) == r.lines[line].gq
        assert sum(b.value or 0 for b in orders) == pytest.approx(r.lines[line].value)
    assert sum(b.pq for b in r.products.values()) == sum(b.pq for b in r.orders.values())
    pumps = r.products["pump-a"]
    assert pumps.value == pytest.approx(pumps.gq * 1450)
    k = evaluate(pumps)
    assert pumps.kwh is not None and k["kwh_per_unit"] == pytest.approx(pumps.kwh / pumps.pq)
    assert k["throughput_rate"] is not None and k["throughput_rate"] > 0
    # every order's attributed time and energy is part of its equipment's
    apt = sum(b.element_ns[E.APT] for b in r.orders.values())
    assert 0 < apt <= sum(b.element_ns[E.APT] for b in r.equipment.values())
    kwh = sum(b.kwh or 0 for b in r.orders.values())
    assert 0 < kwh < sum(b.kwh or 0 for b in r.equipment.values())
    assert r.line_kwh_source == {LINE1: "meter", LINE2: "meter"}


def test_first_pass_yield_from_inspection_results(
    day: tuple[SimResult, list[MachineEvent]],
) -> None:
    result, events = day
    book = KpiBook(DEMO)
    book.feed_many(events)
    r = book.report(result.truth.end_ns)
    # independently: serials with a result at an inspection operation, failed if any failed
    inspect_ops = {"measure", "test", "vision"}
    seen: dict[str, dict[str, bool]] = defaultdict(dict)
    line_of = {}
    for e in events:
        if e.kind is K.PART_COMPLETE and e.payload["operation"] in inspect_ops:
            assert e.serial is not None
            seen[e.serial][e.payload["operation"]] = e.payload["good"]
            line_of[e.serial] = LINE2 if e.payload["product"] == "pump-a" else LINE1
    for line in (LINE1, LINE2):
        serials = [s for s in seen if line_of[s] == line]
        good = [s for s in serials if all(seen[s].values())]
        assert (r.lines[line].ip, r.lines[line].gp) == (len(serials), len(good)) != (0, 0)
    cmm = r.equipment["suzhou/machining/line1/quality/cmm-01"]
    assert cmm.ip == cmm.pq and cmm.gp == cmm.gq


def test_first_pass_is_lost_by_a_failure_or_a_repeat() -> None:
    fp = FirstPass(Window(0, 100))
    fp.result("A", "test", 10, True)
    fp.result("A", "vision", 20, True)  # A: first pass
    fp.result("B", "test", 10, False)  # B: failed
    fp.result("C", "test", 10, True)
    fp.result("C", "test", 30, True)  # C: re-tested, not first pass
    fp.result("D", "test", 150, True)  # D: first inspected after the window
    fp.result(None, "test", 50, True)  # an anonymous unit counts on its own
    assert (fp.ip, fp.gp) == (4, 2)
    fp.forget("A")
    fp.result("A", "test", 60, False)  # a new unit with a reused serial
    assert (fp.ip, fp.gp) == (5, 2)


def test_events_the_book_cannot_use_are_counted_and_kept() -> None:
    book = KpiBook(DEMO)
    good = MachineEvent(K.STATE_CHANGE, f"{LINE1}/turning/lathe-01", 10, payload={"state": "Idle"})
    unknown = MachineEvent(K.STATE_CHANGE, "x/y/z/c/e", 10, payload={"state": "Idle"})
    broken = MachineEvent(K.PART_COMPLETE, f"{LINE1}/turning/lathe-01", 20, payload={})
    status = MachineEvent(K.ORDER_STATUS, LINE1, 20, order_id="O1", payload={"status": "done"})
    assert [book.feed(e) for e in (good, unknown, broken, status)] == [True, False, False, True]
    assert book.rejected_count == 2
    assert "unknown equipment 'x/y/z/c/e'" in book.rejected[0][1]
    assert "'good'" in book.rejected[1][1]
    assert book.report(30).rejected == 2
