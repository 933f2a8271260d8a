"""The Sparkplug B point table of the virtual plant: THE mapping of plant data to metrics.

Who is who
    Every equipment whose ``protocol`` is ``sparkplug`` is a Sparkplug *device*: device id =
    equipment id, group id = ``endpoint.group`` or the site id (or the configured override),
    edge node id = ``endpoint.edge_node`` or ``<area id>-<line id>``. Each edge node has its own
    MQTT session (its own NDEATH will).

Aliases
    Every metric of an edge node (node and device metrics) has an alias unique within that edge
    node, given in order: the node metrics first, then each device in plant-file order with its
    tags in file order, then ``event``, ``Command/Result`` and the command metrics. Aliases are
    only valid with the births that declare them. DATA metrics carry alias and datatype, never
    the name. Payload timestamps are the edge clock's time of publishing (ms).

Node metrics (NBIRTH; NDATA when a counter changes)
    ``bdSeq`` UInt64 · ``Node Control/Rebirth`` Boolean (false) · ``Node Control/Reboot``
    Boolean (false) · ``Node Info/Software`` String · ``Node Info/Plant`` String ·
    ``Node Info/Commands`` UInt64 (commands executed) · ``Node Info/Parked`` UInt64 (malformed or
    failed commands parked). The NDEATH carries ``bdSeq`` (by name) only.

Tags (DBIRTH declares, DDATA updates)
    Metric name = ``Tag.sparkplug_metric`` or the tag name. Datatype: float -> Float, double ->
    Double, int -> Int64, bool -> Boolean, string -> String. Births carry the latest value with
    its own timestamp (``is_null`` when none is known yet) and the properties ``engUnit``
    (String, when the tag has a unit), ``description`` (String) and ``rate_hz`` (Double).
    Values are reported by exception: a value goes out when it differs from the last one sent
    by more than ``Tag.deadband`` (any change when the deadband is 0) or when its quality
    changes. Metric timestamp = the sample's time in ms since the epoch (UTC).

Quality
    A value that is None or of BAD quality is sent with ``is_null`` true; any quality other than
    GOOD adds the property ``quality`` (UInt8, :class:`shopfloor.samples.Quality`: 1 uncertain,
    2 bad). No ``quality`` property means GOOD.

High-rate tags (``Tag.high_rate``: above 10 Hz)
    Declared as ``DoubleArray`` (``FloatArray`` for float tags), born null (a waveform block is
    never repeated by a birth). Each :class:`~shopfloor.sim.outlet.TagBlock` is ONE metric in
    DDATA: alias, datatype, timestamp = block start in ms, value = the samples (packed little
    endian), properties ``rate_hz`` (Double) and ``start_ns`` (UInt64, exact start in ns), plus
    ``quality`` when not GOOD (BAD blocks are ``is_null``). Sample i was taken at
    ``start_ns + i * 1e9 / rate_hz``. A block sent for a scalar tag is published as its samples;
    a single value sent for a high-rate tag is published as a block of one.

Machine events
    Each :class:`~shopfloor.events.MachineEvent` is one DDATA metric ``event`` (String, not
    transient) of the device of its equipment: value = ``MachineEvent.to_bytes()`` (compact JSON),
    timestamp = event time in ms. Events are never reported by exception: every event is sent,
    in order, several per DDATA when they fall in one publish interval. Events and blocks that
    happen while the edge node is offline, and data whose publish the lost connection refused,
    are kept (bounded: ``EdgeConfig.max_offline``) and sent after the next births with
    ``is_historical`` true. Scalar values need no keeping: the births carry the latest.

Commands (DCMD, by name or alias)
    ``Command/Start``, ``Command/Stop``, ``Command/Reset``, ``Command/Hold``, ``Command/Unhold``,
    ``Command/Abort``, ``Command/Clear`` (Boolean true runs the command) and ``Command/Job``
    (String: JSON object with ``order_id``, ``product``, ``quantity`` and optional
    ``operation``). Births declare them (false / ""). The outcome of every command is published in
    DDATA as ``Command/Result`` (String: JSON ``{"command", "ok", "message"}``). What cannot be
    carried out (undecodable payload, alias we never declared, unknown device, bad value) is
    parked; other metric names are counted and ignored (:mod:`.edge_commands`).
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shopfloor.connect.sparkplug.codec import DataType, Metric, PropertySet, PropertyValue
from shopfloor.connect.sparkplug.config import check_topic_id
from shopfloor.errors import BadInput, PlantError
from shopfloor.events import MachineEvent
from shopfloor.plant.model import DataType as TagType
from shopfloor.plant.model import Plant, Protocol
from shopfloor.samples import Quality
from shopfloor.sim.outlet import Command, TagBlock, TagValue

BDSEQ = "bdSeq"
REBIRTH = "Node Control/Rebirth"
REBOOT = "Node Control/Reboot"
COMMAND_COUNT = "Node Info/Commands"
PARKED_COUNT = "Node Info/Parked"
NODE_METRICS: tuple[tuple[str, DataType], ...] = (
    (BDSEQ, DataType.UInt64),
    (REBIRTH, DataType.Boolean),
    (REBOOT, DataType.Boolean),
    ("Node Info/Software", DataType.String),
    ("Node Info/Plant", DataType.String),
    (COMMAND_COUNT, DataType.UInt64),
    (PARKED_COUNT, DataType.UInt64),
)
EVENT = "event"
RESULT = "Command/Result"
JOB = "Command/Job"
COMMANDS: dict[str, Command] = {
    f"Command/{c.value.capitalize()}": c for c in Command if c is not Command.JOB
} | {JOB: Command.JOB}

SCALAR_TYPES = {
    TagType.FLOAT: DataType.Float,
    TagType.DOUBLE: DataType.Double,
    TagType.INT: DataType.Int64,
    TagType.BOOL: DataType.Boolean,
    TagType.STRING: DataType.String,
}
NUMERIC = frozenset({DataType.Float, DataType.Double, DataType.Int64})
ARRAYS = frozenset({DataType.FloatArray, DataType.DoubleArray})


@dataclass(frozen=True, slots=True)
class Point:
    """One tag as a Sparkplug metric."""

    tag_id: str
    device: str
    metric: str
    alias: int
    datatype: DataType
    unit: str
    description: str
    deadband: float
    rate_hz: float

    @property
    def array(self) -> bool:
        return self.datatype in ARRAYS


@dataclass(frozen=True)
class DevicePoints:
    """One Sparkplug device (an equipment) and its metrics."""

    device_id: str
    equipment_path: str
    points: tuple[Point, ...]
    event_alias: int
    result_alias: int
    #: Command metric name -> alias (``Command/Start``... and ``Command/Job``).
    command_alias: dict[str, int]


@dataclass(frozen=True)
class NodePoints:
    """One edge node: its node metrics and its devices."""

    group_id: str
    edge_node_id: str
    devices: tuple[DevicePoints, ...]
    #: Node metric name -> alias.
    node_alias: dict[str, int]


def node_points(plant: Plant, group_id: str | None = None) -> list[NodePoints]:
    """The edge nodes serving the plant's Sparkplug equipment, in plant-file order."""
    grouped: dict[tuple[str, str], list[tuple[str, Any]]] = {}
    for path, area, line, _cell, eq in plant.walk():
        if eq.protocol is not Protocol.SPARKPLUG:
            continue
        group = check_topic_id("group_id", group_id or eq.endpoint.group or plant.site.id)
        node = check_topic_id("edge_node", eq.endpoint.edge_node or f"{area.id}-{line.id}")
        grouped.setdefault((group, node), []).append((path, eq))
    nodes = []
    for (group, node), members in grouped.items():
        alias = itertools.count()
        node_alias = {name: next(alias) for name, _t in NODE_METRICS}
        devices = []
        for path, eq in members:
            points = tuple(
                Point(
                    tag_id=f"{path}/{t.name}",
                    device=eq.endpoint.device or eq.id,
                    metric=t.sparkplug_metric or t.name,
                    alias=next(alias),
                    datatype=_datatype(t.data_type, t.high_rate),
                    unit=t.unit,
                    description=t.description,
                    deadband=t.deadband,
                    rate_hz=t.rate_hz,
                )
                for t in eq.tags
            )
            _check_names(path, points)
            devices.append(
                DevicePoints(
                    device_id=check_topic_id("device", eq.endpoint.device or eq.id),
                    equipment_path=path,
                    points=points,
                    event_alias=next(alias),
                    result_alias=next(alias),
                    command_alias={name: next(alias) for name in COMMANDS},
                )
            )
        nodes.append(NodePoints(group, node, tuple(devices), node_alias))
    return nodes


def _check_names(path: str, points: tuple[Point, ...]) -> None:
    """Metric names must be unique in a device and not clash with ``event`` / ``Command/*``."""
    seen: set[str] = {EVENT, RESULT, *COMMANDS}
    for p in points:
        if p.metric in seen:
            raise PlantError(
                f"equipment {path}: tag {p.tag_id.rsplit('/', 1)[1]!r} has Sparkplug metric "
                f"name {p.metric!r}, which another metric of the device already uses"
            )
        seen.add(p.metric)


def node_births(node: NodePoints, info: Mapping[str, Any], ts_ms: int) -> list[Metric]:
    """NBIRTH metrics: ``info`` gives bdSeq and the Node Info values; controls are false."""
    values = {REBIRTH: False, REBOOT: False, **info}
    return [
        Metric(name=n, alias=node.node_alias[n], timestamp=ts_ms, datatype=t, value=values[n])
        for n, t in NODE_METRICS
    ]


def node_counters(node: NodePoints, commands: int, parked: int, ts_ms: int) -> list[Metric]:
    """NDATA metrics for the two node counters."""
    return [
        Metric(alias=node.node_alias[n], timestamp=ts_ms, datatype=DataType.UInt64, value=v)
        for n, v in ((COMMAND_COUNT, commands), (PARKED_COUNT, parked))
    ]


def _datatype(tag_type: TagType, high_rate: bool) -> DataType:
    if not high_rate:
        return SCALAR_TYPES[tag_type]
    return DataType.FloatArray if tag_type is TagType.FLOAT else DataType.DoubleArray


def props(**items: tuple[DataType, Any]) -> PropertySet:
    """A property set from ``key=(datatype, value)``; None values are left out."""
    return PropertySet(
        [(k, PropertyValue(type=t, value=v)) for k, (t, v) in items.items() if v is not None]
    )


def ms(ns: int) -> int:
    return ns // 1_000_000


def coerce(point: Point, value: float | int | bool | str) -> float | int | bool | str:
    """``value`` as the point's datatype; raise :class:`BadInput` naming the tag if it is not."""
    dt = point.datatype
    try:
        if dt is DataType.String:
            return str(value)
        if isinstance(value, str):
            raise ValueError(f"a string is not a {dt.name}")
        if dt is DataType.Boolean:
            return bool(value)
        if dt is DataType.Int64:
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"{value} is not an integer")
            return round(value)
        return float(value)
    except (TypeError, ValueError) as exc:
        raise BadInput(f"tag {point.tag_id}: value {value!r} is not {dt.name}: {exc}") from None


def changed(point: Point, last: TagValue | None, new: TagValue) -> bool:
    """Report by exception: does ``new`` differ from the last value sent (beyond deadband)?"""
    if last is None or last.quality != new.quality:
        return True
    if last.value is None or new.value is None:
        return (last.value is None) != (new.value is None)
    if point.datatype in NUMERIC and point.deadband > 0:
        return abs(float(new.value) - float(last.value)) > point.deadband
    return bool(new.value != last.value)


def _quality(q: Quality) -> tuple[DataType, int | None]:
    return DataType.UInt8, (None if q is Quality.GOOD else int(q))


def value_metric(point: Point, tv: TagValue, *, name: bool = False) -> Metric:
    """A scalar value (already coerced) as a DATA metric, or a birth metric with ``name``."""
    null = tv.value is None or tv.quality is Quality.BAD
    properties = (
        props(
            engUnit=(DataType.String, point.unit or None),
            description=(DataType.String, point.description),
            rate_hz=(DataType.Double, point.rate_hz),
            quality=_quality(tv.quality),
        )
        if name
        else (props(quality=_quality(tv.quality)) if tv.quality is not Quality.GOOD else None)
    )
    return Metric(
        name=point.metric if name else None,
        alias=point.alias,
        timestamp=ms(tv.ts_ns),
        datatype=point.datatype,
        value=None if null else tv.value,
        is_null=null,
        properties=properties,
    )


def birth_metric(point: Point, current: TagValue | None, ts_ms: int) -> Metric:
    """The DBIRTH metric of a tag: latest value, or null (always null for arrays)."""
    if current is not None and not point.array:
        return value_metric(point, current, name=True)
    return Metric(
        name=point.metric,
        alias=point.alias,
        timestamp=ts_ms,
        datatype=point.datatype,
        is_null=True,
        properties=props(
            engUnit=(DataType.String, point.unit or None),
            description=(DataType.String, point.description),
            rate_hz=(DataType.Double, point.rate_hz),
        ),
    )


def block_metric(point: Point, block: TagBlock, *, historical: bool = False) -> Metric:
    """One high-rate block as one array metric (see the module docstring for the shape)."""
    bad = block.quality is Quality.BAD
    return Metric(
        alias=point.alias,
        timestamp=ms(block.start_ns),
        datatype=point.datatype,
        value=None if bad else block.values,
        is_null=bad,
        is_historical=historical,
        properties=props(
            rate_hz=(DataType.Double, float(block.rate_hz)),
            start_ns=(DataType.UInt64, int(block.start_ns)),
            quality=_quality(block.quality),
        ),
    )


def event_metric(alias: int, event: MachineEvent, *, historical: bool = False) -> Metric:
    return Metric(
        alias=alias,
        timestamp=ms(event.ts_ns),
        datatype=DataType.String,
        value=event.to_bytes().decode(),
        is_historical=historical,
    )


def result_metric(alias: int, command: str, ok: bool, message: str, ts_ms: int) -> Metric:
    text = json.dumps({"command": command, "ok": ok, "message": message}, separators=(",", ":"))
    return Metric(alias=alias, timestamp=ts_ms, datatype=DataType.String, value=text)


def command_births(dev: DevicePoints, ts_ms: int) -> list[Metric]:
    """DBIRTH metrics for ``event``, ``Command/Result`` and the writable command metrics."""
    out = [
        Metric(
            name=EVENT,
            alias=dev.event_alias,
            timestamp=ts_ms,
            datatype=DataType.String,
            is_null=True,
        ),
        Metric(
            name=RESULT,
            alias=dev.result_alias,
            timestamp=ts_ms,
            datatype=DataType.String,
            is_null=True,
        ),
    ]
    for name, alias in dev.command_alias.items():
        dt, value = (DataType.String, "") if name == JOB else (DataType.Boolean, False)
        out.append(Metric(name=name, alias=alias, timestamp=ts_ms, datatype=dt, value=value))
    return out
