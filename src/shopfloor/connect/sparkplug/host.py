"""The Sparkplug B host application: what the platform runs to read Sparkplug edge nodes.

:class:`SparkplugHost` is a :class:`~shopfloor.service.Service`. It subscribes to
``spBv1.0/<group>/#`` (QoS 1) for its groups, turns births, data and deaths into sample batches
and :class:`~shopfloor.events.MachineEvent` lists for its
:class:`~shopfloor.connect.sink.SampleSink` (metric mapping: :mod:`~.points`, read back in
:mod:`~.host_rows`; session rules: :mod:`~.host_session`), and sends commands (DCMD) for
MES: it implements :class:`~shopfloor.sim.outlet.PlantControl` over MQTT.

STATE (Sparkplug 3.0, chapter 7)
    Before each CONNECT the Will is set to ``{"online": false, "timestamp": T}`` (QoS 1,
    retained) on ``spBv1.0/STATE/<host_id>``; after the CONNACK the host subscribes, then
    publishes ``{"online": true, "timestamp": T}`` (same T, QoS 1, retained). If it ever sees its
    own STATE offline while connected it publishes online again. A clean stop publishes offline.
    The session is persistent by default (``clean_session`` false, a fixed client id), so QoS 1
    messages published while the host is away are kept by the broker for it.

Threads
    paho's network thread only appends ``(topic, payload, receive time)`` to the inbox (and
    answers STATE). One decoder thread drains the inbox every ``flush_interval_s`` (or sooner
    in bursts), decodes, and hands a batch (numpy columns, one per flush, at most
    ``max_batch_rows`` rows) to the asyncio loop, where one task awaits the sink. A sink that
    raises is counted and logged; wrap it in a :class:`~shopfloor.connect.buffer.BufferedSink` to
    keep that data. Commands are answered on the decoder thread, so :meth:`command` may block
    any thread, the loop's included, until the ``Command/Result`` arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections import deque
from typing import Any

import paho.mqtt.client as mqtt

from shopfloor.clock import Clock, WallClock
from shopfloor.connect.sink import SampleBatch, SampleSink
from shopfloor.connect.sparkplug.host_commands import CommandDesk
from shopfloor.connect.sparkplug.host_config import HostConfig
from shopfloor.connect.sparkplug.host_names import TagNames
from shopfloor.connect.sparkplug.host_session import HostSession
from shopfloor.connect.sparkplug.topics import NAMESPACE, TopicError, parse_topic, state_topic
from shopfloor.connect.status import ConnectorStatus, ParkedPayload
from shopfloor.events import MachineEvent
from shopfloor.plant.model import Plant
from shopfloor.service import Health
from shopfloor.sim.outlet import Command, CommandResult

log = logging.getLogger(__name__)

__all__ = ["HostConfig", "SparkplugHost"]


class SparkplugHost:
    """Reads Sparkplug B edge nodes into ``sink``; sends their commands. A Service."""

    def __init__(
        self,
        plant: Plant | None,
        config: HostConfig | str,
        sink: SampleSink,
        *,
        clock: Clock | None = None,
        status: ConnectorStatus | None = None,
        name: str = "sparkplug-host",
    ) -> None:
        self.config = (HostConfig(config) if isinstance(config, str) else config).validate()
        self.name, self.sink = name, sink
        self.clock: Clock = clock or WallClock()
        self.registry = status or ConnectorStatus(self.clock, parked_max=self.config.parked_max)
        self.status = self.registry.connector(name, "sparkplug")
        self.names = TagNames(plant, self.config.plant_group_id)
        self.groups = list(self.config.group_ids or self.names.groups or ["+"])
        self.state_topic = state_topic(self.config.host_id)
        self.session = HostSession(self.config, self.names, self.clock, self.status, self._publish)
        self.desk = CommandDesk(self.config, self.names, self.session, self.clock, self._publish)
        self._inbox: deque[tuple[str, bytes, int]] = deque()
        self._wake, self._stopping, self._drained = (threading.Event() for _ in range(3))
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._out: asyncio.Queue[tuple[SampleBatch | None, list[MachineEvent]]] | None = None
        self._deliver_task: asyncio.Task[None] | None = None
        self._state_ts = 0
        self._connected = self._subscribed = False
        self.client = self._client()

    # ---- MQTT (network thread) --------------------------------------------------------------

    def _client(self) -> mqtt.Client:
        cfg = self.config
        c = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            protocol=mqtt.MQTTv311,
            client_id=cfg.mqtt_client_id,
            clean_session=cfg.clean_session,
        )
        broker = cfg.broker
        if broker.username:
            c.username_pw_set(broker.username, broker.password)
        c.reconnect_delay_set(cfg.reconnect_min_s, cfg.reconnect_max_s)
        c.on_pre_connect, c.on_connect = self._on_pre_connect, self._on_connect
        c.on_disconnect, c.on_message = self._on_disconnect, self._on_message
        c.on_subscribe = self._on_subscribe
        return c

    def _state(self, online: bool) -> bytes:
        return json.dumps({"online": online, "timestamp": self._state_ts}).encode()

    def _on_pre_connect(self, client: mqtt.Client, _userdata: Any) -> None:
        self._state_ts = self.clock.now_ns() // 1_000_000
        client.will_set(self.state_topic, self._state(False), qos=1, retain=True)

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        if rc.is_failure:
            log.warning("sparkplug host: broker refused the connection: %s", rc)
            self.status.error(f"broker refused the connection: {rc}")
            return
        filters = [(f"{NAMESPACE}/{g}/#", 1) for g in self.groups]
        client.subscribe([*filters, (self.state_topic, 1)])
        client.publish(self.state_topic, self._state(True), qos=1, retain=True)
        self._connected = True
        self.status.set_online(True)
        self.status.count("connects")

    def _on_subscribe(self, _c: mqtt.Client, _u: Any, _mid: int, codes: Any, _p: Any) -> None:
        refused = [c for c in codes if c.is_failure]
        if refused:
            self.status.error(f"broker refused the subscription: {refused}")
            log.error("sparkplug host: broker refused the subscription: %s", refused)
        self._subscribed = not refused

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        self._connected = self._subscribed = False
        self.status.set_online(False)
        if not self._stopping.is_set():
            self.status.error(f"connection lost: {rc}")
            log.warning("sparkplug host: connection lost (%s), reconnecting", rc)

    def _on_message(self, client: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        now = self.clock.now_ns()
        if msg.topic == self.state_topic:
            self._own_state(client, bytes(msg.payload))
            return
        inbox = self._inbox
        inbox.append((msg.topic, bytes(msg.payload), now))
        if len(inbox) > self.config.max_inbox:
            topic, data, ts = inbox.popleft()
            self.status.count("inbox_overflow")
            self.status.park(
                ParkedPayload(
                    ts,
                    topic,
                    "inbox overflow",
                    f"the decoder fell behind by {self.config.max_inbox} messages",
                    data,
                )
            )
        if len(inbox) % 1024 == 0:
            self._wake.set()

    def _own_state(self, client: mqtt.Client, data: bytes) -> None:
        try:
            online = json.loads(data).get("online")
        except (ValueError, AttributeError):
            online = None
        if online is False and self._connected:  # our Will fired, or an old one: say otherwise
            client.publish(self.state_topic, self._state(True), qos=1, retain=True)
            self.status.count("state_republished")

    def _publish(self, topic: str, payload: bytes) -> None:
        """NCMD / DCMD: QoS 0, not retained (Sparkplug 3.0)."""
        self.client.publish(topic, payload, qos=0)

    # ---- decoder thread ---------------------------------------------------------------------

    def _run(self) -> None:
        interval = self.config.flush_interval_s
        last = time.monotonic()  # pacing of deliveries is wall time, whatever the data's clock
        while not self._stopping.is_set():
            self._wake.wait(interval)
            self._wake.clear()
            try:
                self._drain()
                now = time.monotonic()
                if self.session.rows.count >= self.config.max_batch_rows or now - last >= interval:
                    self._flush()
                    last = now
            except Exception as exc:  # a bug must not stop the host: count it, log it, go on
                self.status.error(f"decoder failed: {type(exc).__name__}: {exc}")
                log.exception("sparkplug host: decoder cycle failed")
        self._drain()
        self._flush()

    def _drain(self) -> None:
        inbox, session = self._inbox, self.session
        while inbox:
            topic, data, recv_ns = inbox.popleft()
            try:
                where = parse_topic(topic)
            except TopicError as exc:
                session.park(topic, data, recv_ns, "bad topic", exc.message, None, None)
                continue
            session.handle(where, topic, data, recv_ns)
            if session.rows.count >= self.config.max_batch_rows:
                self._flush()
        self.desk.resolve(session)
        session.tick()

    def _flush(self) -> None:
        rows, events = self.session.take()
        if not rows.count and not events:
            return
        batch = rows.build(self.session.tag_names) if rows.count else None
        out, loop = self._out, self._loop
        assert out is not None and loop is not None
        while out.qsize() >= self.config.max_pending_batches and not self._stopping.is_set():
            self._drained.clear()
            self._drained.wait(0.1)  # the sink is slow: let the inbox take the strain
        loop.call_soon_threadsafe(out.put_nowait, (batch, events))

    # ---- delivery (event loop) --------------------------------------------------------------

    async def _deliver(
        self, out: asyncio.Queue[tuple[SampleBatch | None, list[MachineEvent]]]
    ) -> None:
        while True:
            batch, events = await out.get()
            try:
                if batch is not None:
                    await self.sink.on_samples(batch)
                if events:
                    await self.sink.on_events(events)
            except Exception as exc:  # the sink is another component: count, log, go on
                rows = 0 if batch is None else len(batch)
                self.status.count("sink_errors")
                self.status.error(f"sink failed ({rows} rows, {len(events)} events lost): {exc}")
                log.warning(
                    "sparkplug host: sink failed, %d rows and %d events lost: %s",
                    rows,
                    len(events),
                    exc,
                )
            finally:
                out.task_done()
                self._drained.set()

    # ---- commands (PlantControl) ------------------------------------------------------------

    async def send_command(
        self, equipment: str, command: Command, args: dict[str, Any] | None = None
    ) -> CommandResult:
        """Send ``command`` to ``equipment`` (path or id) and await its ``Command/Result``."""
        future = self.desk.send(equipment, command, args or {}, connected=self._connected)
        return await self.desk.wait_async(equipment, command, future)

    def command(self, equipment: str, command: Command, args: dict[str, Any]) -> CommandResult:
        """:class:`~shopfloor.sim.outlet.PlantControl`: blocks until the result (any thread)."""
        future = self.desk.send(equipment, command, args, connected=self._connected)
        return self.desk.wait(equipment, command, future)

    # ---- Service ----------------------------------------------------------------------------

    async def start(self) -> None:
        if self._thread is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._stopping.clear()
        for names in self.names.plant_devices():
            self.status.set_device_online(names.equipment, False)
        self._out = asyncio.Queue()
        self._deliver_task = asyncio.create_task(
            self._deliver(self._out), name=f"{self.name}-deliver"
        )
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()
        broker = self.config.broker
        self.client.connect_async(broker.host, broker.port, self.config.keepalive_s)
        self.client.loop_start()

    async def stop(self) -> None:
        thread = self._thread
        if thread is None:
            return
        self._stopping.set()
        if self._connected:
            self._state_ts = self._state_ts or self.clock.now_ns() // 1_000_000
            info = self.client.publish(self.state_topic, self._state(False), qos=1, retain=True)
            with contextlib.suppress(RuntimeError, ValueError):
                await asyncio.to_thread(info.wait_for_publish, self.config.stop_timeout_s)
        self.client.disconnect()
        await asyncio.to_thread(self.client.loop_stop)
        self._wake.set()
        await asyncio.to_thread(thread.join)
        self._thread = None
        if self._out is not None:
            await self._out.join()
        if self._deliver_task is not None:
            self._deliver_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._deliver_task
        self.desk.cancel_all("the Sparkplug host stopped")
        self.client = self._client()
        self._connected = self._subscribed = False
        self.status.set_online(False)

    @property
    def ready(self) -> bool:
        """Connected and subscribed."""
        return self._connected and self._subscribed

    def health(self) -> Health:
        snap = self.registry.snapshot()["connectors"][self.name]
        online = sum(1 for d in snap["devices"].values() if d["online"])
        running = self._thread is not None
        detail = (
            f"{'connected' if self._connected else 'not connected'}; "
            f"{online}/{len(snap['devices'])} devices online; {snap['parked_total']} parked"
            if running
            else "stopped"
        )
        metrics = dict(
            snap["counters"],
            parked=snap["parked_total"],
            errors=snap["errors"],
            inbox=len(self._inbox),
            held=len(self.session.held),
        )
        return Health(ok=running and self.ready, detail=detail, metrics=metrics)
