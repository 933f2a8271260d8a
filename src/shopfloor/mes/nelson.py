"""Western Electric and Nelson rules: which points of a control chart signal a special cause.

Rules work on z-scores (each point's distance from the centre line in sigma, see
:meth:`shopfloor.mes.spc.Chart.zscores`). Each violation names its rule id and the points
involved; windows of one rule that overlap are reported once, with the points of all of them.

Nelson (1984), the eight rules:

==  ===============================================================================
N1  one point more than 3 sigma from the centre line
N2  nine points in a row on the same side of the centre line
N3  six points in a row steadily increasing or decreasing
N4  fourteen points in a row alternating up and down
N5  two out of three points in a row beyond 2 sigma, on the same side
N6  four out of five points in a row beyond 1 sigma, on the same side
N7  fifteen points in a row within 1 sigma of the centre line (either side)
N8  eight points in a row beyond 1 sigma (either side), none within
==  ===============================================================================

Western Electric (1956): WE1 = N1, WE2 = N5, WE3 = N6, WE4 = eight points in a row on the same
side of the centre line.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

RULES: dict[str, str] = {
    "N1": "one point beyond 3 sigma",
    "N2": "nine points in a row on one side of the centre line",
    "N3": "six points in a row steadily increasing or decreasing",
    "N4": "fourteen points in a row alternating up and down",
    "N5": "two out of three points beyond 2 sigma on the same side",
    "N6": "four out of five points beyond 1 sigma on the same side",
    "N7": "fifteen points in a row within 1 sigma",
    "N8": "eight points in a row beyond 1 sigma, none within",
    "WE1": "one point beyond 3 sigma",
    "WE2": "two out of three points beyond 2 sigma on the same side",
    "WE3": "four out of five points beyond 1 sigma on the same side",
    "WE4": "eight points in a row on one side of the centre line",
}
NELSON = ("N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8")
WESTERN_ELECTRIC = ("WE1", "WE2", "WE3", "WE4")


@dataclass(frozen=True)
class Violation:
    rule: str
    points: tuple[int, ...]  # indices of the points involved

    @property
    def name(self) -> str:
        return RULES[self.rule]

    def to_dict(self) -> dict[str, object]:
        return {"rule": self.rule, "name": self.name, "points": list(self.points)}


#: A window test: given the window's z-scores, the offsets of the points involved (or None).
Test = Callable[[Sequence[float]], list[int] | None]


def _all(pred: Callable[[float], bool]) -> Test:
    return lambda w: list(range(len(w))) if all(pred(z) for z in w) else None


def _k_of(k: int, beyond: float) -> Test:
    def test(w: Sequence[float]) -> list[int] | None:
        for sign in (1, -1):
            hits = [i for i, z in enumerate(w) if sign * z > beyond]
            if len(hits) >= k:
                return hits
        return None

    return test


def _monotone(w: Sequence[float]) -> list[int] | None:
    d = [b - a for a, b in itertools.pairwise(w)]
    return list(range(len(w))) if all(x > 0 for x in d) or all(x < 0 for x in d) else None


def _alternating(w: Sequence[float]) -> list[int] | None:
    d = [b - a for a, b in itertools.pairwise(w)]
    ok = all(x != 0 for x in d) and all(a * b < 0 for a, b in itertools.pairwise(d))
    return list(range(len(w))) if ok else None


def _same_side(w: Sequence[float]) -> list[int] | None:
    return _all(lambda z: z > 0)(w) or _all(lambda z: z < 0)(w)


TESTS: dict[str, tuple[int, Test]] = {
    "N1": (1, _all(lambda z: abs(z) > 3)),
    "N2": (9, _same_side),
    "N3": (6, _monotone),
    "N4": (14, _alternating),
    "N5": (3, _k_of(2, 2.0)),
    "N6": (5, _k_of(4, 1.0)),
    "N7": (15, _all(lambda z: abs(z) < 1)),
    "N8": (8, _all(lambda z: abs(z) > 1)),
    "WE1": (1, _all(lambda z: abs(z) > 3)),
    "WE2": (3, _k_of(2, 2.0)),
    "WE3": (5, _k_of(4, 1.0)),
    "WE4": (8, _same_side),
}


def _merge(rule: str, hits: Iterable[tuple[int, int, list[int]]]) -> list[Violation]:
    out: list[Violation] = []
    span: tuple[int, int] | None = None
    points: set[int] = set()
    for start, end, involved in hits:
        if span is not None and start <= span[1]:
            span = (span[0], max(span[1], end))
            points.update(involved)
            continue
        if span is not None:
            out.append(Violation(rule, tuple(sorted(points))))
        span, points = (start, end), set(involved)
    if span is not None:
        out.append(Violation(rule, tuple(sorted(points))))
    return out


def check(z: Sequence[float], rules: Sequence[str] = NELSON) -> list[Violation]:
    """Every violation of ``rules`` in the z-score series ``z``, by rule then position."""
    out: list[Violation] = []
    for rule in rules:
        if rule not in TESTS:
            raise ValueError(f"unknown rule {rule!r}; known: {', '.join(TESTS)}")
        size, test = TESTS[rule]
        hits = []
        for start in range(len(z) - size + 1):
            found = test(z[start : start + size])
            if found is not None:
                hits.append((start, start + size - 1, [start + i for i in found]))
        out.extend(_merge(rule, hits))
    return out
