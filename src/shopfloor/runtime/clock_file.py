"""The service that publishes the plant's clock for the commands run beside it (see
:mod:`shopfloor.plantclock`): written at start, withdrawn at a clean stop."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from shopfloor import plantclock
from shopfloor.clock import LinearClock
from shopfloor.service import Health


class PublishedClock:
    """Publishes ``clock()`` under ``data_dir`` when it starts (start it once the plant's clock
    runs), as ``source``."""

    name = "plant-clock"

    def __init__(self, data_dir: Path, clock: Callable[[], LinearClock], source: str) -> None:
        self.data_dir, self.clock, self.source = data_dir, clock, source
        self.path: Path | None = None

    async def start(self) -> None:
        self.path = plantclock.publish(self.data_dir, self.clock(), self.source)

    async def stop(self) -> None:
        plantclock.withdraw(self.data_dir)
        self.path = None

    def health(self) -> Health:
        return Health(True, f"published in {self.path}" if self.path else "not published")
