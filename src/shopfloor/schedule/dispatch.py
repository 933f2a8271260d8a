"""The proposed sequence per work unit: what MES releases and dispatches, in order.

``schedule/`` proposes, MES owns dispatch (DESIGN.md, "who decides, who executes"). Operations
already finished by ``now`` are left out; the one running, if any, comes first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from shopfloor.schedule.model import Problem
from shopfloor.schedule.schedule import Schedule


@dataclass(frozen=True, slots=True)
class DispatchItem:
    job: int
    op: int
    job_name: str
    op_name: str
    start: int
    end: int
    state: Literal["running", "planned"]

    def to_dict(self, origin: datetime | None = None, unit_s: float = 1.0) -> dict[str, Any]:
        out: dict[str, Any] = {
            "job": self.job,
            "op": self.op,
            "job_name": self.job_name,
            "op_name": self.op_name,
            "start": self.start,
            "end": self.end,
            "state": self.state,
        }
        if origin is not None:
            out["start_at"] = (origin + timedelta(seconds=self.start * unit_s)).isoformat()
            out["end_at"] = (origin + timedelta(seconds=self.end * unit_s)).isoformat()
        return out


def dispatch_lists(problem: Problem, schedule: Schedule) -> dict[str, list[DispatchItem]]:
    """Machine name -> its operations still to run (or running) at ``now``, in start order."""
    out: dict[str, list[DispatchItem]] = {name: [] for name in problem.machines}
    for m, seq in schedule.by_machine().items():
        for a in seq:
            if a.end <= problem.now and a.end > a.start:
                continue
            op = problem.operation(a.job, a.op)
            out[problem.machines[m]].append(
                DispatchItem(
                    job=a.job,
                    op=a.op,
                    job_name=problem.jobs[a.job].name or f"job{a.job}",
                    op_name=op.name or f"op{a.op}",
                    start=a.start,
                    end=a.end,
                    state="running" if a.start < problem.now else "planned",
                )
            )
    return out


def dispatch_json(
    problem: Problem, schedule: Schedule, origin: datetime | None = None, unit_s: float = 1.0
) -> dict[str, list[dict[str, Any]]]:
    """:func:`dispatch_lists` as JSON; with ``origin``, times also as ISO 8601 instants."""
    return {
        m: [item.to_dict(origin, unit_s) for item in items]
        for m, items in dispatch_lists(problem, schedule).items()
    }
