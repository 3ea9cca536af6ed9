"""The vectorized engine: the rules of :mod:`sim.model.rules` applied to whole arrays.

Each function reads the state at t from a :class:`~sim.model.state.WorldState` (the model's
arrays) and returns the next state; the model commits it. One sparse product over the CSR
adjacency per social quantity, a few array operations per rule.
"""

from __future__ import annotations

import numpy as np

from sim.model import rules
from sim.model.schema import Action, Broadcast, Commit, Concede, Ignore, Respond, Suppress
from sim.model.state import StepDraws, WorldState

__all__ = ["answer", "citizens_move", "commit", "institution_move", "next_trust", "respond"]


def citizens_move(model: WorldState, draws: StepDraws) -> np.ndarray:
    """Channels at t+1 for everyone (rules 1-5), from the state at t."""
    m = model
    channel = m.channel
    engaged = channel > 0
    engaged_influence = m.influence * engaged
    if m.organising_active:
        stacked = np.column_stack([engaged_influence, (m.is_activist & engaged).astype(float)])
        sums = m.adjacency @ stacked
        engaged_weight, engaged_activists = sums[:, 0], sums[:, 1]
        discount = rules.organising_discount(engaged_activists, m.organising, m.max_discount)
    else:
        engaged_weight = m.adjacency @ engaged_influence
        discount = 0.0
    factor = m.push_factor()
    grievance = rules.grievance(m.hardship, m.trust)
    m.grievance_cache = (m.steps, grievance)
    moving = rules.efficacious_grievance(grievance, m.efficacy)
    multiplier = m.cost_multiplier
    target = np.zeros(m.n, dtype=np.int16)
    drive = None
    for k in range(1, m.n_channels + 1):
        if drive is None or m.rung:
            # Escalation by example: with `rung`, channel k's signal counts only neighbours
            # engaged through channel k or a costlier one (k = 1: every engaged neighbour).
            weight = engaged_weight
            if k > 1:
                weight = m.adjacency @ (m.influence * rules.counts_toward(channel, k, True))
            if factor != 1.0:
                weight = rules.pushed_weight(weight, factor)
            signal = rules.social_signal(weight, m.neighbour_weight)
            drive = rules.drive(signal, moving, m.grievance_weight)
        cost = rules.effective_cost(m.channel_costs[k - 1], multiplier, discount)
        ok = rules.willing(drive, m.threshold, cost)
        if m.channel_online[k - 1]:
            ok &= m.online
        target[ok] = k
    new = np.maximum(channel, target)
    if draws.sparked is not None:
        new = np.maximum(new, np.where(draws.sparked, m.cheapest_open, 0).astype(np.int16))
    if draws.fatigue is not None or m.institution.conceded:
        fatigue_draw = draws.fatigue if draws.fatigue is not None else 1.0
        leaving = rules.leaves(
            engaged, fatigue_draw, m.fatigue, m.institution.conceded, grievance, m.satisfied_below
        )
        new[leaving] = 0
    return new


def institution_move(model: WorldState) -> np.ndarray | None:
    """The institution sees the new engagement and acts: returns each citizen's trust change."""
    m = model
    inst = m.institution
    inst.observe(rules.institution_signal(m.channel_counts[1:], m.channel_weights, m.n))
    learning = m.efficacy_answered > 0 or m.efficacy_observed > 0
    m.efficacy_delta = np.zeros(m.n) if learning and inst.policy else None
    if not inst.policy:
        return None
    delta = np.zeros(m.n)
    commitment = 0
    trust = m.trust
    engaged = m.channel > 0
    audience = m.in_audience
    for action in inst.policy:
        match action:
            case Ignore(unheard=unheard) if inst.active:
                inst.last_actions.append(Action.IGNORE)
                unanswered = engaged & audience & ~m.answered
                delta = delta + np.where(unanswered, rules.unheard_loss(trust, unheard), 0.0)
            case Broadcast(persuasion=persuasion, backlash=backlash) if inst.active:
                inst.last_actions.append(Action.BROADCAST)
                gain = rules.persuasion_gain(trust, persuasion)
                delta = delta + np.where(audience & ~engaged, gain, 0.0)
                delta = delta + np.where(
                    audience & engaged, rules.backlash_loss(trust, backlash), 0.0
                )
            case Respond() if inst.active:
                inst.last_actions.append(Action.RESPOND)
                delta = respond(m, action, engaged, delta)
            case Concede(relief=relief):
                if inst.concede_now(action):
                    inst.last_actions.append(Action.CONCEDE)
                    m.hardship = rules.relieved_hardship(m.hardship, relief)
            case Suppress(backlash=backlash, observed_backlash=observed):
                if inst.start_crackdown(action):
                    inst.last_actions.append(Action.SUPPRESS)
                    observers = (m.adjacency @ engaged.astype(float)) > 0
                    delta = delta + np.where(
                        engaged & audience, rules.backlash_loss(trust, backlash), 0.0
                    )
                    delta = delta + np.where(
                        observers & audience, rules.backlash_loss(trust, observed), 0.0
                    )
            case Commit():
                delta = commit(m, action, commitment, engaged, delta)
                commitment += 1
    return delta


def commit(
    m: WorldState, action: Commit, index: int, engaged: np.ndarray, delta: np.ndarray
) -> np.ndarray:
    """``commit``: once the engaged count reaches ``at`` people, every engaged citizen of the
    incident is answered (whatever the institution's attention; the promise is public)."""
    inst = m.institution
    flags = inst.reached_flags()
    if not flags[index] and rules.people(float(m.n - m.channel_counts[0]), m.scale) >= action.at:
        flags[index] = True
    if not flags[index]:
        return delta
    inst.last_actions.append(Action.COMMIT)
    return answer(m, engaged & ~m.answered, action.reward, action.observed, delta)


def answer(
    m: WorldState, answered_now: np.ndarray, reward: float, observed: float, delta: np.ndarray
) -> np.ndarray:
    """Answer the citizens of the mask ``answered_now``: their trust and efficacy rise, and
    their neighbours' a little (``respond`` and ``commit``). Returns the trust change."""
    inst = m.institution
    count = int(np.count_nonzero(answered_now))
    trust = m.trust
    delta = delta + np.where(answered_now, rules.answer_gain(trust, reward), 0.0)
    observers = None
    if count:
        observers = (m.adjacency @ answered_now.astype(float)) > 0
        delta = delta + np.where(observers, rules.answer_gain(trust, observed), 0.0)
    edelta = m.efficacy_delta
    if edelta is not None:
        efficacy = m.efficacy
        gain = rules.efficacy_gain(efficacy, m.efficacy_answered)
        edelta += np.where(answered_now, gain, 0.0)
        if observers is not None:
            edelta += np.where(observers, rules.efficacy_gain(efficacy, m.efficacy_observed), 0.0)
    m.answered |= answered_now
    inst.responses += count
    inst.responses_last_step += count
    return delta


def respond(m: WorldState, action: Respond, engaged: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """``respond``: up to ⌊capacity·N⌋ candidates answered, heaviest channel first."""
    trust = m.trust
    candidate_mask = engaged & m.in_audience & ~m.answered
    candidates = np.flatnonzero(candidate_mask)
    capacity = rules.response_capacity(action.capacity, m.n)
    chosen = candidates[:0]
    if candidates.size and capacity:
        keys = m.draw_tiebreak(candidates.size)
        weight = m.channel_weights[m.channel[candidates] - 1]
        order = np.lexsort((candidates, keys, -weight))
        chosen = candidates[order[:capacity]]
    answered_now = np.zeros(m.n, dtype=bool)
    answered_now[chosen] = True
    delta = answer(m, answered_now, action.reward, action.observed, delta)
    if action.unheard is not None:
        unanswered = candidate_mask & ~answered_now
        delta = delta + np.where(unanswered, rules.unheard_loss(trust, action.unheard), 0.0)
    return delta


def next_trust(model: WorldState, institution_delta: np.ndarray | None) -> np.ndarray:
    """Trust at t+1: the institution's effect plus trust diffusion, clipped to [0, 1].

    ``institution_delta`` is None when the institution has no policy: trust then changes only
    by diffusion, and is returned as is (the same array) when there is none.
    """
    m = model
    if institution_delta is None:
        if m.trust_diffusion == 0:
            return m.trust
        institution_delta = np.zeros(m.n)
    new = m.trust + institution_delta
    if m.trust_diffusion > 0:
        total = m.adjacency @ m.trust
        mean = np.divide(total, m.degree, out=m.trust.copy(), where=m.degree > 0)
        new = new + rules.diffused_trust_change(m.trust, mean, m.trust_diffusion)
    return rules.clip_unit(new)
