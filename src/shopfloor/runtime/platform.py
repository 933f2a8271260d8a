"""The platform on a plant, composed once for ``shopfloor serve`` and ``shopfloor demo``.

:func:`compose_platform` opens the stores under ``data_dir`` (MES, historian, users and audit,
and the machine-event journal), ingests the plant's devices through the bus into the historian
and the API's live values and event log (:mod:`shopfloor.runtime.ingest`), runs MES on the floor
(:mod:`shopfloor.runtime.floor`), scores equipment health (:mod:`shopfloor.runtime.demo_health`),
serves the assessment and the API. The caller says where the devices are, which clock is the
plant's and which bus carries the UNS (:func:`bus_factory`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import typer

from shopfloor.api import ApiContext, ApiServer, EventLog, Extension, LiveValues
from shopfloor.api.events import EventJournal
from shopfloor.assess.metrics import online_from_status
from shopfloor.assess.options import load_options
from shopfloor.assess.probe import Target
from shopfloor.assess.service import AssessmentService
from shopfloor.auth.db import default_url as auth_url
from shopfloor.auth.store import AuthStore, Credential, open_auth
from shopfloor.bus.memory import MemoryHub, MemoryTransport
from shopfloor.bus.mqtt import MqttTransport
from shopfloor.bus.transport import Transport
from shopfloor.clock import Clock
from shopfloor.config import Settings
from shopfloor.connect.status import ConnectorStatus
from shopfloor.historian import Historian, open_store
from shopfloor.historian.cli import default_store
from shopfloor.mes import MesService, open_mes
from shopfloor.mes.db import default_url as mes_url
from shopfloor.plant.model import Plant
from shopfloor.runtime.demo_health import DemoHealth
from shopfloor.runtime.floor import FloorService
from shopfloor.runtime.floor_channels import connector_channels
from shopfloor.runtime.floor_orders import OrderPlan
from shopfloor.runtime.ingest import IngestConfig, IngestEndpoints, IngestService
from shopfloor.service import Health, Service


def bus_factory(mqtt_url: Callable[[], str | None]) -> Callable[[str, bool], Transport]:
    """Bus clients on the MQTT broker ``mqtt_url()`` names when they are made (the embedded
    broker's URL is known only once it started), else on one in-process hub."""
    hub = MemoryHub()

    def bus(client_id: str, persistent: bool) -> Transport:
        url = mqtt_url()
        if url is not None:
            return MqttTransport.from_url(url, client_id=client_id, clean_session=not persistent)
        return MemoryTransport(hub, client_id, clean_session=not persistent)

    return bus


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
    kept in ``data_dir/events.sqlite`` and the tag-to-event rules' memory in
    ``data_dir/rules.sqlite``, and a restart starts with them."""
    auth = open_auth(auth_url(s))
    auth.audit.plant_clock = clock  # each record: wall time of the action and the plant's time
    credential = auth.first_admin()
    mes = open_mes(mes_url(s), plant=plant, clock=clock)
    historian = open_store(default_store(s))
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
        resume=events.last_of,
        config=IngestConfig(
            modbus_poll_s=s.modbus_poll_s,
            pki_dir=s.pki_dir or s.data_dir / "pki",
            keep_rules=journal_events,
        ),
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
        events=ctx.kpi_events,
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
