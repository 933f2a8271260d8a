"""Several tabu searches at once, one per thread the caller allows, in rounds.

The search is pure Python, so parallel searches need processes: this one plus ``workers - 1``
children (forked where the platform can, so they inherit the graph). Each search has its own
seed. After every round the best solution of all is sent to every search that is doing worse;
the others keep their own trajectory.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from shopfloor.schedule.options import Deadline
from shopfloor.schedule.solvers.tabu.graph import JobShopGraph, Sequences
from shopfloor.schedule.solvers.tabu.search import TabuSearch

#: Rounds after which the searches share their best.
ROUNDS = 3
#: Seconds a child may be late with its round's answer before it is given up on.
GRACE_S = 5.0


@dataclass
class Best:
    makespan: int
    seq: Sequences
    iterations: int


def _child(graph: JobShopGraph, conn: Connection, seed: int, stop: Any) -> None:
    search: TabuSearch | None = None
    while True:
        msg = conn.recv()
        if msg is None:
            conn.close()
            return
        seq, seconds, lower_bound = msg
        if search is None:
            search = TabuSearch(graph, seq, seed=seed)
        elif graph.evaluate(seq) is not None and _makespan(graph, seq) < search.best:
            search.adopt(seq)
        round_end = Deadline(seconds)

        def done(end: Deadline = round_end) -> bool:
            return end.passed() or bool(stop.is_set())

        search.run(done, lower_bound=lower_bound)
        conn.send((search.best, search.best_seq, search.iterations))


def _makespan(graph: JobShopGraph, seq: Sequences) -> int:
    ev = graph.evaluate(seq)
    assert ev is not None
    return ev.makespan


def _context() -> Any:
    methods = mp.get_all_start_methods()
    return mp.get_context("fork" if "fork" in methods else methods[0])


def parallel_tabu(
    graph: JobShopGraph,
    seq: Sequences,
    *,
    workers: int,
    deadline: Deadline,
    seed: int = 0,
    lower_bound: int = 0,
) -> Best:
    """Run ``workers`` tabu searches until the deadline; the best solution of all."""
    main = TabuSearch(graph, seq, seed=seed)
    best = Best(main.best, [s[:] for s in main.best_seq], 0)
    if mp.current_process().daemon:
        workers = 1  # a daemonic process (a pool worker) may not start children
    ctx = _context()
    stop = ctx.Event()
    children: list[tuple[Any, Connection]] = []
    for k in range(1, workers):
        here, there = ctx.Pipe()
        proc = ctx.Process(
            target=_child, args=(graph, there, seed + 7919 * k, stop), daemon=True, name=f"tabu-{k}"
        )
        proc.start()
        there.close()
        children.append((proc, here))
    try:
        for r in range(ROUNDS):
            if best.makespan <= lower_bound or deadline.passed():
                break
            seconds = deadline.left() / (ROUNDS - r)
            for _proc, conn in children:
                conn.send((best.seq, seconds, lower_bound))
            if best.makespan < main.best:
                main.adopt(best.seq)
            main.run(Deadline(seconds).passed, lower_bound=lower_bound)
            if main.best <= lower_bound:
                stop.set()
            results = [(main.best, main.best_seq, main.iterations)]
            for _proc, conn in children:
                if conn.poll(seconds + GRACE_S):
                    results.append(conn.recv())
            iterations = sum(x[2] for x in results)
            top = min(results, key=lambda x: x[0])
            if top[0] < best.makespan:
                best = Best(top[0], [s[:] for s in top[1]], iterations)
            else:
                best.iterations = iterations
    finally:
        stop.set()
        for proc, conn in children:
            with contextlib.suppress(BrokenPipeError, OSError):
                conn.send(None)
            conn.close()
            proc.join(timeout=GRACE_S)
            if proc.is_alive():
                proc.terminate()
                proc.join()
    return best
