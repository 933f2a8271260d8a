"""Run the embedded broker on its own event loop in a background thread, for sync callers.

with BrokerThread() as broker:
    client.connect("127.0.0.1", broker.port)
"""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType
from typing import Any

from shopfloor.bus.broker.server import Broker
from shopfloor.errors import BusError
from shopfloor.service import Health


class BrokerThread:
    """A :class:`Broker` running in a daemon thread; a context manager, or start()/stop()."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **options: Any) -> None:
        self.broker = Broker(host, port, **options)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def port(self) -> int:
        return self.broker.port

    @property
    def url(self) -> str:
        return self.broker.url

    def health(self) -> Health:
        return self.broker.health()

    def start(self, timeout: float = 30.0) -> BrokerThread:
        if self._thread is not None:
            raise BusError("broker thread already started")
        self._thread = threading.Thread(target=self._run, name="shopfloor-broker", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise BusError(f"embedded broker did not start within {timeout}s")
        if self._error is not None:
            self._thread.join()
            self._thread = None
            raise self._error
        return self

    def stop(self, timeout: float = 30.0) -> None:
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        if thread.is_alive():
            raise BusError(f"embedded broker thread did not stop within {timeout}s")
        self._thread = None

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            try:
                loop.run_until_complete(self.broker.start())
            except BaseException as exc:
                self._error = exc
                return
            finally:
                self._ready.set()
            loop.run_forever()
            loop.run_until_complete(self.broker.stop())
        finally:
            loop.close()

    def __enter__(self) -> BrokerThread:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
