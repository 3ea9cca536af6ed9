"""Running a scenario: an episode, or a long series of avalanches (DESIGN.md section 4)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.model.engagement import EngagementModel, Engine
from sim.model.outcomes import summarise
from sim.model.scenario import Scenario, ScenarioError, load_scenario
from sim.model.schema import Mode

__all__ = ["RunResult", "run", "run_avalanches", "run_episode"]


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


def run(
    scenario: Scenario | str | Path | Mapping[str, Any],
    seed: int | None = None,
    engine: Engine | str = Engine.FRONTIER,
    overrides: Sequence[str] | Mapping[str, Any] | None = None,
) -> RunResult:
    """Run one scenario to its end and return its outcomes.

    Parameters
    ----------
    scenario
        A :class:`Scenario`, or a YAML path or mapping given to :func:`sim.load_scenario`.
    seed
        Seed of the run's generator (default: the scenario's ``seed``).
    engine
        ``"frontier"`` (default), ``"vectorized"`` or ``"agents"``; all give identical
        results.
    overrides
        ``key.path=value`` overrides applied when ``scenario`` is loaded here.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, overrides)
    elif overrides:
        raise ScenarioError("overrides apply when loading: pass a path or mapping")
    try:
        model = EngagementModel(scenario, seed=seed, engine=engine)
    except ValueError as exc:
        if isinstance(exc, ScenarioError):
            raise
        raise ScenarioError(f"{scenario.source or '<scenario>'}: {exc}") from None
    if scenario.mode is Mode.EPISODE:
        return run_episode(model)
    return run_avalanches(model)


def run_episode(model: EngagementModel) -> RunResult:
    """Seed the campaign, then step until nothing changes or ``dynamics.max_steps``.

    With ``seeding.at_step = k > 0`` the world first runs k steps on its own (outside sparks,
    the institution), and the campaign is launched after step k: its seeds show from step k + 1.
    """
    legitimacy_start = model.legitimacy
    launch_at = model.spec.seeding.at_step
    if launch_at == 0:
        model.seed_campaign()
    model.institution.observe(0.0)
    model.datacollector.collect(model)
    max_steps = model.spec.dynamics.max_steps
    while model.steps < max_steps:
        if launch_at > 0 and model.steps == launch_at:
            model.seed_campaign()
        model.step()
        if model.quiescent and model.steps > launch_at:
            break
    timeseries = _timeseries(model)
    summary = summarise(timeseries, model, legitimacy_start=legitimacy_start, avalanches=None)
    return RunResult(summary, timeseries, None, model.spec)


def run_avalanches(model: EngagementModel) -> RunResult:
    """A series of incidents: spark one citizen, relax, record, disengage everyone, repeat.

    An avalanche ends at the first step in which nobody joins or escalates (or after
    ``dynamics.max_steps`` steps). Its size counts the distinct citizens engaged in it, the
    spark included. Trust, hardship and the institution's memory persist across avalanches.
    """
    spec = model.spec
    legitimacy_start = model.legitimacy
    global_size = spec.outcomes.global_share * model.n
    model.institution.observe(0.0)
    model.datacollector.collect(model)
    avalanche_rows: list[dict[str, Any]] = []
    avalanche_of_step: list[int] = [0]
    # involved[i] == index: citizen i was engaged at some point of avalanche `index`. Only the
    # citizens who newly engage are touched, so the frontier engine's cost follows the activity.
    involved = np.full(model.n, -1, dtype=np.int64)
    for index in range(spec.avalanches.count):
        start_step = model.steps
        responses_before = model.institution.responses
        conceded_before = model.institution.conceded
        spark = model.spark()
        if spark is None:
            break
        compiled = model.relax_incident(index, involved)
        if compiled is not None:
            avalanche_of_step.extend([index] * compiled.steps)
            size, peak_engaged = compiled.size, compiled.peak_engaged
            peak_signal, actions = compiled.peak_signal, compiled.actions
        else:
            size, peak_engaged, peak_signal, actions = _relax(model, index, involved)
            avalanche_of_step.extend([index] * (model.steps - start_step))
        avalanche_rows.append(
            {
                "avalanche": index,
                "spark": int(spark),
                "start_step": start_step,
                "duration": model.steps - start_step,
                "size": size,
                "size_share": size / model.n,
                "peak_engaged": peak_engaged / model.n,
                "peak_signal": peak_signal,
                "global_cascade": size >= global_size,
                "responses": model.institution.responses - responses_before,
                "actions": ",".join(sorted(actions)),
                "conceded": model.institution.conceded and not conceded_before,
                "legitimacy_after": model.legitimacy,
            }
        )
        model.disengage_all()
    timeseries = _timeseries(model)
    timeseries.insert(1, "avalanche", np.asarray(avalanche_of_step, dtype=np.int64))
    avalanches = pd.DataFrame(avalanche_rows, columns=AVALANCHE_COLUMNS)
    summary = summarise(timeseries, model, legitimacy_start=legitimacy_start, avalanches=avalanches)
    return RunResult(summary, timeseries, avalanches, spec)


def _relax(model: EngagementModel, index: int, involved: np.ndarray) -> tuple:
    """Step until nobody joins or escalates: (size, peak engaged, peak signal, actions)."""
    engaged_now = model.engaged_indices()
    involved[engaged_now] = index
    size = int(engaged_now.size)
    peak_engaged = size
    peak_signal = 0.0
    actions: set[str] = set()
    for _ in range(model.spec.dynamics.max_steps):
        model.step()
        newly = model.newly_engaged
        fresh = newly[involved[newly] != index]
        involved[fresh] = index
        size += int(fresh.size)
        peak_engaged = max(peak_engaged, model.engaged_count)
        peak_signal = max(peak_signal, model.institution.signal)
        actions.update(a.value for a in model.institution.last_actions)
        if model.joined_last_step == 0:
            break
    return size, peak_engaged, peak_signal, actions


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


def _timeseries(model: EngagementModel) -> pd.DataFrame:
    frame = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    return frame.astype({"step": np.int64, "joined": np.int64, "responses": np.int64})
