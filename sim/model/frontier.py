"""The frontier engine: a step costs in proportion to what changes (DESIGN.md section 10).

Gives the same results as the vectorized and agents engines, bit for bit, with the same random
draws, but touches only:

- the **candidates**: citizens whose decision may have changed since they were last evaluated,
  because a neighbour started or stopped engaging, their own trust or hardship changed, or they
  left (a citizen who left may join again). Everyone else is *settled*: what its rule reads is
  unchanged, so it would again choose at most its present channel. This is also how spontaneous
  joiners (grievance alone above threshold) are found without scanning everyone each incident:
  they are candidates once after the start and whenever their trust, hardship, or a global
  parameter changes, or after they leave;
- the engaged citizens (leaving by fatigue or satisfaction, the institution's actions on them);
- the sparked citizens;
- the global quantities, from per-channel counts (the signal) or from partial sums (legitimacy,
  mean grievance and mean efficacy are ``numpy.mean`` over all citizens, and only the same
  pairwise sum gives the same bits: its tree's partial sums are kept, and after a step only the
  parts above the citizens whose values changed are summed again; :mod:`sim.model.pairwise`).

The mechanisms of DESIGN.md section 9 keep this: a change of efficacy makes the citizen a
candidate, like a change of trust; a change of the goal push f(t) of a commitment makes every
neighbour of an engaged citizen a candidate (only they have an engaged weight to push); with
escalation by example an escalation changes the neighbours' per-channel weights and makes them
candidates; answers from a reached commitment go to the engaged citizens only. Trust memory
touches everyone once per incident, at its end.

Global changes touch everyone once, when they happen: a change of a channel's cost, of the
suppression multiplier (start and end of a crackdown), of the grievance weight or the organising
parameters, a new threshold or access array, and a concession (hardship falls for everyone) make
every citizen a candidate for one step. Two features are computed over all citizens on every step
in which they act, exactly as the vectorized engine does: ``broadcast`` (it addresses the whole
audience) and trust diffusion (every citizen averages its neighbours).

Parameters a teacher changes while the model runs (``model.channel_costs[0] = 0.1``,
``model.threshold = ...``) are noticed before each step by comparing them with the values this
engine's bookkeeping was built from. Writes through the Mesa agents (``citizen.trust = 0.5``)
call :meth:`FrontierState.invalidate`; direct in-place writes into the model's arrays must be
followed by ``model.state_edited()``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from sim.model import institution_kernels as ik
from sim.model import kernels, pairwise, rows, rules, series_kernels
from sim.model import step_kernels as sk
from sim.model.schema import Action, Broadcast, Commit, Concede, Ignore, Respond, Suppress
from sim.model.state import StepDraws, WorldState

__all__ = ["FrontierState", "Incident", "Series", "action_names", "step_columns"]

ACTIONS = [Action(code) for code in ik.ACTION_CODES]
POLICY_PARAMS = 5
# Rows of the time-series buffers of one compiled series of incidents (grown if max_steps is more).
SERIES_STEPS = 1 << 16


@dataclass(frozen=True)
class Series:
    """What :meth:`FrontierState.relax_series` did: several incidents in one compiled call."""

    actions: list[str]  # per incident: the avalanche table's ``actions``
    rows_int: np.ndarray  # per incident: the columns of series_kernels.ROW_FIELDS
    rows_float: np.ndarray  # per incident: peak signal, legitimacy after it
    rows_reached: np.ndarray  # per incident: whether it reached each commitment
    step_int: np.ndarray  # per step, as Incident.step_int
    step_float: np.ndarray  # per step, as Incident.step_float
    pending: tuple | None  # the incident sparked after the last one recorded, as relax_series's


@dataclass(frozen=True)
class Incident:
    """What :meth:`FrontierState.relax` did: one avalanche, stepped in compiled code."""

    steps: int
    size: int  # distinct citizens engaged at some point, the spark included
    peak_engaged: int
    peak_signal: float
    actions: set[str]
    step_int: np.ndarray  # per step: step, joined, responses
    step_float: np.ndarray  # per step: engaged, per channel, signal, legitimacy, grievance, m(t)


def encode_policy(policy: list, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The policy as action codes and a row of numbers per action, for the kernels."""
    kinds = np.zeros(len(policy), dtype=np.int64)
    params = np.zeros((len(policy), POLICY_PARAMS))
    commitment = 0
    for a, action in enumerate(policy):
        match action:
            case Ignore():
                kinds[a], params[a, 0] = ik.IGNORE, action.unheard
            case Broadcast():
                kinds[a] = ik.BROADCAST
                params[a, :2] = action.persuasion, action.backlash
            case Respond():
                kinds[a] = ik.RESPOND
                unheard = action.unheard
                params[a] = (
                    rules.response_capacity(action.capacity, n),
                    action.reward,
                    action.observed,
                    0.0 if unheard is None else unheard,
                    0.0 if unheard is None else 1.0,
                )
            case Concede():
                kinds[a] = ik.CONCEDE
                params[a, :2] = action.concession_at, action.relief
            case Suppress():
                kinds[a] = ik.SUPPRESS
                params[a, :4] = (
                    action.severity,
                    action.duration,
                    action.backlash,
                    action.observed_backlash,
                )
            case Commit():
                kinds[a] = ik.COMMIT
                params[a] = action.at, action.reward, action.observed, action.push, commitment
                commitment += 1
            case _:
                raise TypeError(f"unknown policy action {action!r}")
    return kinds, params


class FrontierState:
    """Bookkeeping arrays of the frontier engine, kept in step with one model's arrays.

    Built from the model on first use and rebuilt when the model's arrays or live parameters
    were changed from outside (see the module docstring).
    """

    # The world size from which a step that moves many citizens pulls (rows.pull_weights);
    # tests lower it to check that pulling and pushing give the same results.
    pull_from: int = rows.PULL_MIN_CITIZENS
    pull_share: int = rows.PULL_SHARE

    def __init__(self, model: WorldState) -> None:
        n = model.n
        self.n = n
        self.ew = np.zeros(n)
        self.ea = np.zeros(n)
        self.grievance = np.zeros(n)
        self.delta = np.zeros(n)
        self.scratch = np.zeros(n)
        self.is_candidate = np.zeros(n, dtype=bool)
        self.candidates = np.zeros(n, dtype=np.int64)
        self.engaged = np.zeros(n, dtype=np.int64)
        self.position = np.full(n, -1, dtype=np.int64)
        self.touched = np.zeros(n, dtype=np.int64)
        self.stale = np.zeros(n, dtype=np.int64)
        self.is_stale = np.zeros(n, dtype=bool)
        self.newly = np.zeros(n, dtype=np.int64)
        self.stamp = np.zeros(n, dtype=np.int64)
        self.buffer = np.zeros(n, dtype=np.int64)
        self.counters = np.zeros(6, dtype=np.int64)
        self.nonzero = np.zeros(n, dtype=np.int64)
        self.is_nonzero = np.zeros(n, dtype=bool)
        self.dlist = np.zeros(n, dtype=np.int64)
        self.dflag = np.zeros(n, dtype=bool)
        self.edelta = np.zeros(n)
        self.elist = np.zeros(n, dtype=np.int64)
        self.eflag = np.zeros(n, dtype=bool)
        self.ewr = np.zeros((0, 0))
        self.inst_f = np.zeros(8)
        self.inst_i = np.zeros(15, dtype=np.int64)
        self.valid = False
        self.series_buffers: tuple | None = None
        self.policy_seen: tuple | None = None
        self.policy_codes: tuple = ()
        self.built_from: tuple = ()
        self.params: tuple = ()
        self.sync(model)

    # --- keeping in step with the model ----------------------------------------------------

    def invalidate(self) -> None:
        """The model's arrays were edited in place: rebuild everything before the next use."""
        self.valid = False

    def _arrays(self, m: WorldState) -> tuple:
        return (
            m.adjacency,
            m.degree,
            m.influence,
            m.is_activist,
            m.neighbour_weight,
            m.threshold,
            m.hardship,
            m.trust,
            m.online,
            m.in_audience,
            m.cheapest_open,
            m.channel,
            m.steps_engaged,
            m.answered,
            m.ever_engaged,
            m.channel_counts,
            m.efficacy,
            m.initial_trust,
            m.rung,
        )

    def _params(self, m: WorldState) -> tuple:
        return (
            m.channel_costs.tobytes(),
            m.channel_online.tobytes(),
            float(m.grievance_weight),
            float(m.organising),
            float(m.max_discount),
            bool(m.organising_active),
        )

    def sync(self, model: WorldState) -> None:
        """Rebuild what the model's changes made stale; cheap when nothing changed."""
        m = model
        arrays = self._arrays(m)
        if not self.valid or any(a is not b for a, b in zip(arrays, self.built_from, strict=True)):
            self._rebuild(m)
            return
        params = self._params(m)
        if params != self.params:
            self.params = params
            self.chan = self._channels(m)
            kernels.mark_all(self.is_candidate, self.candidates, self.counters)

    def _channels(self, m: WorldState) -> tuple:
        return (
            np.array(m.channel_costs, dtype=float),
            np.array(m.channel_online, dtype=bool),
            np.array(m.channel_weights, dtype=float),
            m.channel_counts,
        )

    def _rebuild(self, m: WorldState) -> None:
        adjacency = m.adjacency
        influence = np.ascontiguousarray(m.influence, dtype=float)
        # Whole-number influences add up exactly in any order, so neighbours' engaged weights
        # can be updated in place; otherwise a changed row is summed again in CSR order.
        integral = bool(
            np.all(np.isfinite(influence))
            and np.all(influence == np.floor(influence))
            and float(np.max(np.abs(influence), initial=0.0)) * max(int(m.n), 1) < 2.0**52
        )
        # The kernels update the model's arrays in place, in these dtypes.
        m.channel = np.ascontiguousarray(m.channel, dtype=np.int16)
        m.trust = np.ascontiguousarray(m.trust, dtype=float)
        m.hardship = np.ascontiguousarray(m.hardship, dtype=float)
        m.threshold = np.ascontiguousarray(m.threshold, dtype=float)
        m.answered = np.ascontiguousarray(m.answered, dtype=bool)
        m.ever_engaged = np.ascontiguousarray(m.ever_engaged, dtype=bool)
        m.steps_engaged = np.ascontiguousarray(m.steps_engaged, dtype=np.int32)
        m.efficacy = np.ascontiguousarray(m.efficacy, dtype=float)
        m.initial_trust = np.ascontiguousarray(m.initial_trust, dtype=float)
        m.channel_counts = np.bincount(m.channel, minlength=m.n_channels + 1).astype(np.int64)
        self.graph = (
            adjacency.indptr,
            adjacency.indices,
            np.ascontiguousarray(m.degree),
            influence,
            np.ascontiguousarray(m.is_activist, dtype=bool),
            np.ascontiguousarray(m.neighbour_weight, dtype=float),
            integral,
            # Without activists every influence is 1: the kernels need not read them.
            bool(np.any(m.is_activist) or np.any(influence != 1.0)),
            # Large worlds sum many citizens' weights again row by row (rows.pull_weights).
            self.pull_share if m.n >= self.pull_from else 0,
        )
        self.cit = (
            m.threshold,
            m.hardship,
            m.trust,
            np.ascontiguousarray(m.online, dtype=bool),
            np.ascontiguousarray(m.in_audience, dtype=bool),
            np.ascontiguousarray(m.cheapest_open, dtype=np.int16),
            m.channel,
            m.steps_engaged,
            m.answered,
            m.ever_engaged,
        )
        kernels.full_sums(
            self.graph[0], self.graph[1], influence, self.graph[4], m.channel, self.ew, self.ea
        )
        # Escalation by example: per-channel engaged weights (none with `any` or one channel).
        rungs = m.n_channels if m.rung and m.n_channels > 1 else 0
        self.ewr = np.zeros((rungs, m.n if rungs else 0))
        if rungs:
            kernels.rung_sums(self.graph[0], self.graph[1], influence, m.channel, self.ewr)
        self.edelta[:] = 0.0
        self.eflag[:] = False
        engaged = np.flatnonzero(m.channel > 0)
        self.engaged[: engaged.size] = engaged
        self.position[:] = -1
        self.position[engaged] = np.arange(engaged.size)
        self.counters[:] = 0
        self.counters[kernels.ENGAGED] = engaged.size
        nonzero = np.flatnonzero((self.ew != 0.0) | (self.ea != 0.0)) if integral else engaged[:0]
        self.is_nonzero[:] = False
        self.is_nonzero[nonzero] = True
        self.nonzero[: nonzero.size] = nonzero
        self.counters[kernels.NONZERO] = nonzero.size
        self.proposal = m.channel.copy()
        self.grievance[:] = rules.grievance(m.hardship, m.trust)
        self.delta[:] = 0.0
        self.dflag[:] = False
        self.inst_i[ik.LEGITIMACY_OK] = 0
        self.inst_i[ik.GRIEVANCE_OK] = 0
        self.inst_i[ik.EFFICACY_OK] = 0
        self.inst_f[ik.BUILT_MULTIPLIER] = float(m.cost_multiplier)
        self.inst_f[ik.PUSH] = 1.0
        self.book = (
            self.ew,
            self.ea,
            self.grievance,
            self.delta,
            self.scratch,
            self.is_candidate,
            self.candidates,
            self.engaged,
            self.position,
            self.proposal,
            self.touched,
            self.stale,
            self.is_stale,
            self.newly,
            self.stamp,
            self.buffer,
            self.counters,
            self.dlist,
            self.dflag,
            self.nonzero,
            self.is_nonzero,
            self._partial_sums(m.n),
        )
        self.chan = self._channels(m)
        kernels.mark_all(self.is_candidate, self.candidates, self.counters)
        self.built_from = self._arrays(m)
        self.params = self._params(m)
        self.valid = True

    def _partial_sums(self, n: int) -> tuple:
        """numpy's pairwise-summation tree over the citizens, with the partial sums of trust,
        grievance and efficacy over it (legitimacy and the means; :mod:`sim.model.pairwise`):
        filled in full at the next mean (the ``*_OK`` flags are cleared), then kept up to date
        node by node."""
        tree = pairwise.pairwise_tree(n)
        return (tree, *(pairwise.partial_sums(tree) for _ in range(3)))

    def _scalars(self, m: WorldState) -> tuple:
        return (
            float(m.grievance_weight),
            float(m.organising),
            float(m.max_discount),
            1.0 if m.organising_active else 0.0,
            float(m.fatigue),
            float(m.satisfied_below),
            float(m.trust_diffusion),
            float(m.institution.attention),
            float(m.efficacy_answered),
            float(m.efficacy_observed),
            float(m.scale),
            1.0 if m.efficacy_in_use else 0.0,
        )

    def _mech(self, m: WorldState) -> tuple:
        return (
            m.efficacy,
            m.initial_trust,
            self.edelta,
            self.elist,
            self.eflag,
            self.ewr,
            m.institution.reached_flags(),
        )

    def _load_institution(self, m: WorldState) -> None:
        inst = m.institution
        f, i = self.inst_f, self.inst_i
        f[ik.SIGNAL] = inst.signal
        f[ik.CUMULATIVE] = inst.cumulative_signal
        f[ik.SEVERITY] = inst.crackdown_severity
        i[ik.CONCEDED] = 1 if inst.conceded else 0
        i[ik.CONCEDED_AT] = -1 if inst.conceded_at is None else inst.conceded_at
        i[ik.CRACKDOWN_LEFT] = inst.crackdown_left
        i[ik.RESPONSES] = inst.responses
        i[ik.RESPONSES_LAST] = inst.responses_last_step

    def _store_institution(self, m: WorldState) -> None:
        inst = m.institution
        f, i = self.inst_f, self.inst_i
        inst.signal = float(f[ik.SIGNAL])
        inst.cumulative_signal = float(f[ik.CUMULATIVE])
        inst.crackdown_severity = float(f[ik.SEVERITY])
        inst.conceded = bool(i[ik.CONCEDED])
        inst.conceded_at = None if i[ik.CONCEDED_AT] < 0 else int(i[ik.CONCEDED_AT])
        inst.crackdown_left = int(i[ik.CRACKDOWN_LEFT])
        inst.responses = int(i[ik.RESPONSES])
        inst.responses_last_step = int(i[ik.RESPONSES_LAST])
        inst.last_actions = _actions(int(i[ik.ACTIONS]))

    # --- engagement from outside -----------------------------------------------------------

    def set_channels(self, m: WorldState, idx: np.ndarray, values: np.ndarray) -> tuple:
        """Set channels of ``idx`` to ``values`` (seeding a campaign, a spark, disengaging)."""
        self.sync(m)
        graph, book = self.graph, self.book
        return kernels.set_channels(
            np.ascontiguousarray(idx, dtype=np.int64),
            np.ascontiguousarray(values, dtype=np.int16),
            False,
            graph[0],
            graph[1],
            graph[3],
            graph[4],
            graph[6],
            graph[7],
            graph[8],
            m.channel,
            self.proposal,
            m.channel_counts,
            self.ew,
            self.ea,
            self.engaged,
            self.position,
            self.is_candidate,
            self.candidates,
            self.counters,
            self.stale,
            self.is_stale,
            m.steps_engaged,
            m.answered,
            m.ever_engaged,
            book[13],
            self.ewr,
            self.nonzero,
            self.is_nonzero,
        )

    def engaged_indices(self) -> np.ndarray:
        """The engaged citizens, in no particular order."""
        return self.engaged[: self.counters[kernels.ENGAGED]].copy()

    def disengage_all(self, m: WorldState) -> None:
        """Everyone stops engaging (between two incidents)."""
        self.sync(m)
        sk.disengage_all(self.graph, self.cit, self.book, self.chan, self._mech(m), self.book[13])

    # --- the step --------------------------------------------------------------------------

    def step(
        self, m: WorldState, draws: StepDraws, step: int
    ) -> tuple[int, bool, np.ndarray, bool]:
        """One step (DESIGN.md section 3) in compiled code, with the model's draws.

        Returns (joined or escalated, channels changed, newly engaged, anything changed); the
        institution's state is written back to ``m.institution``.
        """
        self.sync(m)
        sparks = draws.spark_indices
        if sparks is None:
            sparks = np.flatnonzero(draws.sparked) if draws.sparked is not None else self.buffer[:0]
        fatigue_draw = draws.fatigue if draws.fatigue is not None else kernels.empty_draws()
        self._load_institution(m)
        kinds, params = self._policy(m)
        sk.one_step(
            self.graph,
            self.cit,
            self.book,
            self._mech(m),
            self.chan,
            self._scalars(m),
            self.inst_f,
            self.inst_i,
            kinds,
            params,
            m.rng,
            np.asarray(sparks, dtype=np.int64),
            fatigue_draw,
            step,
        )
        self._store_institution(m)
        return self.last_step()

    def relax(self, m: WorldState, incident: int, involved: np.ndarray, max_steps: int) -> Incident:
        """Step until the incident ends (nobody joins or escalates), all in compiled code."""
        self.sync(m)
        self._load_institution(m)
        kinds, params = self._policy(m)
        step_int = np.zeros((max_steps, 3), dtype=np.int64)
        step_float = np.zeros((max_steps, m.n_channels + 6))
        steps, size, peak_engaged, peak_signal, mask = sk.relax(
            self.graph,
            self.cit,
            self.book,
            self._mech(m),
            self.chan,
            self._scalars(m),
            self.inst_f,
            self.inst_i,
            kinds,
            params,
            m.rng,
            max_steps,
            m.steps + 1,
            involved,
            incident,
            step_int,
            step_float,
        )
        self._store_institution(m)
        return Incident(
            steps=int(steps),
            size=int(size),
            peak_engaged=int(peak_engaged),
            peak_signal=float(peak_signal),
            actions={a.value for a in _actions(int(mask))},
            step_int=step_int[:steps],
            step_float=step_float[:steps],
        )

    def relax_series(
        self, m: WorldState, pending: tuple, remaining: int, involved: np.ndarray, max_steps: int
    ) -> Series:
        """Relax the sparked incident and up to ``remaining - 1`` more, each sparked in
        compiled code after the previous one ended (see :mod:`sim.model.series_kernels`).

        ``pending`` is the sparked incident: (index, spark, start step, responses before it,
        conceded before it).
        """
        self.sync(m)
        self._load_institution(m)
        kinds, params = self._policy(m)
        index, spark, start_step, responses_before, conceded_before = pending
        state = np.array([spark, start_step, responses_before, int(conceded_before)])
        capacity = max(max_steps, min(remaining * max_steps, SERIES_STEPS))
        if self.series_buffers is None or self.series_buffers[0].shape[0] < capacity:
            self.series_buffers = (
                np.zeros((capacity, 3), dtype=np.int64),
                np.zeros((capacity, m.n_channels + 6)),
            )
        step_int, step_float = self.series_buffers
        rows_int = np.zeros((remaining, len(series_kernels.ROW_FIELDS)), dtype=np.int64)
        rows_float = np.zeros((remaining, 2))
        rows_reached = np.zeros((remaining, m.institution.reached_flags().size), dtype=bool)
        scal_end = self._end_scalars(m)
        done, steps = series_kernels.relax_series(
            self.graph,
            self.cit,
            self.book,
            self._mech(m),
            self.chan,
            self._scalars(m),
            scal_end,
            self.inst_f,
            self.inst_i,
            kinds,
            params,
            m.rng,
            np.ascontiguousarray(m.spark_pool, dtype=np.int64),
            self.cit[5],
            max_steps,
            m.steps,
            involved,
            index,
            remaining,
            state,
            step_int,
            step_float,
            rows_int,
            rows_float,
            rows_reached,
        )
        self._store_institution(m)
        following = None
        if state[0] >= 0:
            following = (index + done, *(int(v) for v in state[:3]), bool(state[3]))
        return Series(
            actions=[action_names(mask) for mask in rows_int[:done, 6].tolist()],
            rows_int=rows_int[:done],
            rows_float=rows_float[:done],
            rows_reached=rows_reached[:done],
            step_int=step_int[:steps].copy(),
            step_float=step_float[:steps].copy(),
            pending=following,
        )

    def _policy(self, m: WorldState) -> tuple[np.ndarray, np.ndarray]:
        """The policy's codes, encoded again only when the policy list or an action changed."""
        policy = m.institution.policy
        seen = self.policy_seen  # the list and its (frozen) actions the codes were made from
        if seen is None or seen[0] is not policy or seen[1] != tuple(policy):
            self.policy_seen = (policy, tuple(policy))
            self.policy_codes = encode_policy(policy, m.n)
        return self.policy_codes

    def last_step(self) -> tuple[int, bool, np.ndarray, bool]:
        """(joined, channels changed, newly engaged, anything changed) of the last step."""
        i = self.inst_i
        newly = self.newly[: i[ik.NEWLY]].copy()
        return int(i[ik.JOINED]), bool(i[ik.CHANGED]), newly, bool(i[ik.CHANGED_ANY])

    # --- global quantities -----------------------------------------------------------------

    def legitimacy(self, m: WorldState) -> float:
        """L = mean trust (numpy's pairwise sum, kept up to date from partial sums)."""
        self.sync(m)
        return float(sk.legitimacy(self.cit, self.book, self.inst_f, self.inst_i))

    def mean_efficacy(self, m: WorldState) -> float:
        """Mean efficacy (numpy's pairwise sum, kept up to date from partial sums)."""
        self.sync(m)
        return float(sk.mean_efficacy(self._mech(m), self.book, self.inst_f, self.inst_i))

    def end_incident(self, m: WorldState) -> None:
        """The end of an incident: efficacy lost by the engaged and unanswered, trust memory."""
        self.sync(m)
        if m.efficacy_unheard > 0 or m.trust_recovery > 0:
            mech, scal, scal_end = self._mech(m), self._scalars(m), self._end_scalars(m)
            sk.end_incident(self.book, self.cit, mech, self.chan, scal, scal_end, self.inst_i)

    def _end_scalars(self, m: WorldState) -> tuple[float, float]:
        """The end of an incident's scalars: efficacy lost unheard, trust recovery."""
        return (float(m.efficacy_unheard), float(m.trust_recovery))

    def mean_grievance(self, m: WorldState) -> float:
        """Mean of H(1 - T) (numpy's pairwise sum, kept up to date from partial sums)."""
        self.sync(m)
        return float(sk.mean_grievance(self.book, self.inst_f, self.inst_i))


def step_columns(step_int: np.ndarray, step_float: np.ndarray, channels: list[str]) -> dict:
    """The data collector's columns of compiled steps (:func:`sim.model.step_kernels.relax`)."""
    values = {
        "step": step_int[:, 0].tolist(),
        "joined": step_int[:, 1].tolist(),
        "responses": step_int[:, 2].tolist(),
    }
    names = ["engaged", *(f"engaged_{c}" for c in channels), "signal", "legitimacy"]
    names += ["mean_grievance", "cost_multiplier", "mean_efficacy"]
    for k, name in enumerate(names):
        values[name] = step_float[:, k].tolist()
    return values


@functools.cache
def action_names(mask: int) -> str:
    """The avalanche table's ``actions`` of an incident: its actions' names, sorted, joined."""
    return ",".join(sorted(a.value for a in _actions(mask)))


def _actions(mask: int) -> list[Action]:
    return [action for bit, action in enumerate(ACTIONS) if mask & (1 << bit)]
