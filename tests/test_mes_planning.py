"""Schedules in MES: propose for the open orders, store, apply to the dispatch lists, errors."""

from __future__ import annotations

import itertools
import json
import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import inspect

from shopfloor.cli import main
from shopfloor.clock import VirtualClock, to_ns
from shopfloor.errors import BadInput
from shopfloor.mes import JobAck, MesConflict, MesNotFound, MesService, open_mes
from shopfloor.mes.db import alembic_config, current_revision, make_engine, migrate
from shopfloor.mes.models import ScheduleProposal
from tests.test_mes_support import (  # noqa: F401 - fixtures
    DEMO,
    Events,
    clock_fixture,
    db_url_fixture,
    empty_db_url_fixture,
    mes_fixture,
    path,
    pg_database_fixture,
    sqlite_template_fixture,
)

LIMIT = 1.0  # solver seconds
H = 3_600 * 10**9
MIN = 60 * 10**9
LATHES = {path("lathe-01"), path("lathe-02")}
VMCS = [path("vmc-01"), path("vmc-02"), path("vmc-03")]


class Accepting:
    """A machine that takes every job (a JobSender for the tests)."""

    def send_job(
        self, equipment: str, order_id: str, product: str, quantity: int, operation: str
    ) -> JobAck:
        return JobAck(True, "ok")


@pytest.fixture(name="lite")
def lite_fixture(
    tmp_path: Path, sqlite_template: Path, clock: VirtualClock
) -> Iterator[MesService]:
    """MES on SQLite with the demo plant, at the virtual clock (Monday 06:00 UTC)."""
    file = tmp_path / "mes.sqlite"
    shutil.copyfile(sqlite_template, file)
    with open_mes(f"sqlite:///{file}", plant=DEMO, clock=clock) as mes:
        yield mes


def released(mes: MesService, *orders: tuple[str, str, int, int]) -> list[str]:
    """Create and release ``(id, product, quantity, due in hours)`` orders."""
    now = mes.ctx.now()
    for i, (order_id, product, qty, due_h) in enumerate(orders):
        mes.orders.create(product, qty, due_ns=now + due_h * H, priority=i, order_id=order_id)
        mes.orders.release(order_id)
    return [o[0] for o in orders]


def open_ops(mes: MesService, order_ids: list[str]) -> set[tuple[str, int]]:
    return {
        (o, op.seq)
        for o in order_ids
        for op in mes.orders.get(o).operations
        if op.status not in ("complete", "aborted")
    }


def assert_feasible_cover(mes: MesService, row: ScheduleProposal, order_ids: list[str]) -> None:
    """Every open operation exactly once, on an eligible unit, units never double-booked, an
    order's planned operations after the one before."""
    seen: Counter[tuple[str, int]] = Counter()
    at: dict[tuple[str, int], dict[str, Any]] = {}
    for unit, entries in row.units.items():
        end = 0
        for e in entries:
            op = next(o for o in mes.orders.get(e["order_id"]).operations if o.seq == e["seq"])
            assert unit in op.eligible, (unit, e)
            assert e["op_id"] == op.op_id
            assert row.created_ns <= e["start_at_ns"] <= e["end_at_ns"]
            assert e["start_at_ns"] >= end, f"{unit} is double-booked at {e}"
            end = e["end_at_ns"]
            seen[e["order_id"], e["seq"]] += 1
            at[e["order_id"], e["seq"]] = e
    assert dict(seen) == dict.fromkeys(open_ops(mes, order_ids), 1)
    for order_id in order_ids:
        seqs = sorted(s for o, s in at if o == order_id)
        for a, b in itertools.pairwise(seqs):
            if at[order_id, b]["state"] == "planned":
                assert at[order_id, b]["start_at_ns"] >= at[order_id, a]["end_at_ns"]


def lists(mes: MesService) -> dict[str, list[tuple[str, int, str]]]:
    units = {DEMO.resolve(e) for r in DEMO.routings for op in r.operations for e in op.eligible}
    return {
        u: [(e["order_id"], e["seq"], e["status"]) for e in mes.dispatch.list(u)]
        for u in sorted(units)
    }


def test_propose_is_feasible_stored_and_apply_makes_the_dispatch_lists(
    mes: MesService, clock: VirtualClock
) -> None:
    ids = released(
        mes,
        ("A", "housing-a", 5, 2),
        ("B", "housing-b", 3, 3),
        ("C", "pump-a", 4, 4),
        ("D", "housing-a", 2, 1),
    )
    mes.orders.start_operation("A", 10, equipment="lathe-02")
    mes.orders.operation_action("C", 10, "complete")  # done: left out
    clock.advance_s(120)
    row = mes.planning.propose(solver="default", time_limit_s=LIMIT, who="planner")
    assert row.id == "SCH-000001" and row.status == "proposed" and row.who == "planner"
    assert row.created_ns == mes.ctx.now() and row.solver_status in ("optimal", "feasible")
    assert row.makespan_s > 0 and row.lower_bound <= row.objective
    assert [o["order_id"] for o in row.orders] == ["D", "C", "B", "A"]  # priority first
    assert_feasible_cover(mes, row, ids)
    assert ("C", 10) not in {(e["order_id"], e["seq"]) for es in row.units.values() for e in es}
    first = row.units[path("lathe-02")][0]
    assert (first["order_id"], first["seq"], first["state"]) == ("A", 10, "running")
    assert first["start_at_ns"] == row.created_ns
    # five units of 180 s, two minutes of which have passed (no counts yet: all five remain)
    assert first["end_at_ns"] == row.created_ns + 5 * 180 * 10**9
    assert mes.planning.get(row.id).to_dict() == row.to_dict()
    assert [r.id for r in mes.planning.list()] == [row.id]

    done = mes.planning.apply(row.id, who="lead")
    assert done.schedule.status == "applied" and done.schedule.applied_by == "lead"
    assert done.moved >= 1 and done.skipped == []
    after = lists(mes)
    for unit, entries in row.units.items():
        assert [(o, s) for o, s, _st in after[unit]] == [(e["order_id"], e["seq"]) for e in entries]
    left = open_ops(mes, ids)
    assert sum(1 for v in after.values() for o, s, _st in v if (o, s) in left) == len(left)
    assert mes.planning.get(row.id).moved == done.moved
    with pytest.raises(MesConflict, match="applied already by lead"):
        mes.planning.apply(row.id)


def test_running_work_is_frozen_through_the_night_and_parts_flow(tmp_path: Path) -> None:
    clock = VirtualClock(datetime(2025, 1, 6, 21, 40, tzinfo=UTC))
    mes = open_mes(f"sqlite:///{tmp_path / 'm.sqlite'}", plant=DEMO, clock=clock)
    with mes:
        released(mes, ("A", "housing-a", 5, 30), ("B", "housing-b", 2, 30))
        events = Events(clock)
        mes.apply_many(events.part("lathe-01", "S1", "A", "housing-a", "turn", 10))
        mes.orders.start_operation("A", 20, equipment="vmc-01")
        clock.set_ns(to_ns(datetime(2025, 1, 6, 21, 45, tzinfo=UTC)))
        row = mes.planning.propose(["A", "B"], time_limit_s=LIMIT)
        assert_feasible_cover(mes, row, ["A", "B"])
        turn = row.units[path("lathe-01")][0]
        mill = row.units[path("vmc-01")][0]
        assert (turn["order_id"], turn["state"], mill["order_id"], mill["state"]) == (
            "A",
            "running",
            "A",
            "running",
        )
        now = row.created_ns
        assert turn["end_at_ns"] == now + 4 * 180 * 10**9  # four units left at 21:45 -> 21:57
        # five units of 420 s from 21:45 stop at 22:00 (shift end) and resume at 06:00
        assert mill["end_at_ns"] == to_ns(datetime(2025, 1, 7, 6, 20, tzinfo=UTC))
        wash = row.units[path("washer-01")]
        a_wash = next(e for e in wash if e["order_id"] == "A")
        assert a_wash["start_at_ns"] >= mill["end_at_ns"]


def test_a_job_sent_to_a_machine_stays_on_its_unit(lite: MesService) -> None:
    released(lite, ("A", "housing-a", 3, 8), ("B", "housing-a", 3, 8))
    lite.ctx.sender = Accepting()
    unit = next(u for u in sorted(LATHES) if lite.dispatch.list(u))
    sent = lite.dispatch.send_next(unit)
    assert sent is not None and sent["status"] == "sent"
    row = lite.planning.propose(time_limit_s=LIMIT)
    entry = next(
        e for e in row.units[unit] if (e["order_id"], e["seq"]) == (sent["order_id"], sent["seq"])
    )
    assert entry["state"] == "sent"
    assert_feasible_cover(lite, row, ["A", "B"])


def test_a_stale_proposal_changes_no_list_and_names_unit_and_entry(lite: MesService) -> None:
    released(lite, ("A", "housing-a", 4, 8), ("B", "housing-a", 4, 8), ("C", "housing-b", 4, 8))
    row = lite.planning.propose(time_limit_s=LIMIT)
    # the lists drift from the proposal: all turning on lathe-02, in reverse proposal order
    turns = [(e["order_id"], e["seq"]) for u in sorted(LATHES) for e in row.units.get(u, [])]
    lite.dispatch.apply_sequence("lathe-02", list(reversed(turns)))
    # and A's milling is sent to another machining centre than planned
    planned = next(u for u in VMCS for e in row.units.get(u, []) if e["order_id"] == "A")
    other = next(u for u in VMCS if u != planned)
    lite.dispatch.apply_sequence(other, [("A", 20)])
    lite.ctx.sender = Accepting()
    assert lite.dispatch.send_next(other) is not None
    before = lists(lite)
    with pytest.raises(MesConflict) as exc:
        lite.planning.apply(row.id, who="lead")
    message = exc.value.message
    assert f"no longer applies at work unit {planned}" in message
    assert f"(A, 20): already sent to {other}" in message and exc.value.details["unit"] == planned
    assert lists(lite) == before, "nothing half-applied"
    assert lite.planning.get(row.id).status == "proposed"


def test_operations_finished_since_the_proposal_are_skipped(
    lite: MesService, clock: VirtualClock
) -> None:
    released(lite, ("A", "housing-a", 2, 8), ("B", "pump-a", 2, 8))
    row = lite.planning.propose(time_limit_s=LIMIT)
    events = Events(clock)
    for serial in ("S1", "S2"):  # both units pressed: operation 10 completes
        lite.apply_many(events.part("press-01", serial, "B", "pump-a", "press", 10))
    assert lite.orders.get("B").operations[0].status == "complete"
    done = lite.planning.apply(row.id)
    assert done.skipped == [{"unit": path("press-01"), "order_id": "B", "seq": 10}]
    after = lists(lite)
    for unit, entries in row.units.items():
        want = [(e["order_id"], e["seq"]) for e in entries]
        assert [(o, s) for o, s, _st in after[unit]] == [w for w in want if w != ("B", 10)]


@pytest.mark.parametrize(
    ("orders", "kwargs", "error", "message"),
    [
        (["NOPE"], {}, MesNotFound, "orders\\[0\\]: no job order 'NOPE'"),
        (["N"], {}, BadInput, "order N is created; only released, running or held .*release it"),
        (["A", "A"], {}, BadInput, "orders\\[1\\]: order 'A' is listed twice"),
        ([], {}, BadInput, "orders: name at least one order"),
        (None, {"solver": "magic"}, BadInput, "unknown solver 'magic'; known: default, rules"),
        (None, {"time_limit_s": 0.0}, BadInput, "time_limit_s: must be > 0"),
    ],
)
def test_bad_requests_are_clear_and_store_nothing(
    lite: MesService,
    orders: list[str] | None,
    kwargs: dict[str, Any],
    error: type[Exception],
    message: str,
) -> None:
    released(lite, ("A", "housing-a", 2, 8))
    lite.orders.create("pump-a", 1, order_id="N")
    with pytest.raises(error, match=message):
        lite.planning.propose(orders, **kwargs)
    assert lite.planning.list() == []


def test_nothing_to_schedule_and_unknown_schedules(lite: MesService) -> None:
    with pytest.raises(BadInput, match="no released, running or held order has open operations"):
        lite.planning.propose(time_limit_s=LIMIT)
    with pytest.raises(MesNotFound, match="no schedule 'SCH-000009'"):
        lite.planning.apply("SCH-000009")
    with pytest.raises(MesNotFound, match="no schedule"):
        lite.planning.get("SCH-000009")


def test_migration_0003_round_trip(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        migrate(engine, "0002")
        assert "mes_schedule" not in inspect(engine).get_table_names()
        migrate(engine)
        assert current_revision(engine) == "0003"
        assert "mes_schedule" in inspect(engine).get_table_names()
        cfg = alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0002")
        assert current_revision(engine) == "0002"
        names = set(inspect(engine).get_table_names())
        assert "mes_schedule" not in names and "mes_maintenance_order" in names
        migrate(engine)
        assert current_revision(engine) == "0003"
    finally:
        engine.dispose()


def test_cli_propose_list_show_apply(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'mes.sqlite'}"
    for args in (
        ("order", "create", "--product", "pump-a", "--quantity", "3", "--id", "P1"),
        ("order", "release", "P1"),
    ):
        assert main(["mes", *args, "--db", db]) == 0
    capsys.readouterr()
    base = ["mes", "schedule"]
    assert main([*base, "propose", "--time-limit", "0.5", "--by", "ana", "--db", db, "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["id"] == "SCH-000001" and row["who"] == "ana" and row["status"] == "proposed"
    assert len(row["units"]) == 6  # pump-a: six operations on six units
    assert main([*base, "list", "--db", db, "--json"]) == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)] == ["SCH-000001"]
    assert main([*base, "show", "SCH-000001", "--db", db]) == 0
    assert "P1" in capsys.readouterr().out
    assert main([*base, "apply", "SCH-000001", "--db", db, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "applied"
    assert main([*base, "propose", "--order", "P9", "--db", db]) == 2
    assert "no job order 'P9'" in capsys.readouterr().err
    assert main([*base, "propose", "--solver", "nope", "--apply", "--db", db]) == 2
    assert main([*base, "propose", "--time-limit", "0.5", "--apply", "--db", db, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "applied" and out["apply"]["moved"] >= 0
