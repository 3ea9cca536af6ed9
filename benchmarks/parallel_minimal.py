"""Would two threads bring the threshold cascade at 10^6 under the issue's 2 minutes?

A level-synchronous minimal threshold cascade whose neighbour updates are split between threads
by destination (each thread walks every frontier citizen's neighbours but updates only its own
half of the citizens: no atomics, the same sizes as the model), against bench_frontier's
single-threaded minimal, on the model's own graph, thresholds and sparks. An experiment for
the team's decision on issue 10's targets, not part of the engine.

Run:  .venv/bin/python benchmarks/parallel_minimal.py [N] [INCIDENTS]   (default 10^6, 200)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numba
import numpy as np
from numba import prange

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import benchmarks.bench_frontier as b
from sim import load_scenario
from sim.model.engagement import EngagementModel
from sim.model.runner import run_avalanches


@numba.njit(cache=False)
def needs(indptr, threshold):
    """The fewest engaged neighbours that reach each threshold (the minimal frontier's test
    count / degree >= threshold, as whole numbers); 2**30 where none does."""
    n = threshold.size
    need = np.empty(n, np.int32)
    for j in range(n):
        d = indptr[j + 1] - indptr[j]
        c = 1
        while c <= d and not (c / d >= threshold[j]):
            c += 1
        need[j] = c if c <= d else 2**30
    return need


@numba.njit(parallel=True, cache=False)
def par_cascades(indptr, indices, need0, sparks, T):
    """Each spark's cascade, level by level, with T threads splitting the updates; sizes."""
    n = need0.size
    need = need0.copy()
    active = np.zeros(n, np.bool_)
    queue = np.empty(n, np.int64)
    width = n // T + 2
    nxt = np.empty((T, width), np.int64)
    touched = np.empty((T, width), np.int64)
    lo = np.empty(T + 1, np.int64)
    for t in range(T + 1):
        lo[t] = t * n // T
    sizes = np.empty(sparks.size, np.int64)
    made = np.zeros(T, np.int64)
    ntouched = np.zeros(T, np.int64)
    for s in range(sparks.size):
        queue[0] = sparks[s]
        active[sparks[s]] = True
        start, end = 0, 1
        while end > start:
            for t in prange(T):
                a, bb = lo[t], lo[t + 1]
                c = 0
                tc = ntouched[t]
                for q in range(start, end):
                    i = queue[q]
                    for jj in range(indptr[i], indptr[i + 1]):
                        j = indices[jj]
                        if j < a or j >= bb or active[j]:
                            continue
                        v = need[j]
                        if v == need0[j]:
                            touched[t, tc] = j
                            tc += 1
                        v -= 1
                        need[j] = v
                        if v == 0:
                            active[j] = True
                            nxt[t, c] = j
                            c += 1
                made[t] = c
                ntouched[t] = tc
            start = end
            for t in range(T):
                for q in range(made[t]):
                    queue[end] = nxt[t, q]
                    end += 1
        sizes[s] = end
        for p in range(end):
            active[queue[p]] = False
        for t in range(T):
            for p in range(ntouched[t]):
                j = touched[t, p]
                need[j] = need0[j]
            ntouched[t] = 0
    return sizes


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    model = EngagementModel(load_scenario(b.threshold_world(n, count)))
    result = run_avalanches(model)
    sparks = result.avalanches["spark"].to_numpy().astype(np.int64)
    sizes = result.avalanches["size"].to_numpy()
    graph = model.adjacency
    indptr, indices = graph.indptr.astype(np.int64), graph.indices.astype(np.int64)
    threshold = model.threshold
    need0 = needs(indptr, threshold)
    b.minimal_cascades(indptr, indices, threshold, sparks[:1])  # compiled before timing
    for threads in (1, 2):
        par_cascades(indptr, indices, need0, sparks[:1], threads)
    print(f"N = {n:,}, {count} incidents; threading layer {numba.threading_layer()}")
    for _ in range(2):
        start = time.perf_counter()
        same = np.array_equal(b.minimal_cascades(indptr, indices, threshold, sparks), sizes)
        minimal = time.perf_counter() - start
        print(f"   minimal frontier (queue, 1 thread) {minimal:.2f} s, same sizes: {same}")
        for threads in (1, 2):
            start = time.perf_counter()
            got = par_cascades(indptr, indices, need0, sparks, threads)
            took = time.perf_counter() - start
            print(
                f"   level-synchronous, {threads} thread(s) {took:.2f} s, same sizes: "
                f"{np.array_equal(got, sizes)}; the minimal / this {minimal / took:.2f}"
            )


if __name__ == "__main__":
    main()
