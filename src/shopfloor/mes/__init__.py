"""ISA-95 operations: orders, dispatch, execution, material and genealogy, quality and SPC,
equipment states, downtime and alarms. Open it with :func:`open_mes`."""

from shopfloor.mes.jobs import JobAck, JobSender, PlantControlSender
from shopfloor.mes.lifecycle import IllegalTransition, MesConflict, MesNotFound
from shopfloor.mes.service import MesService, open_mes

__all__ = [
    "IllegalTransition",
    "JobAck",
    "JobSender",
    "MesConflict",
    "MesNotFound",
    "MesService",
    "PlantControlSender",
    "open_mes",
]
