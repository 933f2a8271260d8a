"""The compiled tabu search (numba): N7 moves on one critical path, full re-evaluation per move.

Operations are numbered ``0..n-1``; a solution is the flat array ``seq`` holding the machine
sequences one after the other (machine ``m`` owns ``seq[mstart[m]:mstart[m + 1]]``). Static
data: durations, machines, job predecessor and successor (``-1``: none) and release dates.

Each iteration draws a random critical path, splits it into blocks and rates every N7 move
(Zhang et al. 2007: an operation of a block to the block's front or back, the block's first or
last operation inside it) with the estimate of Balas & Vazacopoulos. The best move that is not
tabu (or beats the best makespan) is made and the graph re-evaluated in ``O(n)``; a move that
closes a cycle is undone and the next one tried. Moving ``x`` past ``y`` forbids putting them
back in their old order for a random tenure. After ``stagnation`` iterations without a new best
the search returns to its best solution and kicks it with a few random critical swaps.

``state`` carries the search between calls: iteration, iterations since the best, best makespan
and the random generator's state, so the caller can run it in slices and exchange solutions.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Indices into the ``state`` array.
IT, SINCE, BEST, RNG = 0, 1, 2, 3
STATE_SIZE = 4
BIG = 1 << 60


@njit(cache=True, nogil=True)
def _rand(state: np.ndarray, k: int) -> int:
    """Uniform integer in ``[0, k)`` (xorshift64 on ``state[RNG]``)."""
    x = state[RNG]
    x ^= (x << 13) & 0x7FFFFFFFFFFFFFFF
    x ^= x >> 7
    x ^= (x << 17) & 0x7FFFFFFFFFFFFFFF
    x &= 0x7FFFFFFFFFFFFFFF
    if x == 0:
        x = 88172645463325252
    state[RNG] = x
    return (x >> 11) % k


@njit(cache=True, nogil=True)
def evaluate(seq, mstart, dur, jp, js, rel, mp, ms, heads, tails, order, stack):  # type: ignore[no-untyped-def]
    """Machine arcs, heads, tails and the makespan of ``seq``; -1 when it has a cycle."""
    n = dur.shape[0]
    for i in range(n):
        mp[i] = -1
        ms[i] = -1
    for m in range(mstart.shape[0] - 1):
        for k in range(mstart[m], mstart[m + 1] - 1):
            ms[seq[k]] = seq[k + 1]
            mp[seq[k + 1]] = seq[k]
    indeg = order  # reused: filled before order is written
    top = 0
    for i in range(n):
        heads[i] = rel[i]
        d = 0
        if jp[i] >= 0:
            d += 1
        if mp[i] >= 0:
            d += 1
        indeg[i] = d
        if d == 0:
            stack[top] = i
            top += 1
    done = 0
    while top > 0:
        top -= 1
        i = stack[top]
        e = heads[i] + dur[i]
        s = js[i]
        if s >= 0:
            if e > heads[s]:
                heads[s] = e
            indeg[s] -= 1
            if indeg[s] == 0:
                stack[top] = s
                top += 1
        s = ms[i]
        if s >= 0:
            if e > heads[s]:
                heads[s] = e
            indeg[s] -= 1
            if indeg[s] == 0:
                stack[top] = s
                top += 1
        tails[done] = i  # the topological order, kept in ``tails`` until copied
        done += 1
    if done < n:
        return -1
    for k in range(n):
        order[k] = tails[k]
    mk = 0
    for k in range(n - 1, -1, -1):
        i = order[k]
        v = 0
        s = js[i]
        if s >= 0:
            v = tails[s] + dur[s]
        s = ms[i]
        if s >= 0 and tails[s] + dur[s] > v:
            v = tails[s] + dur[s]
        tails[i] = v
        if heads[i] + dur[i] + v > mk:
            mk = heads[i] + dur[i] + v
    return mk


@njit(cache=True, nogil=True)
def _critical_path(state, mk, dur, jp, js, mp, ms, heads, tails, path):  # type: ignore[no-untyped-def]
    """A random critical path into ``path``; its length."""
    n = dur.shape[0]
    count = 0
    pick = -1
    for i in range(n):
        if heads[i] + dur[i] + tails[i] != mk:
            continue
        a = jp[i]
        if a >= 0 and heads[a] + dur[a] == heads[i] and heads[a] + dur[a] + tails[a] == mk:
            continue
        a = mp[i]
        if a >= 0 and heads[a] + dur[a] == heads[i] and heads[a] + dur[a] + tails[a] == mk:
            continue
        count += 1
        if _rand(state, count) == 0:
            pick = i
    length = 0
    i = pick
    while i >= 0:
        path[length] = i
        length += 1
        e = heads[i] + dur[i]
        a, b = js[i], ms[i]
        ok_a = a >= 0 and heads[a] == e and e + dur[a] + tails[a] == mk
        ok_b = b >= 0 and heads[b] == e and e + dur[b] + tails[b] == mk
        if ok_a and ok_b:
            i = a if _rand(state, 2) == 0 else b
        elif ok_a:
            i = a
        elif ok_b:
            i = b
        else:
            i = -1
    return length


@njit(cache=True, nogil=True)
def _segment(seq, src, dst, seg):  # type: ignore[no-untyped-def]
    """``seq[lo..hi]`` after moving ``seq[src]`` to ``dst``, into ``seg``; returns ``lo``."""
    if dst < src:
        seg[0] = seq[src]
        for k in range(dst, src):
            seg[k - dst + 1] = seq[k]
        return dst
    for k in range(src + 1, dst + 1):
        seg[k - src - 1] = seq[k]
    seg[dst - src] = seq[src]
    return src


@njit(cache=True, nogil=True)
def _estimate(seq, lo, length, first, end, seg, dur, jp, js, rel, heads, tails):  # type: ignore[no-untyped-def]
    """Longest path through the moved segment ``seg[:length]`` placed at ``seq[lo]``."""
    t = 0
    if lo > first:
        b = seq[lo - 1]
        t = heads[b] + dur[b]
    h = np.empty(length, np.int64)
    for k in range(length):
        x = seg[k]
        a = jp[x]
        v = heads[a] + dur[a] if a >= 0 else rel[x]
        if t > v:
            v = t
        h[k] = v
        t = v + dur[x]
    hi = lo + length
    t = 0
    if hi < end:
        b = seq[hi]
        t = tails[b] + dur[b]
    best = 0
    for k in range(length - 1, -1, -1):
        x = seg[k]
        a = js[x]
        v = tails[a] + dur[a] if a >= 0 else 0
        if t > v:
            v = t
        if h[k] + dur[x] + v > best:
            best = h[k] + dur[x] + v
        t = v + dur[x]
    return best


@njit(cache=True, nogil=True)
def _is_tabu(seq, src, dst, tabu, it):  # type: ignore[no-untyped-def]
    """Whether moving ``seq[src]`` to ``dst`` restores an order the tabu list forbids."""
    x = seq[src]
    hit = False
    if dst < src:  # x jumps ahead of seq[dst:src]
        for k in range(dst, src):
            hit = hit or tabu[x, seq[k]] >= it
    else:
        for k in range(src + 1, dst + 1):
            hit = hit or tabu[seq[k], x] >= it
    return hit


@njit(cache=True, nogil=True)
def _moves(length, path, ms, jp, js, posf, heads, tails, dur, msrc, mdst):  # type: ignore[no-untyped-def]
    """N7 moves of the blocks on ``path[:length]``, as (source, destination) flat indices."""
    count = 0
    start = 0
    bi = 0
    nblocks = 1
    for k in range(length - 1):
        if ms[path[k]] != path[k + 1]:
            nblocks += 1
    while start < length:
        stop = start + 1
        while stop < length and ms[path[stop - 1]] == path[stop]:
            stop += 1
        n = stop - start
        if n >= 2:
            u, v = path[start], path[stop - 1]
            p0 = posf[u]
            for t in range(1, n):  # to the front
                a = jp[path[start + t]]
                if bi > 0 and (a < 0 or heads[u] + dur[u] >= heads[a] + dur[a]):
                    msrc[count], mdst[count] = p0 + t, p0
                    count += 1
            for t in range(n - 1):  # to the back
                a = js[path[start + t]]
                if bi < nblocks - 1 and (a < 0 or tails[v] + dur[v] >= tails[a] + dur[a]):
                    msrc[count], mdst[count] = p0 + t, p0 + n - 1
                    count += 1
            for t in range(1, n - 1):  # the first or the last operation into the block
                x = path[start + t]
                a = js[u]
                if a < 0 or tails[x] + dur[x] >= tails[a] + dur[a]:
                    msrc[count], mdst[count] = p0, p0 + t
                    count += 1
                a = jp[v]
                if a < 0 or heads[x] + dur[x] >= heads[a] + dur[a]:
                    msrc[count], mdst[count] = p0 + n - 1, p0 + t
                    count += 1
        bi += 1
        start = stop
    return count
