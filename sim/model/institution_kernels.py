"""The institution's move (DESIGN.md section 3, rule 6) in compiled code, for the frontier engine.

:func:`institution_move` mirrors :func:`sim.model.vectorized.institution_move` term for term:
each citizen's change of trust is the sum, in the policy's order, of the terms that apply to
it, computed from the trust at the start of the step. ``respond`` draws its tie-breaks from the
run's ``numpy.random.Generator`` (numba draws with numpy's algorithms from the same bit
generator, after the step's fatigue draws, as the other engines do). :mod:`sim.model.step_kernels`
calls it after the citizens' move; the slots of the state arrays it shares with that module
(``inst_f``, ``inst_i``, the bookkeeping counters, the scalars ``scal``) are named here.
"""

from __future__ import annotations

import numba
import numpy as np

from sim.model import kernels, rules

__all__ = ["ACTION_CODES", "institution_move", "push_factor", "reach_of"]

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


@numba.njit(cache=True, inline="always")
def reach_of(scal, chan, mech):
    """What :func:`sim.model.kernels.out_of_reach` reads besides a citizen's own state, from
    the state tuples: (γ, :func:`sim.model.kernels.lowest_cost`, escalation by example)."""
    lowest = kernels.lowest_cost(chan[0], scal[2], scal[3] > 0)
    return (scal[0], lowest, mech[5].shape[0] > 0)


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
    count = 0
    if chosen.size:
        count = _neighbours(chosen, chosen.size, indptr, indices, stamp, inst_i, buffer)
    # The answered at their rates, then each of their neighbours once at the observers' rates.
    for p in range(chosen.size + count):
        first = p < chosen.size
        i = chosen[p] if first else buffer[p - chosen.size]
        delta[i] = delta[i] + rules.answer_gain(trust[i], reward if first else observed)
        if not dflag[i]:
            dflag[i] = True
            dlist[counters[DELTAS]] = i
            counters[DELTAS] += 1
        if learning:
            rate = learn_answered if first else learn_observed
            edelta[i] = edelta[i] + rules.efficacy_gain(efficacy[i], rate)
            if not eflag[i]:
                eflag[i] = True
                elist[counters[EDELTAS]] = i
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


@numba.njit(cache=True, inline="always")
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
    # With most citizens engaged (the institution does not change who is), ignore and suppress
    # commit trust for everyone rather than list each citizen they touch.
    most = 2 * counters[kernels.ENGAGED] > n
    conceded_now = False
    for a in range(kinds.size):
        kind = kinds[a]
        p = params[a]
        if kind == IGNORE and active:
            inst_i[ACTIONS] |= 1 << IGNORE
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
            channel,
            book[0],
            cit[0],
            reach_of(scal, chan, mech),
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
