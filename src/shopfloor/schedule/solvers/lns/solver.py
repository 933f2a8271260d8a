"""``lns``: large-neighbourhood search with CP-SAT sub-solves; works on every problem.

1. The best dispatching rule (or the hint, if better) is the first incumbent.
2. CP-SAT on the whole model, hinted with it, for a share of the time: it improves the incumbent,
   proves a lower bound, and on small problems proves optimality and ends the search.
3. Until the deadline, ``threads`` workers each take the incumbent, set free a neighbourhood
   (a time window, a subset of machines or of jobs), keep every other operation on its machine
   and in its order there, and let CP-SAT (one worker, a short limit) re-optimise under the
   constraint of doing no worse. A result at least as good becomes the incumbent.

At the deadline the incumbent is returned with the bound from step 2.
"""

from __future__ import annotations

import itertools
import random
import threading

from shopfloor.schedule.model import Problem
from shopfloor.schedule.objective import score
from shopfloor.schedule.options import Deadline, SolveOptions
from shopfloor.schedule.schedule import Schedule, SolveResult
from shopfloor.schedule.solvers.cpsat import CpModelHandles, CpsatRun, add_hint, build
from shopfloor.schedule.solvers.cpsat.model import objective_expr_bound
from shopfloor.schedule.solvers.cpsat.solver import result
from shopfloor.schedule.solvers.lns.neighbourhoods import NEIGHBOURHOODS, Key, Sizes
from shopfloor.schedule.solvers.rules import best_rule

RULES_SHARE = 0.1
#: Share of the time left after the rules given to CP-SAT on the whole model.
FULL_SHARE = 0.3
#: Time limit of one neighbourhood's sub-solve, in seconds.
SUB_LIMIT = 0.5


class _Incumbent:
    def __init__(self, sched: Schedule, value: int) -> None:
        self.lock = threading.Lock()
        self.schedule, self.value = sched, value
        self.improvements = 0
        self.neighbourhoods = 0

    def offer(self, sched: Schedule, value: int) -> None:
        with self.lock:
            self.neighbourhoods += 1
            if value <= self.value:
                self.improvements += value < self.value
                self.schedule, self.value = sched, value


def solve(
    problem: Problem, options: SolveOptions, name: str = "lns", deadline: Deadline | None = None
) -> SolveResult:
    deadline = deadline or Deadline(options.time_limit)
    sched, value, rule = best_rule(problem, deadline=Deadline(deadline.left() * RULES_SHARE))
    if options.hint is not None:
        hinted = score(problem, options.hint).value
        if hinted <= value:
            sched, value, rule = options.hint, hinted, "hint"
    base = build(problem, upper_bound=value)
    add_hint(base, problem, sched)
    full = CpsatRun(
        base.clone(),
        problem,
        time_limit=deadline.left() * FULL_SHARE,
        workers=options.threads,
        seed=options.seed,
        log_search=options.log,
    )
    out = full.run()
    if out.schedule is not None and out.value is not None and out.value <= value:
        sched, value = out.schedule, out.value
    bound = out.bound if out.schedule is not None else 0
    inc = _Incumbent(sched, value)
    if not out.optimal and value > bound:
        sizes = Sizes()
        workers = [
            threading.Thread(
                target=_worker,
                name=f"lns-{w}",
                daemon=True,
                args=(
                    problem,
                    base,
                    inc,
                    sizes,
                    deadline,
                    bound,
                    random.Random(options.seed * 1000 + w),
                ),
            )
            for w in range(options.threads)
        ]
        for t in workers:
            t.start()
        for t in workers:
            t.join()
    return result(
        problem,
        name,
        deadline,
        inc.schedule,
        inc.value,
        bound,
        out.optimal and inc.value == value,
        start=rule,
        neighbourhoods=inc.neighbourhoods,
        improvements=inc.improvements,
    )


def _worker(
    problem: Problem,
    base: CpModelHandles,
    inc: _Incumbent,
    sizes: Sizes,
    deadline: Deadline,
    bound: int,
    rnd: random.Random,
) -> None:
    kinds = list(NEIGHBOURHOODS)
    while deadline.left() > 0.05:
        with inc.lock:
            sched, value = inc.schedule, inc.value
        if value <= bound:
            return
        kind = rnd.choice(kinds)
        free = NEIGHBOURHOODS[kind](problem, sched, sizes.get(kind), rnd)
        if not free:
            sizes.solved(kind, True)
            continue
        hd = base.clone()
        fix_outside(hd, problem, sched, free)
        objective_expr_bound(hd, problem, value)
        add_hint(hd, problem, sched)
        limit = min(SUB_LIMIT, deadline.left())
        out = CpsatRun(hd, problem, time_limit=limit, workers=1, seed=rnd.randrange(1 << 30)).run()
        sizes.solved(kind, out.optimal)
        if out.schedule is not None and out.value is not None:
            inc.offer(out.schedule, out.value)


def fix_outside(hd: CpModelHandles, problem: Problem, sched: Schedule, free: set[Key]) -> None:
    """Keep every operation outside ``free`` on its machine and in its order there."""
    md = hd.model
    order: dict[int, list[Key]] = {}
    for m, seq in sched.by_machine().items():
        order[m] = [(a.job, a.op) for a in seq if (a.job, a.op) not in free]
    for m, keys in order.items():
        for a, b in itertools.pairwise(keys):
            if a in problem.frozen_at and b in problem.frozen_at:
                continue
            md.add(hd.var(hd.start[b]) >= hd.var(hd.end[a]))
        for key in keys:
            lits = hd.present.get(key)
            if lits is not None:
                md.add(hd.lit(lits[m]) == 1)
