"""Scoring failure alarms against what really happened: lead times and false alarms.

A wear-out failure counts as predicted when an alarm of its equipment was raised during the
same component life (after the previous wear repair) at least ``min_lead_h`` before it; its lead
time is measured from the first such alarm. An alarm is false when no wear-out failure of its
equipment follows within ``horizon_h``; an alarm whose horizon runs past the end of the data is
``pending`` (neither true nor false). Random failures are reported apart: the share that had an
alarm active at least ``min_lead_h`` before them (they are not expected to be predictable).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

NS_H = 3_600_000_000_000


@dataclass(frozen=True)
class Failure:
    equipment: str
    ts_ns: int
    cause: str  # "wear" or "random"


@dataclass(frozen=True)
class AlarmRecord:
    equipment: str
    ts_ns: int
    reason: str = ""


def score_alarms(
    alarms: Sequence[AlarmRecord],
    failures: Sequence[Failure],
    *,
    end_ns: int,
    machine_weeks: float,
    min_lead_h: float = 1.0,
    horizon_h: float = 72.0,
) -> dict[str, Any]:
    """Detection share, lead times and false alarms per machine-week."""
    by_eq: dict[str, list[AlarmRecord]] = {}
    for a in sorted(alarms, key=lambda a: a.ts_ns):
        by_eq.setdefault(a.equipment, []).append(a)
    wear = sorted((f for f in failures if f.cause == "wear"), key=lambda f: f.ts_ns)
    prev_wear: dict[str, int] = {}
    leads: list[float] = []
    missed = 0
    for f in wear:
        since = prev_wear.get(f.equipment, -1)
        ahead = [
            a for a in by_eq.get(f.equipment, []) if since < a.ts_ns <= f.ts_ns - min_lead_h * NS_H
        ]
        prev_wear[f.equipment] = f.ts_ns
        if ahead:
            leads.append((f.ts_ns - ahead[0].ts_ns) / NS_H)
        else:
            missed += 1
    false = pending = true = 0
    for eq, items in by_eq.items():
        fails = [f.ts_ns for f in wear if f.equipment == eq]
        for a in items:
            nxt = next((t for t in fails if t >= a.ts_ns), None)
            if nxt is not None and nxt - a.ts_ns <= horizon_h * NS_H:
                true += 1
            elif a.ts_ns + horizon_h * NS_H > end_ns and nxt is None:
                pending += 1
            else:
                false += 1
    random = [f for f in failures if f.cause != "wear"]
    random_hit = sum(
        1
        for f in random
        if any(
            f.ts_ns - horizon_h * NS_H <= a.ts_ns <= f.ts_ns - min_lead_h * NS_H
            for a in by_eq.get(f.equipment, [])
        )
    )
    n = len(wear)
    return {
        "wear_failures": n,
        "predicted": len(leads),
        "missed": missed,
        "predicted_share": len(leads) / n if n else None,
        "lead_h_median": statistics.median(leads) if leads else None,
        "lead_h_p10": _quantile(leads, 0.1),
        "alarms": len(alarms),
        "true_alarms": true,
        "false_alarms": false,
        "pending_alarms": pending,
        "machine_weeks": machine_weeks,
        "false_alarms_per_machine_week": false / machine_weeks if machine_weeks else None,
        "random_failures": len(random),
        "random_with_alarm_share": random_hit / len(random) if random else None,
    }


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]
