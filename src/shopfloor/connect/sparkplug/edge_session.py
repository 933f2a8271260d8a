"""One Sparkplug edge node's MQTT session: seq, bdSeq, births, data, deaths.

:class:`NodeSession` is driven by :class:`~shopfloor.connect.sparkplug.edge.SparkplugEdge`: its
``open`` / ``close`` and every method below "publisher thread" run on the edge's one publisher
thread; only the paho callbacks run on the connection's network thread, and they touch nothing
but the connection flags, the Will and the command inbox. Report by exception happens here
(``current``: latest value per alias, ``sent``: last value published). Commands are carried out
by :class:`~shopfloor.connect.sparkplug.edge_commands.CommandDesk`. The message flow is
described in :mod:`~shopfloor.connect.sparkplug.edge`, the metrics in
:mod:`~shopfloor.connect.sparkplug.points`.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import paho.mqtt.client as mqtt

from shopfloor import __version__
from shopfloor.clock import Clock
from shopfloor.connect.sparkplug.codec import (
    DataType,
    Metric,
    Payload,
    encode_payload,
)
from shopfloor.connect.sparkplug.config import EdgeConfig
from shopfloor.connect.sparkplug.edge_commands import CommandDesk, NodeRequest, Parked
from shopfloor.connect.sparkplug.points import (
    BDSEQ,
    COMMAND_COUNT,
    PARKED_COUNT,
    DevicePoints,
    NodePoints,
    Point,
    birth_metric,
    block_metric,
    changed,
    coerce,
    command_births,
    event_metric,
    node_births,
    node_counters,
    value_metric,
)
from shopfloor.connect.sparkplug.topics import (
    NAMESPACE,
    MessageType,
    topic_for,
)
from shopfloor.events import MachineEvent
from shopfloor.samples import Quality
from shopfloor.sim.outlet import PlantControl, TagBlock, TagValue

log = logging.getLogger(__name__)

#: At most this many metrics per DATA message (the rest follow in the next ones).
CHUNK = 1000
_PY = {
    DataType.Float: float,
    DataType.Double: float,
    DataType.Int64: int,
    DataType.Boolean: bool,
    DataType.String: str,
}


@dataclass
class EdgeContext:
    """What every session of one edge shares: settings, counters and the way back to the edge."""

    config: EdgeConfig
    clock: Clock
    control: PlantControl
    plant_label: str
    stats: dict[str, int]
    wake: threading.Event
    stopping: threading.Event
    post_command: Callable[[NodeSession, str, bytes], None]
    park: Callable[[Parked], None]

    def now_ms(self) -> int:
        return self.clock.now_ns() // 1_000_000


def _one(tv: TagValue) -> tuple[np.ndarray, Quality]:
    """A single value of a high-rate tag as a block of one sample."""
    if tv.value is None or isinstance(tv.value, str):
        return np.zeros(0), Quality.BAD
    return np.array([float(tv.value)]), tv.quality


class NodeSession:
    """One edge node: its MQTT connection, seq / bdSeq and what it has sent."""

    def __init__(self, ctx: EdgeContext, node: NodePoints) -> None:
        self.ctx, self.node, cfg = ctx, node, ctx.config
        self.devices = {d.device_id: d for d in node.devices}
        self._topics: dict[tuple[MessageType, str | None], str] = {}
        self.seq = self.bdseq = self._will_bdseq = self._next_bdseq = 0
        self._session = 0  # CONNACKs received (network thread)
        self._born = -1  # the session whose births went out (publisher thread)
        self._connected = False
        self.connects = self.disconnects = 0
        self._reported = (0, 0)
        self.current: dict[int, TagValue] = {}
        self.sent: dict[int, TagValue] = {}
        self.pending: dict[str, list[Metric]] = {d: [] for d in self.devices}
        self.backlog: deque[tuple[str, Metric]] = deque(maxlen=cfg.max_offline)
        #: Events kept offline apart from the blocks, so that a burst of waveforms cannot
        #: push a state change or a part out.
        self.backlog_events: deque[tuple[str, Metric]] = deque(maxlen=cfg.max_offline)
        #: The primary host application is online (always, when none is configured).
        self.host_online = cfg.primary_host_id is None
        self._host_lost = False  # it went offline while we were born: end the session
        self._ending = False  # this session is being ended on purpose
        self._state_topic = (
            f"{NAMESPACE}/{MessageType.STATE}/{cfg.primary_host_id}"
            if cfg.primary_host_id is not None
            else None
        )
        self.dead: set[str] = set()
        self.desk = CommandDesk(node, ctx.control, ctx.clock, ctx.stats, ctx.park)
        self.client, self._used = self._client(), False

    def topic(self, kind: MessageType, device: str | None = None) -> str:
        key = (kind, device)
        if key not in self._topics:
            self._topics[key] = topic_for(kind, self.node.group_id, self.node.edge_node_id, device)
        return self._topics[key]

    @property
    def name(self) -> str:
        return f"{self.node.group_id}/{self.node.edge_node_id}"

    @property
    def online(self) -> bool:
        return self._connected and self._born == self._session

    # ---- network thread ---------------------------------------------------------------------

    def _on_pre_connect(self, client: mqtt.Client, _userdata: Any) -> None:
        self._will_bdseq = self._next_bdseq
        will = encode_payload(self._death(self._will_bdseq))
        client.will_set(self.topic(MessageType.NDEATH), will, qos=1, retain=False)

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        if rc.is_failure:
            log.warning("sparkplug edge %s: broker refused the connection: %s", self.name, rc)
            return
        self.bdseq, self._next_bdseq = self._will_bdseq, (self._will_bdseq + 1) % 256
        group, node = self.node.group_id, self.node.edge_node_id
        dcmd_all = f"{NAMESPACE}/{group}/{MessageType.DCMD}/{node}/+"
        subs = [(self.topic(MessageType.NCMD), 1), (dcmd_all, 1)]
        if self._state_topic is not None:  # its retained STATE tells at once
            self.host_online = False
            subs.append((self._state_topic, 1))
        client.subscribe(subs)
        self.connects += 1
        self._session += 1
        self._connected = True
        self.ctx.wake.set()

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        self._connected = False
        self.disconnects += 1
        if not self.ctx.stopping.is_set() and not self._ending:
            log.warning("sparkplug edge %s: connection lost (%s), reconnecting", self.name, rc)

    def _on_message(self, _c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        if msg.topic == self._state_topic:
            self._on_state(bytes(msg.payload))
            return
        self.ctx.post_command(self, msg.topic, bytes(msg.payload))

    def _on_state(self, data: bytes) -> None:
        """The primary host's STATE (Sparkplug 3.0: ``{"online": bool, "timestamp": ms}``)."""
        try:
            online = json.loads(data).get("online")
        except (ValueError, AttributeError):
            online = None
        if not isinstance(online, bool):
            log.warning("sparkplug edge %s: STATE of the primary host unreadable", self.name)
            return
        if not online and self.host_online:
            self._host_lost = True
        self.host_online = online
        self.ctx.wake.set()

    # ---- publisher thread -------------------------------------------------------------------

    def _client(self) -> mqtt.Client:
        """A fresh paho client (one per connection lifetime: paho cannot restart its loop)."""
        cfg = self.ctx.config
        c = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            protocol=mqtt.MQTTv311,
            client_id=f"{cfg.client_id_prefix}-{self.node.group_id}-{self.node.edge_node_id}",
            clean_session=True,
        )
        broker = cfg.broker
        if broker.username:
            c.username_pw_set(broker.username, broker.password)
        c.reconnect_delay_set(cfg.reconnect_min_s, cfg.reconnect_max_s)
        c.on_pre_connect, c.on_connect = self._on_pre_connect, self._on_connect
        c.on_disconnect, c.on_message = self._on_disconnect, self._on_message
        return c

    def open(self) -> None:
        broker = self.ctx.config.broker
        if self._used:
            self.client = self._client()
        self._used = True
        self.client.connect_async(broker.host, broker.port, self.ctx.config.keepalive_s)
        self.client.loop_start()

    def close(self) -> None:
        """Clean stop: DDEATH per device, NDEATH, DISCONNECT."""
        if self.online:
            for dev in self.devices:
                if dev not in self.dead:
                    self._send(MessageType.DDEATH, dev, [])
            ndeath = encode_payload(self._death(self.bdseq))
            info = self.client.publish(self.topic(MessageType.NDEATH), ndeath, qos=1)
            if info.rc == mqtt.MQTT_ERR_SUCCESS:
                info.wait_for_publish(self.ctx.config.stop_timeout_s)
        self._connected = False
        self.client.disconnect()
        self.client.loop_stop()

    def _death(self, bdseq: int) -> Payload:
        now = self.ctx.now_ms()
        return Payload(
            timestamp=now,
            metrics=[Metric(name=BDSEQ, timestamp=now, datatype=DataType.UInt64, value=bdseq)],
        )

    def _send(self, kind: MessageType, device: str | None, metrics: list[Metric]) -> bool:
        """Publish one message with the next seq; False when the connection refused it."""
        seq, self.seq = self.seq, (self.seq + 1) % 256
        data = encode_payload(Payload(timestamp=self.ctx.now_ms(), metrics=metrics, seq=seq))
        births = kind in (MessageType.NBIRTH, MessageType.DBIRTH)
        qos = 0 if births else self.ctx.config.data_qos
        ok = (
            self.client.publish(self.topic(kind, device), data, qos=qos).rc == mqtt.MQTT_ERR_SUCCESS
        )
        self.ctx.stats["messages" if ok else "lost"] += 1
        return ok

    def ensure_born(self) -> None:
        """Births once connected (and, with a primary host, once it is online). When the
        primary host went offline the session ends (NDEATH) and a new one waits for it
        (Sparkplug 3.0): what the plant does meanwhile is kept and sent as historical."""
        if self._host_lost:
            self._host_lost = False
            if self.online:
                log.info("sparkplug edge %s: primary host offline, holding data", self.name)
                self._ending = True
                try:
                    self.close()
                finally:
                    self._ending = False
                self.open()
                return
        if self._connected and self.host_online and self._born != self._session:
            self.birth()

    def birth(self) -> None:
        """NBIRTH (seq 0) and a DBIRTH per live device; what was kept offline follows."""
        session, now, self.seq = self._session, self.ctx.now_ms(), 0
        info = {
            BDSEQ: self.bdseq,
            "Node Info/Software": f"shopfloor {__version__}",
            "Node Info/Plant": self.ctx.plant_label,
            COMMAND_COUNT: self.desk.commands,
            PARKED_COUNT: self.desk.parked,
        }
        self._send(MessageType.NBIRTH, None, node_births(self.node, info, now))
        self._reported = (self.desk.commands, self.desk.parked)
        for dev in self.node.devices:
            if dev.device_id not in self.dead:
                self._dbirth(dev)
        self._born = session
        for kept in (self.backlog_events, self.backlog):  # sent at the end of this cycle
            while kept:
                dev_id, metric = kept.popleft()
                self.pending[dev_id].append(metric)

    def _dbirth(self, dev: DevicePoints) -> None:
        now = self.ctx.now_ms()
        self._send(
            MessageType.DBIRTH,
            dev.device_id,
            [birth_metric(p, self.current.get(p.alias), now) for p in dev.points]
            + command_births(dev, now),
        )
        for p in dev.points:
            if p.alias in self.current:
                self.sent[p.alias] = self.current[p.alias]

    def set_device(self, dev: DevicePoints, alive: bool) -> None:
        if not alive and dev.device_id not in self.dead:
            self._flush_device(dev.device_id)
            if self.online:
                self._send(MessageType.DDEATH, dev.device_id, [])
            self.dead.add(dev.device_id)
        elif alive and dev.device_id in self.dead:
            self.dead.discard(dev.device_id)
            if self.online:
                self._dbirth(dev)

    def value(self, point: Point, tv: TagValue) -> None:
        if point.array:
            values, quality = _one(tv)
            return self.block(point, TagBlock(tv.tag, tv.ts_ns, point.rate_hz, values, quality))
        if tv.value is not None and type(tv.value) is not _PY[point.datatype]:
            tv = TagValue(tv.tag, tv.ts_ns, coerce(point, tv.value), tv.quality)
        self.current[point.alias] = tv
        if not self.online or point.device in self.dead:
            return
        if changed(point, self.sent.get(point.alias), tv):
            self.sent[point.alias] = tv
            self.pending[point.device].append(value_metric(point, tv))
            self.ctx.stats["values"] += 1
        else:
            self.ctx.stats["suppressed"] += 1

    def block(self, point: Point, block: TagBlock) -> None:
        if not point.array:  # a batch of samples of a scalar tag: publish them as values
            step = 1e9 / block.rate_hz
            for i, v in enumerate(block.values.tolist()):
                self.value(
                    point,
                    TagValue(point.tag_id, block.start_ns + round(i * step), v, block.quality),
                )
            return
        self._queue(point.device, block_metric(point, block, historical=not self.online))
        self.ctx.stats["blocks"] += 1

    def event(self, dev: DevicePoints, event: MachineEvent) -> None:
        metric = event_metric(dev.event_alias, event, historical=not self.online)
        self._queue(dev.device_id, metric, self.backlog_events)
        self.ctx.stats["events"] += 1

    def _queue(
        self, device: str, metric: Metric, kept: deque[tuple[str, Metric]] | None = None
    ) -> None:
        if device in self.dead:
            self.ctx.stats["dropped"] += 1
        elif self.online:
            self.pending[device].append(metric)
        else:
            self._keep(device, metric, self.backlog if kept is None else kept)

    def _keep(self, device: str, metric: Metric, kept: deque[tuple[str, Metric]]) -> None:
        self.ctx.stats["dropped"] += len(kept) == kept.maxlen
        kept.append((device, metric))

    def flush(self) -> None:
        """DDATA per device with what piled up (chunked); NDATA when a node counter changed."""
        for dev_id in self.pending:
            self._flush_device(dev_id)
        counters = (self.desk.commands, self.desk.parked)
        if self.online and counters != self._reported:
            now = self.ctx.now_ms()
            self._send(MessageType.NDATA, None, node_counters(self.node, *counters, now))
            self._reported = counters

    def _flush_device(self, dev_id: str) -> None:
        metrics = self.pending[dev_id]
        if not metrics:
            return
        self.pending[dev_id] = []
        for i in range(0, len(metrics), CHUNK):
            if not (self.online and self._send(MessageType.DDATA, dev_id, metrics[i : i + CHUNK])):
                for m in metrics[i:]:  # the session dropped since they were queued: keep them
                    m.is_historical = True
                    event = m.alias == self.devices[dev_id].event_alias
                    self._keep(dev_id, m, self.backlog_events if event else self.backlog)
                return

    def command(self, topic: str, data: bytes) -> None:
        """Carry out one NCMD / DCMD message (see :mod:`.edge_commands`)."""
        request, results = self.desk.handle(topic, data)
        for dev_id, metric in results:
            self.pending[dev_id].append(metric)
        if request is NodeRequest.REBOOT:
            log.info("sparkplug edge %s: reboot requested", self.name)
            self.close()
            self.open()
        elif request is NodeRequest.REBIRTH and self._connected:
            self.ctx.stats["rebirths"] += 1
            self.flush()
            self.birth()
