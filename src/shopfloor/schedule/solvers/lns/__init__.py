"""Large-neighbourhood search: CP-SAT re-optimises windows, machine and job subsets."""

from shopfloor.schedule.solvers.lns.neighbourhoods import NEIGHBOURHOODS
from shopfloor.schedule.solvers.lns.solver import fix_outside, solve

__all__ = ["NEIGHBOURHOODS", "fix_outside", "solve"]
