"""The simulator's ground truth as KPIs, computed straight from :class:`~shopfloor.sim.Truth`.

Written out here from the truth's own state durations and counts (not through
:mod:`shopfloor.kpi`), so that ``shopfloor run`` compares two independent computations: KPIs
from the events that crossed the bus, and these. Line definitions are those of
:mod:`shopfloor.kpi.layout`: the line's work units for time, its output for quantities and the
true energy of all its equipment.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from shopfloor.clock import NS_PER_S
from shopfloor.kpi.layout import Layout
from shopfloor.plant.states import PBT_ELEMENTS, TimeElement
from shopfloor.sim import EquipmentTruth, Truth


def _div(a: float, b: float) -> float | None:
    return None if b <= 0 else a / b


def _entry(units: Sequence[EquipmentTruth], produced: int, good: int, kwh: float) -> dict[str, Any]:
    apt = sum(u.element_ns[TimeElement.APT] for u in units) / NS_PER_S
    asut = sum(u.element_ns[TimeElement.ASUT] for u in units) / NS_PER_S
    pbt = sum(u.element_ns[e] for u in units for e in PBT_ELEMENTS) / NS_PER_S
    pru = sum(u.pru_s for u in units)
    failures = [f for u in units for f in u.failures]
    repaired = [f.repair_s for f in failures if f.repair_s is not None]
    a, e, q = _div(apt, pbt), _div(pru, apt), _div(good, produced)
    return {
        "oee": None if a is None or e is None or q is None else a * e * q,
        "availability": a,
        "effectiveness": e,
        "quality_ratio": q,
        "kwh_per_unit": _div(kwh, produced),
        "mtbf": None if not failures else (apt + asut) / 3600 / len(failures),
        "mttr": None if not repaired else sum(repaired) / 60 / len(repaired),
        "pq": produced,
        "gq": good,
        "kwh": kwh,
    }


def truth_entries(
    truth: Truth, layout: Layout, observed: Collection[str] | None = None
) -> dict[str, dict[str, dict[str, Any]]]:
    """``{"lines": {path: truth KPIs}, "equipment": {path: truth KPIs}}``.

    With ``observed`` (the equipment whose data reaches the platform), a line's time figures
    are over its observed work units only, and its quantities (and OEE, quality, energy per
    unit) are None unless every equipment of its output (``output``) is observed: what a
    platform that cannot see a manual station can be checked against."""
    equipment = {
        p: _entry([t], t.produced, t.good, t.energy_kwh) for p, t in truth.equipment.items()
    }
    lines = {}
    for p, ln in truth.lines.items():
        work = layout.lines[p].work_units
        units = [truth.equipment[u] for u in work if observed is None or u in observed]
        lines[p] = _entry(units, ln.produced, ln.good, ln.energy_kwh)
        if observed is not None:
            unseen = sorted(u for u in work if u not in observed)
            out = layout.outputs.get(p, frozenset())
            if not out <= set(observed):
                for k in ("oee", "quality_ratio", "kwh_per_unit", "pq", "gq"):
                    lines[p][k] = None
            lines[p]["unobserved"] = unseen
    return {"lines": lines, "equipment": equipment}
