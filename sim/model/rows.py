"""Engaged weights summed from the adjacency's rows, for the frontier engine's kernels.

:func:`full_sums` and :func:`rung_sums` build every citizen's weights from scratch;
:func:`row_sums` and :func:`rung_row` sum one citizen's row again (the vectorized engine's
sparse product, row by row, in CSR order); :func:`pull_weights` sums again every row of the
citizens whose weights are kept, when one call of :func:`sim.model.kernels.set_channels` moves
so many citizens that walking their neighbours one by one costs more.

That choice is direction-optimizing breadth-first search's (Beamer, Asanović and Patterson
2012, "Direction-optimizing breadth-first search", SC'12): *push* from a small frontier, each
change written to its neighbours at random places of the N-long weights (a cache miss each once
they outgrow the cache), or *pull* into every citizen when the frontier is large, reading the
rows in order and the neighbours' channels (two bytes a citizen) at random. Engaged weights are
whole numbers when the frontier keeps them in place, so both ways give the same sums to the bit.

Measured on this machine (2-core AMD EPYC, 2 MB L2 per core, 32 MB L3; benchmarks/README.md,
ninth round): a threshold cascade at 10⁶ citizens (ER, mean degree 10, 200 sparks near the
transition) 17.5-20.0 s pushing, 10.8-11.1 s pulling at 1/10 of the entries (11.0-11.2 s at 1/20,
12.9 s at 1/80); the baseline world's five policies at 2·10⁵ citizens the same either way, at
10⁵ 8 % slower pulling, at 2·10⁴ 18 % slower, and the flagship (2,000 citizens) 30 % slower at
1/20: so only worlds whose N-long weights (8 bytes a citizen) outgrow the L2 cache pull.
"""

from __future__ import annotations

import numba

from sim.model import kernel_cache, rules

# Before any kernel is defined (see sim.model.kernels).
kernel_cache.refresh()

__all__ = ["PULL_MIN_CITIZENS", "PULL_SHARE", "full_sums", "pull_weights", "row_sums", "rung_sums"]

# Pull when the moving citizens' adjacency entries exceed 1 / PULL_SHARE of all entries...
PULL_SHARE = 10
# ... in a world at least this large (smaller ones fit the cache: pushing is cheaper there).
PULL_MIN_CITIZENS = 200_000


@numba.njit(cache=True)
def full_sums(indptr, indices, influence, is_activist, channel, ew, ea):
    """Engaged weight and engaged activist neighbours of everyone, from scratch (O(edges))."""
    n = indptr.size - 1
    for i in range(n):
        ew[i], ea[i] = row_sums(i, indptr, indices, influence, is_activist, channel)


@numba.njit(cache=True, inline="always")
def row_sums(i, indptr, indices, influence, is_activist, channel):
    """Engaged weight Σ u_j and engaged activists of citizen i's neighbours, in row order."""
    weight = 0.0
    activists = 0.0
    for jj in range(indptr[i], indptr[i + 1]):
        j = indices[jj]
        if channel[j] > 0:
            weight += influence[j]
            if is_activist[j]:
                activists += 1.0
    return weight, activists


@numba.njit(cache=True)
def rung_sums(indptr, indices, influence, channel, ewr):
    """Per-channel engaged weights ``ewr`` of everyone, from scratch (escalation by example)."""
    n = indptr.size - 1
    for i in range(n):
        rung_row(i, indptr, indices, influence, channel, ewr)


@numba.njit(cache=True, inline="always")
def rung_row(i, indptr, indices, influence, channel, ewr):
    """Citizen i's per-channel engaged weights (rows 1.. of ``ewr``), in row order."""
    for k in range(1, ewr.shape[0]):
        weight = 0.0
        for jj in range(indptr[i], indptr[i + 1]):
            j = indices[jj]
            if rules.counts_toward(channel[j], k + 1, True):
                weight += influence[j]
        ewr[k, i] = weight


@numba.njit(cache=True)
def pull_weights(
    indptr,
    indices,
    influence,
    is_activist,
    weighted,
    channel,
    top,
    ew,
    ea,
    is_stale,
    is_candidate,
    candidates,
    counters,
    candidate_slot,
    nonzero,
    is_nonzero,
    nonzero_slot,
):
    """Sum again the engaged weights of every citizen below the costliest channel ``top``
    (whole-number influences; 1 each when not ``weighted``, with no activist count), after
    the channels of one :func:`sim.model.kernels.set_channels` call are all set.

    The kernel's bookkeeping follows as when pushing: a citizen whose engaged weight or
    engaged activists rose (or whose weights were not kept: ``is_stale``) becomes a candidate
    (``counters[candidate_slot]``; the rules are monotone in both, so one where neither rose
    stays settled), and one whose weights leave zero is listed in ``nonzero``
    (``counters[nonzero_slot]``). Citizens at ``top`` are skipped, their weights not kept.
    """
    n = indptr.size - 1
    for j in range(n):
        if channel[j] == top:
            continue
        if weighted:
            weight, activists = row_sums(j, indptr, indices, influence, is_activist, channel)
        else:  # every influence 1, no activist: two arrays fewer to read
            weight = 0.0
            activists = 0.0
            for jj in range(indptr[j], indptr[j + 1]):
                if channel[indices[jj]] > 0:
                    weight += 1.0
        rose = weight > ew[j] or is_stale[j]
        ew[j] = weight
        if weighted:
            rose = rose or activists > ea[j]
            ea[j] = activists
        if rose and not is_candidate[j]:
            is_candidate[j] = True
            candidates[counters[candidate_slot]] = j
            counters[candidate_slot] += 1
        if (weight != 0.0 or activists != 0.0) and not is_nonzero[j]:
            is_nonzero[j] = True
            nonzero[counters[nonzero_slot]] = j
            counters[nonzero_slot] += 1
