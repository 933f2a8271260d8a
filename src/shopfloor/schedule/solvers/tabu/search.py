"""Tabu search over machine sequences with the N7 neighbourhood (Zhang et al. 2007).

Each iteration picks a random critical path, splits it into blocks (consecutive operations on one
machine) and considers moving an operation of a block to the block's front or back, or the
block's first or last operation inside it; moves that cannot shorten the path (the first block's
front, the last block's back) are left out. Each move is rated by the estimate of Balas &
Vazacopoulos (heads and tails recomputed along the moved segment only); the best move that is not
tabu (or beats the best makespan) is made. A move that puts ``x`` before ``y`` forbids putting
``y`` back before ``x`` for a random tenure. After a long run without improvement the search goes
back to the best solution and kicks it with a few random swaps on a critical path.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable

from shopfloor.schedule.solvers.tabu.graph import Evaluation, JobShopGraph, Sequences

#: Iterations without a new best before going back to the best and kicking it.
STAGNATION = 1000
#: Random critical swaps applied by a kick.
KICK_SWAPS = 4
#: How often (iterations) the search asks whether to stop and whether to adopt a solution.
POLL_EVERY = 50

Move = tuple[int, int, int]  # machine, from position, to position


class TabuSearch:
    def __init__(self, graph: JobShopGraph, seq: Sequences, seed: int = 0) -> None:
        ev = graph.evaluate(seq)
        if ev is None:
            raise ValueError("the start sequences contain a cycle")
        self.g = graph
        self.rnd = random.Random(seed)
        n_jobs, n_machines = len(graph.problem.jobs), graph.problem.n_machines
        self.tenure = 10 + n_jobs // max(1, n_machines)
        self._reset(seq, ev)
        self.best_seq = [s[:] for s in seq]
        self.best = ev.makespan
        self.iterations = 0

    def _reset(self, seq: Sequences, ev: Evaluation) -> None:
        self.seq, self.ev = seq, ev
        self.pos = [0] * self.g.size
        for s in seq:
            for k, i in enumerate(s):
                self.pos[i] = k
        self.tabu: dict[tuple[int, int], int] = {}
        self.since_best = 0

    def adopt(self, seq: Sequences) -> None:
        """Continue from another solution (e.g. a better one found by a parallel search)."""
        ev = self.g.evaluate(seq)
        if ev is None:
            raise ValueError("adopted sequences contain a cycle")
        self._reset([s[:] for s in seq], ev)
        if ev.makespan < self.best:
            self.best, self.best_seq = ev.makespan, [s[:] for s in seq]

    def run(
        self,
        stop: Callable[[], bool],
        lower_bound: int = 0,
        poll: Callable[[TabuSearch], None] | None = None,
    ) -> None:
        """Search until ``stop()`` says so or the best reaches ``lower_bound``."""
        while self.best > lower_bound:
            self.iterations += 1
            if self.iterations % POLL_EVERY == 0:
                if stop():
                    return
                if poll is not None:
                    poll(self)
            if not self._step():
                return  # no move: the critical path is one block or one job, so optimal

    # ---- one iteration ----------------------------------------------------------------------

    def _critical_path(self, ev: Evaluation) -> list[int]:
        g, r, q, cm = self.g, ev.heads, ev.tails, ev.makespan
        dur, js, ms = g.dur, g.jsucc, ev.msucc
        starts = [i for i in g.sources if r[i] == g.release[i] and r[i] + dur[i] + q[i] == cm]
        i = self.rnd.choice(starts)
        path = [i]
        while True:
            nxt = [
                s
                for s in (js[i], ms[i])
                if s >= 0 and r[s] == r[i] + dur[i] and r[s] + dur[s] + q[s] == cm
            ]
            if not nxt:
                return path
            i = nxt[0] if len(nxt) == 1 else self.rnd.choice(nxt)
            path.append(i)

    def _moves(self, ev: Evaluation) -> list[Move]:
        g, r, q, dur = self.g, ev.heads, ev.tails, self.g.dur
        path = self._critical_path(ev)
        blocks: list[list[int]] = [[path[0]]]
        for a in path[1:]:
            if ev.mpred[a] == blocks[-1][-1]:
                blocks[-1].append(a)
            else:
                blocks.append([a])
        moves: set[Move] = set()
        last = len(blocks) - 1
        for bi, b in enumerate(blocks):
            n = len(b)
            if n < 2:
                continue
            u, v = b[0], b[-1]
            m, p0 = g.machine[u], self.pos[u]
            for t in range(1, n):  # b[t] to the front (feasible if its job predecessor is early)
                a = g.jpred[b[t]]
                if bi > 0 and (a < 0 or r[u] + dur[u] >= r[a] + dur[a]):
                    moves.add((m, p0 + t, p0))
            for t in range(n - 1):  # b[t] to the back
                a = g.jsucc[b[t]]
                if bi < last and (a < 0 or q[v] + dur[v] >= q[a] + dur[a]):
                    moves.add((m, p0 + t, p0 + n - 1))
            for t in range(1, n - 1):  # first or last operation into the block
                x = b[t]
                a = g.jsucc[u]
                if a < 0 or q[x] + dur[x] >= q[a] + dur[a]:
                    moves.add((m, p0, p0 + t))
                a = g.jpred[v]
                if a < 0 or r[x] + dur[x] >= r[a] + dur[a]:
                    moves.add((m, p0 + n - 1, p0 + t))
        return sorted(moves)

    def _segment(self, move: Move) -> tuple[int, list[int], list[int]]:
        m, i, j = move
        s = self.seq[m]
        lo, hi = min(i, j), max(i, j)
        old = s[lo : hi + 1]
        new = [old[-1], *old[:-1]] if j < i else [*old[1:], old[0]]
        return lo, old, new

    def _estimate(self, m: int, lo: int, new: list[int]) -> int:
        g, ev, s = self.g, self.ev, self.seq[m]
        r, q, dur, jp, js = ev.heads, ev.tails, g.dur, g.jpred, g.jsucc
        before = s[lo - 1] if lo > 0 else -1
        hi = lo + len(new)
        after = s[hi] if hi < len(s) else -1
        heads = []
        t = r[before] + dur[before] if before >= 0 else 0
        for x in new:
            a = jp[x]
            h = r[a] + dur[a] if a >= 0 else g.release[x]
            h = max(h, t)
            heads.append(h)
            t = h + dur[x]
        best = 0
        t = q[after] + dur[after] if after >= 0 else 0
        for idx in range(len(new) - 1, -1, -1):
            x = new[idx]
            a = js[x]
            tail = max(q[a] + dur[a] if a >= 0 else 0, t)
            best = max(best, heads[idx] + dur[x] + tail)
            t = tail + dur[x]
        return best

    def _is_tabu(self, move: Move, old: list[int]) -> bool:
        _m, i, j = move
        it, tabu = self.iterations, self.tabu
        if j < i:
            x = old[-1]
            return any(tabu.get((x, y), -1) >= it for y in old[:-1])
        x = old[0]
        return any(tabu.get((y, x), -1) >= it for y in old[1:])

    def _step(self) -> bool:
        moves = self._moves(self.ev)
        if not moves:
            return False
        rated = []
        for mv in moves:
            lo, old, new = self._segment(mv)
            est = self._estimate(mv[0], lo, new)
            if self._is_tabu(mv, old) and est >= self.best:
                continue
            rated.append((est, self.rnd.random(), mv))
        if not rated:
            rated = [(0, 0.0, self.rnd.choice(moves))]
        rated.sort()
        for _est, _tie, mv in rated:
            if self._apply(mv):
                return True
        return True  # every move closed a cycle: the next iteration draws another path

    def _apply(self, mv: Move) -> bool:
        m, i, j = mv
        lo, old, new = self._segment(mv)
        if not self._reorder(m, lo, old, new):
            return False
        for k, y in enumerate(new):
            self.pos[y] = lo + k
        expiry = self.iterations + self.rnd.randint(self.tenure, self.tenure + self.tenure // 2)
        if j < i:
            x = old[-1]
            for y in old[:-1]:
                self.tabu[y, x] = expiry
        else:
            x = old[0]
            for y in old[1:]:
                self.tabu[x, y] = expiry
        if self.ev.makespan < self.best:
            self.best, self.best_seq, self.since_best = (
                self.ev.makespan,
                [t[:] for t in self.seq],
                0,
            )
        else:
            self.since_best += 1
            if self.since_best > STAGNATION:
                self._kick()
        return True

    def _link(self, m: int, lo: int, segment: list[int]) -> None:
        """Write ``segment`` into machine ``m``'s sequence at ``lo`` and relink its arcs."""
        s, mp, ms = self.seq[m], self.ev.mpred, self.ev.msucc
        hi = lo + len(segment)
        s[lo:hi] = segment
        chain = s[max(0, lo - 1) : hi + 1]
        if lo == 0:
            mp[chain[0]] = -1
        if hi == len(s):
            ms[chain[-1]] = -1
        for a, b in itertools.pairwise(chain):
            ms[a], mp[b] = b, a

    def _reorder(self, m: int, lo: int, old: list[int], new: list[int]) -> bool:
        """Make the move and bring heads, tails and the topological order up to date.

        Only the stretch of the topological order between the moved operations can become
        invalid (every new arc starts and ends there), so only that stretch is re-sorted, and
        only heads after it and tails before it are recomputed. False (and nothing changed)
        when the move closes a cycle.
        """
        g, ev = self.g, self.ev
        rank, order = ev.rank, ev.order
        slots = [rank[y] for y in old]
        self._link(m, lo, new)
        jp, js = g.jpred, g.jsucc
        if all(
            (jp[y] < 0 or rank[jp[y]] < slot) and (js[y] < 0 or rank[js[y]] > slot)
            for y, slot in zip(new, slots, strict=True)
        ):
            for y, slot in zip(new, slots, strict=True):
                order[slot] = y
                rank[y] = slot
        elif not self._resort(slots[0], slots[-1]):
            self._link(m, lo, old)
            return False
        g.update_heads(ev, slots[0])
        g.update_tails(ev, slots[-1])
        return True

    def _resort(self, a: int, b: int) -> bool:
        """Topologically re-sort ``order[a:b+1]`` under the current arcs; False on a cycle."""
        ev, jp, js = self.ev, self.g.jpred, self.g.jsucc
        mp, ms = ev.mpred, ev.msucc
        window = ev.order[a : b + 1]
        inside = set(window)
        indeg = {i: (jp[i] in inside) + (mp[i] in inside) for i in window}
        stack = [i for i in reversed(window) if not indeg[i]]
        out = []
        while stack:
            i = stack.pop()
            out.append(i)
            for s_ in (js[i], ms[i]):
                if s_ in inside:
                    indeg[s_] -= 1
                    if not indeg[s_]:
                        stack.append(s_)
        if len(out) < len(window):
            return False
        ev.order[a : b + 1] = out
        for k, i in enumerate(out, start=a):
            ev.rank[i] = k
        return True

    def _kick(self) -> None:
        seq = [t[:] for t in self.best_seq]
        ev = self.g.evaluate(seq)
        assert ev is not None
        self._reset(seq, ev)
        for _ in range(KICK_SWAPS):
            path = self._critical_path(self.ev)
            pairs = [(a, b) for a, b in itertools.pairwise(path) if self.ev.msucc[a] == b]
            if not pairs:
                return
            a, b = self.rnd.choice(pairs)
            s, pa = self.seq[self.g.machine[a]], self.pos[a]
            s[pa], s[pa + 1] = b, a
            self.pos[a], self.pos[b] = pa + 1, pa
            ev = self.g.evaluate(self.seq)
            assert ev is not None  # swapping adjacent critical operations never closes a cycle
            self.ev = ev
