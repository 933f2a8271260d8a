"""The compiled tabu search's main loop (numba, releases the GIL): see :mod:`.kernel`."""

from __future__ import annotations

import numpy as np
from numba import njit

from shopfloor.schedule.solvers.tabu.kernel import (
    BEST,
    BIG,
    IT,
    SINCE,
    _critical_path,
    _estimate,
    _is_tabu,
    _moves,
    _rand,
    _segment,
    evaluate,
)


@njit(cache=True, nogil=True)
def _kick(seq, best_seq, tabu, state, posf, kick, mstart, dur, jp, js, rel, buf):  # type: ignore[no-untyped-def]
    """Back to the best solution, then ``kick`` random swaps of adjacent critical operations."""
    mp, ms, heads, tails, order, stack, path = buf
    n = dur.shape[0]
    for k in range(n):
        seq[k] = best_seq[k]
        posf[seq[k]] = k
    tabu[:, :] = 0
    state[SINCE] = 0
    mk = evaluate(seq, mstart, dur, jp, js, rel, mp, ms, heads, tails, order, stack)
    for _ in range(kick):
        length = _critical_path(state, mk, dur, jp, js, mp, ms, heads, tails, path)
        pairs = 0
        for k in range(length - 1):
            if ms[path[k]] == path[k + 1]:
                pairs += 1
        if pairs == 0:
            break
        pick = _rand(state, pairs)
        for k in range(length - 1):
            if ms[path[k]] == path[k + 1]:
                if pick == 0:
                    a, b = path[k], path[k + 1]
                    pa, pb = posf[a], posf[b]
                    seq[pa], seq[pb] = b, a
                    posf[a], posf[b] = pb, pa
                    break
                pick -= 1
        mk = evaluate(seq, mstart, dur, jp, js, rel, mp, ms, heads, tails, order, stack)
    return mk


@njit(cache=True, nogil=True)
def run(  # type: ignore[no-untyped-def]
    seq,
    best_seq,
    tabu,
    state,
    mstart,
    dur,
    mach,
    jp,
    js,
    rel,
    iterations,
    lower_bound,
    tenure_lo,
    tenure_hi,
    stagnation,
    kick,
):
    """Run ``iterations`` iterations from ``seq`` (or until the best reaches ``lower_bound``).

    ``seq`` ends as the current solution, ``best_seq`` and ``state[BEST]`` as the best one.
    Returns the best makespan, or -1 when ``seq`` has a cycle.
    """
    n = dur.shape[0]
    mp = np.empty(n, np.int64)
    ms = np.empty(n, np.int64)
    heads = np.empty(n, np.int64)
    tails = np.empty(n, np.int64)
    order = np.empty(n, np.int64)
    stack = np.empty(n, np.int64)
    path = np.empty(n, np.int64)
    posf = np.empty(n, np.int64)
    seg = np.empty(n, np.int64)
    old = np.empty(n, np.int64)
    cap = 4 * n + 4
    msrc = np.empty(cap, np.int64)
    mdst = np.empty(cap, np.int64)
    est = np.empty(cap, np.int64)
    buf = (mp, ms, heads, tails, order, stack, path)
    for k in range(n):
        posf[seq[k]] = k
    mk = evaluate(seq, mstart, dur, jp, js, rel, mp, ms, heads, tails, order, stack)
    if mk < 0:
        return -1
    if state[BEST] <= 0 or mk < state[BEST]:
        state[BEST] = mk
        best_seq[:] = seq
    end = state[IT] + iterations
    while state[IT] < end and state[BEST] > lower_bound:
        state[IT] += 1
        it = state[IT]
        length = _critical_path(state, mk, dur, jp, js, mp, ms, heads, tails, path)
        count = _moves(length, path, ms, jp, js, posf, heads, tails, dur, msrc, mdst)
        for c in range(count):
            src, dst = msrc[c], mdst[c]
            lo = _segment(seq, src, dst, seg)
            m = mach[seq[src]]
            size = abs(dst - src) + 1
            e = _estimate(
                seq, lo, size, mstart[m], mstart[m + 1], seg, dur, jp, js, rel, heads, tails
            )
            if e >= state[BEST] and _is_tabu(seq, src, dst, tabu, it):
                est[c] = BIG
            else:
                est[c] = e
        applied = False
        for _try in range(count):
            pick, low, ties = -1, BIG + 1, 0
            for c in range(count):
                v = est[c]
                if v < low:
                    pick, low, ties = c, v, 1
                elif v == low and v <= BIG:
                    ties += 1
                    if _rand(state, ties) == 0:
                        pick = c
            if pick < 0:
                break
            est[pick] = BIG + 2  # tried
            src, dst = msrc[pick], mdst[pick]
            lo = _segment(seq, src, dst, seg)
            size = abs(dst - src) + 1
            x = seq[src]
            for k in range(size):
                old[k] = seq[lo + k]
                seq[lo + k] = seg[k]
                posf[seg[k]] = lo + k
            new_mk = evaluate(seq, mstart, dur, jp, js, rel, mp, ms, heads, tails, order, stack)
            if new_mk < 0:
                for k in range(size):
                    seq[lo + k] = old[k]
                    posf[old[k]] = lo + k
                mk = evaluate(seq, mstart, dur, jp, js, rel, mp, ms, heads, tails, order, stack)
                continue
            mk = new_mk
            expiry = it + tenure_lo + _rand(state, tenure_hi - tenure_lo + 1)
            if dst < src:
                for k in range(1, size):
                    tabu[seg[k], x] = expiry
            else:
                for k in range(size - 1):
                    tabu[x, seg[k]] = expiry
            applied = True
            break
        if applied and mk < state[BEST]:
            state[BEST] = mk
            best_seq[:] = seq
            state[SINCE] = 0
            continue
        state[SINCE] += 1
        if state[SINCE] > stagnation or not applied:
            mk = _kick(seq, best_seq, tabu, state, posf, kick, mstart, dur, jp, js, rel, buf)
    return state[BEST]
