"""Several compiled tabu searches at once, one per thread, sharing their best solution.

The compiled loop (:mod:`.compiled`) releases the GIL, so the searches run in threads of this
process. Each runs in slices of about ``SLICE_S`` seconds (so the deadline is kept); every
``exchange`` seconds a search whose best is worse than the best of all continues from that one.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np

from shopfloor.schedule.options import Deadline
from shopfloor.schedule.solvers.tabu.compiled import run
from shopfloor.schedule.solvers.tabu.graph import JobShopGraph, Sequences
from shopfloor.schedule.solvers.tabu.kernel import BEST, IT, RNG, SINCE, STATE_SIZE

#: Seconds per slice of the compiled loop between two looks at the clock.
SLICE_S = 0.05
#: Iterations without a new best before the search returns to its best and kicks it.
STAGNATION = 4000
#: Random critical swaps applied by a kick.
KICK_SWAPS = 4
#: Number of exchanges of the best solution over the time limit.
EXCHANGES = 4


_compiled = threading.Event()
_compile_lock = threading.Lock()
_compile_started: list[bool] = []


def _compile() -> None:
    one = np.array([-1], np.int64)
    seq = np.zeros(1, np.int64)
    state = np.zeros(STATE_SIZE, np.int64)
    state[RNG] = 1
    mstart = np.array([0, 1], np.int64)
    dur = np.ones(1, np.int64)
    zero = np.zeros(1, np.int64)
    tabu = np.zeros((1, 1), np.int64)
    run(seq, seq.copy(), tabu, state, mstart, dur, zero, one, one, zero, 1, 0, 1, 1, 1, 1)
    _compiled.set()


def warm_up() -> threading.Event:
    """Compile (or load from numba's cache) the search in the background, once per process.

    The returned event is set when it is ready; callers start it early (while other phases
    run) and wait for it only as long as their deadline allows.
    """
    with _compile_lock:
        if not _compile_started:
            _compile_started.append(True)
            threading.Thread(target=_compile, name="tabu-compile", daemon=True).start()
    return _compiled


@dataclass
class Best:
    makespan: int
    seq: Sequences
    iterations: int


class _Search:
    def __init__(self, graph: JobShopGraph, flat: np.ndarray, seed: int) -> None:
        n = graph.size
        self.seq = flat.copy()
        self.best_seq = flat.copy()
        self.tabu = np.zeros((n, n), np.int64)
        self.state = np.zeros(STATE_SIZE, np.int64)
        self.state[RNG] = (seed * 2654435761 + 1) & 0x7FFFFFFFFFFFFFFF or 1

    def adopt(self, flat: np.ndarray, makespan: int) -> None:
        self.seq[:] = flat
        self.tabu[:, :] = 0
        self.state[SINCE] = 0
        if makespan < self.state[BEST]:
            self.best_seq[:] = flat
            self.state[BEST] = makespan


class CompiledTabu:
    """Static arrays of a classic job shop for the compiled search."""

    def __init__(self, graph: JobShopGraph) -> None:
        self.graph = graph
        m = graph.problem.n_machines
        counts = np.bincount(np.array(graph.machine, np.int64), minlength=m)
        self.mstart = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        self.dur = np.array(graph.dur, np.int64)
        self.mach = np.array(graph.machine, np.int64)
        self.jp = np.array(graph.jpred, np.int64)
        self.js = np.array(graph.jsucc, np.int64)
        self.rel = np.array(graph.release, np.int64)
        jobs = len(graph.problem.jobs)
        self.tenure = 10 + jobs // max(1, m)

    def flat(self, seq: Sequences) -> np.ndarray:
        return np.array([i for s in seq for i in s], np.int64)

    def unflat(self, flat: np.ndarray) -> Sequences:
        st = self.mstart
        return [[int(x) for x in flat[st[k] : st[k + 1]]] for k in range(len(st) - 1)]

    def _slice(self, s: _Search, iterations: int, lower_bound: int) -> int:
        return int(
            run(
                s.seq,
                s.best_seq,
                s.tabu,
                s.state,
                self.mstart,
                self.dur,
                self.mach,
                self.jp,
                self.js,
                self.rel,
                iterations,
                lower_bound,
                self.tenure,
                self.tenure + self.tenure // 2,
                STAGNATION,
                KICK_SWAPS,
            )
        )

    def _unsearched(self, seq: Sequences) -> Best:
        ev = self.graph.evaluate(seq)
        if ev is None:
            raise ValueError("the start sequences contain a cycle")
        return Best(ev.makespan, seq, 0)

    def search(
        self,
        seq: Sequences,
        *,
        workers: int,
        deadline: Deadline,
        seed: int = 0,
        lower_bound: int = 0,
    ) -> Best:
        """Run ``workers`` searches from ``seq`` until the deadline; the best of all.

        When the compiled search is not ready by the deadline, ``seq`` itself is the answer.
        """
        if not warm_up().wait(deadline.left()):
            return self._unsearched(seq)
        start = self.flat(seq)
        searches = [_Search(self.graph, start, seed + 7919 * k) for k in range(workers)]
        lock = threading.Lock()
        shared: list[tuple[int, np.ndarray]] = []
        period = max(0.5, deadline.left() / (EXCHANGES + 1))
        errors: list[BaseException] = []

        def work(s: _Search) -> None:
            try:
                chunk = 200
                next_exchange = time.monotonic() + period
                while not deadline.passed():
                    t0 = time.monotonic()
                    best = self._slice(s, chunk, lower_bound)
                    if best < 0:
                        raise ValueError("the start sequences contain a cycle")
                    spent = time.monotonic() - t0
                    chunk = max(50, min(chunk * 4, int(chunk * SLICE_S / max(spent, 1e-4))))
                    with lock:
                        if not shared or best < shared[0][0]:
                            shared[:] = [(best, s.best_seq.copy())]
                        top = shared[0]
                    if best <= lower_bound or top[0] <= lower_bound:
                        return
                    if time.monotonic() >= next_exchange:
                        next_exchange += period
                        if top[0] < best:
                            s.adopt(top[1], top[0])
            except BaseException as exc:  # handed to the caller below
                errors.append(exc)

        threads = [
            threading.Thread(target=work, args=(s,), name=f"tabu-{k}", daemon=True)
            for k, s in enumerate(searches)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        top = min(searches, key=lambda s: int(s.state[BEST]) if s.state[BEST] > 0 else 1 << 62)
        iterations = sum(int(s.state[IT]) for s in searches)
        if top.state[BEST] <= 0:  # no slice ran (no time left): the start is the answer
            return self._unsearched(seq)
        return Best(int(top.state[BEST]), self.unflat(top.best_seq), iterations)
