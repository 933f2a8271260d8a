"""The disjunctive graph of a classic job shop: machine sequences -> heads, tails, makespan.

Operations are numbered ``0..N-1`` in job order. A solution is one sequence of operations per
machine; with the job chains it fixes a DAG whose longest paths give each operation's head (its
earliest start) and tail (the longest path after it ends), and the makespan.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from shopfloor.schedule.model import Problem
from shopfloor.schedule.schedule import Assignment, Schedule

Sequences = list[list[int]]


@dataclass
class Evaluation:
    heads: list[int]
    tails: list[int]
    mpred: list[int]
    msucc: list[int]
    makespan: int
    #: A topological order of the operations, and each operation's position in it.
    order: list[int]
    rank: list[int]


class JobShopGraph:
    """Static data of a classic problem (``problem.is_classic``)."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.key: list[tuple[int, int]] = problem.ops()
        self.index = {key: i for i, key in enumerate(self.key)}
        n = len(self.key)
        self.size = n
        self.dur = [problem.operation(j, k).modes[0].duration for j, k in self.key]
        self.machine = [problem.operation(j, k).modes[0].machine for j, k in self.key]
        self.jpred = [-1] * n
        self.jsucc = [-1] * n
        self.release = [0] * n
        for i, (j, k) in enumerate(self.key):
            if k == 0:
                self.release[i] = problem.earliest_start(j)
            else:
                self.jpred[i] = i - 1
                self.jsucc[i - 1] = i
        self.has_jpred = [int(p >= 0) for p in self.jpred]
        #: First and last operations of the jobs: where longest paths start and end.
        self.sources = [i for i in range(n) if self.jpred[i] < 0]
        self.sinks = [i for i in range(n) if self.jsucc[i] < 0]

    def sequences(self, sched: Schedule) -> Sequences:
        seq: Sequences = [[] for _ in range(self.problem.n_machines)]
        for a in sorted(sched, key=lambda a: (a.start, a.end, a.job, a.op)):
            seq[a.machine].append(self.index[a.job, a.op])
        return seq

    def arcs(self, seq: Sequences) -> tuple[list[int], list[int]]:
        """Machine predecessor and successor of every operation (-1: none)."""
        mp = [-1] * self.size
        ms = [-1] * self.size
        for s in seq:
            for a, b in itertools.pairwise(s):
                ms[a] = b
                mp[b] = a
        return mp, ms

    def evaluate(self, seq: Sequences) -> Evaluation | None:
        """Heads, tails and makespan; None when the sequences make a cycle."""
        mp, ms = self.arcs(seq)
        return self.evaluate_arcs(mp, ms)

    def evaluate_arcs(self, mp: list[int], ms: list[int]) -> Evaluation | None:
        dur, js = self.dur, self.jsucc
        indeg = [a + (b >= 0) for a, b in zip(self.has_jpred, mp, strict=True)]
        r = self.release[:]
        stack = [i for i in self.sources if mp[i] < 0]
        order: list[int] = []
        pop, push, note = stack.pop, stack.append, order.append
        while stack:
            i = pop()
            note(i)
            end = r[i] + dur[i]
            s = js[i]
            if s >= 0:
                if end > r[s]:
                    r[s] = end
                indeg[s] -= 1
                if not indeg[s]:
                    push(s)
            s = ms[i]
            if s >= 0:
                if end > r[s]:
                    r[s] = end
                indeg[s] -= 1
                if not indeg[s]:
                    push(s)
        if len(order) < self.size:
            return None
        q = [0] * self.size
        for i in reversed(order):
            a, b = js[i], ms[i]
            v = q[a] + dur[a] if a >= 0 else 0
            if b >= 0 and q[b] + dur[b] > v:
                v = q[b] + dur[b]
            q[i] = v
        rank = [0] * self.size
        for k, i in enumerate(order):
            rank[i] = k
        return Evaluation(r, q, mp, ms, self.makespan(r), order, rank)

    def makespan(self, heads: list[int]) -> int:
        dur = self.dur
        return max(heads[i] + dur[i] for i in self.sinks)

    def update_heads(self, ev: Evaluation, first: int) -> None:
        """Recompute heads from position ``first`` of the (still valid) topological order."""
        r, dur, jp, mp, rel = ev.heads, self.dur, self.jpred, ev.mpred, self.release
        for i in ev.order[first:]:
            v = rel[i]
            a = jp[i]
            if a >= 0 and r[a] + dur[a] > v:
                v = r[a] + dur[a]
            b = mp[i]
            if b >= 0 and r[b] + dur[b] > v:
                v = r[b] + dur[b]
            r[i] = v
        ev.makespan = self.makespan(r)

    def update_tails(self, ev: Evaluation, last: int) -> None:
        """Recompute tails from position ``last`` of the topological order back to the start."""
        q, dur, js, ms = ev.tails, self.dur, self.jsucc, ev.msucc
        for i in ev.order[last::-1]:
            a, b = js[i], ms[i]
            v = q[a] + dur[a] if a >= 0 else 0
            if b >= 0 and q[b] + dur[b] > v:
                v = q[b] + dur[b]
            q[i] = v

    def schedule(self, ev: Evaluation) -> Schedule:
        return Schedule.of(
            Assignment(j, k, self.machine[i], ev.heads[i], ev.heads[i] + self.dur[i])
            for i, (j, k) in enumerate(self.key)
        )
