"""Live values: the newest sample of every tag, kept in memory, and change notification.

:class:`LiveValues` is a :class:`~shopfloor.connect.sink.SampleSink`: whatever delivers samples
(the connectors, directly or through ingest) hands it batches; it keeps the newest sample per tag
(an older sample never replaces a newer one) and numbers every change, so a reader can ask what
changed since the number it saw last (:meth:`LiveValues.changes`) and wait for the next change
(:meth:`LiveValues.wait`, from any event loop). Machine events go on to the :class:`EventLog`
when one is given. Deliveries may come from any thread. :meth:`LiveValues.rendered` keeps a
serialized answer and hands it out again while the change number it was made at is current, so
readers polling faster than the values change cost one rendering per change.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from shopfloor.auth.audit import iso
from shopfloor.connect.sink import SampleBatch
from shopfloor.events import MachineEvent
from shopfloor.samples import Quality

from .events import EventLog


@dataclass(frozen=True, slots=True)
class LiveValue:
    tag: str
    ts_ns: int
    value: float | None
    text: str | None
    quality: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "tag": self.tag,
            "ts": iso(self.ts_ns),
            "value": self.value,
            "text": self.text,
            "quality": Quality(self.quality).name.lower(),
        }


#: Most serialized answers :meth:`LiveValues.rendered` keeps (all are dropped past it).
RENDERED_MAX = 256


def json_bytes(body: Any) -> bytes:
    """``body`` as compact UTF-8 JSON, as :class:`~fastapi.responses.JSONResponse` writes it."""
    return json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def under(tag: str, prefix: str | None) -> bool:
    return prefix is None or tag == prefix or tag.startswith(prefix + "/")


class LiveValues:
    """Newest value per tag with a change counter (see the module doc)."""

    def __init__(self, events: EventLog | None = None) -> None:
        self.events = events
        self._lock = threading.Lock()
        self._values: dict[str, LiveValue] = {}
        self._changed: dict[str, int] = {}
        self._seq = 0
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self._closed = False
        self._rendered: dict[Hashable, tuple[int, bytes]] = {}
        self.samples_seen = 0

    # ---- the SampleSink side -----------------------------------------------------------------

    async def on_samples(self, batch: SampleBatch) -> None:
        self.update(batch)

    async def on_events(self, events: Sequence[MachineEvent]) -> None:
        if self.events is not None:
            self.events.extend(events)

    def update(self, batch: SampleBatch) -> None:
        """Take the newest row of each tag of ``batch`` (safe from any thread)."""
        n = len(batch)
        if n == 0:
            return
        reversed_index = batch.tag_index[::-1]
        tags, first = np.unique(reversed_index, return_index=True)
        rows = n - 1 - first
        with self._lock:
            self.samples_seen += n
            for t, row in zip(tags.tolist(), rows.tolist(), strict=True):
                name = batch.tags[t]
                ts = int(batch.ts_ns[row])
                old = self._values.get(name)
                if old is not None and old.ts_ns > ts:
                    continue
                v = float(batch.values[row])
                text = batch.text[row] if batch.text is not None else None
                self._seq += 1
                self._values[name] = LiveValue(
                    name, ts, None if v != v else v, text, int(batch.quality[row])
                )
                self._changed[name] = self._seq
            waiters = list(self._waiters)
        for loop, event in waiters:
            _wake(loop, event)

    # ---- readers -----------------------------------------------------------------------------

    @property
    def seq(self) -> int:
        return self._seq

    def snapshot(self, prefix: str | None = None) -> list[LiveValue]:
        return self.snapshot_seq(prefix)[0]

    def snapshot_seq(self, prefix: str | None = None) -> tuple[list[LiveValue], int]:
        """The newest values under ``prefix`` by tag, and the change number they are at."""
        with self._lock:
            rows = [v for t, v in self._values.items() if under(t, prefix)]
            seq = self._seq
        rows.sort(key=lambda v: v.tag)
        return rows, seq

    def rendered(
        self,
        key: Hashable,
        prefix: str | None,
        render: Callable[[list[LiveValue], int], bytes],
    ) -> bytes:
        """``render(snapshot, seq)`` of the values under ``prefix``, made again only once a
        value changed since the answer kept under ``key`` was made."""
        hit = self._rendered.get(key)
        if hit is not None and hit[0] == self._seq:
            return hit[1]
        rows, seq = self.snapshot_seq(prefix)
        body = render(rows, seq)
        with self._lock:
            if len(self._rendered) >= RENDERED_MAX:
                self._rendered.clear()
            self._rendered[key] = (seq, body)
        return body

    def changes(self, prefix: str | None, since: int) -> tuple[list[LiveValue], int]:
        """Values of tags under ``prefix`` changed after change number ``since``, and the
        number to ask with next time."""
        with self._lock:
            out = [
                self._values[t] for t, s in self._changed.items() if s > since and under(t, prefix)
            ]
            return sorted(out, key=lambda v: v.tag), self._seq

    async def wait(self, since: int, timeout: float) -> bool:
        """Wait until a change after ``since`` (True) or ``timeout`` seconds (False); returns
        False at once once the cache is closed."""
        event = asyncio.Event()
        key = (asyncio.get_running_loop(), event)
        with self._lock:
            if self._closed:
                return False
            if self._seq > since:
                return True
            self._waiters.add(key)
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            pass
        finally:
            with self._lock:
                self._waiters.discard(key)
        return self._seq > since and not self._closed

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Wake every waiter for good (the server is stopping: streams end)."""
        with self._lock:
            self._closed = True
            waiters = list(self._waiters)
        for loop, event in waiters:
            _wake(loop, event)


def _wake(loop: asyncio.AbstractEventLoop, event: asyncio.Event) -> None:
    if loop.is_closed():
        return
    with contextlib.suppress(RuntimeError):  # the loop closed in between
        loop.call_soon_threadsafe(event.set)
