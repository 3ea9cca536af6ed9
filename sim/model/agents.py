"""Mesa agents as readable views over the model's array state, and the agent-by-agent engine.

A ``Citizen`` holds no state of its own: ``citizen.trust`` reads ``model.trust[citizen.index]``
(the pattern of Mesa's ``PropertyDescriptor`` in ``discrete_space/property_layer.py``). So Mesa's
``AgentSet``, ``DataCollector`` and visualisation see agents, while the vectorized engine works on
whole arrays.

The agents engine (``engine="agents"``) steps citizen by citizen through the same functions of
:mod:`sim.model.rules` that the vectorized engine applies to arrays, reading the same per-step
random draws, so both engines give identical trajectories. It exists for teaching and as the
reference.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np

from sim.model import rules
from sim.model.schema import Action, Broadcast, Commit, Concede, Ignore, Respond, Suppress
from sim.model.state import StepDraws, WorldState

__all__ = ["Activist", "Citizen", "Institution"]


class StateView:
    """Descriptor exposing element ``agent.index`` of the model array of the same name."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, agent: Any, owner: type | None = None) -> Any:
        if agent is None:
            return self
        return getattr(agent.model, self.name)[agent.index].item()

    def __set__(self, agent: Any, value: Any) -> None:
        model = agent.model
        getattr(model, self.name)[agent.index] = value
        # The frontier engine keeps bookkeeping over these arrays: tell it they were edited.
        if getattr(model, "frontier_state", None) is not None:
            model.state_edited()


class Citizen(mesa.Agent):
    """A node of the social graph (DESIGN.md section 2).

    Attributes (views over the model's arrays)
    ------------------------------------------
    threshold : float
        θ_i, the social signal needed to engage (Granovetter 1978).
    hardship : float
        H_i (Epstein 2002).
    trust : float
        T_i, trust in the institution; legitimacy L is the mean over citizens.
    online : bool
        Digital access: only online citizens can use online channels.
    channel : int
        0 = not engaged, k = engaged through channel k (1-based, cheapest first).
    steps_engaged : int
        Consecutive steps engaged.
    """

    threshold = StateView()
    hardship = StateView()
    trust = StateView()
    online = StateView()
    channel = StateView()
    steps_engaged = StateView()
    answered = StateView()

    model: WorldState

    def __init__(self, model: WorldState, index: int) -> None:
        super().__init__(model)
        self.index = index

    def __repr__(self) -> str:
        return f"{type(self).__name__}(index={self.index}, channel={self.channel})"

    @property
    def engaged(self) -> bool:
        return self.channel > 0

    @property
    def channel_name(self) -> str | None:
        """Name of the channel the citizen engages through, or None."""
        return self.model.channel_names[self.channel - 1] if self.channel else None

    @property
    def grievance(self) -> float:
        """g_i = H_i (1 - T_i) (Epstein 2002)."""
        return rules.grievance(self.hardship, self.trust)

    @property
    def is_activist(self) -> bool:
        return False

    @property
    def neighbour_indices(self) -> list[int]:
        return self.model.neighbour_lists[self.index]

    @property
    def neighbours(self) -> list[Citizen]:
        citizens = self.model.citizen_list
        return [citizens[j] for j in self.neighbour_indices]

    # --- the agents engine ---------------------------------------------------------------

    def decide(self, draws: StepDraws) -> None:
        """Citizens' move for this citizen: rules 1, 2, 3, 4 and 5 of DESIGN.md section 3.

        Reads the state at t from the model's arrays and writes the channel at t+1 into
        ``model.next_channel``; nothing is committed until every citizen has decided.
        """
        m = self.model
        i = self.index
        channel_now = int(m.channel[i])
        engaged_weight = 0.0
        neighbour_weight = 0.0
        engaged_activists = 0.0
        # With `escalation: rung`, channel k's signal counts only neighbours on rung k or above.
        rung_weight = [0.0] * (m.n_channels + 1)
        # Neighbours in adjacency (CSR) order, as the sparse product sums them.
        for j in self.neighbour_indices:
            u = m.influence[j]
            neighbour_weight += u
            their_channel = int(m.channel[j])
            if their_channel > 0:
                engaged_weight += u
                if m.is_activist[j]:
                    engaged_activists += 1.0
                if m.rung:
                    for k in range(2, m.n_channels + 1):
                        if rules.counts_toward(their_channel, k, True):
                            rung_weight[k] += u
        factor = m.push_factor()
        grievance = rules.grievance(m.hardship[i], m.trust[i])
        moving = rules.efficacious_grievance(grievance, m.efficacy[i])
        discount = (
            rules.organising_discount(engaged_activists, m.organising, m.max_discount)
            if m.organising_active
            else 0.0
        )
        multiplier = m.cost_multiplier
        target = 0
        for k in range(1, m.n_channels + 1):
            weight = rung_weight[k] if m.rung and k > 1 else engaged_weight
            signal = rules.social_signal(rules.pushed_weight(weight, factor), neighbour_weight)
            drive = rules.drive(signal, moving, m.grievance_weight)
            usable = bool(m.online[i]) or not m.channel_online[k - 1]
            cost = rules.effective_cost(m.channel_costs[k - 1], multiplier, discount)
            if usable and rules.willing(drive, m.threshold[i], cost):
                target = k
        new = max(channel_now, target)
        if draws.sparked is not None and draws.sparked[i]:
            new = max(new, int(m.cheapest_open[i]))
        fatigue_draw = draws.fatigue[i] if draws.fatigue is not None else 1.0
        if rules.leaves(
            channel_now > 0,
            fatigue_draw,
            m.fatigue,
            m.institution.conceded,
            grievance,
            m.satisfied_below,
        ):
            new = 0
        m.next_channel[i] = new

    def update_trust(self, institution_delta: np.ndarray) -> None:
        """Trust at t+1: the institution's effect plus optional trust diffusion, clipped."""
        m = self.model
        i = self.index
        trust = m.trust[i]
        new = trust + institution_delta[i]
        if m.trust_diffusion > 0:
            total = 0.0
            for j in self.neighbour_indices:
                total += m.trust[j]
            degree = len(self.neighbour_indices)
            mean = total / degree if degree else trust
            new = new + rules.diffused_trust_change(trust, mean, m.trust_diffusion)
        m.next_trust[i] = rules.clip_unit(new)


class Activist(Citizen):
    """A citizen who campaigns: more influence on neighbours, and organising lowers their costs."""

    influence = StateView()

    @property
    def is_activist(self) -> bool:
        return True

    @property
    def organising(self) -> float:
        return self.model.organising


class Institution:
    """The body engagement is aimed at; not a node (DESIGN.md section 2 and rule 6).

    It sees the signal S(t) = Σ_i w_{e_i} / N and, once S(t) reaches its ``attention`` level,
    applies its policy (an ordered list of actions) to its audience.

    It is ``model.institution``, not one of Mesa's ``model.agents``: those are the citizens, so
    that ``DataCollector(agent_reporters={"trust": "trust"})`` collects every citizen's trust
    with no special case. Its state goes into model reporters (``lambda m: m.institution...``).
    """

    def __init__(self, model: WorldState, attention: float, policy: list[Any]) -> None:
        self.model = model
        self.attention = attention
        self.policy = list(policy)
        self.signal = 0.0
        self.cumulative_signal = 0.0
        self.conceded = False
        self.conceded_at: int | None = None
        self.crackdown_left = 0
        self.crackdown_severity = 0.0
        self.responses = 0
        self.responses_last_step = 0
        self.last_actions: list[Action] = []
        self.reached = np.zeros(0, dtype=bool)

    @property
    def commitments(self) -> list[Commit]:
        """The policy's ``commit`` actions, in policy order."""
        return [action for action in self.policy if isinstance(action, Commit)]

    def reached_flags(self) -> np.ndarray:
        """Which commitments the incident in progress has reached (one flag per commitment)."""
        count = sum(isinstance(action, Commit) for action in self.policy)
        if self.reached.size != count:
            self.reached = np.zeros(count, dtype=bool)
        return self.reached

    @property
    def legitimacy(self) -> float:
        """L = mean trust of citizens."""
        return float(np.mean(self.model.trust))

    @property
    def active(self) -> bool:
        return self.signal >= self.attention

    def observe(self, signal: float) -> None:
        self.signal = signal
        self.cumulative_signal += signal
        self.responses_last_step = 0
        self.last_actions = []

    def start_crackdown(self, action: Suppress) -> bool:
        """Start a crackdown if none is in force; True if it is in force this step."""
        if self.active and self.crackdown_left == 0:
            self.crackdown_left = action.duration
            self.crackdown_severity = action.severity
        return self.crackdown_left > 0

    def concede_now(self, action: Concede) -> bool:
        if self.active and not self.conceded and self.cumulative_signal >= action.concession_at:
            self.conceded = True
            self.conceded_at = self.model.steps
            return True
        return False

    # --- the agents engine ---------------------------------------------------------------

    def act(self) -> np.ndarray:
        """Institution's move, citizen by citizen: returns each citizen's change of trust."""
        m = self.model
        citizens = m.citizen_list
        counts = np.zeros(m.n_channels, dtype=np.int64)
        for citizen in citizens:
            if citizen.channel > 0:
                counts[citizen.channel - 1] += 1
        self.observe(rules.institution_signal(counts, m.channel_weights, m.n))
        delta = [0.0] * m.n
        learning = bool(self.policy) and (m.efficacy_answered > 0 or m.efficacy_observed > 0)
        self.efficacy_delta = [0.0] * m.n if learning else None
        commitment = 0
        for action in self.policy:
            match action:
                case Ignore(unheard=unheard) if self.active:
                    self.last_actions.append(Action.IGNORE)
                    for c in citizens:
                        if c.engaged and m.in_audience[c.index] and not c.answered:
                            delta[c.index] += rules.unheard_loss(c.trust, unheard)
                case Broadcast(persuasion=persuasion, backlash=backlash) if self.active:
                    self.last_actions.append(Action.BROADCAST)
                    for c in citizens:
                        if m.in_audience[c.index] and not c.engaged:
                            delta[c.index] += rules.persuasion_gain(c.trust, persuasion)
                    for c in citizens:
                        if m.in_audience[c.index] and c.engaged:
                            delta[c.index] += rules.backlash_loss(c.trust, backlash)
                case Respond() if self.active:
                    self.last_actions.append(Action.RESPOND)
                    self._respond(action, citizens, delta)
                case Concede(relief=relief):
                    if self.concede_now(action):
                        self.last_actions.append(Action.CONCEDE)
                        for c in citizens:
                            c.hardship = rules.relieved_hardship(c.hardship, relief)
                case Suppress(backlash=backlash, observed_backlash=observed):
                    if self.start_crackdown(action):
                        self.last_actions.append(Action.SUPPRESS)
                        observers = set()
                        for c in citizens:
                            if c.engaged:
                                observers.update(c.neighbour_indices)
                        for c in citizens:
                            if c.engaged and m.in_audience[c.index]:
                                delta[c.index] += rules.backlash_loss(c.trust, backlash)
                        for c in citizens:
                            if c.index in observers and m.in_audience[c.index]:
                                delta[c.index] += rules.backlash_loss(c.trust, observed)
                case Commit():
                    self._commit(action, commitment, citizens, delta)
                    commitment += 1
        edelta = self.efficacy_delta
        m.efficacy_delta = None if edelta is None else np.asarray(edelta, dtype=float)
        return np.asarray(delta, dtype=float)

    def _commit(
        self, action: Commit, index: int, citizens: list[Citizen], delta: list[float]
    ) -> None:
        """``commit``: once the incident's engaged count reaches ``at`` people, answer everyone
        engaged in it (DESIGN.md section 9)."""
        m = self.model
        flags = self.reached_flags()
        engaged = [c for c in citizens if c.engaged]
        if not flags[index] and rules.people(float(len(engaged)), m.scale) >= action.at:
            flags[index] = True
        if flags[index]:
            self.last_actions.append(Action.COMMIT)
            chosen = [c for c in engaged if not c.answered]
            self._answer(chosen, action.reward, action.observed, citizens, delta)

    def _answer(
        self,
        chosen: list[Citizen],
        reward: float,
        observed: float,
        citizens: list[Citizen],
        delta: list[float],
    ) -> None:
        """Answer ``chosen``: trust and efficacy rise, and their neighbours' a little."""
        m = self.model
        edelta = self.efficacy_delta
        for c in chosen:
            delta[c.index] += rules.answer_gain(c.trust, reward)
            if edelta is not None:
                edelta[c.index] += rules.efficacy_gain(m.efficacy[c.index], m.efficacy_answered)
        observers = set()
        for c in chosen:
            observers.update(c.neighbour_indices)
        for c in citizens:
            if c.index in observers:
                delta[c.index] += rules.answer_gain(c.trust, observed)
                if edelta is not None:
                    gain = rules.efficacy_gain(m.efficacy[c.index], m.efficacy_observed)
                    edelta[c.index] += gain
        for c in chosen:
            c.answered = True
        self.responses += len(chosen)
        self.responses_last_step += len(chosen)

    def _respond(self, action: Respond, citizens: list[Citizen], delta: list[float]) -> None:
        m = self.model
        candidates = [
            c for c in citizens if c.engaged and m.in_audience[c.index] and not c.answered
        ]
        capacity = rules.response_capacity(action.capacity, m.n)
        chosen: list[Citizen] = []
        if candidates and capacity:
            draws = m.draw_tiebreak(len(candidates))
            keyed = [
                (-m.channel_weights[c.channel - 1], draws[pos], c.index, c)
                for pos, c in enumerate(candidates)
            ]
            keyed.sort(key=lambda item: item[:3])
            chosen = [item[3] for item in keyed[:capacity]]
        self._answer(chosen, action.reward, action.observed, citizens, delta)
        chosen_set = {c.index for c in chosen}
        if action.unheard is not None:
            for c in candidates:
                if c.index not in chosen_set:
                    delta[c.index] += rules.unheard_loss(c.trust, action.unheard)
