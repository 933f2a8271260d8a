"""``shopfloor demo``: the platform in one process against the virtual plant.

It serves the virtual plant (OPC UA, Sparkplug B over the embedded MQTT broker, Modbus TCP) on
the ports from the settings, opens the stores under ``Settings().data_dir`` (MES, historian,
users and audit), ingests every networked device (OPC UA, Sparkplug B, Modbus) through the bus
into the historian and the API's live values and event log (:mod:`shopfloor.runtime.ingest`;
``shopfloor query`` asks it while it holds the store), and serves the API and dashboard on
``--host``/``--port``. MES runs the floor (:mod:`shopfloor.runtime.floor`: orders released and
dispatched to the machines, progress, states, downtime and alarms from their events) and the live
health service scores the equipment (:mod:`shopfloor.runtime.demo_health`). At start it prints
the dashboard URL and a freshly generated admin credential (there is no default password).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import typer

from shopfloor.api import ApiContext, ApiServer, EventLog, Extension, LiveValues
from shopfloor.api.events import EventJournal
from shopfloor.assess.metrics import online_from_status
from shopfloor.assess.options import load_options
from shopfloor.assess.probe import Target, runtime_targets
from shopfloor.assess.service import AssessmentService
from shopfloor.auth.db import default_url as auth_url
from shopfloor.auth.store import AuthStore, Credential, open_auth
from shopfloor.bus.memory import MemoryHub, MemoryTransport
from shopfloor.bus.mqtt import MqttTransport
from shopfloor.bus.transport import Transport
from shopfloor.clock import Clock, LinearClock
from shopfloor.config import Settings, load_settings
from shopfloor.connect.status import ConnectorStatus
from shopfloor.historian import Historian, open_store
from shopfloor.mes import MesService, open_mes
from shopfloor.mes.db import default_url as mes_url
from shopfloor.plant.loader import load_plant
from shopfloor.plant.model import Plant
from shopfloor.runtime.demo_health import DemoHealth
from shopfloor.runtime.floor import FloorService
from shopfloor.runtime.floor_channels import connector_channels
from shopfloor.runtime.floor_orders import OrderPlan
from shopfloor.runtime.ingest import IngestEndpoints, IngestService
from shopfloor.runtime.virtual import VirtualPlantRuntime, VirtualPlantSetup, build
from shopfloor.service import Health, Service

HISTORIAN_FILE = "historian.duckdb"
EVENTS_FILE = "events.sqlite"


class _Stores:
    """Closes the stores last (it starts first, so the runtime stops it last)."""

    name = "stores"

    def __init__(
        self,
        auth: AuthStore,
        mes: MesService,
        historian: Historian,
        journal: EventJournal | None = None,
    ) -> None:
        self.auth, self.mes, self.historian, self.journal = auth, mes, historian, journal

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self.mes.close()
        self.historian.close()
        self.auth.close()
        if self.journal is not None:
            self.journal.close()

    def health(self) -> Health:
        return Health(True, f"historian {self.historian.url}")


def _status_line(line: str) -> None:
    """The periodic status lines go to stderr (stdout stays for what commands print)."""
    typer.echo(line, err=True)


@dataclass
class Platform:
    """What :func:`compose_platform` built: the services in start order and their handles."""

    plant: Plant
    ctx: ApiContext
    api: ApiServer
    ingest: IngestService
    credential: Credential
    services: list[Service]


def compose_platform(
    s: Settings,
    plant: Plant,
    clock: Clock,
    *,
    bus: Callable[[str, bool], Transport],
    endpoints: Callable[[], IngestEndpoints],
    runtime_health: Callable[[], dict[str, Health]],
    probe_targets: Callable[[], list[Target]],
    device_clock: Callable[[], Clock],
    plan: OrderPlan,
    extensions: Sequence[Extension] = (),
    train_health: bool = True,
    journal_events: bool = True,
) -> Platform:
    """The platform on ``plant``, the same for ``serve`` (a real plant) and ``demo`` (the virtual
    plant): stores under ``data_dir``, ingest of the plant file's endpoints through the bus into
    the historian and the API's live values and event log, MES on the floor, live equipment
    health, the assessment, the API and dashboard. With ``journal_events`` the machine events are
    kept in ``data_dir/events.sqlite`` and a restart starts with them."""
    auth = open_auth(auth_url(s))
    credential = auth.first_admin()
    mes = open_mes(mes_url(s), plant=plant, clock=clock)
    historian = open_store(s.data_dir / HISTORIAN_FILE)
    historian.registry.register_plant(plant)
    journal = EventJournal(s.data_dir / EVENTS_FILE) if journal_events else None
    events = EventLog(journal=journal)
    ctx = ApiContext(
        plant=plant,
        auth=auth,
        live=LiveValues(events),
        clock=clock,
        historian=historian,
        mes=mes,
        events=events,
        status=ConnectorStatus(clock),
        health=runtime_health,
    )
    api = ApiServer(ctx, host=s.host, port=s.api_port, extensions=extensions)
    ingest = IngestService(
        plant,
        historian,
        bus,
        s.data_dir,
        endpoints=endpoints,
        clock=clock,
        status=ctx.status,
        report=_status_line,
    )
    ingest.subscribe(ctx.live)
    floor = FloorService(
        plant, clock, mes, connector_channels(lambda: ingest.connectors), plan=plan
    )
    ingest.subscribe(floor)
    health = DemoHealth(
        plant, str(s.plant), clock, mes, ingest, s.data_dir / "models", train=train_health
    )
    ctx.maintenance = health.status
    opts = load_options(s.assess_config)
    if opts.model_registry is None:
        opts = opts.model_copy(update={"model_registry": s.data_dir / "models"})
    status = ctx.need_status()
    ctx.assessment = AssessmentService(
        plant,
        s.data_dir / "assessment",
        options=opts,
        events=events.until,
        events_span=events.span,
        online=lambda: online_from_status(status.snapshot()),
        mes_applied=mes.applied_count,
        models=health.live_models,
        probe_targets=probe_targets,
        pki_dir=s.data_dir / "assess-pki",
        device_clock=device_clock,
    )
    stores = _Stores(auth, mes, historian, journal)
    services: list[Service] = [stores, ingest, floor, health, api]
    return Platform(plant, ctx, api, ingest, credential, services)


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
    hub = MemoryHub()

    def bus(client_id: str, persistent: bool) -> Transport:
        if rt.mqtt_url is not None:
            url = rt.mqtt_url
            return MqttTransport.from_url(url, client_id=client_id, clean_session=not persistent)
        return MemoryTransport(hub, client_id, clean_session=not persistent)

    def endpoints() -> IngestEndpoints:
        found = rt.endpoints()
        return IngestEndpoints(found.get("opcua"), found.get("mqtt"), found.get("modbus"))

    built = compose_platform(
        s,
        plant,
        rt.plant,
        bus=bus,
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
    rt.runtime.services = [
        stores,
        *rt.runtime.services,
        *rest,
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
) -> None:
    """Run the whole platform against the virtual plant; print the dashboard URL and the
    first admin credential."""
    overrides = {
        k: v
        for k, v in dict(plant=plant, host=host, api_port=port, speed=speed).items()
        if v is not None
    }
    from shopfloor.web import extension as dashboard

    rt, _api, _cred = compose(load_settings(**overrides), [dashboard], train_health=train_health)
    asyncio.run(rt.runtime.run_until_stopped())
