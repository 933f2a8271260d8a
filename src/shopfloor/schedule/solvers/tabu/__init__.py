"""Tabu search for classic job shops (N7 neighbourhood on the disjunctive graph)."""

from shopfloor.schedule.solvers.tabu.graph import JobShopGraph
from shopfloor.schedule.solvers.tabu.search import TabuSearch
from shopfloor.schedule.solvers.tabu.solver import require_classic, solve

__all__ = ["JobShopGraph", "TabuSearch", "require_classic", "solve"]
