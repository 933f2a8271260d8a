"""Job orders: lifecycle, illegal transitions with clear errors, dispatch lists, operator entry."""

from __future__ import annotations

import pytest

from shopfloor.errors import BadInput
from shopfloor.events import EventKind, MachineEvent
from shopfloor.mes import IllegalTransition, MesConflict, MesNotFound, MesService
from tests.test_mes_support import (  # noqa: F401 - fixtures
    clock_fixture,
    db_url_fixture,
    mes_fixture,
    path,
    pg_database_fixture,
    sqlite_template_fixture,
)

LATHE1, LATHE2 = path("lathe-01"), path("lathe-02")


def test_order_lifecycle_create_release_hold_resume_complete(mes: MesService) -> None:
    o = mes.orders.create("housing-a", 4, priority=3, order_id="JO-1", who="planner")
    assert o.status == "created" and o.operations == []
    o = mes.orders.release("JO-1", who="planner")
    assert o.status == "released" and o.routing == "r-housing-a"
    assert [(op.seq, op.op_id, op.status) for op in o.operations] == [
        (10, "turn", "pending"),
        (20, "mill", "pending"),
        (30, "wash", "pending"),
        (40, "measure", "pending"),
    ]
    assert o.operations[0].eligible == [LATHE1, LATHE2]
    assert o.operations[1].setup_time_s == 1200
    assert o.bom == [
        {"material": "casting-a", "quantity": 1.0, "unit": "1", "seq": 10, "lot_tracked": True}
    ]
    mes.orders.start_operation("JO-1", 10, equipment="lathe-02", who="op1")
    assert mes.orders.get("JO-1").status == "running"
    assert mes.orders.hold("JO-1", "material shortage", who="sup").status == "held"
    assert mes.orders.resume("JO-1").status == "running"
    done = mes.orders.complete("JO-1", who="sup")
    assert done.status == "complete" and done.ended_ns is not None
    assert {op.status for op in done.operations} == {"complete"}
    steps = [(h.seq, h.from_status, h.to_status) for h in mes.orders.history("JO-1")]
    assert steps[:3] == [
        (None, None, "created"),
        (None, "created", "released"),
        (None, "released", "running"),
    ]
    assert (None, "running", "held") in steps and (None, "held", "running") in steps
    assert (None, "running", "complete") in steps
    assert steps[-1] == (40, "pending", "complete")  # open operations close with the order


def test_completing_an_order_never_released_names_the_problem(mes: MesService) -> None:
    mes.orders.create("pump-a", 2, order_id="JO-2")
    with pytest.raises(IllegalTransition, match="never released") as exc:
        mes.orders.complete("JO-2")
    assert exc.value.bad_input and exc.value.code == "mes.illegal_transition"
    assert exc.value.details["allowed"] == ["running"]
    mes.orders.release("JO-2")
    with pytest.raises(IllegalTransition, match="is released; complete is allowed only"):
        mes.orders.complete("JO-2")
    with pytest.raises(IllegalTransition, match="is released"):
        mes.orders.resume("JO-2")
    with pytest.raises(IllegalTransition, match="cannot release order JO-2"):
        mes.orders.release("JO-2")


def test_abort_is_final_and_needs_a_reason(mes: MesService) -> None:
    mes.orders.create("pump-a", 2, order_id="JO-3")
    mes.orders.release("JO-3")
    with pytest.raises(BadInput, match="reason: abort needs a reason"):
        mes.orders.abort("JO-3", " ")
    o = mes.orders.abort("JO-3", "customer cancelled", who="sales")
    assert o.status == "aborted" and o.reason == "customer cancelled"
    assert {op.status for op in o.operations} == {"aborted"}
    assert mes.dispatch.list("asm-01") == []
    with pytest.raises(IllegalTransition, match=r"aborted is final"):
        mes.orders.hold("JO-3", "x")
    with pytest.raises(IllegalTransition):
        mes.orders.start_operation("JO-3", "press")


def test_operation_state_machine(mes: MesService) -> None:
    mes.orders.create("housing-a", 2, order_id="JO-4")
    with pytest.raises(BadInput, match="no operations yet"):
        mes.orders.operation_action("JO-4", 10, "hold", reason="x")
    mes.orders.release("JO-4")
    with pytest.raises(MesNotFound, match="has no operation '99'"):
        mes.orders.operation_action("JO-4", 99, "complete")
    with pytest.raises(BadInput, match="not eligible"):
        mes.orders.start_operation("JO-4", "turn", equipment="vmc-01")
    o = mes.orders.operation_action("JO-4", "mill", "hold", reason="fixture broken")
    assert o.operations[1].status == "held"
    with pytest.raises(IllegalTransition, match=r"cannot complete operation 20 \(mill\)"):
        mes.orders.operation_action("JO-4", 20, "complete")
    o = mes.orders.operation_action("JO-4", 20, "resume")
    assert o.operations[1].status == "pending"
    turn = o.operations[0]
    assert any(e["order_id"] == "JO-4" for p in turn.eligible for e in mes.dispatch.list(p))
    o = mes.orders.operation_action("JO-4", 10, "complete", reason="done by hand")
    assert o.operations[0].status == "complete"
    left = [e for p in turn.eligible for e in mes.dispatch.list(p) if e["order_id"] == "JO-4"]
    assert left == [], "a completed operation is off the dispatch lists"


def test_create_validates_its_input(mes: MesService) -> None:
    with pytest.raises(MesNotFound, match="unknown product 'nope'"):
        mes.orders.create("nope", 1)
    with pytest.raises(BadInput, match="quantity: must be a positive"):
        mes.orders.create("pump-a", 0)
    with pytest.raises(BadInput, match="order id 'bad id'"):
        mes.orders.create("pump-a", 1, order_id="bad id")
    first = mes.orders.create("pump-a", 1)
    assert first.id == "JO-000001"
    with pytest.raises(MesConflict, match="exists already"):
        mes.orders.create("pump-a", 1, order_id="JO-000001")
    with pytest.raises(BadInput, match="unknown order status"):
        mes.orders.list(status=["weird"])


def test_list_orders_most_urgent_first(mes: MesService) -> None:
    mes.orders.create("pump-a", 1, order_id="low", priority=1)
    mes.orders.create("pump-a", 1, order_id="late", priority=5, due_ns=2000)
    mes.orders.create("pump-a", 1, order_id="soon", priority=5, due_ns=1000)
    mes.orders.create("pump-a", 1, order_id="undated", priority=5)
    assert [o.id for o in mes.orders.list()] == ["soon", "late", "undated", "low"]
    mes.orders.release("low")
    assert [o.id for o in mes.orders.list(status=["released"])] == ["low"]


def test_release_queues_operations_and_a_proposed_sequence_is_applied(mes: MesService) -> None:
    for n in (1, 2, 3):
        mes.orders.create("housing-a", 2, order_id=f"H{n}")
        mes.orders.release(f"H{n}")
    # default: each op goes to the eligible work unit with the fewest queued entries
    assert [(e["order_id"], e["seq"]) for e in mes.dispatch.list(LATHE1)] == [
        ("H1", 10),
        ("H3", 10),
    ]
    assert [(e["order_id"], e["seq"]) for e in mes.dispatch.list(LATHE2)] == [("H2", 10)]
    # the scheduler proposes: lathe-02 runs H3 then H1 then H2
    out = mes.dispatch.apply_sequence("lathe-02", [("H3", "turn"), ("H1", 10), ("H2", 10)])
    assert [(e["order_id"], e["position"]) for e in out] == [("H3", 0), ("H1", 1), ("H2", 2)]
    assert out[0]["remaining"] == 2 and out[0]["operation"] == "turn"
    assert mes.dispatch.list(LATHE1) == []
    # a partial proposal moves its entries to the front; the others keep their order after it
    out = mes.dispatch.apply_sequence("lathe-02", [("H2", 10)])
    assert [e["order_id"] for e in out] == ["H2", "H3", "H1"]


@pytest.mark.parametrize(
    ("seq", "message"),
    [
        ([("H9", 10)], r"sequence\[0\] \(H9, 10\): no job order 'H9'"),
        ([("H1", 20)], "is not eligible for operation 20"),
        ([("H1", 10), ("H1", "turn")], "listed twice"),
        ([("C1", 10)], "order C1 is created"),
    ],
)
def test_a_bad_sequence_is_refused_and_changes_nothing(
    mes: MesService, seq: list[tuple[str, int | str]], message: str
) -> None:
    mes.orders.create("housing-a", 2, order_id="H1")
    mes.orders.release("H1")
    mes.orders.create("housing-a", 2, order_id="C1")
    with pytest.raises(BadInput, match=message):
        mes.dispatch.apply_sequence("lathe-01", seq)
    assert [e["order_id"] for e in mes.dispatch.list("lathe-01")] == ["H1"]


def test_operator_reports_counts_for_equipment_that_is_not_networked(mes: MesService) -> None:
    mes.orders.create("pump-a", 5, order_id="P1")
    mes.orders.release("P1")
    mes.dispatch.apply_sequence("asm-02", [("P1", 20)])
    row = mes.production.report("asm-02", 3, 1, operator="li.wei")
    assert (row.order_id, row.seq, row.good, row.scrap) == ("P1", 20, 3, 1)
    op = mes.orders.get("P1").operations[1]
    assert (op.status, op.good, op.scrap, op.equipment) == ("running", 3, 1, path("asm-02"))
    mes.production.report("asm-02", 1, order_id="P1", operation="assemble")
    o = mes.orders.get("P1")
    assert o.operations[1].status == "complete"  # 4 good + 1 scrap = 5
    assert o.scrap == 1 and o.status == "running"
    with pytest.raises(BadInput, match="asm-01 is networked"):
        mes.production.report("asm-01", 1)
    with pytest.raises(BadInput, match="good and scrap are both 0"):
        mes.production.report("pack-01", 0, 0)
    with pytest.raises(BadInput, match="unknown equipment 'nope'"):
        mes.production.report("nope", 1)


def test_parts_counted_by_a_plain_device_without_an_order_go_to_its_dispatched_work(
    mes: MesService,
) -> None:
    """lathe-02 is a plain device with no order tag: its counted parts go to the operation MES
    dispatched there, start it, complete it; with nothing left there they count nowhere in MES
    (and are not parked: they still count in the KPIs)."""
    mes.orders.create("housing-a", 3, order_id="H1")
    mes.orders.release("H1")
    mes.dispatch.apply_sequence("lathe-02", [("H1", 10)])
    now = mes.ctx.now()

    def part(i: int, good: bool = True) -> MachineEvent:
        payload = {"counted": True, "good": good, "product": "housing-a", "operation": "turn"}
        return MachineEvent(EventKind.PART_COMPLETE, LATHE2, now + i, payload=payload)

    result = mes.apply_many([part(1), part(2, good=False)])
    assert result.parked == 0, result.errors
    op = mes.orders.get("H1").operations[0]
    assert (op.status, op.good, op.scrap, op.equipment) == ("running", 1, 1, LATHE2)
    result = mes.apply_many([part(3), part(4)])  # the 4th: the operation is complete by then
    assert result.parked == 0, result.errors
    op = mes.orders.get("H1").operations[0]
    assert (op.status, op.good, op.scrap) == ("complete", 2, 1)
