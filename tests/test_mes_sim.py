"""MES with the virtual plant in one process (virtual time): MES releases and dispatches, the
plant executes what was dispatched, its events bring the order to completion in MES."""

from __future__ import annotations

from shopfloor.events import EventKind
from shopfloor.mes import MesService, PlantControlSender, open_mes
from shopfloor.sim import Recorder, build_model
from tests.test_mes_support import (  # noqa: F401 - fixtures
    DEMO,
    db_url_fixture,
    path,
    pg_database_fixture,
    sqlite_template_fixture,
)

STEP_S = 600.0
DEADLINE_S = 12 * 3600.0


def test_dispatched_jobs_run_on_the_virtual_plant_and_complete_the_order(db_url: str) -> None:
    rec = Recorder(values=False)
    model = build_model(DEMO, 5, outlet=rec, orders="external", emit_values=False)
    mes: MesService = open_mes(db_url, plant=DEMO, clock=model, sender=PlantControlSender(model))
    try:
        mes.material.create_lot("CA-1", "casting-a", 100, supplier="foundry")
        mes.material.load_lot("lathe-02", "casting-a", "CA-1")
        mes.orders.create("housing-a", 3, order_id="MES-1", priority=5)
        mes.orders.release("MES-1")
        mes.dispatch.apply_sequence("lathe-02", [("MES-1", "turn")])
        sent = {}
        for op in mes.orders.get("MES-1").operations:
            eq = next(e for e in op.eligible if mes.dispatch.list(e))
            entry = mes.dispatch.send_next(eq)
            assert entry is not None and entry["status"] == "sent", entry
            sent[op.seq] = eq
        assert sent[10] == path("lathe-02")
        assert {o.status for o in mes.orders.get("MES-1").operations} == {"dispatched"}
        seen = 0
        while mes.orders.get("MES-1").status != "complete":
            assert model.now_s < DEADLINE_S, mes.orders.get("MES-1").to_dict(operations=True)
            model.run_until(model.now_s + STEP_S)
            result = mes.apply_many(rec.events[seen:])
            assert result.parked == 0, result.errors
            seen = len(rec.events)
        order = mes.orders.get("MES-1")
        last = order.operations[-1]
        assert last.good + order.scrap == 3 and order.good == last.good
        for op in order.operations:
            assert op.equipment == sent[op.seq]  # each operation ran where MES sent it
        turned = {e.serial for e in rec.events_of(EventKind.PART_COMPLETE, path("lathe-02"))}
        assert len(turned) == 3
        forward = mes.trace.trace("CA-1", direction="forward")
        assert {u["serial"] for u in forward["units"]} == turned
        states = {s.equipment for s in mes.states.current()}
        assert path("lathe-02") in states and path("cmm-01") in states
        assert mes.apply_many(rec.events).duplicates == len(rec.events)  # all redelivered
        assert mes.orders.get("MES-1").operations[0].good == order.operations[0].good
    finally:
        mes.close()
