"""The demo's simulated operator reports what the manual stations complete, through MES's
operator entry; the KPIs count those parts (a pump order's last step is the manual packing
station: its good output was never counted)."""

from __future__ import annotations

from pathlib import Path

from shopfloor.api import ApiContext, EventLog
from shopfloor.auth.store import open_auth
from shopfloor.clock import VirtualClock
from shopfloor.events import EventKind, MachineEvent
from shopfloor.kpi import KpiBook
from shopfloor.mes import open_mes
from shopfloor.plant import load_plant
from shopfloor.runtime.sim_operator import OPERATOR, SimulatedOperator

PACK = "suzhou/assembly/line2/packing/pack-01"
LINE2 = "suzhou/assembly/line2"
LATHE = "suzhou/machining/line1/turning/lathe-01"


def test_parts_of_manual_stations_are_reported_and_counted(tmp_path: Path) -> None:
    plant = load_plant("demo")
    clock = VirtualClock()
    with open_mes(f"sqlite:///{tmp_path / 'mes.sqlite'}", plant=plant, clock=clock) as mes:
        order = mes.orders.create("pump-a", 3, order_id="P1")
        mes.orders.release(order.id)
        pack = next(op for op in mes.orders.get("P1").operations if op.op_id == "pack")
        operator = SimulatedOperator(plant, mes)
        t0 = clock.now_ns()
        for i, good in enumerate((True, True, False)):
            payload = {"product": "pump-a", "operation": "pack", "seq": pack.seq, "good": good}
            operator.on_event(MachineEvent(EventKind.PART_COMPLETE, PACK, t0 + i, order_id="P1",
                                           payload=payload))  # fmt: skip
        # a networked machine's parts are its own events: not the operator's to report
        operator.on_event(MachineEvent(EventKind.PART_COMPLETE, LATHE, t0, order_id="P1",
                                       payload={"good": True}))  # fmt: skip
        clock.advance_s(60)
        operator.report_now()
        assert operator.stats["parts"] == 3 and not operator.stats["refused"]
        op = next(o for o in mes.orders.get("P1").operations if o.op_id == "pack")
        assert (op.good, op.scrap) == (2, 1)
        reported = mes.production.reported_parts()
        assert len(reported) == 3 and {e.payload["operator"] for e in reported} == {OPERATOR}
        with open_auth(f"sqlite:///{tmp_path / 'auth.sqlite'}") as auth:
            ctx = ApiContext(plant=plant, auth=auth, mes=mes, events=EventLog(), clock=clock)
            book = KpiBook(plant)
            assert book.feed_many(ctx.kpi_events(None)) == 0
            line = book.report().to_json()["lines"][LINE2]["kpi"]
        assert line["quality_ratio"] == 2 / 3  # the line's output is the packing station's


def test_parts_wait_while_the_database_is_busy_and_are_reported_after() -> None:
    """SQLite's "database is locked" while the floor writes: the parts are kept for the next
    round, none lost, none twice."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    plant = load_plant("demo")
    calls: list[tuple[str, int, int]] = []
    busy = {"left": 6}  # more than retry_when_busy tries at once

    class Production:
        def report(self, equipment: str, good: int, scrap: int, **kw: object) -> None:
            if busy["left"]:
                busy["left"] -= 1
                raise OperationalError("UPDATE", {}, sqlite3.OperationalError("database is locked"))
            calls.append((equipment, good, scrap))

    class Mes:
        production = Production()

    operator = SimulatedOperator(plant, Mes())  # type: ignore[arg-type]
    for i in range(3):
        operator.on_event(MachineEvent(EventKind.PART_COMPLETE, PACK, i, order_id="P1",
                                       payload={"seq": 60, "good": i != 1}))  # fmt: skip
    operator.report_now()
    assert calls == [] and operator.stats["busy"] == 1
    operator.report_now()
    assert calls == [(PACK, 1, 0), (PACK, 0, 1), (PACK, 1, 0)] and operator.stats["parts"] == 3
