"""Compiled step of the frontier engine: the citizens' move, then the institution's, an incident.

:func:`one_step` is one step of DESIGN.md section 3 over the frontier's bookkeeping (see
:mod:`sim.model.kernels`): the citizens' move here, the institution's in
:mod:`sim.model.institution_kernels`; :func:`relax` repeats it until an incident ends (nobody
joins or escalates), recording each step's time-series row, so a whole avalanche costs one call
from Python.

Randomness: the run's ``numpy.random.Generator`` is passed in; numba draws from the same bit
generator with numpy's algorithms, so ``rng.random(k)`` here is ``rng.random(k)`` in Python
(fatigue draws, then the respond tie-breaks, as the other engines draw them).

Legitimacy, mean grievance and mean efficacy are ``numpy.mean``: :mod:`sim.model.pairwise` is
numpy's pairwise summation (``DOUBLE_pairwise_sum``) written out, so the mean is numpy's to the
last bit; partial sums over its tree are kept, and after a step only the parts above the
citizens whose trust (or hardship, or efficacy) changed are summed again.

The mechanisms of DESIGN.md section 9 travel in the tuple ``mech`` (efficacy, initial trust,
efficacy changes, their list and flags, per-channel weights of escalation by example, and the
flags of the commitments reached in the incident); their scalars are ``scal[8:]``.
"""

from __future__ import annotations

import numba
import numpy as np

from sim.model import kernels
from sim.model.institution_kernels import (
    ACTIONS,
    BUILT_MULTIPLIER,
    CHANGED,
    CHANGED_ANY,
    CONCEDED,
    CRACKDOWN_LEFT,
    EFFICACY,
    EFFICACY_IN_USE,
    EFFICACY_OK,
    GRIEVANCE,
    GRIEVANCE_OK,
    JOINED,
    LEGITIMACY,
    LEGITIMACY_OK,
    NEWLY,
    PUSH,
    RESPONSES_LAST,
    SCALE,
    SEVERITY,
    SIGNAL,
    institution_move,
    push_factor,
    reach_of,
)
from sim.model.pairwise import tree_mean

__all__ = [
    "end_incident",
    "mean_efficacy",
    "one_step",
    "relax",
]


# set_channels_in, citizens_move and institution_move are inlined (numba IR) into their callers:
# each call took every array it uses out of the state tuples again, and numba counts a reference
# for each (an atomic operation; ~250 a step, 8 % of the flagship's time). Inlined, most of a
# step's counts cancel: 4-5 % less time, the same compilation time.
@numba.njit(cache=True, inline="always")
def set_channels_in(idx, values, graph, cit, book, chan, mech, newly, by_citizen=False):
    """:func:`sim.model.kernels.set_channels` on the state tuples (graph, citizens, bookkeeping,
    channels, mechanisms): the one place that knows which member is which. ``newly`` receives
    the citizens who newly engage."""
    return kernels.set_channels(
        idx,
        values,
        by_citizen,
        graph[0],
        graph[1],
        graph[3],
        graph[4],
        graph[6],
        graph[7],
        graph[8],
        cit[6],
        book[9],
        chan[3],
        book[0],
        book[1],
        book[7],
        book[8],
        book[5],
        book[6],
        book[16],
        book[11],
        book[12],
        cit[7],
        cit[8],
        cit[9],
        newly,
        mech[5],
        book[19],
        book[20],
    )


@numba.njit(cache=True)
def disengage_all(graph, cit, book, chan, mech, newly):
    """Everyone stops engaging (the end of an incident): :func:`sim.model.kernels.disengage_all`
    with whole-number influences, else :func:`set_channels_in` with channel 0 for everyone."""
    counters = book[16]
    if graph[6]:
        kernels.disengage_all(
            cit[6],
            book[9],
            chan[3],
            book[0],
            book[1],
            mech[5],
            book[7],
            book[8],
            book[5],
            book[6],
            counters,
            cit[7],
            cit[8],
            book[19],
            book[20],
        )
        return
    leaving = book[7][: counters[kernels.ENGAGED]].copy()
    nobody = np.zeros(leaving.size, dtype=np.int16)
    set_channels_in(leaving, nobody, graph, cit, book, chan, mech, newly)


@numba.njit(cache=True, inline="always")
def citizens_move(
    graph, cit, book, mech, chan, scal, inst_f, inst_i, kinds, params, sparks, fatigue_draw
):
    """Rules 1-5 for the candidates, the sparked and the engaged; commits the channels."""
    indptr, indices, _, _, _, neighbour_weight, _, _, _ = graph
    threshold, _, _, online, _, cheapest_open, channel, steps_engaged, _, _ = cit
    ew, ea, grievance = book[0], book[1], book[2]
    is_candidate, candidates, engaged = book[5], book[6], book[7]
    proposal, touched, newly = book[9], book[10], book[13]
    counters = book[16]
    costs, channel_online = chan[0], chan[1]
    grievance_weight, organising, max_discount, organising_active = (
        scal[0],
        scal[1],
        scal[2],
        scal[3],
    )
    fatigue, satisfied_below = scal[4], scal[5]

    multiplier = 1.0 + inst_f[SEVERITY] if inst_i[CRACKDOWN_LEFT] > 0 else 1.0
    if multiplier != inst_f[BUILT_MULTIPLIER]:
        # The end of a crackdown lowers every cost: everyone is a candidate once. Its start
        # raises them, which unsettles nobody (the rules are monotone: kernels' docstring).
        if multiplier < inst_f[BUILT_MULTIPLIER]:
            kernels.mark_all(is_candidate, candidates, counters)
        inst_f[BUILT_MULTIPLIER] = multiplier
    factor = push_factor(kinds, params, mech[6], counters[kernels.ENGAGED], scal[SCALE])
    if factor != inst_f[PUSH]:
        # A stronger goal push raises every engaged citizen's weight: their neighbours
        # re-decide (a weaker one lowers it, which unsettles nobody).
        if factor > inst_f[PUSH]:
            kernels.mark_neighbours(
                engaged, counters, indptr, indices, is_candidate, candidates, channel, costs.size
            )
        inst_f[PUSH] = factor
    conceded = inst_i[CONCEDED] != 0
    # Plain values, not expressions, in this long call (numba cannot compile it otherwise).
    check_leaving = fatigue_draw.size > 0 or conceded
    organise = organising_active > 0
    n_touched = kernels.decide(
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
        organise,
        sparks,
        engaged,
        fatigue_draw,
        fatigue,
        check_leaving,
        conceded,
        satisfied_below,
        proposal,
        touched,
        mech[0],
        mech[5],
        factor,
    )
    # The touched citizens' new channels are their proposals (read by citizen, not by position).
    joined, changed, n_newly = set_channels_in(
        touched[:n_touched], proposal, graph, cit, book, chan, mech, newly, True
    )
    kernels.step_engaged(engaged, counters, steps_engaged)
    if inst_i[CRACKDOWN_LEFT] > 0:
        # The crackdown clock runs on citizens' moves: this one was made under it.
        inst_i[CRACKDOWN_LEFT] -= 1
    inst_i[JOINED] = joined
    inst_i[CHANGED] = changed
    inst_i[NEWLY] = n_newly


@numba.njit(cache=True)
def one_step(
    graph,
    cit,
    book,
    mech,
    chan,
    scal,
    inst_f,
    inst_i,
    kinds,
    params,
    rng,
    sparks,
    fatigue_draw,
    step,
):
    """One synchronous step: citizens' move, then the institution's move and trust."""
    citizens_move(
        graph, cit, book, mech, chan, scal, inst_f, inst_i, kinds, params, sparks, fatigue_draw
    )
    conceded_before = inst_i[CONCEDED]
    trust_changed, _ = institution_move(
        graph, cit, book, mech, chan, scal, inst_f, inst_i, kinds, params, rng, step
    )
    hardship_changed = inst_i[CONCEDED] != conceded_before
    inst_i[CHANGED_ANY] = 1 if (inst_i[CHANGED] > 0 or trust_changed or hardship_changed) else 0


# The means of the time series: numpy's mean to the bit, from partial sums kept over numpy's
# pairwise tree (book[21]: the tree, then trust's, grievance's and efficacy's sums). A cleared
# ``*_OK`` flag means every node is summed again (everyone's values may have changed); otherwise
# only the nodes above the citizens marked since (pairwise.mark_changed).


@numba.njit(cache=True)
def _mean(values, tree, partial, slot, ok, inst_f, inst_i):
    if not inst_i[ok] or partial[3][0] > 0:
        inst_f[slot] = tree_mean(values, tree, partial, not inst_i[ok])
        inst_i[ok] = 1
    return inst_f[slot]


@numba.njit(cache=True)
def legitimacy(cit, book, inst_f, inst_i):
    means = book[21]
    return _mean(cit[2], means[0], means[1], LEGITIMACY, LEGITIMACY_OK, inst_f, inst_i)


@numba.njit(cache=True)
def mean_grievance(book, inst_f, inst_i):
    means = book[21]
    return _mean(book[2], means[0], means[2], GRIEVANCE, GRIEVANCE_OK, inst_f, inst_i)


@numba.njit(cache=True)
def mean_efficacy(mech, book, inst_f, inst_i):
    means = book[21]
    return _mean(mech[0], means[0], means[3], EFFICACY, EFFICACY_OK, inst_f, inst_i)


@numba.njit(cache=True)
def end_incident(book, cit, mech, chan, scal, scal_end, inst_i):
    """The end of an incident (:func:`sim.model.kernels.end_incident`), caches kept right.
    ``scal_end``: (efficacy lost unheard, trust recovery)."""
    efficacy_changed, trust_changed = kernels.end_incident(
        book[7],
        book[16],
        cit[8],
        mech[0],
        scal_end[0],
        cit[2],
        mech[1],
        scal_end[1],
        cit[1],
        book[2],
        book[5],
        book[6],
        cit[6],
        book[0],
        cit[0],
        reach_of(scal, chan, mech),
    )
    if efficacy_changed:
        inst_i[EFFICACY_OK] = 0
    if trust_changed:
        inst_i[LEGITIMACY_OK] = 0
        inst_i[GRIEVANCE_OK] = 0


@numba.njit(cache=True)
def relax(
    graph,
    cit,
    book,
    mech,
    chan,
    scal,
    inst_f,
    inst_i,
    kinds,
    params,
    rng,
    max_steps,
    first_step,
    involved,
    incident,
    ts_int,
    ts_float,
):
    """Step until an incident ends: the first step in which nobody joins or escalates.

    Records each step's time-series row: ``ts_int`` [step, joined, responses] and
    ``ts_float`` [engaged share, share per channel..., signal, legitimacy, mean grievance,
    cost multiplier, mean efficacy (when in use)]. ``involved[i] == incident`` marks the
    citizens engaged at some point of the incident. Returns (steps made, citizens involved,
    peak engaged, peak signal, mask of the institution's actions).
    """
    n = cit[2].size
    counts = chan[3]
    n_channels = counts.size - 1
    newly = book[13]
    counters = book[16]
    fatigue = scal[4]
    no_sparks = np.empty(0, dtype=np.int64)
    no_draws = np.empty(0, dtype=np.float64)
    size = 0
    for q in range(counters[kernels.ENGAGED]):
        i = book[7][q]
        if involved[i] != incident:
            involved[i] = incident
            size += 1
    peak_engaged = n - counts[0]
    peak_signal = 0.0
    actions = 0
    steps = 0
    for s in range(max_steps):
        draws = rng.random(n) if fatigue > 0 else no_draws
        step = first_step + s
        one_step(
            graph,
            cit,
            book,
            mech,
            chan,
            scal,
            inst_f,
            inst_i,
            kinds,
            params,
            rng,
            no_sparks,
            draws,
            step,
        )
        steps = s + 1
        for q in range(inst_i[NEWLY]):
            i = newly[q]
            if involved[i] != incident:
                involved[i] = incident
                size += 1
        engaged_count = n - counts[0]
        ts_int[s, 0] = step
        ts_int[s, 1] = inst_i[JOINED]
        ts_int[s, 2] = inst_i[RESPONSES_LAST]
        ts_float[s, 0] = engaged_count / n
        for k in range(n_channels):
            ts_float[s, 1 + k] = counts[k + 1] / n
        ts_float[s, n_channels + 1] = inst_f[SIGNAL]
        ts_float[s, n_channels + 2] = legitimacy(cit, book, inst_f, inst_i)
        ts_float[s, n_channels + 3] = mean_grievance(book, inst_f, inst_i)
        ts_float[s, n_channels + 4] = 1.0 + inst_f[SEVERITY] if inst_i[CRACKDOWN_LEFT] > 0 else 1.0
        if scal[EFFICACY_IN_USE] > 0:
            ts_float[s, n_channels + 5] = mean_efficacy(mech, book, inst_f, inst_i)
        peak_engaged = max(peak_engaged, engaged_count)
        peak_signal = max(peak_signal, inst_f[SIGNAL])
        actions |= inst_i[ACTIONS]
        if inst_i[JOINED] == 0:
            break
    return steps, size, peak_engaged, peak_signal, actions
