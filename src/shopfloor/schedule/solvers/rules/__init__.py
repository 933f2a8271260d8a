"""Dispatching rules with active and non-delay schedule generation."""

from shopfloor.schedule.solvers.rules.priority import RULES
from shopfloor.schedule.solvers.rules.sgs import SCHEMES, generate
from shopfloor.schedule.solvers.rules.solver import best_rule, solve

__all__ = ["RULES", "SCHEMES", "best_rule", "generate", "solve"]
