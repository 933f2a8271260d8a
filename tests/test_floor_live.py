"""The live floor end to end over loopback: the served virtual plant (connected: it runs only
what MES dispatches), the OPC UA connector and the Sparkplug B host as the platform runs them,
the floor service and MES on SQLite.

Orders are created and released by the floor service, their jobs reach the machines as the
OPC UA method ``ReceiveJob`` and as Sparkplug DCMD ``Command/Job``, and the machine events that
come back start and complete them; equipment states and alarms appear in MES.

The plant is the demo plant with its signals cut to the PackML state and the part counter and
without changeover times, so that it runs at 600x on a shared CI core; equipment, protocols and
routings are the demo's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from shopfloor.connect.opcua.client_config import OpcUaClientConfig
from shopfloor.connect.opcua.connector import OpcUaConnector
from shopfloor.connect.sparkplug.host import HostConfig, SparkplugHost
from shopfloor.mes import open_mes
from shopfloor.mes.lifecycle import OrderStatus
from shopfloor.plant import load_plant
from shopfloor.plant.model import Plant
from shopfloor.runtime.floor import FloorService
from shopfloor.runtime.floor_orders import OrderPlan
from shopfloor.runtime.virtual import VirtualPlantSetup, build

DEADLINE_S = 120.0
VMC3 = "suzhou/machining/line1/milling/vmc-03"


async def wait_for(cond: Callable[[], bool], what: str, timeout: float = DEADLINE_S) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


def light_demo_plant(directory: Path) -> Plant:
    doc = yaml.safe_load((files("shopfloor.plant.examples") / "demo.yaml").read_text())

    def trim(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("tags"), list):
                node["tags"] = [t for t in node["tags"] if t["name"] in ("state", "part_count")]
            for value in node.values():
                trim(value)
        elif isinstance(node, list):
            for value in node:
                trim(value)

    trim(doc)
    # served as machines that report their own events (the plain-device path, tags through
    # rules, has tests of its own: test_sim_plain, the interop tests and the demo's)
    for area in doc["areas"]:
        for line in area["lines"]:
            for cell in line["cells"]:
                for eq in cell["equipment"]:
                    eq.pop("rules", None)
    for template in doc.get("templates", {}).values():
        template.pop("rules", None)
    for routing in doc["routings"]:
        for op in routing["operations"]:
            op.pop("setup_time_s", None)
    path = directory / "plant.yaml"
    path.write_text(yaml.safe_dump(doc))
    return load_plant(str(path))


class Links:
    """The connectors, made once the servers listen (as the demo makes them)."""

    opcua: OpcUaConnector | None = None
    sparkplug: SparkplugHost | None = None


async def test_the_floor_runs_orders_on_the_served_plant(tmp_path: Path) -> None:
    plant = light_demo_plant(tmp_path)
    rt = build(
        VirtualPlantSetup(
            plant=plant, seed=3, speed=600.0, connected=True, pki_dir=tmp_path / "pki"
        )
    )
    clock = rt.plant
    mes = open_mes(f"sqlite:///{tmp_path / 'mes.db'}", plant=plant, clock=clock)
    links = Links()
    plan = OrderPlan(size=(1, 2), wip_per_line=3, backlog_per_line=1, seed=2)
    floor = FloorService(
        plant,
        clock,
        mes,
        {"opcua": lambda: links.opcua, "sparkplug": lambda: links.sparkplug},
        plan=plan,
        interval_s=0.25,
    )
    await rt.runtime.start()
    try:
        assert rt.opcua is not None and rt.mqtt_url is not None
        links.opcua = OpcUaConnector(
            plant,
            OpcUaClientConfig(rt.opcua.endpoint, publishing_interval_ms=250.0),
            floor,
            clock=clock,
        )
        links.sparkplug = SparkplugHost(
            plant, HostConfig(rt.mqtt_url, flush_interval_s=0.25), floor, clock=clock
        )
        await links.opcua.start()
        await links.sparkplug.start()
        await links.opcua.wait_ready(30.0)
        await floor.start()

        def completed() -> list[str]:
            return [o.id for o in mes.orders.list(status=[OrderStatus.COMPLETE])]

        await wait_for(lambda: bool(completed()), "an order completed")
        await wait_for(lambda: bool(mes.alarms.list(include_normal=True)), "an alarm in MES")
        await wait_for(
            lambda: any(
                o.equipment == VMC3 and o.good > 0
                for order in mes.orders.list()
                for o in order.operations
            ),
            "a job sent over Sparkplug DCMD done, its parts reported over Sparkplug",
        )
    finally:
        await floor.stop()
        for link in (links.opcua, links.sparkplug):
            if link is not None:
                await link.stop()
        await rt.runtime.stop()

    with mes:
        stats = floor.work.stats
        assert stats["created"] > 0 and stats["released"] > 0 and stats["jobs_sent"] > 0
        assert stats["jobs_refused"] == 0, stats
        assert floor.events["applied"] > 0 and floor.events["parked"] == 0, floor.events
        done = mes.orders.get(completed()[0])
        history = mes.orders.history(done.id)
        by_machine = {(h.seq, h.to_status) for h in history if h.who == "machine"}
        assert (None, "running") in by_machine  # started by its first part_start
        last = done.operations[-1]
        assert (last.seq, "complete") in by_machine  # the CMM's events completed the last op
        assert last.good + last.scrap == done.quantity
        dispatched = [h for h in history if h.to_status == "dispatched"]
        assert dispatched and all(h.who == "floor" for h in dispatched)
        states = {s.equipment: s.state for s in mes.states.current()}
        assert len(states) >= 5, states
        # MES followed the machines through Execute (at the stop they may all be idle)
        seen = {
            seg.state for path in states for seg in mes.states.history(path, 0, mes.ctx.now() + 1)
        }
        assert "Execute" in seen and "Idle" in seen, seen
        alarms = mes.alarms.list(include_normal=True)
        assert alarms[0].equipment in states
        health = floor.health()
        assert not health.ok and health.detail == "stopped"
