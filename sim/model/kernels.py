"""Compiled kernels of the frontier engine (:mod:`sim.model.frontier`): plain loops over arrays.

Each kernel reads and writes the model's arrays and the frontier's bookkeeping arrays in place;
the Python layer (:class:`sim.model.frontier.FrontierState`) owns randomness, validation and
the institution's choices. The rules are those of :mod:`sim.model.rules`, called on scalars, so
the arithmetic is the other engines' operation for operation.

Bookkeeping (all arrays of length N unless said otherwise):

- ``ew``, ``ea``: engaged weight Σ_{j∈N(i), engaged} u_j and engaged activist neighbours of
  each citizen, equal bit for bit to the vectorized engine's sparse products (summed over the
  CSR row in index order, as scipy's ``csr_matvec`` does; adding a zero changes nothing).
  Not kept for a citizen at the costliest channel, who has nothing left to decide (its rule
  reads them only to choose a costlier channel): its neighbours' moves skip it, and its row is
  summed again when it leaves that channel. In a large cascade about half of all updates go
  to neighbours engaged already, and these weights are the costliest memory the kernels touch
  (measured at 10⁶ citizens: a quarter less time in :func:`set_channels`).
- ``candidates`` / ``is_candidate``: the citizens whose decision may differ from their channel
  at the next step; every other citizen is *settled* (its target channel is at most its channel)
  because nothing its rule reads has changed since it was last evaluated, or only changed in
  the direction that lowers its target: the rules are monotone (:func:`sim.model.rules.willing`
  of a drive that grows with the engaged weight, the organising discount and the moving
  grievance g·E, γ ≥ 0, all weights and costs non-negative, and each floating-point operation
  rounds monotonically), so a neighbour who stops engaging, a fall of g·E (trust regained,
  hardship relieved, efficacy lost), a weaker goal push or the start of a crackdown (costs × (1
  + severity)) can only lower a citizen's target, and a settled citizen stays settled. A rise
  of g·E unsettles only a citizen who could then engage: one not engaged, with no engaged
  neighbour and not willing even at the lowest cost any channel can have stays settled
  (:func:`out_of_reach`; trust memory and diffusion move most citizens a little, nearly all
  of them far from engaging).
- ``nonzero`` / ``is_nonzero`` (whole-number influences only): every citizen whose engaged
  weights may be non-zero, so that everyone's leaving at the end of an incident resets them
  (:func:`disengage_all`) instead of walking every leaver's neighbours.
- ``engaged`` / ``position``: the engaged citizens, unordered, and each one's slot (-1 if not
  engaged).
- ``ewr`` (K × N, only with ``escalation: rung`` and more than one channel, else 0 × 0):
  ``ewr[k, i]`` is the engaged weight of i's neighbours engaged through channel k + 1 or a
  costlier one (row 0 unused: it is ``ew``), summed like ``ew``.
- ``counters``: [number of candidates, number engaged, number of stale rows, number of citizens
  with a change of trust this step, number with a change of efficacy this step, number listed
  in ``nonzero``].
"""

from __future__ import annotations

import numba
import numpy as np

from sim.model import kernel_cache, pairwise, rows, rules

# Before any kernel is defined: numba reads each kernel file's stamp when it is decorated.
kernel_cache.refresh()

full_sums = rows.full_sums  # re-exported: the frontier's Python layer builds its state with them
rung_sums = rows.rung_sums

__all__ = [
    "decide",
    "disengage_all",
    "efficacy_commit",
    "end_incident",
    "full_sums",
    "lowest_cost",
    "mark_all",
    "mark_neighbours",
    "moving_rose",
    "neighbours_of",
    "out_of_reach",
    "rung_sums",
    "set_channels",
    "step_engaged",
    "trust_commit",
    "trust_commit_all",
    "unsettles",
]

# Slots of the ``counters`` array.
# A citizen becomes a candidate by ``is_candidate[i] = True`` and joining ``candidates`` at
# ``counters[CANDIDATES]``. The kernels write these lines out where they mark someone instead of
# calling a helper: numba counts references to every array passed to an inlined helper, and in
# the larger kernels those counts (atomic operations) stayed in the loops and took a third of
# the time of a cascade.
CANDIDATES = 0
ENGAGED = 1
# decide() scans the candidate flags in index order when more than one citizen in DENSE is a
# candidate (measured: a scan of N flags costs about as much as N / 64 decisions at random).
DENSE = 64
STALE = 2
NONZERO = 5


@numba.njit(cache=True, inline="always")
def moving_rose(grievance_before, efficacy_before, grievance_after, efficacy_after):
    """Whether the grievance that moves a citizen, g·E, rose: the only change of its own values
    that can unsettle a settled citizen (the rules are monotone in g·E; module docstring).
    Scalars only, so inlining it keeps no reference counting in the callers' loops."""
    return rules.efficacious_grievance(grievance_after, efficacy_after) > (
        rules.efficacious_grievance(grievance_before, efficacy_before)
    )


@numba.njit(cache=True, inline="always")
def out_of_reach(channel, engaged_weight, threshold, moving, grievance_weight, lowest, by_rung):
    """Whether a citizen cannot engage through any channel at its next decision: not engaged,
    no engaged neighbour (its social signal is then 0, whatever the goal push), and
    :func:`sim.model.rules.willing` false for its drive γ·g·E at the cost ``lowest``
    (:func:`lowest_cost`), which no channel's effective cost is below; as fl(θ + c) grows with
    c, it is false at every channel's cost, and :func:`decide` would leave the citizen where it
    is. Never with escalation by example (``by_rung``: each channel has its own signal). It
    stays settled until something its rule reads changes again, which marks it then (an engaged
    neighbour, a rise of g·E; a change of costs, discounts or γ marks everyone). Scalars only.
    """
    if by_rung or channel != 0 or engaged_weight != 0.0:
        return False
    return not rules.willing(rules.drive(0.0, moving, grievance_weight), threshold, lowest)


@numba.njit(cache=True, inline="always")
def unsettles(
    grievance_before, grievance_after, efficacy, channel, engaged_weight, threshold, reach
):
    """Whether a change of grievance makes a settled citizen a candidate: g·E rose
    (:func:`moving_rose`) and it is not :func:`out_of_reach`; ``reach`` is (γ, the lowest cost,
    by rung). Scalars only."""
    if not moving_rose(grievance_before, efficacy, grievance_after, efficacy):
        return False
    moving = rules.efficacious_grievance(grievance_after, efficacy)
    gamma, lowest, by_rung = reach
    return not out_of_reach(channel, engaged_weight, threshold, moving, gamma, lowest, by_rung)


@numba.njit(cache=True)
def lowest_cost(costs, max_discount, organising_active):
    """A cost no channel's effective cost is below, for :func:`out_of_reach`: the cheapest
    channel's at the largest discount (organising on) and no crackdown (costs x (1 + severity
    >= 1)); -inf (nobody out of reach) when a cost was set below 0 while the model runs."""
    cheapest = costs.min() if costs.size else np.inf
    discount = max_discount if organising_active else 0.0
    return -np.inf if cheapest < 0.0 else rules.effective_cost(cheapest, 1.0, discount)


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
        if not is_candidate[idx[p]]:  # marked (written out: see CANDIDATES)
            is_candidate[idx[p]] = True
            candidates[counters[CANDIDATES]] = idx[p]
            counters[CANDIDATES] += 1


@numba.njit(cache=True)
def mark_neighbours(engaged, counters, indptr, indices, is_candidate, candidates, channel, top):
    """Every neighbour of an engaged citizen becomes a candidate: the goal push f(t) changed,
    and with it the signal of exactly those with an engaged neighbour. Those at the costliest
    channel (``top``) already have nothing to move to (:func:`decide` passes them by)."""
    for p in range(counters[ENGAGED]):
        i = engaged[p]
        for jj in range(indptr[i], indptr[i + 1]):
            j = indices[jj]
            if channel[j] != top and not is_candidate[j]:  # marked (see CANDIDATES)
                is_candidate[j] = True
                candidates[counters[CANDIDATES]] = j
                counters[CANDIDATES] += 1


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
    efficacy,
    ewr,
    factor,
):
    """Citizens' move (rules 1-5) for the candidates, the sparked and the engaged.

    ``efficacy`` scales grievance (γ·g·E), ``factor`` is the goal push f(t) on engaged weights,
    and ``ewr`` holds the per-channel weights of escalation by example (0 rows: ``any``).

    Writes each touched citizen's channel at t+1 into ``proposal`` and its index into
    ``touched``; reads only the state at t. Consumes the candidate list. Returns the number
    touched. Between steps ``proposal`` equals ``channel`` (:func:`set_channels` keeps it so),
    so a citizen is listed already when its proposal differs from its channel.
    """
    n_touched = 0
    n_candidates = counters[CANDIDATES]
    top = costs.size
    # Many candidates are visited in index order (a scan of the flags) rather than in the
    # list's order: their arrays are then read in sequence, not at random, and the touched
    # citizens come out in index order, so set_channels walks the adjacency in sequence too.
    n = channel.size
    dense = n_candidates * DENSE > n
    for p in range(n if dense else n_candidates):
        if dense:
            i = p
            if not is_candidate[i]:
                continue
        else:
            i = candidates[p]
        is_candidate[i] = False
        current = channel[i]
        if current >= top:
            continue  # at the costliest channel already: nothing to join or escalate to
        moving = rules.efficacious_grievance(grievance[i], efficacy[i])
        signal = rules.social_signal(rules.pushed_weight(ew[i], factor), neighbour_weight[i])
        base = rules.drive(signal, moving, grievance_weight)
        discount = 0.0
        if organising_active:
            discount = rules.organising_discount(ea[i], organising, max_discount)
        # The target is the costliest channel the citizen is willing to use; only a target
        # above the present channel matters, so look from the top down and stop at the first.
        target = 0
        for k in range(top - 1, current - 1, -1):
            drive = base
            if k > 0 and ewr.shape[0] > 0:
                weight = rules.pushed_weight(ewr[k, i], factor)
                signal = rules.social_signal(weight, neighbour_weight[i])
                drive = rules.drive(signal, moving, grievance_weight)
            if online[i] or not channel_online[k]:
                cost = rules.effective_cost(costs[k], multiplier, discount)
                if rules.willing(drive, threshold[i], cost):
                    target = k + 1
                    break
        if target > current:  # each candidate is listed once: it was not touched yet
            proposal[i] = target
            touched[n_touched] = i
            n_touched += 1
    counters[CANDIDATES] = 0
    for p in range(sparks.size):
        i = sparks[p]
        if cheapest_open[i] > proposal[i]:
            if proposal[i] == channel[i]:
                touched[n_touched] = i
                n_touched += 1
            proposal[i] = cheapest_open[i]
    if check_leaving:
        has_draws = fatigue_draw.size > 0
        for p in range(counters[ENGAGED]):
            i = engaged[p]
            draw = fatigue_draw[i] if has_draws else 1.0
            if rules.leaves(True, draw, fatigue, conceded, grievance[i], satisfied_below):
                if proposal[i] == channel[i]:
                    touched[n_touched] = i
                    n_touched += 1
                proposal[i] = 0
    return n_touched


@numba.njit(cache=True)
def set_channels(
    idx,
    values,
    by_citizen,
    indptr,
    indices,
    influence,
    is_activist,
    integral,
    weighted,
    pull_share,
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
    ewr,
    nonzero,
    is_nonzero,
):
    """Set ``channel[idx[p]] = values[p]`` (``values[idx[p]]`` when ``by_citizen``: the
    proposals of :func:`decide`) and keep every piece of bookkeeping in step.

    A citizen who starts or stops engaging changes its neighbours' engaged weight (updated in
    place when every influence is a whole number, so any order of addition is exact; else their
    rows are summed again in CSR order; ``weighted`` is False when there is no activist, so every
    influence is 1). One who joins or escalates makes its neighbours
    candidates, unless they are at the costliest channel already (nothing to move to); one who
    leaves only lowers its neighbours' weights, which cannot move anyone (see the module
    docstring), so they stay settled. A leaver is itself a candidate (it may join again) and
    loses its answered flag and engaged-steps count. With escalation by example (``ewr`` has
    rows) an escalation changes the neighbours' per-channel weights too, and makes them
    candidates. Neighbours at the costliest channel are skipped (their weights are not kept:
    see the module docstring); a citizen leaving that channel has its row summed again at the
    end, once every channel of this call is set. With whole-number influences, a citizen whose
    weights leave zero is listed in ``nonzero`` (for :func:`disengage_all`).
    When the citizens starting or stopping reach more than 1 / ``pull_share`` of the
    adjacency's entries (whole-number influences, no per-channel weights; ``pull_share`` 0:
    never), their neighbours are not walked: every row is summed again after the loop
    (:func:`sim.model.rows.pull_weights`, the same sums and bookkeeping).
    Returns (joined or escalated, changed, newly engaged count); ``newly`` receives the newly
    engaged.
    """
    joined = 0
    changed = 0
    n_newly = 0
    top = counts.size - 1
    # Many citizens starting or stopping at once in a large world: their neighbours' weights
    # are summed again row by row after the loop instead (rows.pull_weights).
    pull = False
    if pull_share > 0 and integral and ewr.shape[0] == 0:
        reach = 0
        for p in range(idx.size):
            i = idx[p]
            if (channel[i] == 0) != ((values[i] if by_citizen else values[p]) == 0):
                reach += indptr[i + 1] - indptr[i]
        pull = reach * pull_share > indices.size
    for p in range(idx.size):
        i = idx[p]
        new = values[i] if by_citizen else values[p]
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
        if old == top and not is_stale[i]:
            # Its weights were not kept at the costliest channel: summed again below.
            is_stale[i] = True
            stale[counters[STALE]] = i
            counters[STALE] += 1
        status = (old == 0) != (new == 0)
        if not status and ewr.shape[0] == 0:
            continue  # an escalation: neighbours see no difference
        sign = 0.0
        if status and new > 0:
            engaged[counters[ENGAGED]] = i
            position[i] = counters[ENGAGED]
            counters[ENGAGED] += 1
            ever_engaged[i] = True
            newly[n_newly] = i
            n_newly += 1
            sign = 1.0
        elif status:
            slot = position[i]
            last = engaged[counters[ENGAGED] - 1]
            engaged[slot] = last
            position[last] = slot
            position[i] = -1
            counters[ENGAGED] -= 1
            steps_engaged[i] = 0
            answered[i] = False
            if not is_candidate[i]:  # marked (written out: see CANDIDATES)
                is_candidate[i] = True
                candidates[counters[CANDIDATES]] = i
                counters[CANDIDATES] += 1
            sign = -1.0
        if pull:
            continue  # neighbours' weights summed again after the loop
        rising = new > old
        if integral and status and ewr.shape[0] == 0:
            # The common case in its own tight loops: weights updated in place, no per-channel
            # weights; without activists every influence is 1 and no activist count changes.
            u = influence[i] if weighted else 1.0
            act = is_activist[i] if weighted else False
            if rising:
                for jj in range(indptr[i], indptr[i + 1]):
                    j = indices[jj]
                    if channel[j] == top:
                        continue  # weights not kept at the costliest channel
                    weight = ew[j]
                    # Without activists (not weighted) every ea is 0: no need to read it.
                    if weight == 0.0 and not is_nonzero[j] and (not weighted or ea[j] == 0.0):
                        is_nonzero[j] = True
                        nonzero[counters[NONZERO]] = j
                        counters[NONZERO] += 1
                    ew[j] = weight + u
                    if act:
                        ea[j] += 1.0
                    if not is_candidate[j]:  # marked (written out: see CANDIDATES)
                        is_candidate[j] = True
                        candidates[counters[CANDIDATES]] = j
                        counters[CANDIDATES] += 1
            else:
                for jj in range(indptr[i], indptr[i + 1]):
                    j = indices[jj]
                    if channel[j] == top:
                        continue  # weights not kept at the costliest channel
                    ew[j] += -u
                    if act:
                        ea[j] += -1.0
            continue
        u = influence[i]
        act = is_activist[i]
        for jj in range(indptr[i], indptr[i + 1]):
            j = indices[jj]
            if channel[j] == top:
                continue  # weights not kept at the costliest channel
            if rising:
                if not is_candidate[j]:  # marked (written out: see CANDIDATES)
                    is_candidate[j] = True
                    candidates[counters[CANDIDATES]] = j
                    counters[CANDIDATES] += 1
            if integral:
                if status:
                    if rising and ew[j] == 0.0 and ea[j] == 0.0 and not is_nonzero[j]:
                        is_nonzero[j] = True
                        nonzero[counters[NONZERO]] = j
                        counters[NONZERO] += 1
                    ew[j] += sign * u
                    if act:
                        ea[j] += sign
                for k in range(1, ewr.shape[0]):
                    if (old > k) != (new > k):
                        ewr[k, j] += (1.0 if new > k else -1.0) * u
            elif not is_stale[j]:
                is_stale[j] = True
                stale[counters[STALE]] = j
                counters[STALE] += 1
    if pull:
        rows.pull_weights(
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
            CANDIDATES,
            nonzero,
            is_nonzero,
            NONZERO,
        )
    for p in range(counters[STALE]):
        j = stale[p]
        is_stale[j] = False
        ew[j], ea[j] = rows.row_sums(j, indptr, indices, influence, is_activist, channel)
        rows.rung_row(j, indptr, indices, influence, channel, ewr)
        if integral and not is_nonzero[j] and (ew[j] != 0.0 or ea[j] != 0.0):
            is_nonzero[j] = True
            nonzero[counters[NONZERO]] = j
            counters[NONZERO] += 1
    counters[STALE] = 0
    return joined, changed, n_newly


@numba.njit(cache=True)
def disengage_all(
    channel,
    proposal,
    counts,
    ew,
    ea,
    ewr,
    engaged,
    position,
    is_candidate,
    candidates,
    counters,
    steps_engaged,
    answered,
    nonzero,
    is_nonzero,
):
    """Everyone stops engaging at once (the end of an incident), with whole-number influences.

    :func:`set_channels` with every engaged citizen and channel 0 gives the same state, but walks
    every leaver's neighbours: here every engaged weight returns to exactly zero (whole numbers
    add and cancel exactly), so the citizens listed in ``nonzero`` are reset instead, one write
    each (a weight left as it was at the costliest channel is zero or listed: every weight is
    listed when it leaves zero). Leavers become candidates (they may join again by grievance
    alone); their neighbours are not (lower weights move nobody).
    """
    for p in range(counters[ENGAGED]):
        i = engaged[p]
        counts[channel[i]] -= 1
        counts[0] += 1
        channel[i] = 0
        proposal[i] = 0
        position[i] = -1
        steps_engaged[i] = 0
        answered[i] = False
        if not is_candidate[i]:  # marked (written out: see CANDIDATES)
            is_candidate[i] = True
            candidates[counters[CANDIDATES]] = i
            counters[CANDIDATES] += 1
    counters[ENGAGED] = 0
    for p in range(counters[NONZERO]):
        j = nonzero[p]
        is_nonzero[j] = False
        ew[j] = 0.0
        ea[j] = 0.0
        for k in range(1, ewr.shape[0]):
            ewr[k, j] = 0.0
    counters[NONZERO] = 0


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
def trust_commit(
    idx, delta, trust, hardship, grievance, efficacy, is_candidate, candidates, counters, means
):
    """Trust at t+1 for the citizens the institution touched: T + ΔT, clipped to [0, 1].

    Clears their ΔT; a citizen whose trust changed gets its grievance recomputed, and becomes a
    candidate when the grievance that moves it (γ's factor g·E) rose: the rules are monotone in
    it (see the module docstring), so a fall cannot unsettle anyone. Its trust and grievance are
    marked in the partial sums of their means (``means``: see :mod:`sim.model.pairwise`).
    Returns how many changed.
    """
    changed = 0
    for p in range(idx.size):
        i = idx[p]
        new = rules.clip_unit(trust[i] + delta[i])
        delta[i] = 0.0
        if new != trust[i]:
            trust[i] = new
            g = rules.grievance(hardship[i], new)
            rose = moving_rose(grievance[i], efficacy[i], g, efficacy[i])
            grievance[i] = g
            if rose and not is_candidate[i]:  # marked (written out: see CANDIDATES)
                is_candidate[i] = True
                candidates[counters[CANDIDATES]] = i
                counters[CANDIDATES] += 1
            pairwise.mark_changed(i, means[0], means[1])
            pairwise.mark_changed(i, means[0], means[2])
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
    efficacy,
    scratch,
    is_candidate,
    candidates,
    counters,
    channel,
    ew,
    threshold,
    reach,
):
    """Trust at t+1 for everyone: T + ΔT plus trust diffusion (when ``diffusion`` > 0), clipped.

    The neighbours' mean trust is their sum in CSR order over the degree, as the vectorized
    engine's sparse product gives it (an isolated citizen's mean is its own trust). Candidates
    as in :func:`trust_commit`, but for those left out of reach (:func:`out_of_reach`, which
    reads ``channel``, ``ew``, ``threshold`` and ``reach``): everyone's trust
    moves here, most of them far from engaging. Returns how many changed.
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
            g = rules.grievance(hardship[i], scratch[i])
            rose = unsettles(grievance[i], g, efficacy[i], channel[i], ew[i], threshold[i], reach)
            grievance[i] = g
            if rose and not is_candidate[i]:  # marked (written out: see CANDIDATES)
                is_candidate[i] = True
                candidates[counters[CANDIDATES]] = i
                counters[CANDIDATES] += 1
            changed += 1
    return changed


@numba.njit(cache=True)
def efficacy_commit(
    elist, count, edelta, eflag, efficacy, grievance, is_candidate, candidates, counters, means
):
    """Efficacy at t+1 for the citizens who learned this step: E + ΔE, clipped to [0, 1].

    Clears their ΔE; a citizen whose efficacy changed becomes a candidate when g·E rose (as in
    :func:`trust_commit`), and is marked in the partial sums of mean efficacy. Returns how many
    changed.
    """
    changed = 0
    for p in range(count):
        i = elist[p]
        eflag[i] = False
        new = rules.clip_unit(efficacy[i] + edelta[i])
        edelta[i] = 0.0
        if new != efficacy[i]:
            rose = moving_rose(grievance[i], efficacy[i], grievance[i], new)
            efficacy[i] = new
            if rose and not is_candidate[i]:  # marked (written out: see CANDIDATES)
                is_candidate[i] = True
                candidates[counters[CANDIDATES]] = i
                counters[CANDIDATES] += 1
            pairwise.mark_changed(i, means[0], means[3])
            changed += 1
    return changed


@numba.njit(cache=True)
def end_incident(
    engaged,
    counters,
    answered,
    efficacy,
    unheard,
    trust,
    initial_trust,
    recovery,
    hardship,
    grievance,
    is_candidate,
    candidates,
    channel,
    ew,
    threshold,
    reach,
):
    """The end of an incident: the engaged and unanswered lose ``unheard``·E, then everyone's
    trust drifts back by ``recovery``·(T0 - T). Candidates as in :func:`trust_commit_all`
    (those whose g·E rose, unless out of reach: after every incident, trust memory moves most
    citizens a little, nearly all of them far from engaging). Returns (efficacy changes, trust
    changes)."""
    efficacy_changed = 0
    if unheard > 0:
        for p in range(counters[ENGAGED]):
            i = engaged[p]
            if not answered[i]:
                new = rules.clip_unit(efficacy[i] + rules.efficacy_loss(efficacy[i], unheard))
                if new != efficacy[i]:
                    rose = moving_rose(grievance[i], efficacy[i], grievance[i], new)
                    efficacy[i] = new
                    if rose and not is_candidate[i]:  # marked (written out: see CANDIDATES)
                        is_candidate[i] = True
                        candidates[counters[CANDIDATES]] = i
                        counters[CANDIDATES] += 1
                    efficacy_changed += 1
    trust_changed = 0
    if recovery > 0:
        for i in range(trust.size):
            new = rules.clip_unit(rules.recovered_trust(trust[i], initial_trust[i], recovery))
            if new != trust[i]:
                trust[i] = new
                g = rules.grievance(hardship[i], new)
                rose = unsettles(
                    grievance[i], g, efficacy[i], channel[i], ew[i], threshold[i], reach
                )
                grievance[i] = g
                if rose and not is_candidate[i]:  # marked (written out: see CANDIDATES)
                    is_candidate[i] = True
                    candidates[counters[CANDIDATES]] = i
                    counters[CANDIDATES] += 1
                trust_changed += 1
    return efficacy_changed, trust_changed


def empty_draws() -> np.ndarray:
    """A zero-length draw array: the kernels' way of saying "no fatigue draws this step"."""
    return np.empty(0, dtype=np.float64)
