"""ERP integration: B2MML (V0600, V0701) and CSV import, B2MML performance export, webhooks.

Import is one transaction: :func:`read_document` -> :func:`run_import` (plant-file master data,
MES job orders and lots, ERP ids). Export: :func:`collect_actuals` -> :func:`performance_xml`.
Completed orders reach the ERP through :class:`~shopfloor.erp.notify.CompletionNotifier`.

The Business To Manufacturing Markup Language (B2MML) is used courtesy of MESA International.
"""

from shopfloor.erp.actuals import OrderActual, collect_actuals
from shopfloor.erp.importer import ImportResult, commit_import, read_document, run_import
from shopfloor.erp.model import ImportedDocument
from shopfloor.erp.performance import PerformanceHeader, performance_xml
from shopfloor.erp.plan import plan_import
from shopfloor.erp.planning import ImportOptions, ImportPlan
from shopfloor.erp.plantfile import PlantOutput, PlantSource, read_plant_source
from shopfloor.erp.reader import read_b2mml

__all__ = [
    "ImportOptions",
    "ImportPlan",
    "ImportResult",
    "ImportedDocument",
    "OrderActual",
    "PerformanceHeader",
    "PlantOutput",
    "PlantSource",
    "collect_actuals",
    "commit_import",
    "performance_xml",
    "plan_import",
    "read_b2mml",
    "read_document",
    "read_plant_source",
    "run_import",
]
