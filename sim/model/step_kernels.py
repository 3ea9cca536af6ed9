"""Compiled step of the frontier engine: the citizens' move, the institution's move, an incident.

:func:`one_step` is one step of DESIGN.md section 3 over the frontier's bookkeeping (see
:mod:`sim.model.kernels`); :func:`relax` repeats it until an incident ends (nobody joins or
escalates), recording each step's time-series row, so a whole avalanche costs one call from
Python. The institution's actions mirror :func:`sim.model.vectorized.institution_move` term for
term: each citizen's change of trust is the sum, in the policy's order, of the terms that apply
to it, computed from the trust at the start of the step.

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

from sim.model import kernels, rules
from sim.model.pairwise import tree_mean

__all__ = [
    "ACTION_CODES",
    "end_incident",
    "mean_efficacy",
    "one_step",
    "push_factor",
    "relax",
]

# Policy actions as codes (the order of sim.model.schema.Action) and the bit of each in a mask.
IGNORE, BROADCAST, RESPOND, CONCEDE, SUPPRESS, COMMIT = range(6)
ACTION_CODES = ("ignore", "broadcast", "respond", "concede", "suppress", "commit")

# Slots of the institution's float state ``inst_f``.
SIGNAL, CUMULATIVE, SEVERITY, BUILT_MULTIPLIER, LEGITIMACY, GRIEVANCE, PUSH, EFFICACY = range(8)
# Slots of the integer state ``inst_i``.
(
    CONCEDED,
    CONCEDED_AT,
    CRACKDOWN_LEFT,
    RESPONSES,
    RESPONSES_LAST,
    ACTIONS,
    LEGITIMACY_OK,
    GRIEVANCE_OK,
    STAMP_TAG,
    JOINED,
    CHANGED,
    NEWLY,
    EVERYONE,
    CHANGED_ANY,
    EFFICACY_OK,
) = range(15)
# Extra slots of the bookkeeping counters: the citizens with a change of trust, of efficacy,
# this step. A change is added to ``delta[i]`` and ``i`` listed once (``dflag``, ``dlist``;
# ``edelta``, ``eflag``, ``elist`` for efficacy), written out at each use rather than in a helper
# for the reason given at :data:`sim.model.kernels.CANDIDATES`.
DELTAS, EDELTAS = 3, 4
# Slots of the mechanisms' scalars in ``scal``.
EFFICACY_ANSWERED, EFFICACY_OBSERVED, SCALE, EFFICACY_IN_USE = 8, 9, 10, 11


@numba.njit(cache=True)
def push_factor(kinds, params, reached, engaged_count, scale):
    """f(t) of :func:`sim.model.mechanisms.push_factor`: the goal push of the unreached
    commitment with the lowest ``at`` (the first of equals), else 1."""
    best = -1
    for a in range(kinds.size):
        if kinds[a] == COMMIT and not reached[int(params[a, 4])]:
            if best < 0 or params[a, 0] < params[best, 0]:
                best = a
    if best < 0:
        return 1.0
    count = rules.people(float(engaged_count), scale)
    return rules.goal_push(count, params[best, 0], params[best, 3])


@numba.njit(cache=True)
def _answer(chosen, reward, observed, graph, cit, book, mech, scal, inst_i):
    """Answer ``chosen`` (``respond``, ``commit``): trust and efficacy rise, their neighbours'
    a little; in :func:`sim.model.vectorized.answer`'s order, term for term."""
    indptr, indices = graph[0], graph[1]
    trust, answered = cit[2], cit[8]
    delta, stamp, buffer, counters, dlist, dflag = (
        book[3],
        book[14],
        book[15],
        book[16],
        book[17],
        book[18],
    )
    efficacy, edelta, elist, eflag = mech[0], mech[2], mech[3], mech[4]
    learn_answered, learn_observed = scal[EFFICACY_ANSWERED], scal[EFFICACY_OBSERVED]
    learning = learn_answered > 0 or learn_observed > 0
    for i in chosen:
        delta[i] = delta[i] + rules.answer_gain(trust[i], reward)
        if not dflag[i]:
            dflag[i] = True
            dlist[counters[DELTAS]] = i
            counters[DELTAS] += 1
        if learning:
            gain = rules.efficacy_gain(efficacy[i], learn_answered)
            edelta[i] = edelta[i] + gain
            if not eflag[i]:
                eflag[i] = True
                elist[counters[EDELTAS]] = i
                counters[EDELTAS] += 1
    if chosen.size:
        count = _neighbours(chosen, chosen.size, indptr, indices, stamp, inst_i, buffer)
        for p in range(count):
            j = buffer[p]
            delta[j] = delta[j] + rules.answer_gain(trust[j], observed)
            if not dflag[j]:
                dflag[j] = True
                dlist[counters[DELTAS]] = j
                counters[DELTAS] += 1
            if learning:
                gain = rules.efficacy_gain(efficacy[j], learn_observed)
                edelta[j] = edelta[j] + gain
                if not eflag[j]:
                    eflag[j] = True
                    elist[counters[EDELTAS]] = j
                    counters[EDELTAS] += 1
    for i in chosen:
        answered[i] = True
    inst_i[RESPONSES] += chosen.size
    inst_i[RESPONSES_LAST] += chosen.size


@numba.njit(cache=True)
def _commit(p, graph, cit, book, mech, scal, chan, inst_i):
    """``commit``: reached when the engaged count reaches ``at`` people; then every engaged,
    not yet answered citizen is answered. Returns True while it stands reached."""
    answered = cit[8]
    engaged, counters = book[7], book[16]
    counts = chan[3]
    reached = mech[6]
    c = int(p[4])
    engaged_count = counters[kernels.ENGAGED]
    people = rules.people(float(cit[2].size - counts[0]), scal[SCALE])
    if not reached[c] and people >= p[0]:
        reached[c] = True
    if not reached[c]:
        return False
    chosen = np.empty(engaged_count, dtype=np.int64)
    nc = 0
    for q in range(engaged_count):
        i = engaged[q]
        if not answered[i]:
            chosen[nc] = i
            nc += 1
    _answer(chosen[:nc], p[1], p[2], graph, cit, book, mech, scal, inst_i)
    return True


@numba.njit(cache=True)
def _neighbours(idx, count, indptr, indices, stamp, inst_i, out):
    inst_i[STAMP_TAG] += 1
    return kernels.neighbours_of(idx[:count], indptr, indices, stamp, inst_i[STAMP_TAG], out)


@numba.njit(cache=True)
def _first_answered(candidates, keys, channel, weights, k):
    """Positions of the ``k`` candidates answered first, in answering order: the order of
    ``np.lexsort((candidates, keys, -weight))`` (heaviest channel first, then the random key,
    then the index; ``candidates`` are in index order), without sorting those left out."""
    nc = candidates.size
    weight = np.empty(nc)
    for p in range(nc):
        weight[p] = weights[channel[candidates[p]] - 1]
    picked = np.empty(k, dtype=np.int64)
    if k == nc:
        picked[:] = np.arange(nc)
    else:
        # The k-th heaviest weight: every heavier candidate is answered, then the lightest
        # keys (the first positions of equal keys) among those of that weight.
        cut = -np.partition(-weight, k - 1)[k - 1]
        heavier = 0
        for p in range(nc):
            if weight[p] > cut:
                heavier += 1
        left = k - heavier
        at_cut = np.empty(nc)
        m = 0
        for p in range(nc):
            if weight[p] == cut:
                at_cut[m] = keys[p]
                m += 1
        key_cut = np.partition(at_cut[:m], left - 1)[left - 1]
        below = 0
        for q in range(m):
            if at_cut[q] < key_cut:
                below += 1
        ties = left - below
        n = 0
        for p in range(nc):
            w = weight[p]
            if w > cut or (w == cut and keys[p] < key_cut):
                picked[n] = p
                n += 1
            elif w == cut and keys[p] == key_cut and ties > 0:
                picked[n] = p
                n += 1
                ties -= 1
    # Two stable sorts of the picked positions (in index order): by key, then by weight.
    by_key = picked[np.argsort(keys[picked], kind="mergesort")]
    neg_weight = np.empty(k)
    for p in range(k):
        neg_weight[p] = -weight[by_key[p]]
    return by_key[np.argsort(neg_weight, kind="mergesort")]


@numba.njit(cache=True)
def _respond(params, graph, cit, book, mech, scal, weights, inst_i, rng):
    trust, audience, channel, answered = cit[2], cit[4], cit[6], cit[8]
    delta, engaged, stamp, counters, dlist, dflag = (
        book[3],
        book[7],
        book[14],
        book[16],
        book[17],
        book[18],
    )
    capacity, reward, observed, unheard, has_unheard = (
        int(params[0]),
        params[1],
        params[2],
        params[3],
        params[4] > 0,
    )
    count = counters[kernels.ENGAGED]
    listed = np.empty(count, dtype=np.int64)
    nc = 0
    for q in range(count):
        i = engaged[q]
        if audience[i] and not answered[i]:
            listed[nc] = i
            nc += 1
    candidates = np.sort(listed[:nc])
    chosen = candidates[:0]
    if nc and capacity:
        keys = rng.random(nc)
        chosen = candidates[_first_answered(candidates, keys, channel, weights, min(capacity, nc))]
    _answer(chosen, reward, observed, graph, cit, book, mech, scal, inst_i)
    if has_unheard:
        inst_i[STAMP_TAG] += 1
        tag = inst_i[STAMP_TAG]
        for i in chosen:
            stamp[i] = tag
        for i in candidates:
            if stamp[i] != tag:
                delta[i] = delta[i] + rules.unheard_loss(trust[i], unheard)
                if not dflag[i]:
                    dflag[i] = True
                    dlist[counters[DELTAS]] = i
                    counters[DELTAS] += 1


@numba.njit(cache=True)
def institution_move(graph, cit, book, mech, chan, scal, inst_f, inst_i, kinds, params, rng, step):
    """The institution sees the new engagement and applies its policy (rule 6); trust at t+1."""
    indptr, indices, degree = graph[0], graph[1], graph[2]
    hardship, trust, audience, channel, answered = cit[1], cit[2], cit[4], cit[6], cit[8]
    grievance, delta, scratch = book[2], book[3], book[4]
    is_candidate, candidates, engaged = book[5], book[6], book[7]
    stamp, buffer, counters, dlist, dflag = book[14], book[15], book[16], book[17], book[18]
    weights, counts = chan[2], chan[3]
    attention, diffusion = scal[7], scal[6]
    n = trust.size

    signal = np.dot(counts[1:].astype(np.float64), weights) / n
    inst_f[SIGNAL] = signal
    inst_f[CUMULATIVE] += signal
    inst_i[RESPONSES_LAST] = 0
    inst_i[ACTIONS] = 0
    inst_i[EVERYONE] = 0
    active = signal >= attention
    conceded_now = False
    for a in range(kinds.size):
        kind = kinds[a]
        p = params[a]
        if kind == IGNORE and active:
            inst_i[ACTIONS] |= 1 << IGNORE
            # With most citizens engaged, trust is committed for everyone (no list kept).
            most = 2 * counters[kernels.ENGAGED] > n
            for q in range(counters[kernels.ENGAGED]):
                i = engaged[q]
                if audience[i] and not answered[i]:
                    delta[i] = delta[i] + rules.unheard_loss(trust[i], p[0])
                    if not most and not dflag[i]:
                        dflag[i] = True
                        dlist[counters[DELTAS]] = i
                        counters[DELTAS] += 1
            if most:
                inst_i[EVERYONE] = 1
        elif kind == BROADCAST and active:
            inst_i[ACTIONS] |= 1 << BROADCAST
            for i in range(n):
                if audience[i]:
                    if channel[i] == 0:
                        change = rules.persuasion_gain(trust[i], p[0])
                    else:
                        change = rules.backlash_loss(trust[i], p[1])
                    delta[i] = delta[i] + change
            inst_i[EVERYONE] = 1
        elif kind == RESPOND and active:
            inst_i[ACTIONS] |= 1 << RESPOND
            _respond(p, graph, cit, book, mech, scal, weights, inst_i, rng)
        elif kind == COMMIT:
            if _commit(p, graph, cit, book, mech, scal, chan, inst_i):
                inst_i[ACTIONS] |= 1 << COMMIT
        elif kind == CONCEDE:
            if active and inst_i[CONCEDED] == 0 and inst_f[CUMULATIVE] >= p[0]:
                inst_i[CONCEDED] = 1
                inst_i[CONCEDED_AT] = step
                inst_i[ACTIONS] |= 1 << CONCEDE
                for i in range(n):
                    hardship[i] = rules.relieved_hardship(hardship[i], p[1])
                conceded_now = True
        elif kind == SUPPRESS:
            if active and inst_i[CRACKDOWN_LEFT] == 0:
                inst_i[CRACKDOWN_LEFT] = int(p[1])
                inst_f[SEVERITY] = p[0]
            if inst_i[CRACKDOWN_LEFT] > 0:
                inst_i[ACTIONS] |= 1 << SUPPRESS
                # With most citizens engaged, trust is committed for everyone (no list kept).
                most = 2 * counters[kernels.ENGAGED] > n
                for q in range(counters[kernels.ENGAGED]):
                    i = engaged[q]
                    if audience[i]:
                        delta[i] = delta[i] + rules.backlash_loss(trust[i], p[2])
                        if not most and not dflag[i]:
                            dflag[i] = True
                            dlist[counters[DELTAS]] = i
                            counters[DELTAS] += 1
                if most:
                    inst_i[EVERYONE] = 1
                    # List, in index order, every citizen with an engaged neighbour (usually
                    # the first one looked at), instead of walking every engaged citizen's
                    # neighbours.
                    count = 0
                    for j in range(n):
                        for jj in range(indptr[j], indptr[j + 1]):
                            if channel[indices[jj]] > 0:
                                buffer[count] = j
                                count += 1
                                break
                else:
                    count = _neighbours(
                        engaged, counters[kernels.ENGAGED], indptr, indices, stamp, inst_i, buffer
                    )
                for q in range(count):
                    j = buffer[q]
                    if audience[j]:
                        delta[j] = delta[j] + rules.backlash_loss(trust[j], p[3])
                        if not most and not dflag[j]:
                            dflag[j] = True
                            dlist[counters[DELTAS]] = j
                            counters[DELTAS] += 1

    changed = 0
    everyone = inst_i[EVERYONE] or diffusion > 0
    if everyone:
        changed = kernels.trust_commit_all(
            indptr,
            indices,
            degree,
            diffusion,
            delta,
            trust,
            hardship,
            grievance,
            mech[0],
            scratch,
            is_candidate,
            candidates,
            counters,
        )
    elif counters[DELTAS]:
        changed = kernels.trust_commit(
            dlist[: counters[DELTAS]],
            delta,
            trust,
            hardship,
            grievance,
            mech[0],
            is_candidate,
            candidates,
            counters,
            book[21],
        )
    for q in range(counters[DELTAS]):
        dflag[dlist[q]] = False
    counters[DELTAS] = 0
    if changed and everyone:  # (trust_commit marks its citizens in the means' partial sums)
        inst_i[LEGITIMACY_OK] = 0
        inst_i[GRIEVANCE_OK] = 0
    efficacy_changed = 0
    if counters[EDELTAS]:
        efficacy_changed = kernels.efficacy_commit(
            mech[3],
            counters[EDELTAS],
            mech[2],
            mech[4],
            mech[0],
            grievance,
            is_candidate,
            candidates,
            counters,
            book[21],
        )
        counters[EDELTAS] = 0
    if conceded_now:
        # Relief lowers hardship: only a citizen whose moving grievance rose (none, with the
        # schema's relief in [0, 1]) can be unsettled by it.
        efficacy = mech[0]
        for i in range(n):
            g = rules.grievance(hardship[i], trust[i])
            rose = kernels.moving_rose(grievance[i], efficacy[i], g, efficacy[i])
            grievance[i] = g
            if rose and not is_candidate[i]:  # marked (written out: see kernels.CANDIDATES)
                is_candidate[i] = True
                candidates[counters[kernels.CANDIDATES]] = i
                counters[kernels.CANDIDATES] += 1
        inst_i[GRIEVANCE_OK] = 0
    return changed > 0 or efficacy_changed > 0, conceded_now


@numba.njit(cache=True)
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


@numba.njit(cache=True)
def citizens_move(
    graph, cit, book, mech, chan, scal, inst_f, inst_i, kinds, params, sparks, fatigue_draw
):
    """Rules 1-5 for the candidates, the sparked and the engaged; commits the channels."""
    indptr, indices, _, _, _, neighbour_weight, _, _ = graph
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
            kernels.mark_neighbours(engaged, counters, indptr, indices, is_candidate, candidates)
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
def end_incident(book, cit, mech, scal_end, inst_i):
    """The end of an incident (:func:`sim.model.kernels.end_incident`), caches kept right."""
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
