"""``shopfloor bench serve``: what the served virtual plant publishes per second.

Runs the virtual plant with its servers (as ``shopfloor sim serve`` does, the embedded broker
carrying Sparkplug B) for a wall-time window and counts three things independently: what the
simulation emitted (an outlet beside the servers), what the OPC UA server wrote to its nodes
and the Sparkplug edge published (their own counters), and what an MQTT subscriber on
``spBv1.0/#`` received and decoded with our codec (scalar metrics and array elements).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import paho.mqtt.client as mqtt
import typer

from shopfloor.connect.sparkplug.codec import (
    AliasTable,
    DataType,
    Metric,
    Payload,
    decode_payload,
    encode_payload,
)
from shopfloor.connect.sparkplug.topics import MessageType, parse_topic, topic_for
from shopfloor.events import MachineEvent
from shopfloor.plant.loader import load_plant
from shopfloor.runtime.virtual import VirtualPlantSetup, build
from shopfloor.sim.outlet import TagBlock, TagValue


class _Count:
    """An outlet that counts what the simulation emits."""

    def __init__(self) -> None:
        self.values = self.blocks = self.block_samples = self.events = 0

    def on_values(self, values: Sequence[TagValue]) -> None:
        self.values += len(values)

    def on_block(self, block: TagBlock) -> None:
        self.blocks += 1
        self.block_samples += len(block.values)

    def on_event(self, event: MachineEvent) -> None:
        self.events += 1


class _Subscriber:
    """Counts decoded Sparkplug metrics; array metrics count their elements as samples."""

    def __init__(self, url: str) -> None:
        host, port = url.removeprefix("mqtt://").rsplit(":", 1)
        self.lock = threading.Lock()
        self.messages = self.values = self.samples = self.errors = 0
        self.births: dict[tuple[str, str | None], AliasTable] = {}
        self.ready = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-serve")
        self.client.on_connect = lambda c, *_a: c.subscribe("spBv1.0/#", qos=0)
        self.client.on_subscribe = lambda *_a: self.ready.set()
        self.client.on_message = self._on_message
        self.client.connect(host, int(port))
        self.client.loop_start()

    def _on_message(self, _c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        t = parse_topic(msg.topic)
        key = (t.edge_node_id or "", t.device_id)
        kind = t.message_type.value
        try:
            if kind in {"NBIRTH", "DBIRTH"}:
                p = decode_payload(bytes(msg.payload))
                self.births[key] = AliasTable.from_birth(p)
            elif kind in {"NDATA", "DDATA"} and key in self.births:
                p = decode_payload(bytes(msg.payload), birth=self.births[key])
            else:
                return
        except Exception:  # counted: the benchmark reports decode failures, never hides them
            with self.lock:
                self.errors += 1
            return
        with self.lock:
            self.messages += 1
            for m in p.metrics:
                if isinstance(m.value, list):
                    self.samples += len(m.value)
                else:
                    self.values += 1

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


async def measure(plant: str, seconds: float, speed: float, seed: int) -> dict[str, Any]:
    with TemporaryDirectory() as tmp:
        rt = build(
            VirtualPlantSetup(plant=load_plant(plant), seed=seed, speed=speed, pki_dir=Path(tmp))
        )
        count = _Count()
        rt.plant.attach(count)
        await rt.runtime.start()
        try:
            assert rt.mqtt_url is not None
            sub = _Subscriber(rt.mqtt_url)
            await asyncio.to_thread(sub.ready.wait, 20)
            # A host that joins late asks each edge node to rebirth (Sparkplug 3.0 NCMD).
            rebirth = encode_payload(
                Payload(
                    timestamp=time.time_ns() // 1_000_000,
                    metrics=[Metric("Node Control/Rebirth", datatype=DataType.Boolean, value=True)],
                )
            )
            assert rt.edge is not None
            for session in rt.edge.sessions:
                node = session.node
                topic = topic_for(MessageType.NCMD, node.group_id, node.edge_node_id)
                sub.client.publish(topic, rebirth, qos=1)
            before = (count.values, count.block_samples, sub.values, sub.samples, sub.messages)
            opc0 = rt.opcua.stats.get("values_written", 0) if rt.opcua else 0
            t0 = time.monotonic()
            await asyncio.sleep(seconds)
            dt = time.monotonic() - t0
            after = (count.values, count.block_samples, sub.values, sub.samples, sub.messages)
            opc1 = rt.opcua.stats.get("values_written", 0) if rt.opcua else 0
            sub.close()
            health = rt.plant.health().metrics
        finally:
            await rt.runtime.stop()
    d = [b - a for a, b in zip(before, after, strict=True)]
    tags = load_plant(plant).tag_ids()
    return {
        "plant": plant,
        "speed": speed,
        "seconds": round(dt, 2),
        "tags": len(tags),
        "sim_values_per_s": round(d[0] / dt, 1),
        "sim_block_samples_per_s": round(d[1] / dt, 1),
        "sim_tag_values_per_s": round((d[0] + d[1]) / dt, 1),
        "opcua_values_written_per_s": round((opc1 - opc0) / dt, 1),
        "sparkplug_received": {
            "messages_per_s": round(d[4] / dt, 1),
            "values_per_s": round(d[2] / dt, 1),
            "array_samples_per_s": round(d[3] / dt, 1),
            "decode_errors": sub.errors,
        },
        "sim_lag_s": health.get("lag_s"),
    }


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve_bench(
        plant: str = typer.Option("demo", "--plant"),
        seconds: float = typer.Option(20.0, "--seconds", min=1.0),
        speed: float = typer.Option(1.0, "--speed"),
        seed: int = typer.Option(1, "--seed"),
        as_json: bool = typer.Option(True, "--json/--no-json"),
    ) -> None:
        """Tag values/s the served virtual plant publishes (sim, OPC UA, Sparkplug B)."""
        result = asyncio.run(measure(plant, seconds, speed, seed))
        typer.echo(json.dumps(result, indent=2 if not as_json else None))
