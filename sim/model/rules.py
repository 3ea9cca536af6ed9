"""The per-step rules of the engagement model, each a pure function of numbers.

Every function works on Python scalars and on numpy arrays alike, with the same floating-point
operations in the same order, so the vectorized engine (whole arrays) and the agents engine (one
citizen at a time) give bit-identical results. Symbols follow DESIGN.md section 3:

===========================  =======  ===============================================
modeller's name              symbol   source
===========================  =======  ===============================================
threshold                    θ_i      Granovetter (1978); Watts (2002)
hardship                     H_i      Epstein (2002)
trust                        T_i      Epstein (2002), legitimacy L = mean T
grievance                    g_i      Epstein (2002): G = H (1 - L)
social signal                s_i      Watts (2002), weighted by influence u_j
transaction cost             c_k      channel k's cost, times suppression m(t)
organising discount          o_i      activists lower neighbours' costs
===========================  =======  ===============================================

References
----------
Granovetter, M. (1978). Threshold models of collective behavior. *American Journal of
Sociology* 83(6), 1420-1443.
Watts, D. J. (2002). A simple model of global cascades on random networks. *PNAS* 99(9),
5766-5771.
Epstein, J. M. (2002). Modeling civil violence: an agent-based computational approach. *PNAS*
99(suppl. 3), 7243-7250.
"""

from __future__ import annotations

import numpy as np

type Num = float | np.ndarray


def social_signal(engaged_weight: Num, neighbour_weight: Num) -> Num:
    """Share of a citizen's neighbourhood that is engaged, weighted by influence.

    s_i = Σ_{j∈N(i), engaged} u_j / Σ_{j∈N(i)} u_j (Watts 2002, with u_j = 1 for a citizen and
    ``activists.influence`` for an activist). An isolated citizen (zero total weight) has s_i = 0.
    """
    if isinstance(neighbour_weight, np.ndarray):
        out = np.zeros_like(neighbour_weight, dtype=float)
        np.divide(engaged_weight, neighbour_weight, out=out, where=neighbour_weight > 0)
        return out
    return engaged_weight / neighbour_weight if neighbour_weight > 0 else 0.0


def grievance(hardship: Num, trust: Num) -> Num:
    """Grievance g = H (1 - T): hardship times perceived illegitimacy (Epstein 2002)."""
    return hardship * (1.0 - trust)


def organising_discount(engaged_activist_neighbours: Num, organising: float, cap: float) -> Num:
    """Cost discount o_i = min(organising × engaged activist neighbours, max_discount)."""
    return np.minimum(organising * engaged_activist_neighbours, cap)


def effective_cost(cost: float, multiplier: float, discount: Num) -> Num:
    """Effective cost of a channel: c_k · m(t) · (1 - o_i)."""
    return cost * multiplier * (1.0 - discount)


def drive(signal: Num, grievance_: Num, grievance_weight: float) -> Num:
    """What pushes a citizen to act: s_i + γ g_i."""
    return signal + grievance_weight * grievance_


def willing(drive_: Num, threshold: Num, cost: Num) -> Num:
    """Citizen i is willing to use a channel when s_i + γ g_i ≥ θ_i + effective cost.

    The comparison is ``>=`` (Granovetter 1978: a person joins when the number already
    joined reaches the threshold).
    """
    return drive_ >= threshold + cost


def leaves(
    engaged: Num,
    fatigue_draw: Num,
    fatigue: float,
    conceded: bool,
    grievance_: Num,
    satisfied_below: float,
) -> Num:
    """Whether an engaged citizen leaves this step.

    With probability ``fatigue`` (``fatigue_draw < fatigue`` for a uniform draw), and at once
    when the institution has conceded and the citizen's grievance fell below
    ``satisfied_below``. ``fatigue = 0`` makes engagement permanent (Granovetter, Watts).
    """
    satisfied = conceded & (grievance_ < satisfied_below)
    return engaged & ((fatigue_draw < fatigue) | satisfied)


# ---------------------------------------------------------------------------------------------
# The institution's effect on trust and hardship (DESIGN.md section 3, rule 6). Each returns a
# change of trust computed from the trust at the start of the step.


def unheard_loss(trust: Num, unheard: float) -> Num:
    """``ignore``: an engaged citizen left unanswered loses unheard · T."""
    return -(unheard * trust)


def persuasion_gain(trust: Num, persuasion: float) -> Num:
    """``broadcast``: a not-engaged member of the audience gains persuasion · (1 - T)."""
    return persuasion * (1.0 - trust)


def backlash_loss(trust: Num, backlash: float) -> Num:
    """``broadcast``/``suppress``: an engaged citizen talked at or repressed loses backlash · T."""
    return -(backlash * trust)


def answer_gain(trust: Num, reward: float) -> Num:
    """``respond``: an answered citizen gains reward · (1 - T)."""
    return reward * (1.0 - trust)


def relieved_hardship(hardship: Num, relief: float) -> Num:
    """``concede``: hardship falls by the share ``relief``, once, for everyone."""
    return hardship * (1.0 - relief)


def diffused_trust_change(trust: Num, neighbour_trust_mean: Num, diffusion: float) -> Num:
    """Trust diffusion: diffusion · (mean T of neighbours - T_i) (DeGroot-style averaging)."""
    return diffusion * (neighbour_trust_mean - trust)


def clip_unit(value: Num) -> Num:
    """Clip a trust or share to [0, 1]."""
    return np.minimum(np.maximum(value, 0.0), 1.0)


def institution_signal(channel_counts: np.ndarray, channel_weights: np.ndarray, n: int) -> float:
    """Signal the institution receives: S(t) = Σ_i w_{e_i} / N.

    Computed from integer counts per channel so that it does not depend on the order in which
    citizens are summed (both engines get the same float).
    """
    return float(np.dot(channel_counts.astype(float), channel_weights) / n)


def response_capacity(capacity: float, n: int) -> int:
    """Number of answers per step: ⌊capacity · N⌋ (at least one when capacity > 0)."""
    if capacity <= 0:
        return 0
    return max(1, int(np.floor(capacity * n + 1e-9)))
