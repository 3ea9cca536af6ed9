"""The engagement model: a Mesa model whose state lives in numpy arrays.

One step (DESIGN.md section 3) is two synchronous half-steps:

1. the **citizens' move** — sparks, social signal, grievance, joining and escalating, leaving —
   reads the state at t and writes every citizen's channel at t+1;
2. the **institution's move** — it sees the signal of the new engagement and applies its policy —
   together with optional trust diffusion, reads trust at t and writes trust at t+1.

The vectorized engine does each half-step with a few array operations and one sparse product over
the CSR adjacency; the agents engine does the same citizen by citizen (:mod:`sim.model.agents`).
Random numbers are drawn by the model, per step, as arrays, in a fixed order (sparks, fatigue,
then the response tie-breaks), so both engines see the same draws.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import mesa
import networkx as nx
import numpy as np
import scipy.sparse as sp
from mesa.agentset import AgentSet
from mesa.discrete_space import Network

from sim.model import frontier, graph_files, mechanisms, networks, placement, population, rules
from sim.model.agents import Activist, Citizen, Institution
from sim.model.lifecycle import Avalanches, Course, Episode, RunResult
from sim.model.native_graphs import generate_adjacency, to_networkx, uses_native
from sim.model.scenario import Scenario, ScenarioError, load_scenario, parse_override
from sim.model.schema import Engine, GraphFile, Mode, SeedKind, Values
from sim.model.state import StepDraws
from sim.model.vectorized import citizens_move, institution_move, next_trust

__all__ = ["EngagementModel", "Engine", "StepDraws"]

# Largest world for which network_space() builds Mesa cells (one Python object per citizen).
MAX_NETWORK_SPACE = 20_000


class EngagementModel(mesa.Model):
    """Citizens, activists and an institution on a social graph (DESIGN.md sections 2-3).

    Parameters
    ----------
    scenario
        A validated :class:`sim.scenario.Scenario`.
    seed
        Seed of the run's one ``numpy.random.Generator``; the scenario's ``seed`` when None.
        Every random choice (the graph included) comes from it.
    engine
        ``"frontier"`` (default: compiled, cost in proportion to what changes),
        ``"vectorized"`` or ``"agents"``; all three give bit-identical results.
    graph
        A ready graph with nodes ``0..n-1`` to use instead of generating one (the scenario's
        network section is then ignored, except ``kind: file`` which is always read).

    Notes
    -----
    Parameters a teacher or planner may change while the model runs are plain attributes:
    ``channel_costs``, ``grievance_weight``, ``fatigue``, ``spark_rate``, ``trust_diffusion``,
    ``organising``, ``institution.policy``, ``institution.attention``.
    """

    def __init__(
        self,
        scenario: Scenario | str | Path | Mapping[str, Any],
        *,
        seed: int | None = None,
        rng: int | np.random.Generator | None = None,
        engine: Engine | str = Engine.FRONTIER,
        graph: nx.Graph | None = None,
        overrides: Sequence[str] | Mapping[str, Any] | None = None,
        prepare: bool = True,
        **settings: Any,
    ) -> None:
        scenario = _resolve_scenario(scenario, overrides, settings)
        seed, generator = _resolve_seed(scenario, seed, rng)
        super().__init__(rng=generator if generator is not None else seed)
        self.spec = scenario
        self.seed_value = seed
        self.engine = Engine(engine)
        rng = self.rng

        # Graph: generated from the run's generator, or read from a file.
        self.node_labels: list[Any] | None = None
        if graph is None:
            graph, self.node_labels = _make_graph(scenario, rng)
        self._graph: nx.Graph | None = None  # built from the CSR on request (``graph``)
        if isinstance(graph, nx.Graph):
            self._graph, graph = graph, networks.adjacency(graph)
        self.adjacency: sp.csr_array = graph
        self.n = int(self.adjacency.shape[0])
        self.degree = networks.degrees(self.adjacency)

        # Live parameters (changeable while the model runs).
        self.channel_names = scenario.channel_names
        self.n_channels = len(scenario.channels)
        self.channel_costs = np.array([c.cost for c in scenario.channels], dtype=float)
        self.channel_weights = np.array([c.weight for c in scenario.channels], dtype=float)
        self.channel_online = np.array([c.online for c in scenario.channels], dtype=bool)
        self.grievance_weight = scenario.citizens.grievance_weight
        self.fatigue = scenario.dynamics.fatigue
        self.satisfied_below = scenario.dynamics.satisfied_below
        self.spark_rate = scenario.sparks.rate
        self.trust_diffusion = scenario.trust.diffusion
        self.organising = scenario.activists.organising
        self.max_discount = scenario.activists.max_discount

        # Set-up draws, in a fixed order: activists, thresholds, hardship, trust, access,
        # audience.
        act = scenario.activists
        n_activists = round(act.share * self.n)
        activists = placement.choose_nodes(
            act.placement.value, n_activists, self.adjacency, rng, graph=self._graph
        )
        self.is_activist = np.zeros(self.n, dtype=bool)
        self.is_activist[activists] = True
        self.influence = np.where(self.is_activist, act.influence, 1.0)
        self.threshold = self._sample("threshold")
        self.hardship = self._sample("hardship")
        self.trust = self._sample("trust")
        self.online = population.exact_share(scenario.population.online_share, self.n, rng)
        self.in_audience = population.exact_share(scenario.institution.audience, self.n, rng)
        # The mechanisms of DESIGN.md section 9 (all off by default); efficacy is drawn last,
        # so that the draws above are those of a world without it.
        mechanisms.set_up(self, scenario, self._sample("efficacy"))

        # Dynamic state.
        self.channel = np.zeros(self.n, dtype=np.int16)
        self.steps_engaged = np.zeros(self.n, dtype=np.int32)
        self.answered = np.zeros(self.n, dtype=bool)
        self.ever_engaged = np.zeros(self.n, dtype=bool)
        self.next_channel = self.channel
        self.next_trust = self.trust
        self.neighbour_weight = self.adjacency @ self.influence
        self.joined_last_step = 0
        self.newly_engaged = np.zeros(0, dtype=np.int64)
        self.frontier_state: frontier.FrontierState | None = None
        self.changed_last_step = True
        self.grievance_cache: tuple[int, np.ndarray] | None = None

        # The institution (not a node, not in model.agents); the citizens' Mesa agents are
        # thin views over the arrays, created on first use (`citizen_list`, `agents`).
        self.institution = Institution(
            self, scenario.institution.attention, list(scenario.institution.policy)
        )
        self.datacollector = mesa.DataCollector(model_reporters=self._reporters())
        self.channel_counts = np.zeros(self.n_channels + 1, dtype=np.int64)
        self.channel_counts[0] = self.n

        # The course of the run (DESIGN.md section 4), started now unless the caller seeds
        # by hand (`prepare=False`): then `step()` only steps.
        self.course: Course = Episode(self) if scenario.mode is Mode.EPISODE else Avalanches(self)
        self.prepared = prepare
        if prepare:
            self.course.start()

    def _sample(self, key: str) -> np.ndarray:
        dist = getattr(self.spec.citizens, key)
        if isinstance(dist, Values) and len(dist.values) != self.n:
            raise ScenarioError(
                f"{_label(self.spec)}: citizens.{key}.values: expected one value per citizen "
                f"({self.n}, the graph's nodes), got {len(dist.values)}"
            )
        return population.sample(dist, self.n, self.rng, self.degree)

    # --- derived quantities --------------------------------------------------------------

    @cached_property
    def cheapest_open(self) -> np.ndarray:
        """Cheapest channel each citizen can use (1-based; 0 when none is open to them)."""
        first_any = 1 if self.n_channels else 0
        offline_channels = np.flatnonzero(~self.channel_online)
        first_offline = int(offline_channels[0]) + 1 if offline_channels.size else 0
        return np.where(self.online, first_any, first_offline).astype(np.int16)

    @cached_property
    def spark_pool(self) -> np.ndarray:
        """Citizens an outside incident can engage (some channel is open to them)."""
        return np.flatnonzero(self.cheapest_open > 0)

    @cached_property
    def neighbour_lists(self) -> list[list[int]]:
        """Neighbours of each citizen in adjacency order (used by the agents engine)."""
        indptr, indices = self.adjacency.indptr, self.adjacency.indices
        flat = indices.tolist()
        return [flat[indptr[i] : indptr[i + 1]] for i in range(self.n)]

    @cached_property
    def citizen_list(self) -> list[Citizen]:
        """Every citizen's Mesa agent, in node order (created on first use: views, no state)."""
        return [(Activist if self.is_activist[i] else Citizen)(self, i) for i in range(self.n)]

    @cached_property
    def citizens(self) -> AgentSet:
        """All citizens (activists included) as a Mesa ``AgentSet``, in node order."""
        return AgentSet(self.citizen_list, random=self.random)

    @property
    def agents(self) -> AgentSet:
        """Mesa's set of all agents: the citizens (created on first use), in node order."""
        self.citizen_list  # noqa: B018 - create the views before Mesa lists them
        return super().agents

    @property
    def agents_by_type(self) -> dict[type, AgentSet]:
        self.citizen_list  # noqa: B018
        return super().agents_by_type

    @property
    def agent_types(self) -> list[type]:
        self.citizen_list  # noqa: B018
        return super().agent_types

    @property
    def scenario_spec(self) -> Scenario:
        """The scenario of this run (``model.scenario`` is Mesa's own scenario object)."""
        return self.spec

    @property
    def organising_active(self) -> bool:
        return self.organising > 0 and bool(self.is_activist.any())

    @property
    def cost_multiplier(self) -> float:
        """m(t): 1 + severity while a crackdown is in force, else 1."""
        inst = self.institution
        return 1.0 + inst.crackdown_severity if inst.crackdown_left > 0 else 1.0

    @property
    def engaged_count(self) -> int:
        return int(self.n - self.channel_counts[0])

    @property
    def engaged_share(self) -> float:
        return self.engaged_count / self.n

    def engaged_share_by_channel(self) -> dict[str, float]:
        return {
            name: float(self.channel_counts[k + 1]) / self.n
            for k, name in enumerate(self.channel_names)
        }

    @property
    def legitimacy(self) -> float:
        """L: mean trust of citizens."""
        if self.frontier_state is not None and self._frontier_active:
            return self.frontier_state.legitimacy(self)
        return float(np.mean(self.trust))

    @property
    def mean_grievance(self) -> float:
        """Mean grievance H(1 - T) over citizens."""
        if self.frontier_state is not None and self._frontier_active:
            return self.frontier_state.mean_grievance(self)
        cached = self.grievance_cache
        if cached is not None and cached[0] == self.steps:
            return float(np.mean(cached[1]))
        return float(np.mean(rules.grievance(self.hardship, self.trust)))

    @property
    def graph(self) -> nx.Graph:
        """The social graph in networkx; built from the CSR on first use if generated natively."""
        if self._graph is None:
            self._graph = to_networkx(self.adjacency)
        return self._graph

    def _reporters(self) -> dict[str, Any]:
        reporters: dict[str, Any] = {
            "step": lambda m: m.steps,
            "engaged": lambda m: m.engaged_share,
        }
        for k, name in enumerate(self.channel_names):
            reporters[f"engaged_{name}"] = lambda m, k=k: float(m.channel_counts[k + 1]) / m.n
        reporters |= {
            "joined": lambda m: m.joined_last_step,
            "signal": lambda m: m.institution.signal,
            "legitimacy": lambda m: m.legitimacy,
            "mean_grievance": lambda m: m.mean_grievance,
            "responses": lambda m: m.institution.responses_last_step,
            "cost_multiplier": lambda m: m.cost_multiplier,
        }
        if self.efficacy_in_use:
            reporters["mean_efficacy"] = lambda m: m.mean_efficacy
        return reporters

    @property
    def mean_efficacy(self) -> float:
        """Mean efficacy E over citizens (Gamson 1968)."""
        if self.frontier_state is not None and self._frontier_active:
            return self.frontier_state.mean_efficacy(self)
        return float(np.mean(self.efficacy))

    def push_factor(self) -> float:
        """f(t): the goal push on engaged citizens' weight from the next unreached commitment."""
        return mechanisms.push_factor(self)

    def end_incident(self, size: int | None = None) -> dict[str, Any]:
        """End the incident in progress; call before :meth:`disengage_all` (avalanche mode).

        Citizens engaged and unanswered lose efficacy (``efficacy.unheard``), trust drifts back
        toward its initial value (``trust.recovery``), and the commitments reached in this
        incident are cleared. Returns the incident's extra avalanche-table columns
        (:attr:`incident_columns`): ``people`` (``size`` × ``population.scale``) and
        ``reached`` (the ``at`` of every commitment it reached).
        """
        if self._frontier_active:
            extra = mechanisms.incident_record(self, size)
            self._frontier().end_incident(self)
            self.institution.reached_flags()[:] = False
            return extra
        return mechanisms.end_incident(self, size)

    @property
    def incident_columns(self) -> list[str]:
        """Avalanche-table columns the mechanisms add (only those in use)."""
        return mechanisms.incident_columns(self)

    # --- engagement from outside ---------------------------------------------------------

    def engage(self, citizens: np.ndarray | list[int], channel: int | None = None) -> int:
        """Engage ``citizens`` now through ``channel`` (1-based) or their cheapest open one.

        Used for seeding a campaign and for the sparks of avalanche mode; a citizen never moves
        down, and one who cannot use the channel is left out. Returns how many joined.
        """
        idx = np.asarray(citizens, dtype=np.int64)
        if channel is None:
            target = self.cheapest_open[idx]
        else:
            usable = self.online[idx] | ~self.channel_online[channel - 1]
            target = np.where(usable, channel, 0).astype(np.int16)
        before = self.channel[idx].copy()
        after = np.maximum(before, target)
        if self._frontier_active:
            self._frontier().set_channels(self, idx, after)
        else:
            self.channel[idx] = after
            self.ever_engaged[idx] |= self.channel[idx] > 0
            self._recount()
        return int(np.count_nonzero(self.channel[idx] > before))

    def spark(self, citizen: int | None = None) -> int | None:
        """An outside incident engages one citizen (random if None) through the cheapest channel.

        Returns the citizen sparked, or None when nobody can use any channel.
        """
        if citizen is None:
            eligible = self.spark_pool
            if eligible.size == 0:
                return None
            citizen = int(eligible[self.rng.integers(eligible.size)])
        self.engage([citizen])
        return citizen

    def disengage_all(self) -> None:
        """Everyone stops engaging (trust and hardship persist): between two incidents."""
        if self._frontier_active:
            self._frontier().disengage_all(self)
            return
        self.channel[:] = 0
        self.steps_engaged[:] = 0
        self.answered[:] = False
        self._recount()

    def seed_campaign(self) -> np.ndarray:
        """Engage the scenario's seeds (``seeding``); returns their indices (none for ``none``)."""
        seeding = self.spec.seeding
        if seeding.kind is SeedKind.NONE:
            return np.zeros(0, dtype=np.int64)
        if seeding.share is not None:
            count = round(seeding.share * self.n)
        elif seeding.count is not None:
            count = seeding.count
        else:
            count = int(self.is_activist.sum()) if seeding.kind is SeedKind.ACTIVISTS else 1
        if seeding.kind is SeedKind.ACTIVISTS:
            pool = np.flatnonzero(self.is_activist)
            count = min(count, pool.size)
            seeds = np.sort(self.rng.permutation(pool)[:count])
        else:
            seeds = placement.choose_nodes(
                seeding.kind.value, count, self.adjacency, self.rng, graph=self._graph
            )
        channel = None
        if seeding.channel is not None:
            channel = self.channel_names.index(seeding.channel) + 1
        self.engage(seeds, channel)
        return seeds

    # --- randomness ----------------------------------------------------------------------

    def draw_step(self) -> StepDraws:
        """Draw the citizens' move randomness: sparks (Poisson), then fatigue."""
        sparked = spark_indices = None
        if self.spark_rate > 0:
            k = min(int(self.rng.poisson(self.spark_rate)), self.n)
            if k:
                spark_indices = self.rng.choice(self.n, size=k, replace=False)
                sparked = np.zeros(self.n, dtype=bool)
                sparked[spark_indices] = True
        fatigue = self.rng.random(self.n) if self.fatigue > 0 else None
        return StepDraws(sparked=sparked, fatigue=fatigue, spark_indices=spark_indices)

    def draw_tiebreak(self, size: int) -> np.ndarray:
        """Uniform keys breaking ties among respond candidates (in citizen index order)."""
        return self.rng.random(size)

    # --- the step ------------------------------------------------------------------------

    def step(self) -> None:
        """Advance the run by one step (Mesa's ``step``; ``run_model()`` repeats it).

        The course of the run comes first and last: the campaign launched at its step, the
        incident's bookkeeping, the next incident sparked when one ends, ``running`` set False
        when the run is over (quiescence, ``dynamics.max_steps``, the last avalanche).
        """
        if not self.prepared:
            self.synchronous_step()
            return
        self.course.before_step()
        self.synchronous_step()
        self.course.after_step()

    def run_model(self) -> None:
        """Run until ``running`` turns False (each incident in compiled code where possible)."""
        if not self.prepared:
            super().run_model()
            return
        self.course.run()

    def result(self) -> RunResult:
        """Summary, time series and avalanche table of the run (see :func:`sim.run`)."""
        return self.course.result()

    def synchronous_step(self) -> None:
        """One synchronous step: citizens' move, institution's move, data collection."""
        draws = self.draw_step()
        if self._frontier_active:
            self._after_frontier(*self._frontier().step(self, draws, self.steps))
            self.datacollector.collect(self)
            return
        if self.engine is Engine.VECTORIZED:
            new_channel = citizens_move(self, draws)
            self._commit_channel(new_channel)
            delta = institution_move(self)
            new_trust = next_trust(self, delta)
        else:
            self.next_channel = self.channel.copy()
            self.citizens.do("decide", draws)
            self._commit_channel(self.next_channel)
            delta = self.institution.act()
            self.next_trust = self.trust.copy()
            self.citizens.do("update_trust", delta)
            new_trust = self.next_trust
        self._commit_trust(new_trust)
        self.datacollector.collect(self)

    def _commit_channel(self, new_channel: np.ndarray) -> None:
        old = self.channel
        joined = int(np.count_nonzero(new_channel > old))
        changed = bool(np.any(new_channel != old))
        newly = np.flatnonzero((old == 0) & (new_channel > 0))
        engaged = new_channel > 0
        self.steps_engaged += 1
        self.steps_engaged[~engaged] = 0
        self.answered &= engaged
        self.ever_engaged |= engaged
        self.channel = new_channel.astype(np.int16, copy=False)
        self._recount()
        self._after_move(joined, changed, newly)

    def _after_move(self, joined: int, changed: bool, newly_engaged: np.ndarray) -> None:
        self.joined_last_step = joined
        self.newly_engaged = newly_engaged
        # The crackdown clock runs on citizens' moves: this one was made under it.
        if self.institution.crackdown_left > 0:
            self.institution.crackdown_left -= 1
        self._channel_changed = changed
        self._conceded_before = self.institution.conceded

    def _commit_trust(self, new_trust: np.ndarray) -> None:
        trust_changed = new_trust is not self.trust and not np.array_equal(new_trust, self.trust)
        trust_changed |= mechanisms.commit_efficacy(self)
        self.trust = new_trust
        self._after_trust(trust_changed)

    def _after_trust(self, trust_changed: bool) -> None:
        hardship_changed = self.institution.conceded != self._conceded_before
        if trust_changed or hardship_changed:
            self.grievance_cache = None
        self.changed_last_step = self._channel_changed or trust_changed or hardship_changed

    # --- the frontier engine's bookkeeping -------------------------------------------------

    @property
    def _frontier_active(self) -> bool:
        """The frontier engine steps this model (and its rules were not replaced at run time)."""
        return self.engine is Engine.FRONTIER and frontier.rules_intact()

    def _frontier(self) -> frontier.FrontierState:
        if self.frontier_state is None:
            self.frontier_state = frontier.FrontierState(self)
        return self.frontier_state

    def state_edited(self) -> None:
        """Say that the model's arrays were edited in place from outside (between steps).

        The frontier engine then rebuilds its bookkeeping before the next step. Replacing an
        array (``model.threshold = ...``) and changing a live parameter need no call.
        """
        if self.frontier_state is not None:
            self.frontier_state.invalidate()

    def _after_frontier(
        self, joined: int, changed: bool, newly: np.ndarray, changed_any: bool
    ) -> None:
        self.joined_last_step = joined
        self.newly_engaged = newly
        self._channel_changed = changed
        self._conceded_before = self.institution.conceded
        self.grievance_cache = None
        self.changed_last_step = changed_any

    def relax_incident(self, incident: int, involved: np.ndarray) -> frontier.Incident | None:
        """Step an incident to its end in compiled code (avalanche mode; frontier engine only).

        The same steps, draws and rows as :meth:`step` until nobody joins or escalates (or
        ``dynamics.max_steps``). None when that cannot be done here (another engine, outside
        sparks, extra reporters or Mesa events): the caller then steps one by one."""
        if not self._compiled_course():
            return None
        done = self._frontier().relax(self, incident, involved, self.spec.dynamics.max_steps)
        self._count_steps(done.step_int, done.step_float)
        return done

    def relax_series(self, pending: tuple, remaining: int, involved: np.ndarray):
        """Up to ``remaining`` incidents from the sparked ``pending`` one in one compiled call;
        None as :meth:`relax_incident`, or when incidents add table columns."""
        if not self._compiled_course() or self.incident_columns:
            return None
        steps = self.spec.dynamics.max_steps
        done = self._frontier().relax_series(self, pending, remaining, involved, steps)
        self._count_steps(done.step_int, done.step_float)
        return done

    def _compiled_course(self) -> bool:  # no Python is needed between the steps
        collector, reporters = self.datacollector, list(self._reporters())
        events = len(self._event_generators) == 1 and not collector.agent_reporters
        same = list(collector.model_reporters) == reporters and events
        return self._frontier_active and self.spark_rate == 0 and same

    def _count_steps(self, step_int: np.ndarray, step_float: np.ndarray) -> None:
        """Count compiled steps on Mesa's clock and collect their rows, without Mesa's per-step
        event dispatch (Mesa's private schedule and collection-time list: no public bulk step)."""
        steps, collector, schedule = step_int.shape[0], self.datacollector, self._default_schedule
        if steps == 0:
            return
        schedule.pause()
        times = (self.time + np.arange(1.0, steps + 1.0)).tolist()
        self.time = times[-1]
        if hasattr(collector, "_collection_steps"):
            collector._collection_steps.extend(times)
        self.steps += steps
        schedule.resume()
        values = frontier.step_columns(step_int, step_float, self.channel_names)
        for name in self._reporters():
            collector.model_vars[name].extend(values[name])
        self._after_frontier(*self._frontier().last_step())

    def engaged_indices(self) -> np.ndarray:
        """Indices of the engaged citizens, in no particular order."""
        if self._frontier_active:
            return self._frontier().engaged_indices()
        return np.flatnonzero(self.channel > 0)

    def _recount(self) -> None:
        self.channel_counts = np.bincount(self.channel, minlength=self.n_channels + 1)

    def network_space(self) -> Network:
        """Mesa's ``discrete_space.Network`` over the social graph, each citizen in its cell.

        For small worlds (at most 20,000 citizens): it builds the networkx graph and one Mesa
        cell per citizen. No layout is computed (``layout=None``; Mesa's default is a spring
        layout). Cells are keyed by node index: ``space[i].agents`` is ``[citizen i]``.
        """
        if self.n > MAX_NETWORK_SPACE:
            raise ValueError(
                f"network_space: {self.n:,} citizens is more than {MAX_NETWORK_SPACE:,}; "
                "use model.adjacency (CSR) or model.graph instead"
            )
        space = Network(self.graph, layout=None, random=self.random)
        for citizen in self.citizen_list:
            space[citizen.index].add_agent(citizen)
        return space

    @property
    def quiescent(self) -> bool:
        """Nothing changed in the last step and nothing will change by itself."""
        return (
            not self.changed_last_step
            and self.spark_rate == 0
            and self.institution.crackdown_left == 0
        )


def _resolve_scenario(
    scenario: Scenario | str | Path | Mapping[str, Any],
    overrides: Sequence[str] | Mapping[str, Any] | None,
    settings: dict[str, Any],
) -> Scenario:
    """A validated scenario from a Scenario, a YAML path or a mapping, with key-path overrides.

    ``settings`` are key paths given as keyword arguments (``**{"channels[0].cost": 0.05}``),
    as ``mesa.batch_run`` passes its parameters.
    """
    pairs: dict[str, Any] = {}
    if isinstance(overrides, Mapping):
        pairs.update(overrides)
    elif overrides:
        pairs.update(dict(parse_override(text) for text in overrides))
    pairs.update(settings)
    return load_scenario(scenario, pairs or None)


def _resolve_seed(
    scenario: Scenario, seed: int | None, rng: int | np.random.Generator | None
) -> tuple[int | None, np.random.Generator | None]:
    """(seed, generator) of the run: a seed (``seed``, an integer ``rng`` or the scenario's),
    or a ready ``numpy.random.Generator`` given as ``rng`` (its seed is then unknown)."""
    if seed is not None and rng is not None:
        raise ScenarioError("give the run's seed as seed= or rng=, not both")
    if isinstance(rng, np.random.Generator):
        return None, rng
    value = rng if rng is not None else seed
    if value is None:
        return scenario.seed, None
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise ScenarioError(f"seed: expected an integer >= 0, got {value!r}")
    return int(value), None


def _label(scenario: Scenario) -> str:
    return scenario.source or "<scenario>"


def _make_graph(
    scenario: Scenario, rng: np.random.Generator
) -> tuple[nx.Graph | sp.csr_array, list | None]:
    """The run's graph: read from ``network.path``, or generated with a seed drawn from ``rng``
    by networkx or natively (a CSR adjacency; ``network.generator``)."""
    net = scenario.network
    if isinstance(net, GraphFile):
        path = Path(net.path)
        if not path.is_absolute() and scenario.source is not None:
            path = Path(scenario.source).parent / path
        try:
            return graph_files.read_graph(path, net.format)
        except graph_files.GraphFileError as exc:
            raise ScenarioError(f"{_label(scenario)}: network.path: {exc}") from None
    params = net.model_dump(exclude={"kind", "generator"})
    n = scenario.population.size
    try:
        if uses_native(getattr(net, "generator", "networkx"), net.kind, n):
            return generate_adjacency(net.kind, n, rng, **params), None
        graph = networks.generate_graph(net.kind, n, rng, **params)
    except ValueError as exc:
        raise ScenarioError(f"{_label(scenario)}: network: {exc}") from None
    return graph, None
