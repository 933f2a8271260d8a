"""The host application's view of every edge node: births, deaths, seq, held and parked data.

:class:`HostSession` runs on the host's one decoder thread (nothing here is thread-safe, nothing
needs to be). For each message it keeps the Sparkplug 3.0 host rules:

- NBIRTH starts an edge node session (``bdSeq``, ``seq`` 0, alias table); its devices must be
  born again (DBIRTH) before their data is used.
- NDEATH ends the session only when its ``bdSeq`` is the one of the NBIRTH in effect (a stale
  death of an earlier session is counted and ignored); DDEATH ends one device. A death gives one
  BAD row for every tag of the device(s), at the time the host received an NDEATH (the Will's
  payload time is its CONNECT time) or at the DDEATH's payload time.
- Every message but NDEATH carries the node's next ``seq`` (mod 256). A gap, DATA before any
  birth, DATA of a device that is not born, or an alias the birth does not define means the
  stream cannot be trusted: the host asks for a rebirth (NCMD ``Node Control/Rebirth``, at most
  once per ``rebirth_interval_s`` per node, again while nothing comes) and HOLDS that node's DATA
  until the new births. Held DATA of a device is then decoded with its new DBIRTH, but only if
  the new alias table is the one in effect when it was held (otherwise, or after
  ``hold_timeout_s``, or beyond ``hold_max``, it is parked with the reason): a rebirth that
  confirms the aliases loses nothing.
- A payload that does not decode is parked (reason ``malformed``, with the byte offset); metrics
  that cannot be used (see :mod:`~.host_rows`) are withheld and the payload parked with each
  reason; the rest of the message is delivered.
- Node metrics (NBIRTH / NDATA: ``bdSeq``, ``Node Control/*``, ``Node Info/*``) belong to no
  equipment and give no samples; NDATA is decoded for its ``seq`` and counted.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from shopfloor.clock import NS_PER_S, Clock
from shopfloor.connect.sparkplug.codec import (
    AliasTable,
    DataType,
    Metric,
    Payload,
    UnknownAliasError,
    decode_payload,
    encode_payload,
)
from shopfloor.connect.sparkplug.host_config import HostConfig
from shopfloor.connect.sparkplug.host_held import Held, HeldData
from shopfloor.connect.sparkplug.host_names import DeviceNames, TagNames
from shopfloor.connect.sparkplug.host_rows import Rows, Slot, read_metrics, slots_from_birth
from shopfloor.connect.sparkplug.points import BDSEQ, REBIRTH
from shopfloor.connect.sparkplug.topics import MessageType, Topic, topic_for
from shopfloor.connect.status import ConnectorState, ParkedPayload
from shopfloor.errors import DecodeError
from shopfloor.events import MachineEvent
from shopfloor.samples import Quality

log = logging.getLogger(__name__)
_BAD = int(Quality.BAD)


@dataclass
class Device:
    names: DeviceNames
    table: AliasTable | None = None
    slots: dict[str, Slot] = field(default_factory=dict)
    tags: list[int] = field(default_factory=list)
    born: bool = False  # DBIRTH seen since the node's NBIRTH
    online: bool = False


@dataclass
class Node:
    group: str
    node: str
    online: bool = False
    bdseq: int | None = None
    seq: int | None = None
    table: AliasTable | None = None
    broken: str = ""  # why DATA is held until the next NBIRTH ("" = trusted)
    asked_ns: int | None = None
    devices: dict[str, Device] = field(default_factory=dict)


class HostSession:
    """Sparkplug state of every edge node seen; yields rows, events and command results."""

    def __init__(
        self,
        config: HostConfig,
        names: TagNames,
        clock: Clock,
        status: ConnectorState,
        publish: Callable[[str, bytes], None],
    ) -> None:
        self.config, self.names, self.clock = config, names, clock
        self.status, self.publish = status, publish
        self.nodes: dict[tuple[str, str], Node] = {}
        self.tag_names: list[str] = []
        self._tag_index: dict[str, int] = {}
        self.rows = Rows()
        self.events: list[MachineEvent] = []
        self.results: list[tuple[str, str, bool, str]] = []  # equipment, command, ok, message
        self.held = HeldData(config.hold_max, self._park_held)
        self._logged: dict[str, float] = {}

    def tag_index(self, tag_id: str) -> int:
        i = self._tag_index.get(tag_id)
        if i is None:
            i = self._tag_index[tag_id] = len(self.tag_names)
            self.tag_names.append(tag_id)
        return i

    # ---- messages ---------------------------------------------------------------------------

    def handle(self, where: Topic, topic: str, data: bytes, recv_ns: int) -> None:
        mt = where.message_type
        if mt is MessageType.STATE:  # another host application's state: not ours to judge
            return
        key = (where.group_id or "", where.edge_node_id or "")
        node = self.nodes.get(key)
        if node is None:
            node = self.nodes[key] = Node(*key)
        try:
            if mt is MessageType.NBIRTH:
                self._nbirth(node, decode_payload(data, message_type=mt))
            elif mt is MessageType.NDEATH:
                self._ndeath(node, decode_payload(data, message_type=mt), recv_ns)
            elif mt is MessageType.DBIRTH:
                self._dbirth(node, where.device_id or "", topic, data, recv_ns)
            elif mt is MessageType.DDEATH:
                self._ddeath(
                    node, where.device_id or "", decode_payload(data, message_type=mt), recv_ns
                )
            elif mt is MessageType.DDATA:
                self._ddata(node, where.device_id or "", topic, data, recv_ns)
            elif mt is MessageType.NDATA:
                self._ndata(node, data)
            else:  # NCMD / DCMD: ours or another host's
                self.status.count("commands_seen")
        except DecodeError as exc:
            equipment = self._equipment(node, where.device_id)
            self.park(topic, data, recv_ns, "malformed", exc.message, exc.offset, equipment)

    def _equipment(self, node: Node, device_id: str | None) -> str | None:
        if device_id is None:
            return None
        return self.names.device(node.group, node.node, device_id).equipment

    def _seq(self, node: Node, seq: int | None) -> None:
        """Track ``seq``; a gap breaks the node's stream (its DATA is held until NBIRTH)."""
        expected = None if node.seq is None else (node.seq + 1) % 256
        node.seq = seq
        if expected is not None and seq != expected and not node.broken:
            self.status.count("seq_gaps")
            self._break(node, f"seq gap: expected {expected}, got {seq}")

    def _break(self, node: Node, reason: str) -> None:
        if not node.broken:
            node.broken = reason
            log.info(
                "sparkplug host: %s/%s: %s; asking for a rebirth", node.group, node.node, reason
            )
        self.ask_rebirth(node)

    def ask_rebirth(self, node: Node) -> None:
        now = self.clock.now_ns()
        interval = self.config.rebirth_interval_s * NS_PER_S
        if node.asked_ns is not None and now - node.asked_ns < interval:
            return
        node.asked_ns = now
        ms = now // 1_000_000
        metric = Metric(name=REBIRTH, timestamp=ms, datatype=DataType.Boolean, value=True)
        payload = encode_payload(Payload(timestamp=ms, metrics=[metric]))
        self.publish(topic_for(MessageType.NCMD, node.group, node.node), payload)
        self.status.count("rebirth_requests")

    def _nbirth(self, node: Node, p: Payload) -> None:
        bdseq = p.metric(BDSEQ)
        node.online, node.seq, node.broken, node.asked_ns = True, p.seq, "", None
        node.bdseq = bdseq.value if bdseq is not None else None
        node.table = AliasTable.from_birth(p)
        for dev in node.devices.values():
            dev.born = False
        self.status.count("node_births")

    def _ndeath(self, node: Node, p: Payload, recv_ns: int) -> None:
        bdseq = p.metric(BDSEQ)
        if not node.online or bdseq is None or bdseq.value != node.bdseq:
            self.status.count("stale_deaths")
            return
        node.online, node.seq, node.broken = False, None, ""
        for dev in node.devices.values():
            self._dead(dev, recv_ns)
        self.status.count("node_deaths")

    def _dead(self, dev: Device, ts_ns: int) -> None:
        if dev.online:
            for tag in dev.tags:
                self.rows.scalar(tag, ts_ns, float("nan"), _BAD)
        dev.online = dev.born = False
        self.status.set_device_online(dev.names.equipment, False)

    def _ddeath(self, node: Node, device_id: str, p: Payload, recv_ns: int) -> None:
        self._seq(node, p.seq)
        dev = node.devices.get(device_id)
        if dev is not None:
            self._dead(dev, (p.timestamp or 0) * 1_000_000 or recv_ns)
        self.status.count("device_deaths")

    def _dbirth(self, node: Node, device_id: str, topic: str, data: bytes, recv_ns: int) -> None:
        p = decode_payload(data, message_type=MessageType.DBIRTH)
        if not node.online:
            self.status.count("births_before_node_birth")
            self._break(node, "DBIRTH before NBIRTH")
            return
        self._seq(node, p.seq)
        names = self.names.device(node.group, node.node, device_id)
        dev = node.devices.get(device_id)
        if dev is None:
            dev = node.devices[device_id] = Device(names)
        dev.table = AliasTable.from_birth(p)
        dev.slots = slots_from_birth(p.metrics, names, self.tag_index)
        dev.tags = [s.tag for s in dev.slots.values() if s.tag >= 0]
        dev.born = dev.online = True
        self.status.set_device_online(names.equipment, True)
        self._use(dev, topic, data, p, recv_ns, birth=True)
        if not node.broken:
            self._release(node, dev)

    def _ddata(self, node: Node, device_id: str, topic: str, data: bytes, recv_ns: int) -> None:
        dev = node.devices.get(device_id)
        key = (node.group, node.node, device_id)
        if not node.online or dev is None or not dev.born:
            why = "DATA before NBIRTH" if not node.online else "DATA before DBIRTH"
            self._break(node, why)
            self._hold(Held(key, topic, data, recv_ns, why, None))
            return
        try:
            p = decode_payload(data, birth=dev.table, message_type=MessageType.DDATA)
        except UnknownAliasError as exc:
            self._break(node, exc.reason)
            self._hold(Held(key, topic, data, recv_ns, exc.reason, None))
            return
        self._seq(node, p.seq)
        if node.broken:
            self._hold(Held(key, topic, data, recv_ns, node.broken, dev.table))
            return
        self._use(dev, topic, data, p, recv_ns)

    def _ndata(self, node: Node, data: bytes) -> None:
        if not node.online:
            self.status.count("node_data_before_birth")
            self._break(node, "NDATA before NBIRTH")
            return
        p = decode_payload(data, birth=node.table, message_type=MessageType.NDATA)
        self._seq(node, p.seq)
        self.status.count("node_data")

    def _use(
        self, dev: Device, topic: str, data: bytes, p: Payload, recv_ns: int, birth: bool = False
    ) -> None:
        now = self.clock.now_ns()
        window = (
            now - int(self.config.past_tolerance_s * NS_PER_S),
            now + int(self.config.future_tolerance_s * NS_PER_S),
        )
        out = read_metrics(
            p.metrics,
            lambda m: dev.slots.get(m.name or ""),
            dev.names,
            p.timestamp,
            window,
            self.rows,
            birth=birth,
        )
        equipment = dev.names.equipment
        self.events += out.events
        self.results += [(equipment, c, ok, msg) for c, ok, msg in out.results]
        for reason in dict.fromkeys(pr.reason for pr in out.problems):
            detail = "; ".join(pr.detail for pr in out.problems if pr.reason == reason)
            self.park(topic, data, recv_ns, reason, detail, None, equipment)
        latency = None if p.timestamp is None else recv_ns - p.timestamp * 1_000_000
        self.status.message(equipment, out.samples, latency)

    # ---- held data --------------------------------------------------------------------------

    def _hold(self, held: Held) -> None:
        self.status.count("held")
        self.held.add(held)

    def _release(self, node: Node, dev: Device) -> None:
        for h in self.held.take((node.group, node.node, dev.names.device_id)):
            if h.expect is not None and h.expect != dev.table:
                self._park_held(h, "aliases changed", "the rebirth changed the device's aliases")
                continue
            try:
                p = decode_payload(h.data, birth=dev.table, message_type=MessageType.DDATA)
            except DecodeError as exc:
                self._park_held(h, "malformed", exc.message, exc.offset)
                continue
            self.status.count("released")
            self._use(dev, h.topic, h.data, p, h.recv_ns)

    def tick(self) -> None:
        """Park DATA held too long; ask again for rebirths that did not come."""
        timeout = self.config.hold_timeout_s
        self.held.expire(self.clock.now_ns() - int(timeout * NS_PER_S), timeout)
        for node in self.nodes.values():
            if node.broken:
                self.ask_rebirth(node)

    def _park_held(self, h: Held, reason: str, detail: str, offset: int | None = None) -> None:
        equipment = self.names.device(*h.key).equipment
        self.park(
            h.topic, h.data, h.recv_ns, reason, f"held ({h.reason}): {detail}", offset, equipment
        )

    def park(
        self,
        topic: str,
        data: bytes,
        ts_ns: int,
        reason: str,
        detail: str,
        offset: int | None,
        device: str | None,
    ) -> None:
        self.status.park(ParkedPayload(ts_ns, topic, reason, detail, data, offset, device))
        now = time.monotonic()
        if now - self._logged.get(reason, -60.0) >= 60.0:  # once a minute per reason
            self._logged[reason] = now
            log.warning("sparkplug host: parked %s (%s): %s", topic, reason, detail)

    def take(self) -> tuple[Rows, list[MachineEvent]]:
        """The rows and events that piled up since the last call (and start afresh)."""
        out = (self.rows, self.events)
        self.rows, self.events = Rows(), []
        return out
