"""The operators of the virtual plant's manual stations, for ``shopfloor demo``.

Equipment that is not networked (``connectivity: none``: the demo's manual assembly table and
packing station) sends nothing; on a real floor its operator reports the parts at the station's
terminal (``shopfloor mes report``, ``POST /api/v1/production/reports``). Without that, orders
whose last step is manual never count a good unit. :class:`SimulatedOperator` plays that
operator: it watches what the virtual plant's manual stations complete and reports each part to
MES, a moment later, as ``simulated operator``. It reads only the plant's outlet, as a person
watching the station would, and reports through the same operator entry people use.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import Counter
from collections.abc import Sequence

from shopfloor.errors import ShopfloorError
from shopfloor.events import EventKind, MachineEvent
from shopfloor.mes import MesService
from shopfloor.plant.model import Plant
from shopfloor.service import Health
from shopfloor.sim.outlet import TagBlock, TagValue
from shopfloor.sqlite import is_busy, retry_when_busy

log = logging.getLogger(__name__)

#: Who the reports are from.
OPERATOR = "simulated operator"


class SimulatedOperator:
    """A plant outlet (parts of manual stations in) and a service (reports out, every
    ``every_s`` wall seconds)."""

    name = "simulated-operator"

    def __init__(self, plant: Plant, mes: MesService, every_s: float = 0.5) -> None:
        self.mes, self.every_s = mes, every_s
        self.stations = frozenset(p for p, *_r, eq in plant.walk() if not eq.networked)
        self._parts: list[MachineEvent] = []
        self._lock = threading.Lock()
        self._task: asyncio.Task[None] | None = None
        self.stats: Counter[str] = Counter()

    # ---- outlet (the virtual plant's thread or loop) ------------------------------------------

    def on_values(self, values: Sequence[TagValue]) -> None:
        return None

    def on_block(self, block: TagBlock) -> None:
        return None

    def on_event(self, event: MachineEvent) -> None:
        if event.kind is EventKind.PART_COMPLETE and event.equipment in self.stations:
            with self._lock:
                self._parts.append(event)

    # ---- service -----------------------------------------------------------------------------

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await asyncio.to_thread(self.report_now)  # what was seen is still reported

    def health(self) -> Health:
        return Health(True, f"{self.stats['parts']} parts reported", dict(self.stats))

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.every_s)
            await asyncio.to_thread(self.report_now)

    def report_now(self) -> None:
        """Report what the stations completed since the last report (one report per run of
        parts of one operation and result)."""
        with self._lock:
            parts, self._parts = self._parts, []
        runs: list[tuple[tuple[str, str | None, object, bool], int]] = []
        for ev in parts:
            key = (ev.equipment, ev.order_id, ev.payload.get("seq"), bool(ev.payload.get("good")))
            if runs and runs[-1][0] == key:
                runs[-1] = (key, runs[-1][1] + 1)
            else:
                runs.append((key, 1))
        report = retry_when_busy(self.mes.production.report)  # (one transaction each)
        done = 0  # parts of the runs reported so far
        for (equipment, order, seq, good), n in runs:
            try:
                report(
                    equipment,
                    n if good else 0,
                    0 if good else n,
                    order_id=order,
                    operation=seq if isinstance(seq, int) else None,
                    operator=OPERATOR,
                )
            except ShopfloorError as exc:  # an order closed meanwhile, a part of no order...
                self.stats["refused"] += n
                if self.stats["refused"] == n:
                    log.warning("simulated operator: %d parts at %s not reported: %s (said once)",
                                n, equipment, exc.message)  # fmt: skip
                done += n
                continue
            except Exception as exc:
                if not is_busy(exc):
                    raise
                # the floor holds the database still: the rest waits for the next round
                self.stats["busy"] += 1
                with self._lock:
                    self._parts[:0] = parts[done:]
                return
            done += n
            self.stats["parts"] += n
