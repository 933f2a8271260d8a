"""Problems built from orders and the plant model; dispatch lists for MES."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shopfloor.errors import ValidationFailed
from shopfloor.plant import load_plant
from shopfloor.schedule.check import check
from shopfloor.schedule.dispatch import dispatch_json, dispatch_lists
from shopfloor.schedule.orders import OrderRecord, problem_from_orders
from shopfloor.schedule.plant_time import off_shift_windows, shift_windows
from shopfloor.schedule.solve import solve

ORIGIN = datetime(2025, 1, 6, 6, 0, tzinfo=UTC)  # a Monday, start of the early shift


def _orders() -> list[OrderRecord]:
    h = timedelta(hours=1)
    return [
        OrderRecord("wo-1", "housing-a", 20, ORIGIN, ORIGIN + 8 * h, priority=2),
        OrderRecord("wo-2", "housing-b", 10, ORIGIN, ORIGIN + 10 * h),
        OrderRecord("wo-3", "pump-a", 30, ORIGIN + h, ORIGIN + 12 * h),
        OrderRecord("wo-4", "housing-a", 15, ORIGIN, None),
    ]


def test_orders_become_jobs_on_plant_work_units() -> None:
    pp = problem_from_orders(_orders(), load_plant("demo"), ORIGIN)
    p = pp.problem
    assert [j.name for j in p.jobs] == ["wo-1", "wo-2", "wo-3", "wo-4"]
    assert all(m.startswith("suzhou/") for m in p.machines)
    turn = p.jobs[0].operations[0]
    assert turn.name == "turn" and len(turn.modes) == 2 and turn.modes[0].duration == 180 * 20
    lathe = p.machines.index("suzhou/machining/line1/turning/lathe-01")
    assert p.setup(lathe, turn.family, p.jobs[1].operations[0].family) == 900
    assert p.setup(lathe, turn.family, turn.family) == 0
    assert p.jobs[2].release == 3600 and p.jobs[3].due is None and p.jobs[0].weight == 2
    # the two-shift calendar leaves 22:00-06:00 and Sunday off; vmc-02 has planned maintenance
    assert any(d.start == 16 * 3600 and d.end == 24 * 3600 for d in p.downtimes)
    vmc2 = p.machines.index("suzhou/machining/line1/milling/vmc-02")
    assert any(d.machine == vmc2 and d.reason == "planned_downtime" for d in p.downtimes)
    assert pp.at(3600) == ORIGIN + timedelta(hours=1)


def test_plant_problem_solves_and_dispatches_in_order() -> None:
    pp = problem_from_orders(_orders(), load_plant("demo"), ORIGIN)
    res = solve(pp.problem, "default", time_limit=2, threads=1)
    assert check(pp.problem, res.schedule) == []
    lists = dispatch_lists(pp.problem, res.schedule)
    assert sum(len(v) for v in lists.values()) == pp.problem.n_ops
    for items in lists.values():
        assert [i.start for i in items] == sorted(i.start for i in items)
    as_json = dispatch_json(pp.problem, res.schedule, pp.origin)
    first = next(items[0] for items in as_json.values() if items)
    assert first["start_at"].startswith("2025-01-") and first["state"] == "planned"


def test_bad_orders_name_the_field() -> None:
    bad = [
        OrderRecord("x", "no-such-product", 1, ORIGIN),
        OrderRecord("y", "housing-a", 0, ORIGIN, ORIGIN - timedelta(hours=1)),
    ]
    with pytest.raises(ValidationFailed) as info:
        problem_from_orders(bad, load_plant("demo"), ORIGIN)
    paths = {e["path"] for e in info.value.details["errors"]}
    assert {"orders[0].product_id", "orders[1].quantity", "orders[1].due"} <= paths
    with pytest.raises(ValidationFailed, match="calendar"):
        problem_from_orders(_orders(), load_plant("demo"), ORIGIN, calendar="night")


def test_shift_windows_follow_the_calendar() -> None:
    cal = load_plant("demo").calendars[0]
    day = 24 * 3600
    assert shift_windows(cal, ORIGIN, day) == [(0, 16 * 3600)]
    off = off_shift_windows(cal, ORIGIN, 7 * day)
    assert (5 * day + 16 * 3600, 7 * day) in off  # Saturday 22:00 to the end of Sunday
