"""The UNS connector: reads samples, batches and events off the bus into a sample sink.

:class:`UnsConnector` is a :class:`~shopfloor.service.Service` on any bus
:class:`~shopfloor.bus.transport.Transport` (MQTT or the in-memory hub): it subscribes to the
topics of :meth:`~shopfloor.connect.mqtt.config.UnsConfig.filters`, decodes each message with
:func:`shopfloor.bus.envelope.decode_message` (JSON sample, binary batch or event, checked
against the topic it came on) and hands :class:`~shopfloor.connect.sink.SampleBatch` rows and
:class:`~shopfloor.events.MachineEvent` lists to its sink every ``flush_interval_s`` (or at
``max_batch_rows``).

Nothing is fatal and nothing is dropped silently: a message that does not decode (not JSON, a
wrong type, a tag that does not match its topic...) is parked as ``malformed`` with the decoder's
byte offset; a JSON sample whose value is NaN or infinite (``NaN`` is not JSON, but Python's
parser reads it; the envelope sends NaN as null) is parked as ``non-finite value``; samples,
batch blocks and events whose time is beyond the tolerances are parked as ``future timestamp``
/ ``past timestamp``. Binary batches may carry non-finite values (the envelope's way for them)
and pass as they are. Parked payloads and per-equipment counts are in the
:class:`~shopfloor.connect.status.ConnectorStatus`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time

import numpy as np

from shopfloor.bus.envelope import RegularBlock, decode_message
from shopfloor.bus.topics import parse_topic
from shopfloor.bus.transport import Transport
from shopfloor.clock import NS_PER_S, Clock, WallClock
from shopfloor.connect.mqtt.config import UnsConfig
from shopfloor.connect.sink import Rows, SampleSink
from shopfloor.connect.status import ConnectorStatus, ParkedPayload
from shopfloor.errors import BadInput
from shopfloor.events import MachineEvent
from shopfloor.samples import Sample
from shopfloor.service import Health

log = logging.getLogger(__name__)


class UnsConnector:
    """Reads the UNS through ``transport`` into ``sink`` (see the module docstring)."""

    def __init__(
        self,
        transport: Transport,
        sink: SampleSink,
        config: UnsConfig | None = None,
        *,
        clock: Clock | None = None,
        status: ConnectorStatus | None = None,
        name: str = "uns",
    ) -> None:
        self.transport, self.sink, self.name = transport, sink, name
        self.config = (config or UnsConfig()).validate()
        self.clock: Clock = clock or WallClock()
        self.registry = status or ConnectorStatus(self.clock)
        self.status = self.registry.connector(name, "mqtt")
        self._tags: dict[str, int] = {}
        self._names: list[str] = []
        self._rows = Rows()
        self._events: list[MachineEvent] = []
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._owns_transport = False
        self._logged: dict[str, float] = {}

    # ---- Service ----------------------------------------------------------------------------

    async def start(self) -> None:
        if self._task is not None:
            return
        for topic_filter in self.config.filters():
            await self.transport.subscribe(topic_filter, self._on_message, self.config.qos)
        if not self.transport.connected:
            await self.transport.connect()
            self._owns_transport = True
        self.status.set_online(True)
        self._task = asyncio.create_task(self._flusher(), name=f"{self.name}-flush")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        for topic_filter in self.config.filters():
            with contextlib.suppress(Exception):  # the connection may be gone: nothing to undo
                await self.transport.unsubscribe(topic_filter)
        if self._owns_transport:
            await self.transport.close()
            self._owns_transport = False
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await self.flush()
        self.status.set_online(False)

    def health(self) -> Health:
        snap = self.registry.snapshot()["connectors"][self.name]
        ok = self._task is not None and self.transport.connected
        detail = f"{len(snap['devices'])} equipment seen; {snap['parked_total']} parked"
        return Health(
            ok=ok,
            detail=detail if ok else "stopped or not connected",
            metrics=dict(snap["counters"], parked=snap["parked_total"]),
        )

    # ---- receiving (event loop) -------------------------------------------------------------

    def _on_message(self, topic: str, payload: bytes) -> None:
        now = self.clock.now_ns()
        try:
            message = decode_message(topic, payload)
        except BadInput as exc:  # DecodeError included
            self._park(topic, payload, now, "malformed", exc.message, getattr(exc, "offset", None))
            return
        equipment = parse_topic(topic).equipment
        lo = now - int(self.config.past_tolerance_s * NS_PER_S)
        hi = now + int(self.config.future_tolerance_s * NS_PER_S)
        if isinstance(message, MachineEvent):
            if self._late_or_early(topic, payload, now, message.ts_ns, lo, hi, equipment):
                return
            self._events.append(message)
            self.status.message(equipment, 0, now - message.ts_ns)
        elif isinstance(message, Sample):
            self._sample(topic, payload, now, message, lo, hi, equipment)
        else:
            before, newest = self._rows.count, None
            for block in message:
                ts = block.timestamps() if isinstance(block, RegularBlock) else block.ts_ns
                if len(ts) == 0:
                    continue
                first, last = int(ts.min()), int(ts.max())
                bad = first if first < lo else last
                if self._late_or_early(topic, payload, now, bad, lo, hi, equipment, block.tag):
                    continue
                newest = last if newest is None else max(newest, last)
                q = (
                    np.full(len(ts), int(block.quality), np.uint8)
                    if isinstance(block, RegularBlock)
                    else block.quality
                )
                self._rows.chunk(self._tag(block.tag), ts, block.values, q)
            self.status.message(
                equipment, self._rows.count - before, None if newest is None else now - newest
            )
        if self._rows.count >= self.config.max_batch_rows:
            self._wake.set()

    def _sample(
        self, topic: str, payload: bytes, now: int, s: Sample, lo: int, hi: int, equipment: str
    ) -> None:
        value = s.value
        if isinstance(value, float) and not math.isfinite(value):
            self._park(
                topic, payload, now, "non-finite value", f"{s.tag}: value {value}", None, equipment
            )
            return
        if self._late_or_early(topic, payload, now, s.ts_ns, lo, hi, equipment, s.tag):
            return
        tag = self._tag(s.tag)
        if value is None:
            self._rows.scalar(tag, s.ts_ns, math.nan, int(s.quality))
        elif isinstance(value, bool):
            self._rows.scalar(tag, s.ts_ns, float(value), int(s.quality), str(value).lower())
        elif isinstance(value, str):
            self._rows.scalar(tag, s.ts_ns, math.nan, int(s.quality), value)
        else:
            self._rows.scalar(tag, s.ts_ns, float(value), int(s.quality))
        self.status.message(equipment, 1, now - s.ts_ns)

    def _late_or_early(
        self,
        topic: str,
        payload: bytes,
        now: int,
        ts: int,
        lo: int,
        hi: int,
        equipment: str,
        what: str = "event",
    ) -> bool:
        if lo <= ts <= hi:
            return False
        reason = "future timestamp" if ts > hi else "past timestamp"
        self._park(
            topic,
            payload,
            now,
            reason,
            f"{what}: time {ts} ns is outside [{lo}, {hi}]",
            None,
            equipment,
        )
        return True

    def _tag(self, tag_id: str) -> int:
        i = self._tags.get(tag_id)
        if i is None:
            i = self._tags[tag_id] = len(self._names)
            self._names.append(tag_id)
        return i

    def _park(
        self,
        topic: str,
        payload: bytes,
        now: int,
        reason: str,
        detail: str,
        offset: int | None,
        equipment: str | None = None,
    ) -> None:
        self.status.park(ParkedPayload(now, topic, reason, detail, payload, offset, equipment))
        wall = time.monotonic()
        if wall - self._logged.get(reason, -60.0) >= 60.0:  # once a minute per reason
            self._logged[reason] = wall
            log.warning("%s: parked %s (%s): %s", self.name, topic, reason, detail)

    # ---- delivery ---------------------------------------------------------------------------

    async def _flusher(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.config.flush_interval_s)
            self._wake.clear()
            await self.flush()

    async def flush(self) -> None:
        """Hand what was received so far to the sink now."""
        rows, events = self._rows, self._events
        self._rows, self._events = Rows(), []
        try:
            if rows.count:
                await self.sink.on_samples(rows.build(self._names))
            if events:
                await self.sink.on_events(events)
        except Exception as exc:  # the sink is another component: count, log, go on
            self.status.count("sink_errors")
            self.status.error(f"sink failed ({rows.count} rows, {len(events)} events lost): {exc}")
            log.warning(
                "%s: sink failed, %d rows and %d events lost: %s",
                self.name,
                rows.count,
                len(events),
                exc,
            )
