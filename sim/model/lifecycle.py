"""How a run proceeds: one episode, or a series of incidents (DESIGN.md section 4).

The model owns its course (:attr:`sim.model.engagement.EngagementModel.course`): constructing
the model starts it (the campaign seeded, or the first incident sparked), each Mesa ``step()``
advances it, and it turns ``model.running`` False when the run is over. ``sim.run`` is
``model.run_model()`` followed by :meth:`Course.result`, so a run proceeds one way only, whether
a user steps the model by hand, calls Mesa's ``run_model()`` or ``batch_run``, or calls
``sim.run``.

- :class:`Episode`: seed the campaign (at step 0, or after ``seeding.at_step`` steps of the
  world on its own), then step until nothing changes or ``dynamics.max_steps``.
- :class:`Avalanches`: spark one citizen, relax until nobody joins or escalates (or
  ``dynamics.max_steps`` steps), record the avalanche, disengage everyone (trust and hardship
  persist), and spark again, ``avalanches.count`` times.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.model.outcomes import summarise
from sim.model.schema import Scenario

__all__ = ["AVALANCHE_COLUMNS", "COUNT_COLUMNS", "Avalanches", "Course", "Episode", "RunResult"]

# Columns of the avalanches table, in order (sim.experiments.storage keeps the same order).
AVALANCHE_COLUMNS = [
    "avalanche",
    "spark",
    "start_step",
    "duration",
    "size",
    "size_share",
    "peak_engaged",
    "peak_signal",
    "global_cascade",
    "responses",
    "actions",
    "conceded",
    "legitimacy_after",
]
# Columns of the time series that count (steps, citizens, answers): int64 whatever the reporter.
COUNT_COLUMNS = ("step", "joined", "responses")


@dataclass
class RunResult:
    """What a run produced.

    Attributes
    ----------
    summary
        One flat row of outcomes (DESIGN.md section 7); shares are fractions of the population.
    timeseries
        One row a step: engaged share per channel, signal, legitimacy, mean grievance, responses,
        cost multiplier (and the avalanche index in avalanche mode). Row 0 is the initial state.
    avalanches
        One row an avalanche in avalanche mode, else None.
    scenario
        The scenario that was run.
    """

    summary: dict[str, Any]
    timeseries: pd.DataFrame
    avalanches: pd.DataFrame | None
    scenario: Scenario


class Course:
    """The course of a run: started once, advanced after each step, summarised at the end."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.legitimacy_start = float("nan")

    def start(self) -> None:
        """Prepare the run: what ``sim.run`` does before the first step."""
        raise NotImplementedError

    def before_step(self) -> None:
        """Called by ``model.step()`` before the synchronous step (Mesa has counted it)."""

    def after_step(self) -> None:
        """Called by ``model.step()`` after the synchronous step; may end the run."""
        raise NotImplementedError

    def run(self) -> None:
        """Step until the run is over (``model.run_model()``)."""
        model = self.model
        while model.running:
            model.step()

    def timeseries(self) -> pd.DataFrame:
        """The data collector's model variables as a table, the counts as int64: the table of
        Mesa's ``get_model_vars_dataframe`` built from one numpy array per column (a quarter of
        the time; pandas infers the type of a column numpy cannot type, a ``None`` in it)."""
        columns = {}
        for name, values in self.model.datacollector.model_vars.items():
            array = np.asarray(values, dtype=np.int64 if name in COUNT_COLUMNS else None)
            columns[name] = values if array.dtype == object else array
        return pd.DataFrame(columns)

    def result(self) -> RunResult:
        """The run's outcomes so far (the whole run once ``model.running`` is False)."""
        raise NotImplementedError


class Episode(Course):
    """Seed the campaign, then step until nothing changes or ``dynamics.max_steps``.

    With ``seeding.at_step = k > 0`` the world first runs k steps on its own (outside sparks,
    the institution), and the campaign is launched after step k: its seeds show from step k + 1.
    """

    def __init__(self, model: Any) -> None:
        super().__init__(model)
        seeding = model.spec.seeding
        self.launch_at = seeding.at_step
        self.trigger = seeding.trigger
        self.window = model.spec.outcomes.window
        self.max_steps = model.spec.dynamics.max_steps
        self.launched_at: int | None = None  # steps made before the campaign's seeds engaged

    def start(self) -> None:
        model = self.model
        self.legitimacy_start = model.legitimacy
        if self.launch_at == 0 and self.trigger is None:
            self.launch(made=0)
        model.institution.observe(0.0)
        model.datacollector.collect(model)
        model.running = model.steps < self.max_steps

    def launch(self, made: int) -> None:
        """Seed the campaign after ``made`` steps (its seeds show from step made + 1)."""
        self.model.seed_campaign()
        self.launched_at = made

    def before_step(self) -> None:
        # Mesa counted this step already: the launch comes after step `launch_at`.
        model = self.model
        made = model.steps - 1
        if self.launched_at is not None:
            return
        if self.trigger is None:
            if self.launch_at > 0 and made == self.launch_at:
                self.launch(made)
        elif made >= self.launch_at and self.triggered():
            self.launch(made)

    def triggered(self) -> bool:
        """The launch condition, on the state the coming step starts from."""
        trigger, model = self.trigger, self.model
        if trigger.engaged is not None:
            return model.engaged_share >= trigger.engaged
        return model.institution.signal >= trigger.signal

    def after_step(self) -> None:
        model = self.model
        if self.trigger is None:
            settled = model.quiescent and model.steps > self.launch_at
        else:  # with nothing changing by itself, the trigger cannot fire any more
            settled = model.quiescent
        model.running = not settled and model.steps < self.max_steps

    def result(self) -> RunResult:
        model = self.model
        timeseries = self.timeseries()
        summary = summarise(
            timeseries, model, legitimacy_start=self.legitimacy_start, avalanches=None
        )
        if self.trigger is not None or self.window is not None:
            summary["launched_at"] = self.launched_at
        if self.window is not None:
            summary |= window_outcomes(timeseries, self.launched_at, self.window)
        return RunResult(summary, timeseries, None, model.spec)


def window_outcomes(timeseries: pd.DataFrame, launched_at: int | None, window: int) -> dict:
    """Outcomes over the ``window`` steps after the launch (steps launched_at+1 .. +window).

    A planner comparing a launch at step 0 with one at step 30 compares like with like: each
    over the same number of steps after its own launch. NaN when the campaign never launched
    or the run ended at the launch.
    """
    keys = ("window_peak_engaged", "window_final_engaged", "window_total_signal")
    keys += ("window_legitimacy_end", "window_steps")
    if launched_at is None:
        return dict.fromkeys(keys, float("nan")) | {"window_steps": 0}
    step = timeseries["step"]
    rows = timeseries[(step > launched_at) & (step <= launched_at + window)]
    if rows.empty:
        return dict.fromkeys(keys, float("nan")) | {"window_steps": 0}
    return {
        "window_peak_engaged": float(rows["engaged"].max()),
        "window_final_engaged": float(rows["engaged"].iloc[-1]),
        "window_total_signal": float(rows["signal"].sum()),
        "window_legitimacy_end": float(rows["legitimacy"].iloc[-1]),
        "window_steps": len(rows),
    }


@dataclass
class Incident:
    """An avalanche in progress: who and what it has involved so far."""

    index: int
    spark: int
    start_step: int
    responses_before: int
    conceded_before: bool
    steps: int = 0
    size: int = 0
    peak_engaged: int = 0
    peak_signal: float = 0.0
    actions: set[str] = field(default_factory=set)


class Avalanches(Course):
    """A series of incidents: spark one citizen, relax, record, disengage everyone, repeat.

    An avalanche ends at the first step in which nobody joins or escalates (or after
    ``dynamics.max_steps`` steps). Its size counts the distinct citizens engaged in it, the
    spark included. Trust, hardship and the institution's memory persist across avalanches.
    """

    def __init__(self, model: Any) -> None:
        super().__init__(model)
        spec = model.spec
        self.count = spec.avalanches.count
        self.max_steps = spec.dynamics.max_steps
        self.global_size = spec.outcomes.global_share * model.n
        self.rows: list[dict[str, Any]] = []
        self.avalanche_of_step: list[int] = [0]
        # involved[i] == index: citizen i was engaged at some point of avalanche `index`. Only
        # the citizens who newly engage are touched, so the frontier engine's cost follows the
        # activity.
        self.involved = np.full(model.n, -1, dtype=np.int64)
        self.incident: Incident | None = None

    def start(self) -> None:
        model = self.model
        self.legitimacy_start = model.legitimacy
        model.institution.observe(0.0)
        model.datacollector.collect(model)
        self.begin()

    def begin(self) -> None:
        """Spark the next incident, or end the run when the series is complete."""
        model = self.model
        self.incident = None
        if len(self.rows) >= self.count:
            model.running = False
            return
        start_step = model.steps
        responses_before = model.institution.responses
        conceded_before = model.institution.conceded
        spark = model.spark()
        if spark is None:  # nobody can use any channel
            model.running = False
            return
        self.incident = Incident(
            index=len(self.rows),
            spark=int(spark),
            start_step=start_step,
            responses_before=responses_before,
            conceded_before=conceded_before,
        )
        model.running = True

    def before_step(self) -> None:
        incident = self.incident
        if incident is None or incident.steps > 0:
            return
        engaged_now = self.model.engaged_indices()
        self.involved[engaged_now] = incident.index
        incident.size = incident.peak_engaged = int(engaged_now.size)

    def after_step(self) -> None:
        model, incident = self.model, self.incident
        if incident is None:  # stepped past the end of the series
            return
        incident.steps += 1
        self.avalanche_of_step.append(incident.index)
        newly = model.newly_engaged
        fresh = newly[self.involved[newly] != incident.index]
        self.involved[fresh] = incident.index
        incident.size += int(fresh.size)
        incident.peak_engaged = max(incident.peak_engaged, model.engaged_count)
        incident.peak_signal = max(incident.peak_signal, model.institution.signal)
        incident.actions.update(a.value for a in model.institution.last_actions)
        if model.joined_last_step == 0 or incident.steps >= self.max_steps:
            self.finish()

    def run(self) -> None:
        """Step until the series is over, each incident in compiled code where the engine can."""
        model = self.model
        while model.running:
            incident = self.incident
            if incident is not None and incident.steps == 0:
                if self.relax_series(incident):
                    continue
                done = model.relax_incident(incident.index, self.involved)
                if done is not None:
                    self.avalanche_of_step.extend([incident.index] * done.steps)
                    incident.steps = done.steps
                    incident.size, incident.peak_engaged = done.size, done.peak_engaged
                    incident.peak_signal, incident.actions = done.peak_signal, done.actions
                    self.finish()
                    continue
            model.step()

    def relax_series(self, incident: Incident) -> bool:
        """Several incidents in one compiled call where the engine can (frontier); the table
        rows are built from the arrays it returns. False when it cannot."""
        model = self.model
        pending = (incident.index, incident.spark, incident.start_step)
        pending += (incident.responses_before, incident.conceded_before)
        series = model.relax_series(pending, self.count - len(self.rows), self.involved)
        if series is None:
            return False
        n, first = model.n, len(self.rows)
        indices = np.arange(first, first + len(series.rows_int))
        self.avalanche_of_step.extend(np.repeat(indices, series.rows_int[:, 2]).tolist())
        floats = series.rows_float.tolist()
        columns = bool(model.incident_columns)
        for k, row in enumerate(series.rows_int.tolist()):
            spark, start, steps, size, peak, responses, _, conceded = row
            extra = {}
            if columns:  # the mechanisms' columns (DESIGN.md 9), as model.end_incident gives them
                extra = model.incident_record(size, series.rows_reached[k])
            self.rows.append(
                {
                    "avalanche": len(self.rows),
                    "spark": spark,
                    "start_step": start,
                    "duration": steps,
                    "size": size,
                    "size_share": size / n,
                    "peak_engaged": peak / n,
                    "peak_signal": floats[k][0],
                    "global_cascade": size >= self.global_size,
                    "responses": responses,
                    "actions": series.actions[k],
                    "conceded": bool(conceded),
                    "legitimacy_after": floats[k][1],
                    **extra,
                }
            )
        self.incident = None
        model.running = series.pending is not None
        if series.pending is not None:
            self.incident = Incident(*series.pending)
        return True

    def finish(self) -> None:
        """Record the incident's row, disengage everyone and spark the next."""
        model, incident = self.model, self.incident
        assert incident is not None
        self.rows.append(
            {
                "avalanche": incident.index,
                "spark": incident.spark,
                "start_step": incident.start_step,
                "duration": model.steps - incident.start_step,
                "size": incident.size,
                "size_share": incident.size / model.n,
                "peak_engaged": incident.peak_engaged / model.n,
                "peak_signal": incident.peak_signal,
                "global_cascade": incident.size >= self.global_size,
                "responses": model.institution.responses - incident.responses_before,
                "actions": ",".join(sorted(incident.actions)),
                "conceded": model.institution.conceded and not incident.conceded_before,
                "legitimacy_after": model.legitimacy,
                # Efficacy lost by the unheard, trust memory, commitments reached: `people`
                # and `reached` columns when those mechanisms are in use (DESIGN.md 9).
                **model.end_incident(incident.size),
            }
        )
        model.disengage_all()
        self.begin()

    def result(self) -> RunResult:
        model = self.model
        timeseries = self.timeseries()
        timeseries.insert(1, "avalanche", np.asarray(self.avalanche_of_step, dtype=np.int64))
        columns = [*AVALANCHE_COLUMNS, *model.incident_columns]
        avalanches = pd.DataFrame(self.rows, columns=columns)
        summary = summarise(
            timeseries, model, legitimacy_start=self.legitimacy_start, avalanches=avalanches
        )
        return RunResult(summary, timeseries, avalanches, model.spec)
