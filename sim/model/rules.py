"""The per-step rules of the engagement model, each a pure function of numbers.

Every rule is written once, as a compiled numpy ufunc (``numba.vectorize``): the same definition
is called on Python scalars by the agents engine (one citizen at a time), on whole arrays by the
vectorized engine, and on scalars inside the compiled kernels of the frontier engine
(:mod:`sim.model.frontier`). It is the same floating-point operations in the same order
everywhere (numba compiles without fast-math, so nothing is fused or reordered), so the three
engines give bit-identical results. A scalar call returns a numpy scalar (``numpy.float64`` is a
``float``, ``numpy.bool_`` behaves as a ``bool``). Symbols follow DESIGN.md section 3:

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
efficacy                     E_i      Gamson (1968); Sjoberg, Mellon & Peixoto (2017)
goal push                    f(t)     a public response threshold's goal gradient
                                      (Hull 1932; Kivetz, Urminsky & Zheng 2006)
initial trust                T0_i     trust memory: drift back between incidents
===========================  =======  ===============================================

Each ufunc is built the first time its rule is looked up (``rules.grievance``, ``from
sim.model.rules import grievance``, or a kernel being compiled): building one costs about 50 ms
even from numba's cache, and a frontier run, whose kernels have the rules compiled in, needs one
or two from Python. :func:`intact` tells whether any rule was replaced, without building any.

Compiled code is cached on disk (``cache=True``). numba keys a cache on the file that defines
the function, so after editing this module the kernels of :mod:`sim.model.frontier` that inline
these rules must be recompiled too: the frontier engine checks that every rule it calls is the
one it was compiled with, and falls back to the vectorized engine when a rule was replaced at
run time (a monkeypatch, a classroom experiment).

References
----------
Granovetter, M. (1978). Threshold models of collective behavior. *American Journal of
Sociology* 83(6), 1420-1443.
Watts, D. J. (2002). A simple model of global cascades on random networks. *PNAS* 99(9),
5766-5771.
Epstein, J. M. (2002). Modeling civil violence: an agent-based computational approach. *PNAS*
99(suppl. 3), 7243-7250.
Gamson, W. A. (1968). *Power and Discontent*. Dorsey.
Hirschman, A. O. (1970). *Exit, Voice, and Loyalty*. Harvard University Press.
Sjoberg, F. M., Mellon, J. & Peixoto, T. (2017). The effect of bureaucratic responsiveness on
citizen participation. *Public Administration Review* 77(3), 340-351.
Kivetz, R., Urminsky, O. & Zheng, Y. (2006). The goal-gradient hypothesis resurrected. *Journal
of Marketing Research* 43(1), 39-58.
Yasseri, T., Hale, S. A. & Margetts, H. (2017). Rapid rise and decay in petition signing. *EPJ
Data Science* 6, 20.
"""

from __future__ import annotations

import threading

import numba
import numpy as np

type Num = float | np.ndarray

_F2 = ["float64(float64, float64)"]
_F3 = ["float64(float64, float64, float64)"]
_SIGNATURES: dict[str, list[str]] = {}  # each rule's ufunc loops
_DEFINITIONS: dict = {}  # each rule's Python definition, until its ufunc is built
_COMPILED: dict = {}  # each rule's ufunc, once built
_BUILDING = threading.Lock()


def _elementwise(signatures: list[str]):
    """Declare a rule: a numpy ufunc with these loops (``numba.vectorize``), built on first use.

    Building a ufunc costs about 50 ms even when numba's on-disk cache holds its code (the
    loop around it is compiled anew in every process), about a second for all of them; a run
    of the frontier engine, whose kernels have the rules compiled in, uses one or two from
    Python. So the module attribute appears when first looked up (:func:`__getattr__`).
    """

    def declare(function):
        _SIGNATURES[function.__name__] = signatures
        return function

    return declare


@_elementwise(_F2)
def social_signal(engaged_weight: Num, neighbour_weight: Num) -> Num:
    """Share of a citizen's neighbourhood that is engaged, weighted by influence.

    s_i = Σ_{j∈N(i), engaged} u_j / Σ_{j∈N(i)} u_j (Watts 2002, with u_j = 1 for a citizen and
    ``activists.influence`` for an activist). An isolated citizen (zero total weight) has s_i = 0.
    """
    if neighbour_weight > 0:
        return engaged_weight / neighbour_weight
    return 0.0


@_elementwise(_F2)
def grievance(hardship: Num, trust: Num) -> Num:
    """Grievance g = H (1 - T): hardship times perceived illegitimacy (Epstein 2002)."""
    return hardship * (1.0 - trust)


@_elementwise(_F3)
def organising_discount(engaged_activist_neighbours: Num, organising: float, cap: float) -> Num:
    """Cost discount o_i = min(organising × engaged activist neighbours, max_discount)."""
    discount = organising * engaged_activist_neighbours
    # numpy.minimum's choice, operand for operand: the first unless the second is smaller.
    return discount if discount <= cap else cap


@_elementwise(_F3)
def effective_cost(cost: float, multiplier: float, discount: Num) -> Num:
    """Effective cost of a channel: c_k · m(t) · (1 - o_i)."""
    return cost * multiplier * (1.0 - discount)


@_elementwise(_F3)
def drive(signal: Num, grievance_: Num, grievance_weight: float) -> Num:
    """What pushes a citizen to act: s_i + γ g_i."""
    return signal + grievance_weight * grievance_


@_elementwise(_F2)
def efficacious_grievance(grievance_: Num, efficacy: Num) -> Num:
    """Grievance as it moves a citizen to act: g_i · E_i (Gamson 1968).

    With efficacy 1 (the default) this is g_i exactly; with efficacy 0 grievance moves nobody
    (low efficacy with low trust withdraws: Hirschman's exit rather than voice).
    """
    return grievance_ * efficacy


@_elementwise(["boolean(int64, int64, boolean)"])
def counts_toward(neighbour_channel: Num, channel: Num, rung: bool) -> Num:
    """Whether an engaged neighbour's engagement counts toward channel k's social signal.

    ``escalation: any`` (``rung`` false): every engaged neighbour counts for every channel.
    ``escalation: rung``: only neighbours engaged through channel k or a costlier one (people
    march when their friends march, not when their friends clicked; DESIGN.md section 9).
    With one channel both rules are the same.
    """
    if rung:
        return neighbour_channel >= channel
    return neighbour_channel > 0


@_elementwise(_F3)
def goal_push(people: Num, at: float, push: float) -> Num:
    """Weight factor f = 1 + push · count/at of engaged citizens before a commitment is reached.

    The goal gradient (Hull 1932; Kivetz, Urminsky & Zheng 2006): effort rises as a public
    goal nears. ``count`` is in people (citizens × ``population.scale``); f = 1 when
    ``push`` = 0, and f returns to 1 once the commitment is reached.
    """
    return 1.0 + push * people / at


@_elementwise(_F2)
def people(citizens: Num, scale: float) -> Num:
    """A count of simulated citizens in people: citizens × ``population.scale``."""
    return citizens * scale


@_elementwise(_F2)
def pushed_weight(engaged_weight: Num, factor: float) -> Num:
    """Engaged weight Σ u_j of a citizen's engaged neighbours, times the goal push f."""
    return engaged_weight * factor


@_elementwise(["boolean(float64, float64, float64)"])
def willing(drive_: Num, threshold: Num, cost: Num) -> Num:
    """Citizen i is willing to use a channel when s_i + γ g_i ≥ θ_i + effective cost.

    The comparison is ``>=`` (Granovetter 1978: a person joins when the number already
    joined reaches the threshold).
    """
    return drive_ >= threshold + cost


@_elementwise(["boolean(boolean, float64, float64, boolean, float64, float64)"])
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
    satisfied = conceded and grievance_ < satisfied_below
    return engaged and (fatigue_draw < fatigue or satisfied)


# ---------------------------------------------------------------------------------------------
# The institution's effect on trust and hardship (DESIGN.md section 3, rule 6). Each returns a
# change of trust computed from the trust at the start of the step.


@_elementwise(_F2)
def unheard_loss(trust: Num, unheard: float) -> Num:
    """``ignore``: an engaged citizen left unanswered loses unheard · T."""
    return -(unheard * trust)


@_elementwise(_F2)
def persuasion_gain(trust: Num, persuasion: float) -> Num:
    """``broadcast``: a not-engaged member of the audience gains persuasion · (1 - T)."""
    return persuasion * (1.0 - trust)


@_elementwise(_F2)
def backlash_loss(trust: Num, backlash: float) -> Num:
    """``broadcast``/``suppress``: an engaged citizen talked at or repressed loses backlash · T."""
    return -(backlash * trust)


@_elementwise(_F2)
def answer_gain(trust: Num, reward: float) -> Num:
    """``respond``: an answered citizen gains reward · (1 - T)."""
    return reward * (1.0 - trust)


@_elementwise(_F2)
def efficacy_gain(efficacy: Num, rate: float) -> Num:
    """An answer (``efficacy.answered``) or a neighbour's answer (``efficacy.observed``) raises
    efficacy by rate · (1 - E): being answered breeds participation (Sjoberg, Mellon & Peixoto
    2017: +57 %)."""
    return rate * (1.0 - efficacy)


@_elementwise(_F2)
def efficacy_loss(efficacy: Num, unheard: float) -> Num:
    """An incident ends with the citizen engaged and unanswered: efficacy falls by unheard · E."""
    return -(unheard * efficacy)


@_elementwise(_F3)
def recovered_trust(trust: Num, initial_trust: Num, recovery: float) -> Num:
    """Trust memory between incidents: T + recovery · (T0 - T), drifting back to T0.

    So an institution is not judged forever on one bad year (DESIGN.md section 9); the caller
    clips the result to [0, 1].
    """
    return trust + recovery * (initial_trust - trust)


@_elementwise(_F2)
def relieved_hardship(hardship: Num, relief: float) -> Num:
    """``concede``: hardship falls by the share ``relief``, once, for everyone."""
    return hardship * (1.0 - relief)


@_elementwise(_F3)
def diffused_trust_change(trust: Num, neighbour_trust_mean: Num, diffusion: float) -> Num:
    """Trust diffusion: diffusion · (mean T of neighbours - T_i) (DeGroot-style averaging)."""
    return diffusion * (neighbour_trust_mean - trust)


@_elementwise(["float64(float64)"])
def clip_unit(value: Num) -> Num:
    """Clip a trust or share to [0, 1] (as ``numpy.minimum(numpy.maximum(v, 0), 1)``)."""
    low = value if value >= 0.0 else 0.0
    return low if low <= 1.0 else 1.0


# The rules above, by name: the frontier engine compiles them into its kernels and checks, before
# each step, that none was replaced since.
ELEMENTWISE = (
    "social_signal",
    "grievance",
    "organising_discount",
    "effective_cost",
    "drive",
    "willing",
    "leaves",
    "unheard_loss",
    "persuasion_gain",
    "backlash_loss",
    "answer_gain",
    "relieved_hardship",
    "diffused_trust_change",
    "clip_unit",
    "efficacious_grievance",
    "counts_toward",
    "goal_push",
    "people",
    "pushed_weight",
    "efficacy_gain",
    "efficacy_loss",
    "recovered_trust",
)
assert set(ELEMENTWISE) == set(_SIGNATURES)
for _name in ELEMENTWISE:
    _DEFINITIONS[_name] = globals().pop(_name)


def __getattr__(name: str):
    """Build a rule's ufunc the first time it is looked up (see :func:`_elementwise`)."""
    with _BUILDING:
        if name in _COMPILED:
            return _COMPILED[name]
        try:
            definition = _DEFINITIONS[name]
        except KeyError:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
        ufunc = numba.vectorize(_SIGNATURES[name], cache=True)(definition)
        _COMPILED[name] = ufunc
        globals()[name] = ufunc
        return ufunc


def __dir__() -> list[str]:
    return sorted({*globals(), *ELEMENTWISE})


def intact() -> bool:
    """True when no rule was replaced since this module defined it (a test's monkeypatch, a
    classroom experiment): each module attribute is its ufunc, or not built yet."""
    namespace = globals()
    for name in ELEMENTWISE:
        value = namespace.get(name, _DEFINITIONS)
        if value is not _DEFINITIONS and value is not _COMPILED.get(name):
            return False
    return True


def institution_signal(channel_counts: np.ndarray, channel_weights: np.ndarray, n: int) -> float:
    """Signal the institution receives: S(t) = Σ_i w_{e_i} / N.

    Computed from integer counts per channel so that it does not depend on the order in which
    citizens are summed (all engines get the same float).
    """
    return float(np.dot(channel_counts.astype(float), channel_weights) / n)


def response_capacity(capacity: float, n: int) -> int:
    """Number of answers per step: ⌊capacity · N⌋ (at least one when capacity > 0)."""
    if capacity <= 0:
        return 0
    return max(1, int(np.floor(capacity * n + 1e-9)))
