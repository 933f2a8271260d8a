"""``shopfloor demo``: the platform in one process against the virtual plant.

Today it serves the virtual plant (OPC UA, Sparkplug B over the embedded MQTT broker, Modbus
TCP) on the ports from the settings; the platform services plug into the same runtime.
"""

from __future__ import annotations

import asyncio

import typer

from shopfloor.config import load_settings
from shopfloor.plant.loader import load_plant
from shopfloor.runtime.virtual import VirtualPlantSetup, serve


def demo_command(
    plant: str = typer.Option(None, "--plant", help="Example plant name or plant YAML file."),
    host: str = typer.Option(None, "--host", help="Address the servers bind to."),
    speed: float = typer.Option(None, "--speed", help="Virtual seconds per wall second."),
) -> None:
    """Run the whole platform against the virtual plant and print where each endpoint listens."""
    overrides = {
        k: v for k, v in dict(plant=plant, host=host, speed=speed).items() if v is not None
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
    )
    asyncio.run(serve(setup))
