"""Hands received messages to subscription handlers, in order, on the transport's event loop.

Both transports feed one :class:`Dispatcher`: the MQTT transport from paho's network thread
(:meth:`Dispatcher.push_threadsafe`, one loop wake-up per burst, not per message), the memory
transport from the loop itself (:meth:`Dispatcher.push`). Each message goes to every handler whose
filter matches its topic (matching is :func:`~shopfloor.bus.broker.filters.topic_matches`, the
broker's own); a message no handler wants is counted as unrouted.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections import Counter, deque

from shopfloor.bus.broker.filters import split_shared, topic_matches
from shopfloor.bus.transport import Handler
from shopfloor.errors import BadInput, BusError

log = logging.getLogger(__name__)

#: Messages handled before the dispatcher yields to other tasks.
_YIELD_EVERY = 512
_CACHE_SIZE = 4096


class Dispatcher:
    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.stats: Counter[str] = Counter()
        self._subs: dict[str, tuple[str, Handler]] = {}
        self._cache: dict[str, list[Handler]] = {}
        self._queue: deque[tuple[str, bytes]] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._scheduled = False
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    # -- subscriptions ------------------------------------------------------------------------
    def add(self, topic_filter: str, handler: Handler) -> None:
        """Route messages matching ``topic_filter`` (shared or not) to ``handler``."""
        _, inner = split_shared(topic_filter)
        if not callable(handler):
            raise BadInput(f"handler for {topic_filter!r} is not callable")
        self._subs[topic_filter] = (inner, handler)
        self._cache.clear()

    def remove(self, topic_filter: str) -> bool:
        self._cache.clear()
        return self._subs.pop(topic_filter, None) is not None

    def filters(self) -> list[str]:
        return list(self._subs)

    def _handlers(self, topic: str) -> list[Handler]:
        found = self._cache.get(topic)
        if found is None:
            found = [h for inner, h in self._subs.values() if topic_matches(inner, topic)]
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            self._cache[topic] = found
        return found

    # -- running ------------------------------------------------------------------------------
    def start(self) -> None:
        if self._task is not None and not self._task.done():
            return
        self._loop = asyncio.get_running_loop()
        self._closing = False
        self._task = self._loop.create_task(self._run(), name=f"dispatch:{self.owner}")

    async def stop(self) -> None:
        """Deliver what has arrived, then stop."""
        task = self._task
        if task is None:
            return
        self._closing = True
        self._wake.set()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        self._task = None

    def push(self, topic: str, payload: bytes) -> None:
        """Queue a message (call on the loop's thread)."""
        self._queue.append((topic, payload))
        self._idle.clear()
        self._wake.set()

    def push_threadsafe(self, topic: str, payload: bytes) -> None:
        """Queue a message from another thread; wakes the loop once per burst."""
        self._queue.append((topic, payload))
        loop = self._loop
        if not self._scheduled and loop is not None:
            self._scheduled = True
            with contextlib.suppress(RuntimeError):  # loop closed while shutting down
                loop.call_soon_threadsafe(self._wake_up)

    def _wake_up(self) -> None:
        self._idle.clear()
        self._wake.set()

    @property
    def is_idle(self) -> bool:
        return not self._queue and self._idle.is_set()

    async def idle(self) -> None:
        """Return once every message queued so far has been handled."""
        if self._queue:
            self._idle.clear()
            if self._task is None:
                raise BusError(f"{self.owner}: dispatcher is not running")
        await self._idle.wait()

    async def _run(self) -> None:
        queue = self._queue
        while True:
            await self._wake.wait()
            self._wake.clear()
            self._scheduled = False
            handled = 0
            while queue:
                topic, payload = queue.popleft()
                handlers = self._handlers(topic)
                if not handlers:
                    self.stats["unrouted"] += 1
                for handler in handlers:
                    await self._call(handler, topic, payload)
                self.stats["delivered"] += 1
                handled += 1
                if handled % _YIELD_EVERY == 0:
                    await asyncio.sleep(0)
            if not queue:
                self._idle.set()
                if self._closing:
                    return

    async def _call(self, handler: Handler, topic: str, payload: bytes) -> None:
        try:
            result = handler(topic, payload)
            if result is not None and inspect.isawaitable(result):
                await result
        except Exception:
            self.stats["handler_errors"] += 1
            log.exception("%s: handler for %r failed", self.owner, topic)
