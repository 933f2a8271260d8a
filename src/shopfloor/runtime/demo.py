"""``shopfloor demo``: the platform in one process against the virtual plant.

It serves the virtual plant (OPC UA, Sparkplug B over the embedded MQTT broker, Modbus TCP) on
the ports from the settings and runs on it the platform ``shopfloor serve`` runs on a real plant
(:func:`shopfloor.runtime.platform.compose_platform`): it opens the stores under
``Settings().data_dir`` (MES, historian, users and audit), ingests every networked device
(OPC UA, Sparkplug B, Modbus) through the bus into the historian and the API's live values and
event log (:mod:`shopfloor.runtime.ingest`; ``shopfloor query`` asks it while it holds the
store), and serves the API and dashboard on ``--host``/``--port``. MES runs the floor
(:mod:`shopfloor.runtime.floor`: orders released and dispatched to the machines, progress,
states, downtime and alarms from their events) and the live health service scores the equipment
(:mod:`shopfloor.runtime.demo_health`). At start it prints the dashboard URL and a freshly
generated admin credential (there is no default password).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import typer

from shopfloor.api import ApiServer, Extension
from shopfloor.assess.probe import runtime_targets
from shopfloor.auth.store import Credential
from shopfloor.clock import LinearClock
from shopfloor.config import Settings, load_settings
from shopfloor.plant.loader import load_plant
from shopfloor.runtime import demo_reset
from shopfloor.runtime.clock_file import PublishedClock
from shopfloor.runtime.demo_specs import ExampleSpecs
from shopfloor.runtime.floor_orders import OrderPlan
from shopfloor.runtime.ingest import IngestEndpoints
from shopfloor.runtime.platform import bus_factory, compose_platform
from shopfloor.runtime.sim_operator import SimulatedOperator
from shopfloor.runtime.virtual import VirtualPlantRuntime, VirtualPlantSetup, build
from shopfloor.service import Health


class _Announce:
    name = "announce"

    def __init__(self, rt: VirtualPlantRuntime, api: ApiServer, credential: Credential) -> None:
        self.rt, self.api, self.credential = rt, api, credential

    async def start(self) -> None:
        p = self.rt.plant
        typer.echo(f"shopfloor demo: plant {p.plant.name!r} running at speed {p.speed:g}")
        typer.echo(f"  dashboard {self.api.url}/")
        typer.echo(f"  API       {self.api.url}/api/v1  (OpenAPI {self.api.url}/openapi.json)")
        for proto, url in self.rt.endpoints().items():
            typer.echo(f"  {proto:9s} {url}")
        typer.echo(
            f"  admin     user {self.credential.username!r} "
            f"password {self.credential.password!r} (new at every start)"
        )
        typer.echo("press Ctrl-C to stop")

    async def stop(self) -> None:
        return None

    def health(self) -> Health:
        return Health(True)


def compose(
    s: Settings, extensions: Sequence[Extension] = (), *, train_health: bool = True
) -> tuple[VirtualPlantRuntime, ApiServer, Credential]:
    """The demo: the virtual plant and its servers, then the platform of :func:`compose_platform`
    reading them."""
    plant = load_plant(s.plant)
    rt = build(
        VirtualPlantSetup(
            plant=plant,
            seed=s.seed,
            speed=s.speed,
            start=s.sim_start,
            host=s.host,
            opcua_port=s.opcua_port,
            modbus_port=s.modbus_port,
            mqtt_url=s.broker_url,
            mqtt_port=s.mqtt_port,
            pki_dir=s.pki_dir or s.data_dir / "pki",
            connected=True,  # the plant executes what MES dispatches
        )
    )

    def endpoints() -> IngestEndpoints:
        found = rt.endpoints()
        return IngestEndpoints(found.get("opcua"), found.get("mqtt"), found.get("modbus"))

    built = compose_platform(
        s,
        plant,
        rt.plant,
        bus=bus_factory(lambda: rt.mqtt_url),
        endpoints=endpoints,
        runtime_health=rt.runtime.health,
        probe_targets=lambda: runtime_targets(plant, rt),
        device_clock=lambda: LinearClock.following(rt.plant, s.speed),
        plan=OrderPlan.from_plant(plant, seed=s.seed),
        extensions=extensions,
        train_health=train_health,
        # the virtual plant starts its clock afresh at each start: old events would overlap
        journal_events=False,
    )
    stores, *rest = built.services
    operator = SimulatedOperator(plant, built.ctx.need_mes())  # reports the manual stations
    rt.plant.attach(operator)
    rt.runtime.services = [
        stores,
        ExampleSpecs(built.ctx.need_mes(), plant.name),  # SPC from the first inspection
        *rt.runtime.services,  # the virtual plant last: its clock runs from here on
        PublishedClock(
            s.data_dir, lambda: LinearClock.following(rt.plant, s.speed), "shopfloor demo"
        ),
        *rest,
        operator,
        _Announce(rt, built.api, built.credential),
    ]
    return rt, built.api, built.credential


def demo_command(
    plant: str = typer.Option(None, "--plant", help="Example plant name or plant YAML file."),
    host: str = typer.Option(None, "--host", help="Address the servers bind to."),
    port: int = typer.Option(None, "--port", help="API and dashboard port (0 = any free)."),
    speed: float = typer.Option(None, "--speed", help="Virtual seconds per wall second."),
    train_health: bool = typer.Option(
        True,
        "--train-health/--no-train-health",
        help="Train the health models on the plant's simulation when the registry has none.",
    ),
    reset: bool = typer.Option(
        False,
        "--reset",
        help="Start over: delete an earlier demo run's MES, historian and events in data_dir "
        "(users and trained models stay).",
    ),
) -> None:
    """Run the whole platform against the virtual plant; print the dashboard URL and the
    first admin credential."""
    overrides = {
        k: v
        for k, v in dict(plant=plant, host=host, api_port=port, speed=speed).items()
        if v is not None
    }
    from shopfloor.web import extension as dashboard

    s = load_settings(**overrides)
    if reset:
        gone = demo_reset.reset(s)
        names = ", ".join(p.name for p in gone) or "nothing to delete"
        typer.echo(f"shopfloor demo: starting over in {s.data_dir} ({names})")
    else:
        demo_reset.check_fresh(s)
    rt, _api, _cred = compose(s, [dashboard], train_health=train_health)
    asyncio.run(rt.runtime.run_until_stopped())
