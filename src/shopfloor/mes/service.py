"""The MES service: one object that holds the domains, and :func:`open_mes` that builds it.

``open_mes(url)`` opens (and migrates to the head revision) the database, reads the plant file
and the reason tree, and returns a :class:`MesService` whose attributes are the domains
(``orders``, ``dispatch``, ``production``, ``material``, ``trace``, ``quality``, ``spc``,
``ncr``, ``states``, ``downtime``, ``alarms``, ``maintenance``, ``planning``). Machine events
enter through :meth:`apply` and :meth:`apply_many` only.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from shopfloor.clock import Clock, WallClock, to_ns
from shopfloor.events import MachineEvent
from shopfloor.mes.alarms import Alarms
from shopfloor.mes.calendar import Window, calendar_for, planned_windows, shift_windows
from shopfloor.mes.context import MesContext
from shopfloor.mes.db import Database, default_url, make_engine, migrate
from shopfloor.mes.dispatch import Dispatch
from shopfloor.mes.downtime import Downtimes
from shopfloor.mes.equipment import EquipmentStates
from shopfloor.mes.events import ApplyResult, apply_event
from shopfloor.mes.genealogy import Tracer
from shopfloor.mes.jobs import JobSender
from shopfloor.mes.maintenance import MaintenanceOrders
from shopfloor.mes.material import Material
from shopfloor.mes.models import ParkedEvent, SeenEvent
from shopfloor.mes.ncr import Ncrs
from shopfloor.mes.orders import Orders
from shopfloor.mes.planning import Planning
from shopfloor.mes.production import Production
from shopfloor.mes.quality import Quality
from shopfloor.mes.reasons import ReasonTree, load_reasons
from shopfloor.mes.recorded import recorded_until
from shopfloor.mes.spc_watch import SpcWatch
from shopfloor.plant import load_plant
from shopfloor.plant.model import Plant


class MesService:
    """ISA-95 operations over one database and one plant."""

    def __init__(self, ctx: MesContext) -> None:
        self.ctx = ctx
        self.orders = Orders(ctx)
        self.dispatch = Dispatch(ctx)
        self.production = Production(ctx)
        self.material = Material(ctx)
        self.trace = Tracer(ctx)
        self.quality = Quality(ctx)
        self.spc = SpcWatch(ctx)
        self.ncr = Ncrs(ctx)
        self.states = EquipmentStates(ctx)
        self.downtime = Downtimes(ctx)
        self.alarms = Alarms(ctx)
        self.maintenance = MaintenanceOrders(ctx)
        self.planning = Planning(ctx, self.dispatch)

    @property
    def plant(self) -> Plant:
        return self.ctx.plant

    def apply(self, event: MachineEvent) -> str:
        """Apply one machine event: ``applied``, ``duplicate`` or ``parked``."""
        with self.ctx.db.tx() as s:
            return apply_event(s, self.ctx, event)[0]

    def apply_many(self, events: Iterable[MachineEvent]) -> ApplyResult:
        """Apply events in order, in one transaction."""
        result = ApplyResult()
        with self.ctx.db.tx() as s:
            for ev in events:
                result.add(*apply_event(s, self.ctx, ev))
        return result

    def applied_count(self) -> int:
        """How many machine events MES has applied (the assessment's integration proof)."""
        from sqlalchemy import func, select

        with self.ctx.db.tx() as s:
            return int(s.scalar(select(func.count()).select_from(SeenEvent)) or 0)

    def recorded_until(self) -> int | None:
        """The plant's recorded time: the newest instant MES holds (None: none yet)."""
        return recorded_until(self.ctx)

    def parked(self, limit: int = 100) -> list[ParkedEvent]:
        from sqlalchemy import select

        with self.ctx.db.tx() as s:
            q = select(ParkedEvent).order_by(ParkedEvent.id.desc()).limit(limit)
            return list(s.scalars(q))

    def shifts(self, start: datetime, end: datetime, calendar: str | None = None) -> list[Window]:
        """The shifts of the plant's calendar between ``start`` and ``end``."""
        return shift_windows(calendar_for(self.plant, calendar), to_ns(start), to_ns(end))

    def planned_downtime(self, equipment: str, start: datetime, end: datetime) -> list[Window]:
        """The plant file's planned downtime for one equipment between ``start`` and ``end``."""
        return planned_windows(self.plant, self.ctx.path(equipment), to_ns(start), to_ns(end))

    def close(self) -> None:
        self.ctx.db.dispose()

    def __enter__(self) -> MesService:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def open_mes(
    url: str | None = None,
    *,
    plant: Plant | str | Path | None = None,
    clock: Clock | None = None,
    sender: JobSender | None = None,
    reasons: ReasonTree | str | Path | None = None,
) -> MesService:
    """Open the MES database at ``url`` (default: SQLite under the data dir), migrated to head.

    ``plant`` is a loaded plant, an example name or a plant file (default: the settings'
    plant); ``reasons`` a reason tree or file (default: the tree shipped with the package).
    """
    from shopfloor.config import settings

    engine = make_engine(url or default_url())
    migrate(engine)
    if not isinstance(plant, Plant):
        plant = load_plant(plant if plant is not None else settings().plant)
    tree = reasons if isinstance(reasons, ReasonTree) else load_reasons(reasons)
    ctx = MesContext(
        db=Database(engine), plant=plant, clock=clock or WallClock(), reasons=tree, sender=sender
    )
    return MesService(ctx)
