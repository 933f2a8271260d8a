"""The repair benchmark: a breakdown on the busiest machine in the middle of a solved plan.

Solve the instance, then take the machine with the most work down for a window around the
middle of the plan, reported when it starts. Measure the time to the first feasible repaired
schedule (target: under a second) and the improved one within the budget, their makespans and
how many dispatched operations moved; plain CP-SAT on the same disrupted problem, with the same
budget and threads, is the peer.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from shopfloor.schedule.check import check
from shopfloor.schedule.formats import read_instance
from shopfloor.schedule.objective import score
from shopfloor.schedule.repair import Breakdown, repair
from shopfloor.schedule.schedule import Schedule
from shopfloor.schedule.solve import solve

#: Length of the breakdown as a share of the plan's makespan.
DOWN_SHARE = 0.1


def busiest_machine(plan: Schedule) -> int:
    load: dict[int, int] = {}
    for a in plan:
        load[a.machine] = load.get(a.machine, 0) + a.end - a.start
    return min(load, key=lambda m: (-load[m], m))


def run_repair_benchmark(
    instance: str | Path, *, solve_time: float, repair_time: float, threads: int
) -> dict[str, Any]:
    problem = read_instance(instance)
    t0 = time.perf_counter()
    plan = solve(problem, "default", time_limit=solve_time, threads=threads)
    plan_s = time.perf_counter() - t0
    machine = busiest_machine(plan.schedule)
    width = max(1, round(DOWN_SHARE * plan.makespan))
    start = plan.makespan // 2 - width // 2
    event = Breakdown(machine, start, start + width)
    rep = repair(problem, plan.schedule, event, now=start, time_limit=repair_time, threads=threads)
    peer = solve(rep.problem, "cpsat-plain", time_limit=repair_time, threads=threads)
    peer_score = score(rep.problem, peer.schedule)
    frozen_kept = all(
        rep.improved.schedule.at[f.job, f.op].start == f.start for f in rep.problem.frozen
    )
    summary = rep.summary()
    return {
        "instance": problem.name,
        "settings": {"solve_time_s": solve_time, "repair_time_s": repair_time, "threads": threads},
        "plan": {
            "makespan": plan.makespan,
            "lower_bound": plan.lower_bound,
            "seconds": round(plan_s, 2),
        },
        "breakdown": {"machine": machine, "start": event.start, "end": event.end, "now": start},
        "frozen_operations": len(rep.problem.frozen),
        **summary,
        "plain_cpsat": {
            "seconds": round(peer.wall_s, 2),
            "makespan": peer_score.makespan,
            "moved_operations": peer_score.moved,
            "objective": peer_score.value,
        },
        "checks": {
            "first_under_1s": rep.first_s < 1.0,
            "improved_within_budget": rep.improved_s <= repair_time,
            "first_feasible": not check(rep.problem, rep.first),
            "improved_feasible": not check(rep.problem, rep.improved.schedule),
            "frozen_unchanged": frozen_kept,
        },
    }
