"""The default solver: dispatching rules, then tabu search with CP-SAT (classic job shops) or
the large-neighbourhood search (everything else)."""

from shopfloor.schedule.solvers.hybrid.solver import solve

__all__ = ["solve"]
