"""``shopfloor serve``: the platform on a real plant, the devices its plant file declares.

The same composition as ``shopfloor demo`` (:func:`shopfloor.runtime.platform.compose_platform`),
without the virtual plant: every equipment is read at its own ``endpoint`` from the plant file
(OPC UA: one session per server, tags by node id or browse path; see ``docs/connect.md``), with
the per-protocol endpoints of the settings for what declares none (``modbus_url``; Sparkplug B on
``broker_url``, or on the embedded broker on ``mqtt_port`` when none is given). Tag-to-event rules
turn plain devices' tags into the machine events MES and the KPIs read.

Times are the plant's: a real plant runs on the wall clock; a plant that keeps its own time (a
virtual plant in another process, ``shopfloor sim serve``) names its clock file in the
``plant_clock`` setting and everything here, devices' timestamps included, runs on it. No orders
are generated: they come from the ERP (``shopfloor erp import``), the API or the dashboard.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import typer

from shopfloor.api import Extension
from shopfloor.assess.probe import Target
from shopfloor.bus.broker import Broker
from shopfloor.clock import Clock, LinearClock, WallClock, read_clock_file
from shopfloor.config import Settings, load_settings
from shopfloor.connect.registry import registry
from shopfloor.plant.loader import load_plant
from shopfloor.plant.model import Plant
from shopfloor.plantclock import CLOCK_FILE
from shopfloor.runtime.clock_file import PublishedClock
from shopfloor.runtime.compose import Runtime
from shopfloor.runtime.floor_orders import OrderPlan
from shopfloor.runtime.ingest import IngestEndpoints
from shopfloor.runtime.ingest_feeds import networked
from shopfloor.runtime.platform import Platform, bus_factory, compose_platform
from shopfloor.service import Health, Service


def probe_targets(plant: Plant, endpoints: IngestEndpoints) -> list[Target]:
    """The interconnection test's targets: every session of every protocol, with its
    equipment."""
    have = networked(plant)
    return [
        Target(name, session.url, session.equipment, session)
        for name, row in registry().items()
        if name in have
        for session in row.sessions(plant, endpoints.default(name))[0]
    ]


class _Announce:
    name = "announce"

    def __init__(self, built: Platform, endpoints: Callable[[], IngestEndpoints]) -> None:
        self.built, self.endpoints = built, endpoints

    async def start(self) -> None:
        b = self.built
        typer.echo(f"shopfloor serve: plant {b.plant.name!r}")
        typer.echo(f"  dashboard {b.api.url}/")
        typer.echo(f"  API       {b.api.url}/api/v1  (OpenAPI {b.api.url}/openapi.json)")
        e = self.endpoints()
        have = networked(b.plant)
        for name, row in registry().items():
            for session in row.sessions(b.plant, e.default(name))[0] if name in have else []:
                typer.echo(f"  {name:9s} {session.url} ({len(session.equipment)} equipment)")
        c = b.credential
        typer.echo(f"  admin     user {c.username!r} password {c.password!r} (new at every start)")
        typer.echo("press Ctrl-C to stop")

    async def stop(self) -> None:
        return None

    def health(self) -> Health:
        return Health(True)


def plant_clock(s: Settings) -> Clock:
    """The plant's clock: the ``plant_clock`` file's when set, else the wall clock."""
    return read_clock_file(s.plant_clock) if s.plant_clock is not None else WallClock()


def compose_serve(
    s: Settings, extensions: Sequence[Extension] = (), *, train_health: bool = False
) -> tuple[Runtime, Platform]:
    """The runtime of ``serve``: embedded broker when Sparkplug needs one, then the platform."""
    plant = load_plant(s.plant)
    services: list[Service] = []
    broker: Broker | None = None
    # the embedded broker, when equipment of a protocol carried on the platform's broker names
    # no broker of its own
    have = networked(plant)
    needs_bus = any(
        row.uses_broker and row.sessions(plant, None)[1]
        for name, row in registry().items()
        if name in have
    )
    if needs_bus and s.broker_url is None:
        broker = Broker(s.host, s.mqtt_port)
        services.append(broker)

    def mqtt_url() -> str | None:
        return s.broker_url or (broker.url if broker is not None else None)

    def endpoints() -> IngestEndpoints:
        return IngestEndpoints(s.opcua_url, mqtt_url() if needs_bus else None, s.modbus_url)

    runtime = Runtime([])
    clock = plant_clock(s)
    built = compose_platform(
        s,
        plant,
        clock,
        bus=bus_factory(mqtt_url),
        endpoints=endpoints,
        runtime_health=runtime.health,
        probe_targets=lambda: probe_targets(plant, endpoints()),
        device_clock=lambda: clock,
        plan=OrderPlan(generate=False),
        extensions=extensions,
        train_health=train_health,
    )
    stores, *rest = built.services
    published = PublishedClock(
        s.data_dir,
        lambda: clock if isinstance(clock, LinearClock) else LinearClock.following(clock),
        "shopfloor serve",
    )
    own = s.data_dir / CLOCK_FILE
    # (a plant clock read from this data_dir is the plant's own: not rewritten, not withdrawn)
    reads_own = s.plant_clock is not None and s.plant_clock.resolve() == own.resolve()
    clocks = [] if reads_own else [published]
    runtime.services = [stores, *clocks, *services, *rest, _Announce(built, endpoints)]
    return runtime, built


def serve_command(
    plant: str = typer.Option(None, "--plant", help="Plant YAML file (or example plant name)."),
    host: str = typer.Option(None, "--host", help="Address the API and dashboard bind to."),
    port: int = typer.Option(None, "--port", help="API and dashboard port (0 = any free)."),
) -> None:
    """Run the whole platform against the devices the plant file declares; print the dashboard
    URL and the first admin credential."""
    overrides = {
        k: v for k, v in dict(plant=plant, host=host, api_port=port).items() if v is not None
    }
    from shopfloor.web import extension as dashboard

    runtime, _built = compose_serve(load_settings(**overrides), [dashboard])
    asyncio.run(runtime.run_until_stopped())
