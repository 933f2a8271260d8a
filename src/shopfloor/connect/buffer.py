"""Store and forward: a :class:`~shopfloor.connect.sink.SampleSink` that keeps on disk what its
downstream cannot take, and delivers it later, in order, before anything new.

:class:`BufferedSink` wraps any sink (the historian's ingest, the bus publisher). While the
downstream takes data, batches pass straight through. When it raises, or when it is marked
unavailable (:meth:`BufferedSink.set_available`), batches are appended to a
:class:`~shopfloor.connect.buffer_store.SegmentStore` under ``directory``: sample batches as Arrow
IPC streams, event lists as JSON lines, each one CRC-checked record. A background task retries
with exponential back-off (only while the downstream is not marked unavailable) and delivers the
backlog oldest first; new data keeps going to disk until the backlog is empty, so order is kept.
Reopening the directory after a restart continues where delivery stopped.

Guarantees
    In order, and exactly once across clean stops and restarts (the read cursor moves after each
    delivered record). A crash between a delivery and its cursor write replays that one record:
    the historian's (tag, time) key and the events' ``seq`` make the replay harmless.

Bound and policy
    The files never pass ``max_bytes``. When full, NEW data is refused: :class:`BufferFull` is
    raised to the caller and counted (``refused_rows`` / ``refused_events``). Nothing already
    stored is ever dropped to make room: within the bound nothing is lost; past it the loss is
    the newest data, loudly, at the door.

A record the downstream refuses as bad input (a :class:`~shopfloor.errors.ShopfloorError` with
``bad_input``) would be refused forever: it is moved to ``rejected.seg`` and counted, and
delivery goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from shopfloor.connect.buffer_store import BufferFull, Record, SegmentStore
from shopfloor.connect.sink import BATCH_SCHEMA, SampleBatch, SampleSink
from shopfloor.errors import ConfigError, ShopfloorError
from shopfloor.events import MachineEvent
from shopfloor.service import Health

log = logging.getLogger(__name__)

__all__ = ["BufferFull", "BufferedSink"]

SAMPLES, EVENTS = 1, 2
Item = SampleBatch | list[MachineEvent]


def encode_item(item: Item) -> tuple[int, bytes]:
    if isinstance(item, SampleBatch):
        out = io.BytesIO()
        with pa.ipc.new_stream(out, BATCH_SCHEMA) as writer:
            writer.write_batch(item.to_arrow())
        return SAMPLES, out.getvalue()
    return EVENTS, b"\n".join(e.to_bytes() for e in item)


def decode_item(record: Record) -> Item:
    if record.kind == SAMPLES:
        table = pa.ipc.open_stream(record.body).read_all()
        return SampleBatch.concat([SampleBatch.from_arrow(b) for b in table.to_batches()])
    if record.kind == EVENTS:
        return [MachineEvent.from_bytes(line) for line in record.body.split(b"\n") if line]
    raise ConfigError(f"buffer record kind {record.kind} is unknown (not written by this version)")


class BufferedSink:
    """``inner`` with a disk buffer in ``directory`` (a Service: start it before use)."""

    def __init__(
        self,
        inner: SampleSink,
        directory: Path | str,
        *,
        max_bytes: int = 1 << 30,
        segment_bytes: int = 16 << 20,
        retry_initial_s: float = 0.5,
        retry_max_s: float = 10.0,
        fsync: bool = True,
        name: str = "buffer",
    ) -> None:
        if not 0 < retry_initial_s <= retry_max_s:
            raise ConfigError("retry delays must satisfy 0 < retry_initial_s <= retry_max_s")
        self.inner, self.name = inner, name
        self.store = SegmentStore(
            Path(directory), max_bytes=max_bytes, segment_bytes=segment_bytes, fsync=fsync
        )
        self.retry_initial_s, self.retry_max_s = retry_initial_s, retry_max_s
        self.stats: dict[str, int] = dict.fromkeys(
            (
                "direct",
                "buffered",
                "replayed",
                "rejected",
                "refused_rows",
                "refused_events",
                "failures",
            ),
            0,
        )
        self.last_error = ""
        self._marked_available = True
        self._failing = False
        self._lock = asyncio.Lock()
        self._kick = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._opened = False

    @property
    def backlog(self) -> int:
        """Records waiting on disk."""
        return self.store.pending

    # ---- Service ----------------------------------------------------------------------------

    async def start(self) -> None:
        if not self._opened:
            await asyncio.to_thread(self.store.open)
            self._opened = True
            if self.store.pending:
                log.info(
                    "buffer %s: %d records from before the restart to deliver",
                    self.name,
                    self.store.pending,
                )
        if self._task is None:
            self._task = asyncio.create_task(self._drain(), name=f"{self.name}-drain")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            async with self._lock:  # let a delivery in progress finish, cursor written
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def health(self) -> Health:
        up = self._marked_available and not self._failing
        detail = f"downstream {'up' if up else 'down'}, {self.store.pending} records buffered"
        metrics: dict[str, Any] = dict(
            self.stats,
            backlog=self.store.pending,
            bytes=self.store.bytes_used,
            corrupt=self.store.corrupt,
            truncated_bytes=self.store.truncated_bytes,
        )
        return Health(ok=self._task is not None and up, detail=detail, metrics=metrics)

    def set_available(self, available: bool) -> None:
        """Mark the downstream (un)available; while unavailable nothing is sent to it."""
        self._marked_available = available
        if available:
            self._failing = False
            self._kick.set()

    # ---- SampleSink -------------------------------------------------------------------------

    async def on_samples(self, batch: SampleBatch) -> None:
        if len(batch):
            await self._take(batch)

    async def on_events(self, events: Sequence[MachineEvent]) -> None:
        if events:
            await self._take(list(events))

    async def _take(self, item: Item) -> None:
        if not self._opened:
            raise ConfigError(f"buffer {self.name} is not started")
        async with self._lock:
            if self.store.pending == 0 and self._marked_available and not self._failing:
                try:
                    await self._deliver(item)
                    self.stats["direct"] += 1
                    return
                except ShopfloorError as exc:
                    if exc.bad_input:
                        raise  # the data is wrong, not the downstream: the caller parks it
                    self._failed(exc)
                except Exception as exc:
                    self._failed(exc)
            kind, body = encode_item(item)
            try:
                await asyncio.to_thread(self.store.append, kind, body)
            except BufferFull:
                self.stats["refused_rows" if kind == SAMPLES else "refused_events"] += len(item)
                raise
            self.stats["buffered"] += 1
            if self.store.pending == 1:  # the drain task was idle: start the retries
                self._kick.set()

    async def _deliver(self, item: Item) -> None:
        if isinstance(item, SampleBatch):
            await self.inner.on_samples(item)
        else:
            await self.inner.on_events(item)

    def _failed(self, exc: BaseException) -> None:
        self.stats["failures"] += 1
        self.last_error = f"{type(exc).__name__}: {exc}"
        if not self._failing:
            log.warning(
                "buffer %s: downstream failed (%s); buffering to %s",
                self.name,
                self.last_error,
                self.store.directory,
            )
        self._failing = True

    # ---- drain ------------------------------------------------------------------------------

    async def _drain(self) -> None:
        delay = self.retry_initial_s
        while True:
            if not (self.store.pending and self._marked_available):
                self._kick.clear()
                await self._kick.wait()
                continue
            if await self._replay_one():
                delay = self.retry_initial_s
                continue
            self._kick.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kick.wait(), delay)
            delay = min(2 * delay, self.retry_max_s)

    async def _replay_one(self) -> bool:
        """Deliver the oldest record; False when the downstream failed (try again later)."""
        async with self._lock:
            record = await asyncio.to_thread(self.store.peek)
            if record is None:
                return True
            try:
                item = decode_item(record)
                refused = ""
            except Exception as exc:  # stored by another version, or damaged past the CRC
                refused = f"cannot be decoded: {type(exc).__name__}: {exc}"
            if not refused:
                try:
                    await self._deliver(item)
                    self.stats["replayed"] += 1
                except ShopfloorError as exc:
                    if not exc.bad_input:
                        self._failed(exc)
                        return False
                    refused = f"refused by the downstream as bad input: {exc.message}"
                except Exception as exc:
                    self._failed(exc)
                    return False
            if refused:
                log.error(
                    "buffer %s: a buffered record %s; kept in rejected.seg", self.name, refused
                )
                self.stats["rejected"] += 1
                await asyncio.to_thread(self.store.reject, record)
            await asyncio.to_thread(self.store.ack, record)
            if self._failing:
                log.info("buffer %s: downstream takes data again", self.name)
                self._failing = False
            return True
