"""Dispatching rules as a table: name -> priority key (smaller is dispatched first).

A key sees one candidate operation at the moment of the decision (:class:`Candidate`). Ties are
broken by most work remaining, then by job number, so every rule is deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

INF = float("inf")


@dataclass(frozen=True, slots=True)
class Candidate:
    job: int
    duration: int  # processing time on the machine in question
    time: float  # when the decision is taken (the candidate's earliest start)
    remaining_work: int  # this and later operations of the job (shortest modes)
    remaining_ops: int  # this and later operations
    done_work: int  # release + work of the job up to and including this operation
    due: int | None
    weight: int
    mean_duration: float  # average processing time over the whole problem


Key = Callable[[Candidate], float]

#: ATC look-ahead parameter (Vepsalainen & Morton 1987 use 2 for job shops).
ATC_K = 2.0


def _atc(c: Candidate) -> float:
    slack = 0.0 if c.due is None else max(0.0, c.due - c.time - c.remaining_work)
    p = max(c.duration, 1)
    return -(c.weight / p) * math.exp(-slack / (ATC_K * max(c.mean_duration, 1e-9)))


def _cr(c: Candidate) -> float:
    if c.due is None:
        return INF
    return (c.due - c.time) / max(c.remaining_work, 1)


#: name -> (key, help). Adding a rule is adding a row.
RULES: dict[str, tuple[Key, str]] = {
    "spt": (lambda c: c.duration, "shortest processing time"),
    "lpt": (lambda c: -c.duration, "longest processing time"),
    "mwkr": (lambda c: -c.remaining_work, "most work remaining"),
    "mopnr": (lambda c: -c.remaining_ops, "most operations remaining"),
    "fdd-mwkr": (
        lambda c: c.done_work / max(c.remaining_work, 1),
        "flow due date over most work remaining",
    ),
    "edd": (lambda c: INF if c.due is None else c.due, "earliest due date"),
    "atc": (_atc, "apparent tardiness cost"),
    "cr": (_cr, "critical ratio (time to due date over work remaining)"),
}


def rank(rule: str, c: Candidate) -> tuple[float, int, int]:
    key, _help = RULES[rule]
    return (key(c), -c.remaining_work, c.job)
