"""The Sparkplug B edge node that serves the virtual plant over MQTT (spec 3.0).

:class:`SparkplugEdge` is a :class:`~shopfloor.sim.outlet.PlantOutlet` (what the plant emits goes
in) and a :class:`~shopfloor.service.Service`. What travels, metric by metric, is documented in
:mod:`shopfloor.connect.sparkplug.points` (the one mapping of plant data to Sparkplug).

Design
    One ``SparkplugEdge`` serves every edge node of the plant; each edge node is a
    :class:`~shopfloor.connect.sparkplug.edge_session.NodeSession` with its own MQTT connection,
    because the NDEATH is a connection's Will.
    Outlet calls (from any thread) only append to bounded buffers. One publisher thread wakes
    every ``publish_interval_s`` (or at once for births and commands), drains the buffers and
    does all the rest: report by exception, batching into one DDATA per device, births,
    commands, deaths. ``seq`` lives there only. paho's network thread (one per connection) only
    sets the Will before each CONNECT, marks a new session on CONNACK (after subscribing to
    NCMD and DCMD) and queues received commands.

Session
    CONNECT (clean session) with Will = NDEATH {bdSeq} (QoS 1, not retained) -> subscribe NCMD and
    DCMD/+ -> NBIRTH (seq 0, bdSeq as in the Will) -> one DBIRTH per device -> NDATA / DDATA;
    ``seq`` counts every message of the edge node mod 256. A rebirth (NCMD ``Node Control/Rebirth``)
    publishes NBIRTH (seq 0, same bdSeq) and the DBIRTHs again. ``Node Control/Reboot`` ends the
    session and starts a new one. A lost connection is retried with exponential back-off; each new
    MQTT session takes the next bdSeq (mod 256). A clean stop publishes DDEATH per device and
    the NDEATH, then DISCONNECT. Malformed or failed commands are counted and parked
    (:attr:`SparkplugEdge.parked`), never fatal.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Sequence
from typing import Any

from shopfloor.clock import Clock, WallClock
from shopfloor.connect.sparkplug.config import EdgeConfig
from shopfloor.connect.sparkplug.edge_commands import Parked
from shopfloor.connect.sparkplug.edge_session import EdgeContext, NodeSession
from shopfloor.connect.sparkplug.points import DevicePoints, Point, node_points
from shopfloor.errors import BadInput, ConfigError, NotFound
from shopfloor.events import MachineEvent
from shopfloor.plant.model import Plant
from shopfloor.service import Health
from shopfloor.sim.outlet import PlantControl, TagBlock, TagValue

log = logging.getLogger(__name__)

__all__ = ["EdgeConfig", "Parked", "SparkplugEdge"]


class SparkplugEdge:
    """Serves the plant's Sparkplug equipment over MQTT: a PlantOutlet and a Service.

    ``config`` is an :class:`EdgeConfig` or just the broker URL. Commands from DCMD go to
    ``control``. Outlet methods are thread-safe and only buffer.
    """

    def __init__(
        self,
        plant: Plant,
        control: PlantControl,
        config: EdgeConfig | str,
        *,
        clock: Clock | None = None,
        name: str = "sparkplug-edge",
    ) -> None:
        self.config = (EdgeConfig(config) if isinstance(config, str) else config).validate()
        self.name, self.plant, self.control = name, plant, control
        self.clock: Clock = clock or WallClock()
        nodes = node_points(plant, self.config.group_id)
        if not nodes:
            raise ConfigError(f"plant {plant.name!r} has no equipment with protocol 'sparkplug'")
        self.stats: dict[str, int] = dict.fromkeys(
            (
                "received",
                "values",
                "suppressed",
                "blocks",
                "events",
                "messages",
                "lost",
                "commands",
                "rebirths",
                "unknown_metrics",
                "rejected",
                "dropped",
                "errors",
            ),
            0,
        )
        self.parked: deque[Parked] = deque(maxlen=self.config.parked_max)
        self.parked_total = 0
        self.last_error = ""
        self._rejected_tags: set[str] = set()
        self._lock = threading.Lock()
        self._in: dict[str, deque[Any]] = {
            k: deque() for k in ("values", "blocks", "events", "commands", "devices")
        }
        self._in_dropped = 0
        self._wake, self._stopping = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None
        ctx = EdgeContext(
            self.config,
            self.clock,
            control,
            plant.name or plant.site.id,
            self.stats,
            self._wake,
            self._stopping,
            lambda s, topic, data: self._post("commands", (s, topic, data)),
            self._park,
        )
        self.sessions = [NodeSession(ctx, n) for n in nodes]
        self._tags: dict[str, tuple[NodeSession, Point]] = {}
        self._devices: dict[str, tuple[NodeSession, DevicePoints]] = {}
        for s in self.sessions:
            for d in s.node.devices:
                self._devices[d.device_id] = self._devices[d.equipment_path] = (s, d)
                self._tags.update((p.tag_id, (s, p)) for p in d.points)

    # ---- PlantOutlet (any thread) -----------------------------------------------------------

    def on_values(self, values: Sequence[TagValue]) -> None:
        self._post("values", *values)

    def on_block(self, block: TagBlock) -> None:
        self._post("blocks", block)

    def on_event(self, event: MachineEvent) -> None:
        self._post("events", event)

    def set_device_online(self, equipment: str, online: bool) -> None:
        """Mark an equipment (id or path) reachable or not: a DDEATH or DBIRTH follows."""
        if equipment not in self._devices:
            raise NotFound(f"equipment {equipment!r} is not served by this Sparkplug edge")
        self._post("devices", (equipment, online))
        self._wake.set()

    def _post(self, box: str, *items: Any) -> None:
        with self._lock:
            q = self._in[box]
            over = len(q) + len(items) - self.config.max_pending
            if over > 0:  # keep the newest
                for _ in range(min(over, len(q))):
                    q.popleft()
                self._in_dropped += over
            q.extend(items[-self.config.max_pending :])
        if box == "commands":
            self._wake.set()

    # ---- Service ----------------------------------------------------------------------------

    async def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        for s in self.sessions:
            s.open()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        thread = self._thread
        if thread is None:
            return
        self._stopping.set()
        self._wake.set()
        await asyncio.to_thread(thread.join)
        self._thread = None

    def health(self) -> Health:
        online = sum(s.online for s in self.sessions)
        running = self._thread is not None and self._thread.is_alive()
        nodes = {
            s.name: {
                "online": s.online,
                "bdseq": s.bdseq,
                "seq": s.seq,
                "connects": s.connects,
                "disconnects": s.disconnects,
            }
            for s in self.sessions
        }
        metrics: dict[str, Any] = dict(self.stats)
        metrics.update(
            parked=self.parked_total,
            dropped=self.stats["dropped"] + self._in_dropped,
            nodes=nodes,
            last_error=self.last_error,
        )
        detail = f"{online}/{len(self.sessions)} edge nodes online" if running else "stopped"
        return Health(ok=running and online == len(self.sessions), detail=detail, metrics=metrics)

    # ---- publisher thread -------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.config.publish_interval_s)
            self._wake.clear()
            self._cycle()
        self._cycle()
        for s in self.sessions:
            try:
                s.close()
            except Exception:
                log.exception("sparkplug edge %s: clean stop failed", s.name)

    def _cycle(self) -> None:
        try:
            self._tick()
        except Exception as exc:  # a bug must not end the publisher: count it, log it, go on
            self.stats["errors"] += 1
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.exception("sparkplug edge: publish cycle failed")

    def _tick(self) -> None:
        with self._lock:
            inbox = self._in
            self._in = {k: deque() for k in inbox}
        for s in self.sessions:
            s.ensure_born()
        for ref, online in inbox["devices"]:
            session, dev = self._devices[ref]
            session.set_device(dev, online)
        self.stats["received"] += len(inbox["values"])
        for tv in inbox["values"]:
            hit = self._tags.get(tv.tag)
            if hit is not None:
                self._guard(hit[0].value, hit[1], tv)
        for block in inbox["blocks"]:
            hit = self._tags.get(block.tag)
            if hit is not None:
                self._guard(hit[0].block, hit[1], block)
        for event in inbox["events"]:
            found = self._devices.get(event.equipment)
            if found is not None:
                found[0].event(found[1], event)
        for session, topic, data in inbox["commands"]:
            session.command(topic, data)
        for s in self.sessions:
            s.flush()

    def _guard(self, fn: Any, point: Point, item: Any) -> None:
        try:
            fn(point, item)
        except BadInput as exc:  # a value the tag cannot hold: count it, keep going
            self.stats["rejected"] += 1
            self.last_error = exc.message
            if point.tag_id not in self._rejected_tags:  # say it once per tag, count the rest
                self._rejected_tags.add(point.tag_id)
                log.warning("sparkplug edge: value rejected: %s", exc.message)

    def _park(self, parked: Parked) -> None:
        self.parked.append(parked)
        self.parked_total += 1
        log.warning("sparkplug edge: parked %s: %s", parked.topic, parked.reason)
