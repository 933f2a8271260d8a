"""The two ends of ingest on the bus: :class:`BusPublisher` (connectors -> UNS topics) and
:class:`HistorianWriter` (UNS topics -> historian); :class:`FanOutSink` hands what the
connectors deliver to the in-process subscribers on the way in.

What travels (see :mod:`shopfloor.bus.topics` and :mod:`shopfloor.bus.envelope`):

* numeric samples: one binary batch per equipment and delivery on ``.../<equipment>/batch``,
  one column block per tag (times, values, qualities), QoS 1;
* samples carrying text (strings, booleans): one JSON sample each on ``.../tag/<tag>``, QoS 1
  (the batch envelope carries float64 values only);
* machine events: JSON on ``.../event/<kind>``, QoS 1.

A repeated delivery (a publish retried after a timeout, a buffered record replayed) is harmless:
the historian keeps one sample per (tag, time) and events carry their equipment's ``seq``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import Counter
from collections.abc import Awaitable, Sequence

import numpy as np

from shopfloor.bus.envelope import Block, ColumnBlock, decode_message, encode_batch, encode_sample
from shopfloor.bus.topics import BATCH_QOS, EVENT_QOS, batch_topic, event_topic, tag_topic
from shopfloor.bus.transport import Transport
from shopfloor.clock import Clock, WallClock
from shopfloor.connect.sink import SampleBatch, SampleSink
from shopfloor.connect.status import ConnectorState, ParkedPayload
from shopfloor.errors import BusError, ShopfloorError
from shopfloor.events import MachineEvent
from shopfloor.historian.store import Historian
from shopfloor.samples import Quality, Sample

log = logging.getLogger(__name__)

_MAX_BLOCKS = 0xFFFF


def batch_messages(batch: SampleBatch) -> list[tuple[str, bytes]]:
    """``(topic, payload)`` pairs carrying every row of ``batch`` (see the module doc)."""
    text = batch.text
    has_text = (
        np.fromiter((t is not None for t in text), bool, len(text)) if text is not None else None
    )
    numeric = np.flatnonzero(~has_text) if has_text is not None else slice(None)
    ti, ts = batch.tag_index[numeric], batch.ts_ns[numeric]
    values, quality = batch.values[numeric], batch.quality[numeric]
    order = np.argsort(ti, kind="stable")
    ti, ts, values, quality = ti[order], ts[order], values[order], quality[order]
    cuts = np.flatnonzero(np.diff(ti)) + 1
    starts = [0, *cuts.tolist()]
    ends = [*cuts.tolist(), len(ti)]
    by_equipment: dict[str, list[Block]] = {}
    for s, e in zip(starts, ends, strict=True):
        if s == e:
            continue
        tag = batch.tags[int(ti[s])]
        block = ColumnBlock(tag, ts[s:e], values[s:e], quality[s:e])
        by_equipment.setdefault(tag.rsplit("/", 1)[0], []).append(block)
    out: list[tuple[str, bytes]] = []
    for equipment, blocks in by_equipment.items():
        topic = batch_topic(equipment)
        for i in range(0, len(blocks), _MAX_BLOCKS):
            out.append((topic, encode_batch(blocks[i : i + _MAX_BLOCKS])))
    if has_text is not None and text is not None:
        for i in np.flatnonzero(has_text).tolist():
            t = text[i]
            assert t is not None
            value: str | bool = t if math.isnan(batch.values[i]) else t == "true"
            tag = batch.tags[int(batch.tag_index[i])]
            sample = Sample(tag, int(batch.ts_ns[i]), value, Quality(int(batch.quality[i])))
            out.append((tag_topic(tag), encode_sample(sample)))
    return out


class BusPublisher:
    """A :class:`~shopfloor.connect.sink.SampleSink` that publishes to the UNS.

    Raises :class:`~shopfloor.errors.BusError` when the transport is not connected or the broker
    does not acknowledge within ``timeout_s``: put a
    :class:`~shopfloor.connect.buffer.BufferedSink` in front of it to keep that data.
    """

    def __init__(self, transport: Transport, *, timeout_s: float = 10.0) -> None:
        self.transport, self.timeout_s = transport, timeout_s
        self.stats: Counter[str] = Counter()

    async def on_samples(self, batch: SampleBatch) -> None:
        if len(batch):
            await self._send(batch_messages(batch))
            self.stats["rows"] += len(batch)

    async def on_events(self, events: Sequence[MachineEvent]) -> None:
        if events:
            await self._send([(event_topic(e.equipment, e.kind), e.to_bytes()) for e in events])
            self.stats["events"] += len(events)

    async def _send(self, messages: list[tuple[str, bytes]]) -> None:
        if not self.transport.connected:
            raise BusError(f"bus client {self.transport.client_id} is not connected")
        qos = max(BATCH_QOS, EVENT_QOS)
        sends = [self.transport.publish(topic, payload, qos) for topic, payload in messages]
        try:
            await asyncio.wait_for(asyncio.gather(*sends), self.timeout_s)
        except TimeoutError:
            raise BusError(
                f"broker did not acknowledge {len(messages)} messages within {self.timeout_s}s"
            ) from None
        self.stats["messages"] += len(messages)


class Subscribers:
    """The in-process consumers of what ingest receives (see :meth:`IngestService.subscribe`)."""

    def __init__(self) -> None:
        self.sinks: list[SampleSink] = []
        self.failures: Counter[str] = Counter()

    async def samples(self, batch: SampleBatch) -> None:
        for sink in list(self.sinks):
            await self._call(sink, sink.on_samples(batch))

    async def events(self, events: list[MachineEvent]) -> None:
        for sink in list(self.sinks):
            await self._call(sink, sink.on_events(events))

    async def _call(self, sink: SampleSink, call: Awaitable[None]) -> None:
        name = type(sink).__name__
        try:
            await call
        except Exception:
            if not self.failures[name]:
                log.exception("ingest subscriber %s failed (logged once; ingest goes on)", name)
            self.failures[name] += 1


class FanOutSink:
    """Where the connectors deliver: to the in-process subscribers at once, then on to
    ``inner`` (the store-and-forward buffer, the bus and the historian).

    So live consumers see a value as soon as its connector hands it over, without the bus round
    trip and the writers' flush interval, and also while the bus is down.
    """

    def __init__(self, subscribers: Subscribers, inner: SampleSink) -> None:
        self.subscribers, self.inner = subscribers, inner

    async def on_samples(self, batch: SampleBatch) -> None:
        if len(batch):
            await self.subscribers.samples(batch)
        await self.inner.on_samples(batch)

    async def on_events(self, events: Sequence[MachineEvent]) -> None:
        if events:
            await self.subscribers.events(list(events))
        await self.inner.on_events(events)


class HistorianWriter:
    """One ingest worker: subscribes to the UNS, decodes, writes batches (and fans out).

    Messages are decoded as they arrive and collected; every ``flush_interval_s`` (or as soon as
    ``max_rows`` rows wait) they go to the ``subscribers`` (when given: :class:`IngestService`
    fans out at delivery instead, see :class:`FanOutSink`) and then, as one Arrow table, to the
    historian (in a worker thread, under the store's lock). A payload that cannot be decoded is
    counted and parked in ``status`` with the reason. A historian failure keeps the rows for the
    next flush; rows the historian refuses as bad input are counted and logged.
    """

    def __init__(
        self,
        name: str,
        transport: Transport,
        topic_filter: str,
        historian: Historian,
        subscribers: Subscribers | None = None,
        *,
        status: ConnectorState | None = None,
        clock: Clock | None = None,
        flush_interval_s: float = 0.2,
        max_rows: int = 200_000,
    ) -> None:
        self.name, self.transport, self.topic_filter = name, transport, topic_filter
        self.historian, self.subscribers, self.status = historian, subscribers, status
        self.clock: Clock = clock or WallClock()
        self.flush_interval_s, self.max_rows = flush_interval_s, max_rows
        self.stats: Counter[str] = Counter()
        self._samples: list[SampleBatch] = []
        self._events: list[MachineEvent] = []
        self._unwritten: list[SampleBatch] = []  # handed to subscribers, not yet stored
        self._pending = 0
        self._kick = asyncio.Event()
        self._flushed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.transport.subscribe(self.topic_filter, self._on_message, qos=1)
        await self.transport.connect()
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        await self.transport.close()  # delivers what has arrived to _on_message first
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.flush()

    async def _on_message(self, topic: str, payload: bytes) -> None:
        try:
            item = decode_message(topic, payload)
        except ShopfloorError as exc:
            self._park(topic, payload, exc)
            return
        self.stats["messages"] += 1
        if isinstance(item, MachineEvent):
            self._events.append(item)
            return
        if isinstance(item, Sample):
            batch = SampleBatch.from_samples([item])
        else:
            batch = _blocks_batch(item)
        self._samples.append(batch)
        self._pending += len(batch)
        while self._pending >= self.max_rows:  # let the flush catch up (back-pressure)
            self._flushed.clear()
            self._kick.set()
            await self._flushed.wait()

    def _park(self, topic: str, payload: bytes, exc: ShopfloorError) -> None:
        self.stats["malformed"] += 1
        offset = getattr(exc, "offset", None)
        if self.stats["malformed"] == 1:
            log.error("%s: malformed message on %s parked: %s", self.name, topic, exc.message)
        if self.status is not None:
            self.status.park(
                ParkedPayload(
                    self.clock.now_ns(), topic, "malformed", exc.message, payload, offset, None
                )
            )

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kick.wait(), self.flush_interval_s)
            self._kick.clear()
            await self.flush()
            self._flushed.set()

    async def flush(self) -> None:
        """Hand what was collected to the subscribers and the historian."""
        events, self._events = self._events, []
        if events:
            if self.subscribers is not None:
                await self.subscribers.events(events)
            self.stats["events"] += len(events)
        fresh, self._samples, self._pending = self._samples, [], 0
        if fresh:
            batch = SampleBatch.concat(fresh)
            if self.subscribers is not None:
                await self.subscribers.samples(batch)
            self._unwritten.append(batch)
        if not self._unwritten:
            return
        batch = SampleBatch.concat(self._unwritten)
        try:
            rows = await asyncio.to_thread(self._write, batch)
        except ShopfloorError as exc:
            if not exc.bad_input:
                return self._retry_later(exc)
            self.stats["rejected_rows"] += len(batch)
            log.error("%s: historian refused %d rows: %s", self.name, len(batch), exc.message)
        except Exception as exc:
            return self._retry_later(exc)
        else:
            self.stats["rows"] += rows
        self._unwritten = []

    def _retry_later(self, exc: BaseException) -> None:
        self.stats["write_failures"] += 1
        if self.stats["write_failures"] == 1 or self.stats["write_failures"] % 100 == 0:
            log.warning("%s: historian write failed (%s); will retry", self.name, exc)

    def _write(self, batch: SampleBatch) -> int:
        with self.historian.lock:
            ids = self.historian.registry.ensure(batch.tags)
            return self.historian.write(batch.to_table(ids)).rows


def _blocks_batch(blocks: list[Block]) -> SampleBatch:
    """The rows of decoded batch blocks as one :class:`SampleBatch`."""
    tags = tuple(b.tag for b in blocks)
    ts, values, quality = [], [], []
    for b in blocks:
        if isinstance(b, ColumnBlock):
            ts.append(b.ts_ns)
            quality.append(b.quality)
        else:
            ts.append(b.timestamps())
            quality.append(np.full(len(b.values), int(b.quality), np.uint8))
        values.append(b.values)
    counts = [len(v) for v in values]
    return SampleBatch(
        tags,
        np.repeat(np.arange(len(tags), dtype=np.int32), counts),
        np.concatenate(ts).astype(np.int64, copy=False),
        np.concatenate(values).astype(np.float64, copy=False),
        np.concatenate(quality).astype(np.uint8, copy=False),
    )
