"""The floor pass in virtual time: MES releases, routes, dispatches and confirms while the plant
model (connected: it runs only the jobs MES sends) executes them.

The model is stepped by hand; after each step the events of the equipment whose protocol has a
channel are applied to MES, as the connectors would deliver them; Modbus and operator-run
equipment deliver nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from shopfloor.errors import ConfigError, ConnectorUnavailable
from shopfloor.mes import MesService, open_mes
from shopfloor.mes.lifecycle import OrderStatus
from shopfloor.mes.models import ScheduleProposal
from shopfloor.plant import load_plant
from shopfloor.plant.model import Plant, Protocol
from shopfloor.runtime.floor_channels import Channels
from shopfloor.runtime.floor_orders import OrderPlan, OrderSource
from shopfloor.runtime.floor_work import FloorWork
from shopfloor.sim import Recorder, build_model
from shopfloor.sim.model import PlantModel

LATHE1 = "suzhou/machining/line1/turning/lathe-01"
LATHE2 = "suzhou/machining/line1/turning/lathe-02"
WASHER = "suzhou/machining/line1/washing/washer-01"
ASM2 = "suzhou/assembly/line2/assembly/asm-02"
VMC3 = "suzhou/machining/line1/milling/vmc-03"


@pytest.fixture(scope="module")
def plant() -> Plant:
    return load_plant("demo")


def _run(
    plant: Plant, tmp_path: Path, hours: float, plan: OrderPlan
) -> tuple[MesService, FloorWork, PlantModel]:
    rec = Recorder(values=False)
    model = build_model(plant, 5, outlet=rec, orders="external", emit_values=False)
    channels = Channels(plant, {Protocol.OPCUA: model, Protocol.SPARKPLUG: model})
    mes = open_mes(f"sqlite:///{tmp_path / 'mes.db'}", plant=plant, clock=model, sender=channels)
    reporting = {p for p, *_r in plant.walk() if channels.reaches(p)}
    work = FloorWork(mes, channels, plan, reporting, model)
    work.begin()
    t = 0.0
    while t < hours * 3600:
        work.step()
        t += 300.0
        model.run_until(t)
        mes.apply_many(e for e in rec.events if e.equipment in reporting)
        rec.events.clear()
    return mes, work, model


def test_the_floor_releases_dispatches_and_completes_orders(plant: Plant, tmp_path: Path) -> None:
    plan = OrderPlan(size=(2, 3), wip_per_line=3, backlog_per_line=1, seed=4).validate(plant)
    mes, work, _model = _run(plant, tmp_path, 6.0, plan)
    with mes:
        orders = mes.orders.list()
        by_status = {s: [o for o in orders if o.status == s] for s in OrderStatus}
        assert by_status[OrderStatus.COMPLETE], work.stats
        assert work.stats["jobs_sent"] > 0 and work.stats["jobs_refused"] == 0
        assert work.stats["routed"] > 0  # lathe-02 (Modbus) and asm-02 (operators) get no jobs
        assert by_status[OrderStatus.CREATED], "the backlog is kept topped up"
        done = by_status[OrderStatus.COMPLETE][0]
        ops = {o.op_id: o for o in done.operations}
        # the washer reports nothing: its operation was confirmed by the CMM's
        assert ops["wash"].status == "complete" and ops["wash"].good == 0
        assert ops["measure"].good + ops["measure"].scrap == done.quantity
        assert ops["turn"].equipment == LATHE1
        housings = [o for o in orders if o.product != "pump-a" and o.status == "complete"]
        assert all(o.operations[0].good + o.operations[0].scrap == o.quantity for o in housings)
        mills = {o.operations[1].equipment for o in housings}
        assert VMC3 in mills, mills  # jobs spread over the machining centres
        history = mes.orders.history(done.id)
        assert any("confirmed by operation 40" in h.reason for h in history)
        # pumps wait at the packing station for operator entry
        pumps = [o for o in orders if o.product == "pump-a" and o.status != "created"]
        assert pumps and all(o.status != OrderStatus.COMPLETE for o in pumps)
        assert all(e["status"] != "sent" for e in mes.dispatch.list(LATHE2))


def test_routing_leaves_the_units_an_applied_schedule_chose(plant: Plant, tmp_path: Path) -> None:
    vmc1 = "suzhou/machining/line1/milling/vmc-01"
    model = build_model(plant, 5, outlet=Recorder(values=False), orders="external")
    channels = Channels(plant, {Protocol.OPCUA: model, Protocol.SPARKPLUG: model})
    plan = OrderPlan(size=(2, 3), wip_per_line=3, backlog_per_line=1, generate=False)
    with open_mes(f"sqlite:///{tmp_path / 'mes.db'}", plant=plant, clock=model) as mes:
        ids = [mes.orders.create("housing-a", 2).id for _ in range(3)]
        for order_id in ids:
            mes.orders.release(order_id)
        mills = [(order_id, 20) for order_id in ids]
        mes.dispatch.apply_sequence(vmc1, mills)
        reporting = {p for p, *_r in plant.walk() if channels.reaches(p)}
        work = FloorWork(mes, channels, plan.validate(plant), reporting, model)
        work.route()  # no schedule applied: the three milling jobs spread over the VMCs
        assert len(mes.dispatch.list(vmc1)) == 1
        mes.dispatch.apply_sequence(vmc1, mills)
        with mes.ctx.db.tx() as s:  # what Planning.apply records for a schedule choosing vmc-01
            entries = [{"order_id": o, "seq": q, "op_id": "mill"} for o, q in mills]
            s.add(_applied_schedule({vmc1: entries}, model.now_ns()))
        assert mes.planning.placed() == {(o, q, vmc1) for o, q in mills}
        work.route()
        assert [(e["order_id"], e["seq"]) for e in mes.dispatch.list(vmc1)] == mills


def _applied_schedule(units: dict[str, list[dict[str, object]]], now: int) -> ScheduleProposal:
    return ScheduleProposal(
        id="SCH-000001", created_ns=now, who="planner", solver="test", status="applied",
        solver_status="feasible", time_limit_s=1.0, wall_s=0.1, makespan_s=0, lower_bound=0,
        objective=0, weighted_tardiness=0, orders=[], units=units, applied_ns=now,
        applied_by="planner", moved=0,
    )  # fmt: skip


def test_channels_refuse_what_they_cannot_reach(plant: Plant) -> None:
    channels = Channels(plant, {})
    with pytest.raises(ConnectorUnavailable, match="no job channel"):
        channels.send_job(WASHER, "O-1", "housing-a", 1, "wash")
    with pytest.raises(ConfigError, match="modbus"):
        channels.add("modbus", lambda: None)
    channels.add("opcua", lambda: None)
    assert channels.reaches(LATHE1) and not channels.reaches(LATHE2) and not channels.reaches(ASM2)
    with pytest.raises(ConnectorUnavailable, match="not up yet"):
        channels.send_job(LATHE1, "O-1", "housing-a", 1, "turn")


def test_order_plan_is_checked_against_the_plant(plant: Plant) -> None:
    plan = OrderPlan.from_plant(plant, seed=2)
    assert plan.mix and plan.wip_per_line >= 1
    source = OrderSource(plant, plan)
    line2 = "suzhou/assembly/line2"
    assert source.draw(line2)[0] == "pump-a"
    with pytest.raises(ConfigError, match="unknown product"):
        OrderPlan(mix={"widget": 1.0}).validate(plant)
    with pytest.raises(ConfigError, match="size"):
        OrderPlan(size=(5, 2)).validate(plant)


async def test_the_service_checks_its_settings_and_queues_events(
    plant: Plant, tmp_path: Path
) -> None:
    from shopfloor.events import MachineEvent
    from shopfloor.mes import PlantControlSender
    from shopfloor.runtime.floor import FloorService

    model = build_model(plant, 1, orders="external", emit_values=False)
    mes = open_mes(f"sqlite:///{tmp_path / 'mes.db'}", plant=plant, clock=model)
    with mes:
        with pytest.raises(ConfigError, match="interval_s"):
            FloorService(plant, model, mes, {"opcua": model}, interval_s=0)
        floor = FloorService(plant, model, mes, {"opcua": model, "sparkplug": model})
        assert mes.ctx.sender is floor.channels
        event = MachineEvent(
            "state_change", LATHE1, model.now_ns(), payload={"state": "Idle"}, seq=1
        )
        await floor.on_events([event, event])  # taken before start: applied once started
        assert floor.health().metrics["events_waiting"] == 2
        await floor.start()
        await floor.run_pass()
        await floor.stop()
        assert floor.events == {"applied": 1, "duplicates": 1, "parked": 0}
        assert mes.states.current(LATHE1)[0].state == "Idle"
        assert floor.work.stats["released"] > 0 and floor.work.stats["jobs_sent"] > 0
        mes.ctx.sender = PlantControlSender(model)
        with pytest.raises(ConfigError, match="another sender"):
            FloorService(plant, model, mes, {"opcua": model})
