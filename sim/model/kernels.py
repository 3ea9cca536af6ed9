"""Compiled kernels of the frontier engine (:mod:`sim.model.frontier`): plain loops over arrays.

Each kernel reads and writes the model's arrays and the frontier's bookkeeping arrays in place;
the Python layer (:class:`sim.model.frontier.FrontierState`) owns randomness, validation and
the institution's choices. The rules are those of :mod:`sim.model.rules`, called on scalars, so
the arithmetic is the other engines' operation for operation.

Bookkeeping (all arrays of length N unless said otherwise):

- ``ew``, ``ea``: engaged weight Σ_{j∈N(i), engaged} u_j and engaged activist neighbours of
  each citizen, equal bit for bit to the vectorized engine's sparse products (summed over the
  CSR row in index order, as scipy's ``csr_matvec`` does; adding a zero changes nothing).
- ``candidates`` / ``is_candidate``: the citizens whose decision may differ from their channel
  at the next step; every other citizen is *settled* (its target channel is at most its channel)
  because nothing its rule reads has changed since it was last evaluated.
- ``engaged`` / ``position``: the engaged citizens, unordered, and each one's slot (-1 if not
  engaged).
- ``counters``: [number of candidates, number engaged, number of stale rows, number of citizens
  with a change of trust this step].
"""

from __future__ import annotations

import numba
import numpy as np

from sim.model import rules

__all__ = [
    "decide",
    "full_sums",
    "mark_all",
    "neighbours_of",
    "set_channels",
    "step_engaged",
    "trust_commit",
    "trust_commit_all",
]

# Slots of the ``counters`` array.
CANDIDATES = 0
ENGAGED = 1
STALE = 2


@numba.njit(cache=True)
def full_sums(indptr, indices, influence, is_activist, channel, ew, ea):
    """Engaged weight and engaged activist neighbours of everyone, from scratch (O(edges))."""
    n = indptr.size - 1
    for i in range(n):
        ew[i], ea[i] = _row_sums(i, indptr, indices, influence, is_activist, channel)


@numba.njit(cache=True, inline="always")
def _row_sums(i, indptr, indices, influence, is_activist, channel):
    weight = 0.0
    activists = 0.0
    for jj in range(indptr[i], indptr[i + 1]):
        j = indices[jj]
        if channel[j] > 0:
            weight += influence[j]
            if is_activist[j]:
                activists += 1.0
    return weight, activists


@numba.njit(cache=True, inline="always")
def _mark(i, is_candidate, candidates, counters):
    if not is_candidate[i]:
        is_candidate[i] = True
        candidates[counters[CANDIDATES]] = i
        counters[CANDIDATES] += 1


@numba.njit(cache=True)
def mark_all(is_candidate, candidates, counters):
    """Everyone becomes a candidate (a global parameter changed)."""
    n = is_candidate.size
    for i in range(n):
        is_candidate[i] = True
        candidates[i] = i
    counters[CANDIDATES] = n


@numba.njit(cache=True)
def mark_list(idx, is_candidate, candidates, counters):
    for p in range(idx.size):
        _mark(idx[p], is_candidate, candidates, counters)


@numba.njit(cache=True)
def decide(
    candidates,
    is_candidate,
    counters,
    threshold,
    grievance,
    online,
    cheapest_open,
    channel,
    ew,
    ea,
    neighbour_weight,
    costs,
    channel_online,
    multiplier,
    grievance_weight,
    organising,
    max_discount,
    organising_active,
    sparks,
    engaged,
    fatigue_draw,
    fatigue,
    check_leaving,
    conceded,
    satisfied_below,
    proposal,
    touched,
    is_touched,
):
    """Citizens' move (rules 1-5) for the candidates, the sparked and the engaged.

    Writes each touched citizen's channel at t+1 into ``proposal`` and its index into
    ``touched``; reads only the state at t. Consumes the candidate list. Returns the number
    touched.
    """
    n_touched = 0
    n_candidates = counters[CANDIDATES]
    for p in range(n_candidates):
        i = candidates[p]
        is_candidate[i] = False
        signal = rules.social_signal(ew[i], neighbour_weight[i])
        drive = rules.drive(signal, grievance[i], grievance_weight)
        discount = 0.0
        if organising_active:
            discount = rules.organising_discount(ea[i], organising, max_discount)
        target = 0
        for k in range(costs.size):
            if online[i] or not channel_online[k]:
                cost = rules.effective_cost(costs[k], multiplier, discount)
                if rules.willing(drive, threshold[i], cost):
                    target = k + 1
        if target > channel[i]:
            proposal[i] = target
            if not is_touched[i]:
                is_touched[i] = True
                touched[n_touched] = i
                n_touched += 1
    counters[CANDIDATES] = 0
    for p in range(sparks.size):
        i = sparks[p]
        if cheapest_open[i] > proposal[i]:
            proposal[i] = cheapest_open[i]
            if not is_touched[i]:
                is_touched[i] = True
                touched[n_touched] = i
                n_touched += 1
    if check_leaving:
        has_draws = fatigue_draw.size > 0
        for p in range(counters[ENGAGED]):
            i = engaged[p]
            draw = fatigue_draw[i] if has_draws else 1.0
            if rules.leaves(True, draw, fatigue, conceded, grievance[i], satisfied_below):
                proposal[i] = 0
                if not is_touched[i]:
                    is_touched[i] = True
                    touched[n_touched] = i
                    n_touched += 1
    return n_touched


@numba.njit(cache=True)
def set_channels(
    idx,
    values,
    indptr,
    indices,
    influence,
    is_activist,
    integral,
    channel,
    proposal,
    counts,
    ew,
    ea,
    engaged,
    position,
    is_candidate,
    candidates,
    counters,
    stale,
    is_stale,
    steps_engaged,
    answered,
    ever_engaged,
    newly,
):
    """Set ``channel[idx[p]] = values[p]`` and keep every piece of bookkeeping in step.

    A citizen who starts or stops engaging changes its neighbours' engaged weight (updated in
    place when every influence is a whole number, so any order of addition is exact; else their
    rows are summed again in CSR order) and makes them candidates; one who leaves is itself a
    candidate (it may join again) and loses its answered flag and engaged-steps count.
    Returns (joined or escalated, changed, newly engaged count); ``newly`` receives the newly
    engaged.
    """
    joined = 0
    changed = 0
    n_newly = 0
    for p in range(idx.size):
        i = idx[p]
        new = values[p]
        old = channel[i]
        if new == old:
            continue
        changed += 1
        if new > old:
            joined += 1
        channel[i] = new
        proposal[i] = new
        counts[old] -= 1
        counts[new] += 1
        if (old == 0) == (new == 0):
            continue  # an escalation: neighbours see no difference
        if new > 0:
            engaged[counters[ENGAGED]] = i
            position[i] = counters[ENGAGED]
            counters[ENGAGED] += 1
            ever_engaged[i] = True
            newly[n_newly] = i
            n_newly += 1
            sign = 1.0
        else:
            slot = position[i]
            last = engaged[counters[ENGAGED] - 1]
            engaged[slot] = last
            position[last] = slot
            position[i] = -1
            counters[ENGAGED] -= 1
            steps_engaged[i] = 0
            answered[i] = False
            _mark(i, is_candidate, candidates, counters)
            sign = -1.0
        u = influence[i]
        act = is_activist[i]
        for jj in range(indptr[i], indptr[i + 1]):
            j = indices[jj]
            _mark(j, is_candidate, candidates, counters)
            if integral:
                ew[j] += sign * u
                if act:
                    ea[j] += sign
            elif not is_stale[j]:
                is_stale[j] = True
                stale[counters[STALE]] = j
                counters[STALE] += 1
    for p in range(counters[STALE]):
        j = stale[p]
        is_stale[j] = False
        ew[j], ea[j] = _row_sums(j, indptr, indices, influence, is_activist, channel)
    counters[STALE] = 0
    return joined, changed, n_newly


@numba.njit(cache=True)
def step_engaged(engaged, counters, steps_engaged):
    """Every engaged citizen has been engaged one step longer."""
    for p in range(counters[ENGAGED]):
        steps_engaged[engaged[p]] += 1


@numba.njit(cache=True)
def neighbours_of(idx, indptr, indices, stamp, tag, out):
    """Distinct neighbours of the citizens ``idx`` (in no particular order); returns the count.

    ``stamp`` marks a citizen already listed with ``tag`` (a fresh number per call), so no
    clearing is needed.
    """
    count = 0
    for p in range(idx.size):
        i = idx[p]
        for jj in range(indptr[i], indptr[i + 1]):
            j = indices[jj]
            if stamp[j] != tag:
                stamp[j] = tag
                out[count] = j
                count += 1
    return count


@numba.njit(cache=True)
def trust_commit(idx, delta, trust, hardship, grievance, is_candidate, candidates, counters):
    """Trust at t+1 for the citizens the institution touched: T + ΔT, clipped to [0, 1].

    Clears their ΔT; a citizen whose trust changed gets its grievance recomputed and becomes a
    candidate. Returns how many changed.
    """
    changed = 0
    for p in range(idx.size):
        i = idx[p]
        new = rules.clip_unit(trust[i] + delta[i])
        delta[i] = 0.0
        if new != trust[i]:
            trust[i] = new
            grievance[i] = rules.grievance(hardship[i], new)
            _mark(i, is_candidate, candidates, counters)
            changed += 1
    return changed


@numba.njit(cache=True)
def trust_commit_all(
    indptr,
    indices,
    degree,
    diffusion,
    delta,
    trust,
    hardship,
    grievance,
    scratch,
    is_candidate,
    candidates,
    counters,
):
    """Trust at t+1 for everyone: T + ΔT plus trust diffusion (when ``diffusion`` > 0), clipped.

    The neighbours' mean trust is their sum in CSR order over the degree, as the vectorized
    engine's sparse product gives it (an isolated citizen's mean is its own trust). Returns how
    many changed.
    """
    n = trust.size
    for i in range(n):
        new = trust[i] + delta[i]
        if diffusion > 0:
            mean = trust[i]
            if degree[i] > 0:
                total = 0.0
                for jj in range(indptr[i], indptr[i + 1]):
                    total += trust[indices[jj]]
                mean = total / degree[i]
            new = new + rules.diffused_trust_change(trust[i], mean, diffusion)
        scratch[i] = rules.clip_unit(new)
    changed = 0
    for i in range(n):
        delta[i] = 0.0
        if scratch[i] != trust[i]:
            trust[i] = scratch[i]
            grievance[i] = rules.grievance(hardship[i], scratch[i])
            _mark(i, is_candidate, candidates, counters)
            changed += 1
    return changed


def empty_draws() -> np.ndarray:
    """A zero-length draw array: the kernels' way of saying "no fatigue draws this step"."""
    return np.empty(0, dtype=np.float64)
