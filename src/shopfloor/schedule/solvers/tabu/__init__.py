"""Tabu search for classic job shops (N7 neighbourhood on the disjunctive graph)."""

from shopfloor.schedule.solvers.tabu.graph import JobShopGraph
from shopfloor.schedule.solvers.tabu.solver import require_classic, solve
from shopfloor.schedule.solvers.tabu.threads import CompiledTabu

__all__ = ["CompiledTabu", "JobShopGraph", "require_classic", "solve"]
