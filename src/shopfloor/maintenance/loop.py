"""Closing the loop: a failing equipment gets an alarm and a maintenance work order in MES.

:class:`MaintenanceLoop` is what the live health service calls when a remaining useful life
falls under its threshold or an anomaly persists. With an MES service it raises the alarm and
opens a predictive work order carrying the evidence (one transaction, see
:meth:`shopfloor.mes.maintenance.MaintenanceOrders.open_predictive`); in every case it
publishes an ``alarm`` :class:`~shopfloor.events.MachineEvent` with the evidence and the work
order id to the output sink, which MES consumes from the bus when it runs elsewhere.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shopfloor.clock import Clock
from shopfloor.connect.sink import SampleSink
from shopfloor.events import EventKind, MachineEvent

if TYPE_CHECKING:
    from shopfloor.mes.service import MesService

ALARM_CODE = "PDM_FAILURE_PREDICTED"
ALARM_PRIORITY = 700


@dataclass(frozen=True)
class LoopAction:
    equipment: str
    ts_ns: int
    text: str
    work_order: str | None
    evidence: dict[str, Any]


class MaintenanceLoop:
    """Turns a failure prediction into an alarm and a work order (MES) and an alarm event."""

    def __init__(
        self, clock: Clock, *, mes: MesService | None = None, output: SampleSink | None = None
    ) -> None:
        self.clock = clock
        self.mes = mes
        self.output = output
        self.actions: list[LoopAction] = []
        self._seq = 0

    async def predicted(
        self, equipment: str, ts_ns: int, text: str, evidence: dict[str, Any]
    ) -> LoopAction:
        work_order: str | None = None
        if self.mes is not None:
            mes = self.mes
            order, _created = await asyncio.to_thread(
                lambda: mes.maintenance.open_predictive(
                    equipment,
                    code=ALARM_CODE,
                    text=text,
                    priority=ALARM_PRIORITY,
                    due_ns=evidence.get("due_ns"),
                    evidence=evidence,
                )
            )
            work_order = order.id
        action = LoopAction(equipment, ts_ns, text, work_order, evidence)
        self.actions.append(action)
        if self.output is not None:
            self._seq += 1
            payload = {
                "code": ALARM_CODE,
                "text": text,
                "priority": ALARM_PRIORITY,
                "active": True,
                "work_order": work_order,
                "evidence": evidence,
            }
            await self.output.on_events(
                [MachineEvent(EventKind.ALARM, equipment, ts_ns, payload=payload, seq=self._seq)]
            )
        return action
