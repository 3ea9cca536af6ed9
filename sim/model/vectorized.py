"""The vectorized engine: the rules of :mod:`sim.model.rules` applied to whole arrays.

Each function reads the state at t from a :class:`~sim.model.state.WorldState` (the model's
arrays) and returns the next state; the model commits it. One sparse product over the CSR
adjacency per social quantity, a few array operations per rule.
"""

from __future__ import annotations

import numpy as np

from sim.model import rules
from sim.model.schema import Action, Broadcast, Concede, Ignore, Respond, Suppress
from sim.model.state import StepDraws, WorldState

__all__ = ["citizens_move", "institution_move", "next_trust", "respond"]


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
    signal = rules.social_signal(engaged_weight, m.neighbour_weight)
    grievance = rules.grievance(m.hardship, m.trust)
    m.grievance_cache = (m.steps, grievance)
    drive = rules.drive(signal, grievance, m.grievance_weight)
    multiplier = m.cost_multiplier
    target = np.zeros(m.n, dtype=np.int16)
    for k in range(1, m.n_channels + 1):
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
    if not inst.policy:
        return None
    delta = np.zeros(m.n)
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
    return delta


def respond(m: WorldState, action: Respond, engaged: np.ndarray, delta: np.ndarray) -> np.ndarray:
    inst = m.institution
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
    delta = delta + np.where(answered_now, rules.answer_gain(trust, action.reward), 0.0)
    if chosen.size:
        observers = (m.adjacency @ answered_now.astype(float)) > 0
        delta = delta + np.where(observers, rules.answer_gain(trust, action.observed), 0.0)
    if action.unheard is not None:
        unanswered = candidate_mask & ~answered_now
        delta = delta + np.where(unanswered, rules.unheard_loss(trust, action.unheard), 0.0)
    m.answered |= answered_now
    inst.responses += int(chosen.size)
    inst.responses_last_step += int(chosen.size)
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
