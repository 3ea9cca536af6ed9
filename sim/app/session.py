"""The classroom session: one model, what a teacher can do to it, and its incidents.

No UI here, so tests drive it directly; the page (:mod:`sim.app.page`) renders it. Every step
and every parameter change goes through :class:`ClassroomSession`, which holds one lock so that
the play loop and the controls never touch the model at the same time.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.app.lessons import Try
from sim.app.limits import check_page_changes, check_page_scenario
from sim.app.network_view import NetworkView
from sim.app.policies import POLICIES, SCENARIO_POLICY
from sim.app.promise import bunching_note, promise
from sim.model.engagement import EngagementModel
from sim.model.scenario import Scenario, ScenarioError, load_scenario
from sim.model.schema import Mode

__all__ = [
    "MAX_COMPLETE",
    "NETWORK_KINDS",
    "POLICIES",
    "SCENARIO_POLICY",
    "ClassroomSession",
    "Incident",
    "plural",
]

# A complete graph has n(n-1)/2 edges: keep the app's complete graphs small.
MAX_COMPLETE = 400
# Points kept per time-series plot (longer histories are thinned evenly).
MAX_PLOT_POINTS = 600


def plural(count: int, noun: str) -> str:
    """``1 incident``, ``2 incidents``."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


NETWORK_KINDS = ("erdos_renyi", "watts_strogatz", "barabasi_albert", "stochastic_block", "complete")


# ------------------------------------------------------------------------------------------------
# The session: one model, its controls, its incidents. No UI here, so tests drive it directly.


@dataclass
class Incident:
    """One avalanche: a spark and everything it sets off until nobody joins any more.

    ``size`` counts the distinct citizens engaged during it, the spark included, as
    :func:`sim.model.runner.run_avalanches` does. ``involved`` marks them while it runs (None
    once it has ended, or when it ran in compiled code).
    """

    index: int
    spark: int
    start_step: int
    involved: np.ndarray | None = field(repr=False)
    steps: int = 0
    ended: bool = False
    size: int = 0

    def __post_init__(self) -> None:
        if self.involved is not None:
            self.size = int(np.count_nonzero(self.involved))


class ClassroomSession:
    """A model and everything a teacher can do to it.

    Parameters
    ----------
    source
        Scenario YAML path or mapping, as for :func:`sim.load_scenario`.
    overrides
        ``key.path=value`` overrides applied at every reset (the command line's ``--set``).

    Notes
    -----
    Live controls (:meth:`set_cost`, :meth:`set_threshold_mean`, :meth:`set_grievance_weight`,
    :meth:`set_fatigue`, :meth:`set_spark_rate`, :meth:`set_policy`) change the running model's
    parameters at once and are re-applied after a reset. Network kind, size, mean degree, seed
    and free ``key=value`` changes apply at the next :meth:`reset`.
    """

    def __init__(
        self,
        source: str | Path | Mapping[str, Any],
        overrides: Sequence[str] | None = None,
    ) -> None:
        self.source = source
        self.base_overrides = list(overrides or [])
        self.lock = threading.RLock()
        self.base = load_scenario(source, self.base_overrides or None)
        self.live: dict[str, Any] = {}
        self.pending: dict[str, Any] = {}
        self.changes: list[str] = []
        self.policy_name = SCENARIO_POLICY
        self.auto_spark = self.base.mode is Mode.AVALANCHES
        self.timings: list[float] = []
        self.pace: list[tuple[float, int]] = []
        self.closed = False  # set by the page when its component goes away
        self.cpu_timings: list[float] = []
        self.pending_seed: int | None = None
        self.rendered_tick = 0  # set by the page after each render (ClassroomApp)
        self.presses = 0  # of Play and Pause: a play loop steps only while its press is the last
        self._build(self.base, seed=None)

    # --- building ---------------------------------------------------------------------------

    def _build(self, scenario: Scenario, seed: int | None) -> None:
        model = EngagementModel(scenario, seed=seed, prepare=False)  # the session seeds itself
        self.builds = getattr(self, "builds", 0) + 1  # worlds built so far (the page keys on it)
        self.scenario = scenario
        self.model = model
        self.base_threshold = model.threshold.copy()
        # The scenario's own live parameters, as the model holds them before any change.
        self.own_live = {
            "cost": float(model.channel_costs[0]),
            "grievance_weight": float(model.grievance_weight),
            "fatigue": float(model.fatigue),
            "spark_rate": float(model.spark_rate),
        }
        self.incidents: list[Incident] = []
        self.note = ""  # what the last Spark did; a new world starts without one
        self.pace = []
        self.current: Incident | None = None
        self.incident_marks: np.ndarray | None = None  # for relax_incident (fast-forward)
        self.fast_record: tuple[int, int, float] | None = None  # incidents, steps, seconds
        self.settings_changed()
        self.legitimacy_start = model.legitimacy
        # The same start as sim.model.runner: seed the campaign (episode), observe, collect row 0.
        if scenario.mode is Mode.EPISODE:
            model.seed_campaign()
        model.institution.observe(0.0)
        model.datacollector.collect(model)
        self._apply_live()
        self.view = NetworkView(model)

    def _apply_live(self) -> None:
        m = self.model
        if "cost" in self.live:
            m.channel_costs[0] = self.live["cost"]
        if "threshold_shift" in self.live:
            m.threshold = np.clip(self.base_threshold + self.live["threshold_shift"], 0.0, 1.0)
        for name in ("grievance_weight", "fatigue", "spark_rate"):
            if name in self.live:
                setattr(m, name, self.live[name])
        if self.policy_name != SCENARIO_POLICY:
            m.institution.policy = POLICIES[self.policy_name](self.scenario.institution.policy)

    def reset_overrides(self) -> list[str]:
        """The ``key=value`` changes the next reset applies (command line's first)."""
        pending = [f"{key}={json.dumps(value)}" for key, value in self.pending.items()]
        return self.base_overrides + pending + self.changes

    def reset(self) -> None:
        """Rebuild the world from the scenario with the pending changes, then the live values.

        Raises :class:`ScenarioError` (and keeps the current model) when the changes do not make
        a valid scenario.
        """
        overrides = self.reset_overrides()
        scenario = load_scenario(self.source, overrides or None)
        check_page_scenario(scenario, self.base)
        if scenario.network.kind == "complete" and scenario.population.size > MAX_COMPLETE:
            raise ScenarioError(
                f"network.kind: a complete graph is limited to {MAX_COMPLETE} citizens in the "
                f"app, got population.size {scenario.population.size}"
            )
        seed = self.pending_seed
        with self.lock:
            try:
                self._build(scenario, seed=seed)
            except ValueError as exc:
                if isinstance(exc, ScenarioError):
                    raise
                raise ScenarioError(f"{scenario.source or '<scenario>'}: {exc}") from None

    def set_changes(self, text: str) -> None:
        """Free ``key.path=value`` changes for the next reset, one per line or ``;``-separated.

        Raises :class:`ScenarioError` when a change does not parse or does not validate, and
        then keeps the previous changes.
        """
        changes = [part.strip() for line in text.splitlines() for part in line.split(";")]
        changes = [c for c in changes if c]
        check_page_changes(changes)
        trial = self.base_overrides + [
            f"{key}={json.dumps(value)}" for key, value in self.pending.items()
        ]
        check_page_scenario(load_scenario(self.source, (trial + changes) or None), self.base)
        self.changes = changes

    def set_network(
        self, kind: str | None = None, size: int | None = None, mean_degree: float | None = None
    ) -> None:
        """Network kind, population size and mean degree for the next reset."""
        current = self.scenario.network
        kind = kind or current.kind
        if kind not in NETWORK_KINDS:
            raise ScenarioError(f"network.kind: expected one of {NETWORK_KINDS}, got {kind!r}")
        pending = {k: v for k, v in self.pending.items() if not k.startswith("network")}
        if kind != current.kind:
            network: dict[str, Any] = {"kind": kind}
            degree = mean_degree if mean_degree is not None else self.mean_degree
            if kind in ("erdos_renyi", "watts_strogatz", "barabasi_albert") and degree:
                network["mean_degree"] = max(degree, 2.0) if kind != "erdos_renyi" else degree
            pending["network"] = network
        elif mean_degree is not None and hasattr(current, "mean_degree"):
            pending["network.mean_degree"] = float(mean_degree)
        if size is not None:
            pending["population.size"] = int(size)
        else:
            pending.pop("population.size", None)
        self.pending = pending

    @property
    def mean_degree(self) -> float | None:
        """The scenario's mean degree (None for kinds without one)."""
        value = getattr(self.scenario.network, "mean_degree", None)
        return float(value) if value is not None else None

    def restore(self) -> None:
        """Back to the lesson: the scenario's own settings, live and on reset, a new world."""
        with self.lock:
            self.live = {}
            self.pending = {}
            self.changes = []
            self.pending_seed = None
            self.policy_name = SCENARIO_POLICY
            self.auto_spark = self.base.mode is Mode.AVALANCHES
            self.reset()

    def apply_try(self, experiment: Try) -> None:
        """A lesson's "Try this": the lesson's settings, then the experiment's changes."""
        with self.lock:
            if experiment.resets or not experiment.live:
                # a new world from the lesson's settings, with the experiment's changes
                self.live, self.pending, self.changes = {}, {}, []
                self.pending_seed = None
                self.policy_name = experiment.policy or SCENARIO_POLICY
                if experiment.mean_degree is not None:
                    self.set_network(mean_degree=experiment.mean_degree)
                if experiment.changes:
                    self.set_changes("; ".join(experiment.changes))
                self.reset()
            else:
                # the running world, back to the lesson's live settings
                self.live = {}
                self.policy_name = SCENARIO_POLICY
                self._restore_live()
            setters = {
                "cost": self.set_cost,
                "threshold_mean": self.set_threshold_mean,
                "grievance_weight": self.set_grievance_weight,
                "fatigue": self.set_fatigue,
                "spark_rate": self.set_spark_rate,
            }
            for name, value in experiment.live.items():
                setters[name](value)

    def _restore_live(self) -> None:
        """The scenario's own live parameters on the running model."""
        m, own = self.model, self.own_live
        m.channel_costs[0] = own["cost"]
        m.threshold = self.base_threshold.copy()
        m.grievance_weight = own["grievance_weight"]
        m.fatigue = own["fatigue"]
        m.spark_rate = own["spark_rate"]
        m.institution.policy = list(self.scenario.institution.policy)
        self.settings_changed()

    def live_changes(self) -> list[str]:
        """What the teacher has moved away from the scenario, which a reset keeps."""
        names = {
            "cost": "cost",
            "threshold_shift": "threshold",
            "grievance_weight": "grievance weight",
            "fatigue": "fatigue",
            "spark_rate": "sparks",
        }
        kept = [label for key, label in names.items() if key in self.live]
        if self.policy_name != SCENARIO_POLICY:
            kept.append(f"policy {self.policy_name}")
        return kept

    # --- live parameters -------------------------------------------------------------------

    def set_cost(self, cost: float) -> None:
        """Cost of the cheapest channel, now (``model.channel_costs[0]``)."""
        with self.lock:
            self.live["cost"] = float(cost)
            self.settings_changed()
            self.model.channel_costs[0] = float(cost)

    @property
    def threshold_mean(self) -> float:
        """The mean threshold the model uses now (after clipping to [0, 1])."""
        return float(np.mean(self.model.threshold))

    def set_threshold_mean(self, mean: float) -> None:
        """Shift every citizen's threshold by one amount so that the model's mean is ``mean``.

        Thresholds stay in [0, 1], so a shift that pushes some past an end is larger than the
        change of the mean: the shift is found by bisection on the clipped mean, so the mean the
        slider shows is the one the model uses.
        """
        target = min(max(float(mean), 0.0), 1.0)
        base = self.base_threshold

        def clipped_mean(shift: float) -> float:
            return float(np.mean(np.clip(base + shift, 0.0, 1.0)))

        shift = target - float(np.mean(base))
        if abs(clipped_mean(shift) - target) > 1e-9:
            low, high = -1.0, 1.0
            for _ in range(60):
                middle = (low + high) / 2
                low, high = (middle, high) if clipped_mean(middle) < target else (low, middle)
            shift = (low + high) / 2
        with self.lock:
            self.live["threshold_shift"] = shift
            self.settings_changed()
            self.model.threshold = np.clip(base + shift, 0.0, 1.0)

    def set_grievance_weight(self, weight: float) -> None:
        with self.lock:
            self.live["grievance_weight"] = float(weight)
            self.settings_changed()
            self.model.grievance_weight = float(weight)

    def set_fatigue(self, fatigue: float) -> None:
        with self.lock:
            self.live["fatigue"] = float(fatigue)
            self.settings_changed()
            self.model.fatigue = float(fatigue)

    def set_spark_rate(self, rate: float) -> None:
        """Outside sparks per step (episode mode only: an avalanche is one spark)."""
        if self.scenario.mode is Mode.AVALANCHES and rate > 0:
            raise ScenarioError("sparks.rate: must be 0 in avalanches mode; use the Spark button")
        with self.lock:
            self.live["spark_rate"] = float(rate)
            self.settings_changed()
            self.model.spark_rate = float(rate)

    def set_policy(self, name: str) -> None:
        """Switch the institution's response policy now (``model.institution.policy``)."""
        if name != SCENARIO_POLICY and name not in POLICIES:
            raise ScenarioError(
                f"institution.policy: expected one of {list(POLICIES)}, got {name!r}"
            )
        with self.lock:
            self.policy_name = name
            self.settings_changed()
            own = self.scenario.institution.policy
            self.model.institution.policy = (
                list(own) if name == SCENARIO_POLICY else (POLICIES[name](own))
            )

    # --- running ---------------------------------------------------------------------------

    def spark(self) -> int | None:
        """An incident at a random citizen who is not engaged yet, now.

        Returns the citizen, or None when nobody is left who could engage. In avalanche mode a
        spark after the last incident has ended first disengages everyone (trust and hardship
        persist), as :func:`sim.model.runner.run_avalanches` does; a spark during a running incident
        joins it. In episode mode the spark adds to whatever is going on.
        """
        with self.lock:
            m = self.model
            if self.current is None and self.scenario.mode is Mode.AVALANCHES:
                m.disengage_all()
            # A random citizen who can engage and has not yet: the same draw as
            # EngagementModel.spark() when nobody is engaged, as between avalanches.
            eligible = np.flatnonzero((m.cheapest_open > 0) & (m.channel == 0))
            if eligible.size == 0:
                self.note = f"Spark at step {m.steps}: nobody left who could engage"
                return None
            citizen = m.spark(int(eligible[m.rng.integers(eligible.size)]))
            if self.scenario.mode is Mode.EPISODE:
                # A campaign is one episode: a spark adds to it, it is not an avalanche.
                self.note = f"Spark at step {m.steps}: citizen {citizen} engaged"
                return citizen
            joining = self.current is not None
            if self.current is None:
                self.current = Incident(
                    index=len(self.incidents),
                    spark=citizen,
                    start_step=m.steps,
                    involved=m.channel > 0,
                )
                self.incidents.append(self.current)
            self.current.involved[citizen] = True
            self.current.size = int(np.count_nonzero(self.current.involved))
            self.note = (
                f"Spark at step {m.steps}: citizen {citizen} "
                + ("joined" if joining else "started")
                + f" avalanche #{self.current.index + 1}"
            )
            return citizen

    def advance(self) -> None:
        """One press of Step (and one tick of Play).

        With auto-spark on and no incident running, this starts the next incident (as the
        avalanche runner does); otherwise the model steps once and the running incident, if
        any, is updated: it ends at the first step in which nobody joins or escalates, or after
        ``dynamics.max_steps`` steps.
        """
        with self.lock:
            if self.current is None and self.auto_spark and self.scenario.mode is Mode.AVALANCHES:
                self.spark()
                return
            m = self.model
            m.step()
            incident = self.current
            if incident is not None:
                incident.involved |= m.channel > 0
                incident.size = int(np.count_nonzero(incident.involved))
                incident.steps += 1
                if m.joined_last_step == 0 or incident.steps >= self.scenario.dynamics.max_steps:
                    self._end_incident()

    def _end_incident(self) -> None:
        """The running incident is over: the model's end-of-incident rules, as the runner's."""
        incident = self.current
        assert incident is not None
        incident.ended = True
        incident.involved = None
        self.current = None
        self.model.end_incident(incident.size)

    @property
    def promise_at(self) -> float | None:
        """The lowest public promise (``commit.at``, people) the page shows bands around: the
        running world's, else the lesson's when a change removed it (None without one)."""
        return promise(self.scenario) or promise(self.base)

    def fast_forward(self, incidents: int, budget: float | None = None) -> int:
        """Run ``incidents`` whole incidents without drawing (avalanche mode); return how many.

        Each incident is a spark relaxed to its end in compiled code
        (:meth:`sim.EngagementModel.relax_incident`, the frontier engine), with the same
        sparks, steps and DataCollector rows as pressing Step would give; where the model
        cannot (another engine), it steps one by one. A running incident is finished first.
        Stops early after ``budget`` seconds, or when nobody is left who could engage.
        """
        if self.scenario.mode is not Mode.AVALANCHES:
            raise ScenarioError("fast-forward runs incidents: avalanches mode only")
        start = time.perf_counter()
        done = 0
        with self.lock:
            m = self.model
            if self.incident_marks is None or self.incident_marks.size != m.n:
                self.incident_marks = np.full(m.n, -1, dtype=np.int64)
            while self.current is not None:
                self.advance()
            first_step = m.steps
            while done < incidents:
                if budget is not None and done and time.perf_counter() - start > budget:
                    break
                if self.spark() is None:
                    break
                incident = self.current
                assert incident is not None
                relaxed = m.relax_incident(incident.index, self.incident_marks)
                if relaxed is None:
                    while self.current is not None:
                        self.advance()
                else:
                    incident.steps, incident.size = relaxed.steps, relaxed.size
                    self._end_incident()
                done += 1
            seconds = time.perf_counter() - start
            steps = m.steps - first_step
            self.fast_record = (done, steps, seconds)
            rate = f", {steps / seconds:,.0f} steps/s" if seconds > 0 else ""
            self.note = (
                f"Ran {plural(done, 'incident')} ({plural(steps, 'step')}) in {seconds:.2f} s"
                f"{rate}, without drawing"
            )
            at = self.promise_at
            if at is not None:
                scale = float(self.scenario.population.scale)
                self.note += "; " + bunching_note(self.sizes * scale, at)
        return done

    def timed_frame(
        self,
        redraw: Callable[[], Any],
        budget: float = 0.0,
        going: Callable[[], bool] | None = None,
    ) -> float:
        """Advance once (or for up to ``budget`` seconds) and run ``redraw``; return the time.

        With a ``budget`` (Play at delay 0) the model advances step after step for that long
        before one redraw, so the pace is the model's, not the picture's; every step is still
        in the plots (they read the DataCollector). Both the wall-clock time (``timings``) and
        this thread's CPU time (``cpu_timings``, which other processes on a busy machine do
        not inflate) are kept for the last 200 frames, and the steps per second over the last
        few seconds (:attr:`steps_per_second`).

        ``going`` (Play's "still playing?") is asked under the session's lock before every
        step: Pause takes the same lock, so a step either happens before Pause (and Pause's
        redraw shows it) or not at all. When it says no, nothing advances or redraws and 0.0
        is returned.
        """
        start, cpu_start = time.perf_counter(), time.thread_time()
        stepped = False
        while not stepped or time.perf_counter() - start < budget:
            with self.lock:
                if going is not None and not going():
                    break
                self.advance()
            stepped = True
        if not stepped:
            return 0.0
        redraw()
        seconds = time.perf_counter() - start
        self.timings.append(seconds)
        self.cpu_timings.append(time.thread_time() - cpu_start)
        del self.timings[:-200], self.cpu_timings[:-200]
        self.pace.append((time.monotonic(), self.model.steps))
        del self.pace[:-100]
        return seconds

    @property
    def steps_per_second(self) -> float | None:
        """Model steps per second over the last frames (None before two frames)."""
        recent = [(t, steps) for t, steps in self.pace if t > self.pace[-1][0] - 3.0]
        if len(recent) < 2 or recent[-1][0] <= recent[0][0] or recent[-1][1] < recent[0][1]:
            return None
        return (recent[-1][1] - recent[0][1]) / (recent[-1][0] - recent[0][0])

    # --- results -----------------------------------------------------------------------------

    def settings_changed(self) -> None:
        """A new run of results starts: the next incident (or step) is under new settings."""
        self.since_incident = len(self.incidents)
        self.since_step = self.model.steps

    def result(self) -> dict[str, Any] | None:
        """This world's result under its current settings (None before anything happened).

        The settings (cost, mean threshold, mean degree, policy) and, in avalanche mode, the
        incidents that ended since the settings last changed: how many, the share that went
        global, the mean and largest size; in episode mode the engaged share now and at its
        peak since then. What the class board (:mod:`sim.app.board`) shows.
        """
        m = self.model
        values: dict[str, Any] = {
            "cost": round(float(m.channel_costs[0]), 4),
            "threshold_mean": round(self.threshold_mean, 4),
            "mean_degree": self.mean_degree,
            "policy": ", ".join(a.action for a in m.institution.policy) or "none",
            "citizens": m.n,
            "legitimacy": round(m.legitimacy, 4),
        }
        if "mean_efficacy" in m.datacollector.model_vars:  # efficacy in use
            values["mean_efficacy"] = round(float(m.mean_efficacy), 4)
        if self.scenario.mode is Mode.AVALANCHES:
            sizes = self.sizes[self.since_incident :]
            if sizes.size == 0:
                return None
            global_size = self.scenario.outcomes.global_share * m.n
            values |= {
                "incidents": int(sizes.size),
                "share_global": round(float(np.mean(sizes >= global_size)), 4),
                "mean_size": round(float(np.mean(sizes)), 2),
                "largest": int(sizes.max()),
            }
        else:
            if m.steps <= self.since_step:
                return None
            engaged = self.model.datacollector.model_vars["engaged"][self.since_step :]
            values |= {
                "steps": m.steps - self.since_step,
                "engaged_share": round(float(m.engaged_share), 4),
                "peak_engaged": round(float(max(engaged)), 4),
            }
        return values

    # --- what the page shows ---------------------------------------------------------------

    @property
    def sizes(self) -> np.ndarray:
        """Sizes of the incidents that have ended."""
        return np.array([i.size for i in self.incidents if i.ended], dtype=np.int64)

    @property
    def last_incident(self) -> Incident | None:
        ended = [i for i in self.incidents if i.ended]
        return ended[-1] if ended else None

    def header(self) -> dict[str, str]:
        """The header line's pieces, read from the model."""
        m = self.model
        last = self.last_incident
        running = self.current
        pieces = {
            "step": f"Step {m.steps}",
            "engaged": f"Engaged {m.engaged_count:,} of {m.n:,} ({100 * m.engaged_share:.1f} %)",
            "legitimacy": f"Legitimacy {m.legitimacy:.3f}",
        }
        if self.scenario.mode is Mode.AVALANCHES:
            pieces["avalanche"] = (
                f"Last avalanche {last.size:,} ({100 * last.size / m.n:.1f} %)"
                if last is not None
                else "Last avalanche -"
            )
        if running is not None:
            pieces["running"] = (
                f"avalanche #{running.index + 1} running: {plural(running.size, 'citizen')} so far"
            )
        if m.cost_multiplier > 1:
            pieces["crackdown"] = (
                f"crackdown: costs x{m.cost_multiplier:g} for "
                f"{m.institution.crackdown_left} more steps"
            )
        return pieces

    def live_values(self) -> dict[str, str]:
        """Each live parameter as the model holds it now, formatted as the page shows it."""
        m = self.model
        values = {
            "cost": f"{m.channel_costs[0]:.3f}",
            "threshold_mean": f"{float(np.mean(m.threshold)):.3f}",
            "grievance_weight": f"{m.grievance_weight:.2f}",
            "fatigue": f"{m.fatigue:.2f}",
        }
        if self.scenario.mode is Mode.EPISODE:
            values["spark_rate"] = f"{m.spark_rate:g}"
        return values

    def live_summary(self) -> str:
        """The live parameters as the model holds them now."""
        m = self.model
        policy = ", ".join(a.action for a in m.institution.policy) or "none"
        values = self.live_values()
        parts = [
            f"{m.channel_names[0]} cost {values['cost']}",
            f"mean threshold {values['threshold_mean']}",
            f"grievance weight {values['grievance_weight']}",
            f"fatigue {values['fatigue']}",
        ]
        if "spark_rate" in values:
            parts.append(f"sparks {values['spark_rate']}/step")
        parts.append(f"policy {policy}")
        return "Model now: " + " · ".join(parts)

    def series(self) -> dict[str, list[float]]:
        """The model's DataCollector columns, thinned to at most ``MAX_PLOT_POINTS`` rows."""
        data = self.model.datacollector.model_vars
        length = len(data["step"])
        stride = max(1, math.ceil(length / MAX_PLOT_POINTS))
        keep = list(range(0, length, stride))
        if keep and keep[-1] != length - 1:
            keep.append(length - 1)
        return {key: [values[i] for i in keep] for key, values in data.items()}
