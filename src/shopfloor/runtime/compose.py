"""Start a set of services in order, stop them in reverse, report their health together."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Sequence
from contextlib import suppress

from shopfloor.service import Health, Service

log = logging.getLogger(__name__)


class Runtime:
    """Services started in the order given; a failed start stops those already started."""

    def __init__(self, services: Sequence[Service]) -> None:
        self.services = list(services)
        self._started: list[Service] = []
        self._stop = asyncio.Event()

    async def start(self) -> None:
        for svc in self.services:
            log.info("starting %s", svc.name)
            try:
                await svc.start()
            except BaseException:
                await self.stop()
                raise
            self._started.append(svc)

    async def stop(self) -> None:
        while self._started:
            svc = self._started.pop()
            log.info("stopping %s", svc.name)
            try:
                await svc.stop()
            except Exception:  # keep stopping the others; the failure is logged once
                log.exception("stopping %s failed", svc.name)

    def health(self) -> dict[str, Health]:
        return {svc.name: svc.health() for svc in self._started}

    def request_stop(self) -> None:
        self._stop.set()

    async def run_until_stopped(self) -> None:
        """Start, wait for SIGINT/SIGTERM (or :meth:`request_stop`), then stop cleanly."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self._stop.set)
        await self.start()
        try:
            await self._stop.wait()
        finally:
            await self.stop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(sig)
