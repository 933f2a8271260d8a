"""CP-SAT (OR-Tools): the whole problem as one constraint model."""

from shopfloor.schedule.solvers.cpsat.model import CpModelHandles, add_hint, build, extract
from shopfloor.schedule.solvers.cpsat.solver import CpsatRun, solve, solve_plain

__all__ = ["CpModelHandles", "CpsatRun", "add_hint", "build", "extract", "solve", "solve_plain"]
