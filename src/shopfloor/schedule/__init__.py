"""Scheduling: problems, solvers and rescheduling. The problem model knows no solver.

Build a :class:`Problem` (by hand, from an instance file with :func:`read_instance`, or from
orders and the plant with :func:`problem_from_orders`), call :func:`solve` with a solver name,
check any schedule with :func:`check`, repair one after a disruption with :func:`repair`, and
hand MES the sequence per work unit with :func:`dispatch_lists`.
"""

from shopfloor.schedule.check import InfeasibleSchedule, Violation, check, require_feasible
from shopfloor.schedule.dispatch import dispatch_json, dispatch_lists
from shopfloor.schedule.formats import parse_instance, read_instance
from shopfloor.schedule.gantt import gantt_html, write_gantt
from shopfloor.schedule.model import (
    Downtime,
    Frozen,
    Job,
    Mode,
    Objective,
    Operation,
    Planned,
    Problem,
    SetupMatrix,
)
from shopfloor.schedule.objective import Score, score
from shopfloor.schedule.orders import OrderRecord, PlantProblem, problem_from_orders
from shopfloor.schedule.registry import SOLVERS, SolverSpec, specs
from shopfloor.schedule.repair import (
    Breakdown,
    LateOperation,
    RepairResult,
    RushOrder,
    repair,
    right_shift,
)
from shopfloor.schedule.schedule import Assignment, Schedule, SolveResult
from shopfloor.schedule.solve import solve

__all__ = [
    "SOLVERS",
    "Assignment",
    "Breakdown",
    "Downtime",
    "Frozen",
    "InfeasibleSchedule",
    "Job",
    "LateOperation",
    "Mode",
    "Objective",
    "Operation",
    "OrderRecord",
    "Planned",
    "PlantProblem",
    "Problem",
    "RepairResult",
    "RushOrder",
    "Schedule",
    "Score",
    "SetupMatrix",
    "SolveResult",
    "SolverSpec",
    "Violation",
    "check",
    "dispatch_json",
    "dispatch_lists",
    "gantt_html",
    "parse_instance",
    "problem_from_orders",
    "read_instance",
    "repair",
    "require_feasible",
    "right_shift",
    "score",
    "solve",
    "specs",
    "write_gantt",
]
