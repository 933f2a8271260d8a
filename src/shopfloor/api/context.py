"""What the API serves: the platform objects, handed to :func:`shopfloor.api.create_app`.

The API holds no globals: :class:`ApiContext` carries the plant, the auth store, the live-value
cache and, when this process runs them, the historian, MES, the event log (KPIs), the connector
status and the runtime's health. A route whose service is not in the context answers 503
``api.unavailable`` naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from shopfloor.api.errors import Unavailable
from shopfloor.api.events import EventLog
from shopfloor.api.live import LiveValues
from shopfloor.assess.service import AssessmentService
from shopfloor.auth.store import AuthStore
from shopfloor.clock import Clock, WallClock
from shopfloor.connect.status import ConnectorStatus
from shopfloor.errors import NotFound
from shopfloor.events import MachineEvent
from shopfloor.historian.store import Historian
from shopfloor.kpi.energy import EnergySettings
from shopfloor.mes.service import MesService
from shopfloor.plant.model import Plant
from shopfloor.service import Health


@dataclass
class ApiContext:
    plant: Plant
    auth: AuthStore
    live: LiveValues = field(default_factory=LiveValues)
    clock: Clock = field(default_factory=WallClock)
    historian: Historian | None = None
    mes: MesService | None = None
    events: EventLog | None = None
    status: ConnectorStatus | None = None
    energy: EnergySettings | None = None
    #: The runtime's health (service name -> Health), for ``GET /api/v1/health``.
    health: Callable[[], Mapping[str, Health]] | None = None
    #: The live health service's state (e.g. "training health models") and the latest health
    #: of each scored equipment by path, for ``GET /api/v1/maintenance/health``.
    maintenance: Callable[[], tuple[str, Mapping[str, dict[str, Any]]]] | None = None
    #: Stored self-assessment answers and assessment runs, for ``/api/v1/assessment``.
    assessment: AssessmentService | None = None
    #: Mark cookies ``Secure`` (behind HTTPS).
    secure_cookies: bool = False

    def need_mes(self) -> MesService:
        if self.mes is None:
            raise Unavailable("MES: this server runs without MES", service="mes")
        return self.mes

    def need_assessment(self) -> AssessmentService:
        if self.assessment is None:
            raise Unavailable(
                "assessment: this server runs without the assessment", service="assessment"
            )
        return self.assessment

    def need_historian(self) -> Historian:
        if self.historian is None:
            raise Unavailable(
                "historian: this server runs without a historian", service="historian"
            )
        return self.historian

    def need_events(self) -> EventLog:
        if self.events is None:
            raise Unavailable("KPIs: this server receives no machine events", service="kpi")
        return self.events

    def kpi_events(self, end_ns: int | None) -> list[MachineEvent]:
        """What the KPIs read up to ``end_ns``, sorted by time: the machine events received and
        the parts operators reported for the stations that are not networked (in MES)."""
        events = self.need_events().until(end_ns)
        if self.mes is None:
            return events
        reported = self.mes.production.reported_parts(end_ns)
        if not reported:
            return events
        return sorted([*events, *reported], key=lambda ev: ev.ts_ns)

    def need_status(self) -> ConnectorStatus:
        if self.status is None:
            raise Unavailable("connectors: this server runs no connectors", service="connectors")
        return self.status

    @cached_property
    def tag_ids(self) -> tuple[str, ...]:
        return tuple(self.plant.tag_ids())

    def tags_under(self, prefix: str) -> list[str]:
        """Tag ids of the plant at or under ``prefix``; :class:`NotFound` naming it."""
        p = prefix.strip().strip("/")
        found = [t for t in self.tag_ids if t == p or t.startswith(p + "/")] if p else []
        if not found:
            raise NotFound(
                f"tag: no tag of plant {self.plant.name!r} is {prefix!r} or under it "
                "(give a tag id or an ISA-95 path prefix: site, area, line, cell, equipment)",
                field="tag",
                value=prefix,
            )
        return found

    def equipment_path(self, ref: str, what: str = "equipment") -> str:
        try:
            return self.plant.resolve(ref.strip("/"))
        except KeyError:
            raise NotFound(
                f"{what}: no equipment {ref!r} in plant {self.plant.name!r}",
                field=what,
                value=ref,
            ) from None
