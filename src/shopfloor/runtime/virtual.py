"""The virtual plant with its protocol servers: what ``shopfloor sim serve`` and ``demo`` run.

Services start in this order and stop in reverse: the embedded MQTT broker (only when no broker
URL is given), the OPC UA server, the Modbus TCP gateway, the Sparkplug B edge node, and last
the paced virtual plant, so every server is listening before the first value is produced.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import typer

from shopfloor import plantclock
from shopfloor.bus.broker import Broker
from shopfloor.clock import LinearClock
from shopfloor.config import default_data_dir, load_settings
from shopfloor.connect.modbus import ModbusGateway
from shopfloor.connect.opcua.server import OpcUaServer
from shopfloor.connect.sparkplug.config import EdgeConfig
from shopfloor.connect.sparkplug.edge import SparkplugEdge
from shopfloor.errors import ConfigError
from shopfloor.events import MachineEvent
from shopfloor.plant.loader import load_plant
from shopfloor.plant.model import Plant, Protocol
from shopfloor.runtime.compose import Runtime
from shopfloor.service import Health, Service
from shopfloor.sim.outlet import TagBlock, TagValue
from shopfloor.sim.paced import VirtualPlant

#: The clock file ``sim serve`` writes under its ``data_dir``.
CLOCK_FILE = plantclock.CLOCK_FILE


@dataclass
class VirtualPlantSetup:
    """Everything needed to serve a virtual plant; ports 0 mean any free port."""

    plant: Plant
    seed: int = 1
    speed: float = 1.0
    start: datetime | None = None
    host: str = "127.0.0.1"
    opcua_port: int = 0
    modbus_port: int = 0
    mqtt_url: str | None = None
    mqtt_port: int = 0
    pki_dir: Path = field(default_factory=lambda: default_data_dir() / "pki")
    connected: bool = False
    #: Where the plant's clock is written once it runs (for ``serve``'s ``plant_clock``).
    clock_file: Path | None = None
    #: Sparkplug primary host the edge nodes wait for and keep data for (see
    #: :attr:`~shopfloor.connect.sparkplug.config.EdgeConfig.primary_host_id`).
    sparkplug_primary_host: str | None = None


@dataclass
class VirtualPlantRuntime:
    runtime: Runtime
    plant: VirtualPlant
    opcua: OpcUaServer | None
    modbus: ModbusGateway | None
    edge: SparkplugEdge | None
    broker: Broker | None
    mqtt_url: str | None

    def endpoints(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.opcua is not None:
            out["opcua"] = self.opcua.endpoint
        if self.modbus is not None:
            out["modbus"] = f"modbus+tcp://{self.modbus.config.host}:{self.modbus.port}"
        if self.mqtt_url is not None:
            out["mqtt"] = self.mqtt_url
        return out


def _check_port(host: str, port: int, setting: str) -> None:
    """Fail before starting anything when a fixed port is taken, naming the setting.

    The probe binds as the servers do (``SO_REUSEADDR``, asyncio's default on Unix), so the
    connections a stopped server left in TIME_WAIT do not keep an immediate restart out for a
    minute; a port another process listens on is still refused."""
    if port == 0:
        return
    with socket.socket() as s:
        if hasattr(socket, "SO_REUSEADDR") and sys.platform != "win32":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise ConfigError(
                f"{setting}: {host}:{port} is not available ({exc.strerror}); "
                "choose another port, or 0 for any free port"
            ) from None


def build(setup: VirtualPlantSetup) -> VirtualPlantRuntime:
    """Wire the virtual plant to the servers its plant file asks for."""
    plant = setup.plant
    protocols = {e.protocol for *_p, e in plant.walk()}
    vp = VirtualPlant(
        plant, seed=setup.seed, speed=setup.speed, start=setup.start, connected=setup.connected
    )
    services: list[Service] = []
    broker: Broker | None = None
    mqtt_url = setup.mqtt_url
    if Protocol.SPARKPLUG in protocols and mqtt_url is None:
        _check_port(setup.host, setup.mqtt_port, "mqtt_port (--mqtt-port)")
        broker = Broker(setup.host, setup.mqtt_port)
        services.append(broker)
    opcua = modbus = edge = None
    if Protocol.OPCUA in protocols:
        _check_port(setup.host, setup.opcua_port, "opcua_port (--opcua-port)")
        opcua = OpcUaServer(
            plant, vp, host=setup.host, port=setup.opcua_port, pki_dir=setup.pki_dir
        )
        services.append(opcua)
        vp.attach(opcua)
    if Protocol.MODBUS in protocols:
        _check_port(setup.host, setup.modbus_port, "modbus_port (--modbus-port)")
        modbus = ModbusGateway(plant, vp, host=setup.host, port=setup.modbus_port)
        services.append(modbus)
        vp.attach(modbus)
    runtime = VirtualPlantRuntime(Runtime(services), vp, opcua, modbus, None, broker, mqtt_url)
    if Protocol.SPARKPLUG in protocols:
        edge = _LateEdge(plant, vp, runtime, setup.sparkplug_primary_host)
        services.append(edge)
        vp.attach(edge)
    services.append(vp)
    runtime.runtime.services = services
    return runtime


class _LateEdge:
    """The Sparkplug edge, created at start when the broker's actual URL is known."""

    name = "sparkplug-edge"

    def __init__(
        self,
        plant: Plant,
        vp: VirtualPlant,
        rt: VirtualPlantRuntime,
        primary_host: str | None = None,
    ) -> None:
        self.plant, self.vp, self.rt, self.primary_host = plant, vp, rt, primary_host
        self.edge: SparkplugEdge | None = None

    async def start(self) -> None:
        if self.rt.mqtt_url is None:
            assert self.rt.broker is not None
            self.rt.mqtt_url = self.rt.broker.url
        config = EdgeConfig(self.rt.mqtt_url, primary_host_id=self.primary_host)
        self.edge = SparkplugEdge(self.plant, self.vp, config, clock=self.vp)
        self.rt.edge = self.edge
        await self.edge.start()

    async def stop(self) -> None:
        if self.edge is not None:
            await self.edge.stop()

    def health(self) -> Health:
        return self.edge.health() if self.edge is not None else Health(False, "not started")

    def on_values(self, values: Sequence[TagValue]) -> None:
        if self.edge is not None:
            self.edge.on_values(values)

    def on_block(self, block: TagBlock) -> None:
        if self.edge is not None:
            self.edge.on_block(block)

    def on_event(self, event: MachineEvent) -> None:
        if self.edge is not None:
            self.edge.on_event(event)


async def serve(setup: VirtualPlantSetup, *, announce: bool = True) -> None:
    """Serve the virtual plant until SIGINT/SIGTERM."""
    rt = build(setup)
    rt.runtime.services.append(_Announcer(rt, announce, setup.clock_file))
    await rt.runtime.run_until_stopped()


class _Announcer:
    """Prints where each endpoint listens once everything has started."""

    name = "announce"

    def __init__(
        self, rt: VirtualPlantRuntime, enabled: bool, clock_file: Path | None = None
    ) -> None:
        self.rt, self.enabled, self.clock_file = rt, enabled, clock_file

    async def start(self) -> None:
        p = self.rt.plant
        if self.clock_file is not None:  # the plant runs: its clock is known from now on
            LinearClock.following(p, p.speed).write(
                self.clock_file, pid=os.getpid(), source="shopfloor sim serve"
            )
        if not self.enabled:
            return
        name = p.plant.name or p.plant.site.id
        typer.echo(f"virtual plant {name!r} running at speed {p.speed:g}")
        for proto, url in self.rt.endpoints().items():
            typer.echo(f"  {proto:8s} {url}")
        if self.clock_file is not None:
            typer.echo(f"  clock    {self.clock_file} (serve with SHOPFLOOR_PLANT_CLOCK)")
        if self.rt.edge is not None:
            typer.echo(f"  sparkplug group {p.plant.site.id!r}, topics spBv1.0/{p.plant.site.id}/#")
        typer.echo("press Ctrl-C to stop")

    async def stop(self) -> None:
        if self.clock_file is not None:
            plantclock.withdraw(self.clock_file.parent)

    def health(self) -> Health:
        return Health(True)


def serve_command(
    plant: str = typer.Option(None, "--plant", help="Example plant name or plant YAML file."),
    speed: float = typer.Option(None, "--speed", help="Virtual seconds per wall second."),
    seed: int = typer.Option(None, "--seed", help="Random seed."),
    host: str = typer.Option(None, "--host", help="Address the servers bind to."),
    opcua_port: int = typer.Option(None, "--opcua-port", help="OPC UA port (0 = any free)."),
    modbus_port: int = typer.Option(None, "--modbus-port", help="Modbus TCP port (0 = any)."),
    mqtt: str = typer.Option(None, "--mqtt", help="MQTT broker URL; none = embedded broker."),
    mqtt_port: int = typer.Option(None, "--mqtt-port", help="Embedded broker port."),
) -> None:
    """Run the paced virtual plant and its OPC UA, Sparkplug B and Modbus servers (Ctrl-C stops)."""
    overrides = {
        k: v
        for k, v in dict(
            plant=plant,
            speed=speed,
            seed=seed,
            host=host,
            opcua_port=opcua_port,
            modbus_port=modbus_port,
            broker_url=mqtt,
            mqtt_port=mqtt_port,
        ).items()
        if v is not None
    }
    s = load_settings(**overrides)
    setup = VirtualPlantSetup(
        plant=load_plant(s.plant),
        seed=s.seed,
        speed=s.speed,
        start=s.sim_start,
        host=s.host,
        opcua_port=s.opcua_port,
        modbus_port=s.modbus_port,
        mqtt_url=s.broker_url,
        mqtt_port=s.mqtt_port,
        pki_dir=s.pki_dir or s.data_dir / "pki",
        clock_file=s.data_dir / CLOCK_FILE,
        sparkplug_primary_host=s.sparkplug_primary_host,
    )
    asyncio.run(serve(setup))
