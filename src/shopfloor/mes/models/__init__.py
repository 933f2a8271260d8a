"""The MES tables, split by domain; importing this package registers all of them."""

from shopfloor.mes.models.base import Base
from shopfloor.mes.models.equipment import (
    Alarm,
    AlarmTransition,
    Downtime,
    EquipmentState,
    StateSegment,
)
from shopfloor.mes.models.maintenance import MaintenanceOrder
from shopfloor.mes.models.material import Genealogy, Lot, LotLoad, Unit, UnitOperation
from shopfloor.mes.models.orders import (
    DispatchEntry,
    JobOrder,
    OrderOperation,
    OrderTransition,
    ParkedEvent,
    ProductionReport,
    SeenEvent,
)
from shopfloor.mes.models.planning import ScheduleProposal
from shopfloor.mes.models.quality import Inspection, NcrTransition, NonConformance, QualitySpec

__all__ = [
    "Alarm",
    "AlarmTransition",
    "Base",
    "DispatchEntry",
    "Downtime",
    "EquipmentState",
    "Genealogy",
    "Inspection",
    "JobOrder",
    "Lot",
    "LotLoad",
    "MaintenanceOrder",
    "NcrTransition",
    "NonConformance",
    "OrderOperation",
    "OrderTransition",
    "ParkedEvent",
    "ProductionReport",
    "QualitySpec",
    "ScheduleProposal",
    "SeenEvent",
    "StateSegment",
    "Unit",
    "UnitOperation",
]
