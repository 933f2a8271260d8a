"""``shopfloor bus``: run the embedded MQTT broker, watch the Unified Namespace."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from pathlib import Path

import typer

from shopfloor.bus.broker import Broker
from shopfloor.bus.mqtt import MqttTransport
from shopfloor.bus.topics import PREFIX

app = typer.Typer(no_args_is_help=True, add_completion=False)
log = logging.getLogger(__name__)


@app.command("broker")
def broker_command(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(1883, help="TCP port (0 = any free port, printed at start)."),
    data_dir: Path | None = typer.Option(
        None, help="Keep retained messages and persistent sessions in this folder."
    ),
) -> None:
    """Run the embedded MQTT 3.1.1 broker until interrupted (SIGINT or SIGTERM)."""

    async def run() -> None:
        broker = Broker(host, port, data_dir=data_dir)
        await broker.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        typer.echo(f"broker listening on {broker.url}", err=True)
        try:
            await stop.wait()
        finally:
            await broker.stop()

    asyncio.run(run())


@app.command("watch")
def watch_command(
    url: str = typer.Option("mqtt://127.0.0.1:1883", help="Broker URL."),
    topic_filter: str = typer.Option(f"{PREFIX}/#", "--filter", help="Topic filter."),
    count: int = typer.Option(0, help="Stop after this many messages (0 = never)."),
) -> None:
    """Print messages as ``topic payload`` lines (payloads that are not UTF-8 as hex)."""

    async def run() -> None:
        done = asyncio.Event()
        seen = 0

        def show(topic: str, payload: bytes) -> None:
            nonlocal seen
            try:
                text = payload.decode("utf-8")
            except UnicodeDecodeError:
                text = f"<{len(payload)} bytes> {payload[:64].hex()}"
            typer.echo(f"{topic} {text}")
            seen += 1
            if count and seen >= count:
                done.set()

        transport = MqttTransport.from_url(url)
        await transport.subscribe(topic_filter, show, qos=1)
        await transport.connect()
        try:
            await done.wait()
        finally:
            await transport.close()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
