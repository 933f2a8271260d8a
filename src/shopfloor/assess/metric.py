"""One auto-evidence value: what it is, how it was computed, over which window, from what.

Every figure the platform contributes to an assessment is a :class:`Metric`: its id (the names
in both languages come from :mod:`shopfloor.assess.i18n`), value and unit, the formula in words,
the numerator and denominator where it is a ratio, the time window (None: the state of the
plant model and connectors when the assessment ran), what it is based on and the source records
(one per counted item, e.g. each key equipment with its flags), and whether its definition is
inferred (not taken from a standard).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Metric:
    id: str
    value: float | None
    formula: str
    basis: str
    unit: str = "1"
    numerator: float | None = None
    denominator: float | None = None
    window: Mapping[str, str | None] | None = None
    records: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
    inferred: bool = True
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "value": self.value,
            "unit": self.unit,
            "formula": self.formula,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "window": None if self.window is None else dict(self.window),
            "basis": self.basis,
            "inferred": self.inferred,
            "note": self.note,
            "records": [dict(r) for r in self.records],
        }


def ratio_metric(
    id: str,
    hits: int,
    total: int,
    *,
    formula: str,
    basis: str,
    records: Sequence[Mapping[str, Any]] = (),
    window: Mapping[str, str | None] | None = None,
    inferred: bool = True,
    note: str = "",
) -> Metric:
    """``hits / total`` (None when nothing is counted)."""
    return Metric(
        id,
        None if total == 0 else hits / total,
        formula,
        basis,
        numerator=hits,
        denominator=total,
        window=window,
        records=tuple(records),
        inferred=inferred,
        note=note or ("nothing to count" if total == 0 else ""),
    )
