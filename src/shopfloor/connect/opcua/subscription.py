"""What the connector monitors, and how notifications become samples and machine events.

One monitored item per tag (:class:`Watch`): the tag's variable, sampled at the tag's own rate
(``1000 / rate_hz`` ms unless the config fixes one interval), with an absolute
``DataChangeFilter`` of the tag's ``deadband`` for numeric tags that declare one, and the
config's queue size. A high-rate tag is monitored through its ``Block`` variable instead: each
notification is a whole block (``Double[]``, source timestamp = first sample) expanded to rows at
the tag's ``rate_hz``. One more item watches the Server object for ``MachineEventType`` events
(see :mod:`.events`), selecting the fields in :data:`EVENT_FIELDS` order.

:class:`Notifications` turns what a subscription yields into a :class:`SampleBatch` (the time is
the source timestamp, else the server's, else the connector clock's; the quality is
:meth:`~shopfloor.samples.Quality.from_opcua` of the StatusCode; a bad value is None) and
:class:`~shopfloor.events.MachineEvent` objects. Malformed events are counted and logged once.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from asyncua import ua
from asyncua.common.subscription import DataChangeEvent, OpcEvent, StatusChangeEvent

from shopfloor.clock import Clock
from shopfloor.connect.sink import SampleBatch
from shopfloor.errors import ConnectorError, DecodeError
from shopfloor.events import EventKind, MachineEvent
from shopfloor.plant.model import DataType
from shopfloor.samples import Quality, Sample

from .client_config import OpcUaClientConfig
from .client_values import ns_of, plain, sample_value
from .events import EVENT_TYPE, FIELDS
from .nodeids import NodeRef
from .points import OpcUaPoint, PointTable
from .uatypes import node_id, qname, std

log = logging.getLogger(__name__)

#: Standard BaseEventType fields selected before the machine event's own (:data:`.events.FIELDS`).
BASE_FIELDS = ("EventType", "Time")
EVENT_FIELDS = (*BASE_FIELDS, *(name for name, _ in FIELDS))
NUMERIC = frozenset({DataType.FLOAT, DataType.DOUBLE, DataType.INT})


@dataclass(frozen=True, slots=True)
class Watch:
    """One monitored item: the variable of a tag (or of its block) and how to monitor it."""

    point: OpcUaPoint
    node: NodeRef
    block: bool
    sampling_interval_ms: float
    deadband: float
    queue_size: int


def watches(points: PointTable, config: OpcUaClientConfig) -> list[Watch]:
    out = []
    for p in points.points:
        tag = p.tag
        if p.block is not None:
            out.append(Watch(p, p.block, True, 0.0, 0.0, config.queue_size))
            continue
        interval = config.sampling_interval_ms
        if interval is None:
            interval = 1000.0 / tag.rate_hz
        deadband = tag.deadband if tag.data_type in NUMERIC else 0.0
        out.append(Watch(p, p.node, False, interval, deadband, config.queue_size))
    return out


def item_request(watch: Watch, nid: ua.NodeId, handle: int) -> ua.MonitoredItemCreateRequest:
    params = ua.MonitoringParameters()
    params.ClientHandle = cast(Any, handle)
    params.SamplingInterval = watch.sampling_interval_ms
    params.QueueSize = cast(Any, watch.queue_size)
    params.DiscardOldest = True
    if watch.deadband > 0:
        params.Filter = ua.DataChangeFilter(
            Trigger=ua.DataChangeTrigger.StatusValue,
            DeadbandType=cast(Any, ua.DeadbandType.Absolute),
            DeadbandValue=watch.deadband,
        )
    return _request(nid, ua.AttributeIds.Value, params)


def event_filter(event_type: ua.NodeId) -> ua.EventFilter:
    """Machine events only, their fields in :data:`EVENT_FIELDS` order (for the subscription's
    event item and for reading the event history)."""
    ns = int(event_type.NamespaceIndex)
    selects = []
    for name in EVENT_FIELDS:
        op = ua.SimpleAttributeOperand()
        op.AttributeId = ua.AttributeIds.Value
        if name in BASE_FIELDS:
            op.TypeDefinitionId = std(ua.ObjectIds.BaseEventType)
            op.BrowsePath = [qname(name, 0)]
        else:
            op.TypeDefinitionId = event_type
            op.BrowsePath = [qname(name, ns)]
        selects.append(op)
    is_type = ua.ContentFilterElement()
    is_type.FilterOperator = ua.FilterOperator.InList
    is_type.FilterOperands = [selects[0], ua.LiteralOperand(Value=ua.Variant(event_type))]
    return ua.EventFilter(SelectClauses=selects, WhereClause=ua.ContentFilter(Elements=[is_type]))


def event_request(
    event_type: ua.NodeId, handle: int, queue_size: int
) -> ua.MonitoredItemCreateRequest:
    """Machine events notified on the Server object, fields in :data:`EVENT_FIELDS` order."""
    params = ua.MonitoringParameters()
    params.ClientHandle = cast(Any, handle)
    params.QueueSize = cast(Any, queue_size)
    params.DiscardOldest = True
    params.Filter = event_filter(event_type)
    return _request(std(ua.ObjectIds.Server), ua.AttributeIds.EventNotifier, params)


def event_type_id(ns: int) -> ua.NodeId:
    return node_id(EVENT_TYPE, ns)


def _request(
    nid: ua.NodeId, attr: ua.AttributeIds, params: ua.MonitoringParameters
) -> ua.MonitoredItemCreateRequest:
    item = ua.MonitoredItemCreateRequest()
    item.ItemToMonitor = ua.ReadValueId(NodeId=nid, AttributeId=attr)
    item.MonitoringMode = ua.MonitoringMode.Reporting
    item.RequestedParameters = params
    return item


class Notifications:
    """Collects one subscription's notifications until :meth:`take` hands them over."""

    def __init__(
        self,
        watches: Sequence[Watch],
        event_handle: int | None,
        equipment: Iterable[str],
        clock: Clock,
        stats: Counter[str],
    ) -> None:
        self.watches = {i + 1: w for i, w in enumerate(watches)}
        self.event_handle = event_handle
        self.equipment = frozenset(equipment)
        self.clock = clock
        self.stats = stats
        self.bad_status: ua.StatusCode | None = None
        self._samples: list[Sample] = []
        self._blocks: list[SampleBatch] = []
        self._rows = 0
        self._events: list[MachineEvent] = []
        self._warned: set[str] = set()

    def __len__(self) -> int:
        return self._rows + len(self._events)

    def add(self, item: DataChangeEvent | OpcEvent | StatusChangeEvent) -> None:
        if isinstance(item, DataChangeEvent):
            handle = int(item.data.monitored_item.ClientHandle)
            watch = self.watches.get(handle)
            if watch is not None:
                self._data_change(watch, item.data.monitored_item.Value)
        elif isinstance(item, OpcEvent):
            self._event(item.event.event_fields or [])
        elif not item.notification.Status.is_good():
            self.bad_status = item.notification.Status

    def take(self) -> tuple[SampleBatch, list[MachineEvent]]:
        scalars = SampleBatch.from_samples(self._samples) if self._samples else None
        batch = SampleBatch.concat([b for b in (scalars, *self._blocks) if b is not None])
        events = self._events
        self._samples, self._blocks, self._events, self._rows = [], [], [], 0
        return batch, events

    def _data_change(self, watch: Watch, dv: ua.DataValue) -> None:
        code = dv.StatusCode.value if dv.StatusCode is not None else ua.StatusCodes.Good
        quality = Quality.from_opcua(code)
        ts = ns_of(dv.SourceTimestamp) or ns_of(dv.ServerTimestamp) or self.clock.now_ns()
        value = None if quality is Quality.BAD else plain(dv.Value)
        tag = watch.point.tag_id
        if watch.block and value is not None:
            self._block(tag, ts, watch.point.tag.rate_hz, value, quality)
            return
        try:
            self._samples.append(Sample(tag, ts, sample_value(value), quality))
        except ConnectorError as exc:
            self._warn(tag, exc.message)
            return
        self._rows += 1

    def _block(self, tag: str, start: int, rate: float, values: Any, quality: Quality) -> None:
        try:
            array = np.asarray(values, dtype=np.float64).ravel()
        except (TypeError, ValueError) as exc:
            self._warn(tag, f"block is not numbers: {exc}")
            return
        n = len(array)
        self._blocks.append(
            SampleBatch(
                (tag,),
                np.zeros(n, dtype=np.int32),
                start + np.round(np.arange(n) * (1e9 / rate)).astype(np.int64),
                array,
                np.full(n, int(quality), dtype=np.uint8),
            )
        )
        self._rows += n

    def _event(self, fields: list[ua.Variant]) -> None:
        try:
            event = machine_event(fields)
        except DecodeError as exc:
            self._warn("events", exc.message)
            return
        if event.equipment in self.equipment:
            self._events.append(event)

    def _warn(self, what: str, why: str) -> None:
        self.stats["notifications_malformed"] += 1
        if what not in self._warned:
            self._warned.add(what)
            log.warning("OPC UA %s: notification not used: %s (logged once)", what, why)


def machine_event(fields: list[ua.Variant]) -> MachineEvent:
    """A machine event from the fields selected in :data:`EVENT_FIELDS` order."""
    if len(fields) != len(EVENT_FIELDS):
        raise DecodeError(f"machine event has {len(fields)} fields, expected {len(EVENT_FIELDS)}")
    v = dict(zip(EVENT_FIELDS, (plain(f) for f in fields), strict=True))
    try:
        payload = json.loads(v["Payload"] or "{}")
        if not isinstance(payload, dict):
            raise DecodeError("machine event Payload is not a JSON object")
        ts = ns_of(v["Time"])
        if ts is None:
            raise DecodeError("machine event has no Time")
        return MachineEvent(
            kind=EventKind(v["Kind"]),
            equipment=str(v["Equipment"]),
            ts_ns=ts,
            serial=v["Serial"] or None,
            order_id=v["OrderId"] or None,
            payload=payload,
            seq=int(v["Sequence"] or 0),
        )
    except json.JSONDecodeError as exc:
        raise DecodeError(f"machine event Payload is not JSON: {exc}", offset=exc.pos) from None
    except (TypeError, ValueError) as exc:
        raise DecodeError(f"bad machine event field: {exc}") from None
