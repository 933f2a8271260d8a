"""Solvers by name: a table of rows, plus whatever other packages declare as entry points.

A row names a callable ``solve(problem, options, **kwargs) -> SolveResult`` by ``module:attr``,
so nothing is imported until it is used. Other packages add solvers the same way the built-in
ones are added, through the ``shopfloor.schedule.solvers`` entry-point group
(``name = "package.module:solve"``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from importlib.metadata import entry_points
from typing import Any

from shopfloor.errors import NotFound
from shopfloor.schedule.model import Problem
from shopfloor.schedule.options import SolveOptions
from shopfloor.schedule.schedule import SolveResult
from shopfloor.schedule.solvers.rules.priority import RULES

ENTRY_POINT_GROUP = "shopfloor.schedule.solvers"

SolveFn = Callable[[Problem, SolveOptions], SolveResult]


@dataclass(frozen=True)
class SolverSpec:
    name: str
    target: str  # "module:attr"
    help: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    def load(self) -> SolveFn:
        module, _, attr = self.target.partition(":")
        fn = getattr(importlib.import_module(module), attr)
        return partial(fn, **self.kwargs) if self.kwargs else fn


_S = "shopfloor.schedule.solvers"

#: The built-in solvers. Adding one is adding a row.
SOLVERS: list[SolverSpec] = [
    SolverSpec(
        "default",
        f"{_S}.hybrid:solve",
        "rules, then tabu search with CP-SAT (classic job shop) or LNS (anything else)",
    ),
    SolverSpec("rules", f"{_S}.rules:solve", "best of every dispatching rule, both schemes"),
    SolverSpec("cpsat", f"{_S}.cpsat:solve", "CP-SAT on the whole model, warm-started by rules"),
    SolverSpec(
        "cpsat-plain",
        f"{_S}.cpsat:solve_plain",
        "CP-SAT on the whole model: no hint, default parameters (reference)",
    ),
    SolverSpec("lns", f"{_S}.lns:solve", "rules, CP-SAT, then large-neighbourhood search"),
    SolverSpec("tabu", f"{_S}.tabu:solve", "rules, then tabu search (classic job shop only)"),
    *(
        SolverSpec(rule, f"{_S}.rules:solve", f"dispatching rule: {text}", {"rules": (rule,)})
        for rule, (_key, text) in RULES.items()
    ),
]


def specs() -> dict[str, SolverSpec]:
    """Every solver by name: the built-in rows, then entry points (which may not shadow them)."""
    table = {s.name: s for s in SOLVERS}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name not in table:
            table[ep.name] = SolverSpec(ep.name, ep.value, f"from {ep.value}")
    return table


def lookup(name: str) -> SolveFn:
    table = specs()
    spec = table.get(name)
    if spec is None:
        raise NotFound(
            f"unknown solver {name!r}; known: {', '.join(table)}", code="schedule.unknown_solver"
        )
    return spec.load()
