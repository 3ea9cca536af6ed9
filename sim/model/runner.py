"""Running a scenario: ``sim.run`` builds the model and runs it the Mesa way.

The course of a run (an episode, or a long series of avalanches: DESIGN.md section 4) belongs to
the model (:mod:`sim.model.lifecycle`): ``sim.run`` is ``EngagementModel(...).run_model()``
followed by ``model.result()``, exactly what a Mesa user would do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sim.model.engagement import EngagementModel, Engine
from sim.model.lifecycle import AVALANCHE_COLUMNS, RunResult
from sim.model.scenario import Scenario, ScenarioError, load_scenario

__all__ = [
    "AVALANCHE_COLUMNS",
    "RunResult",
    "run",
    "run_avalanches",
    "run_episode",
    "run_prepared",
]


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
        ``key.path=value`` overrides applied to ``scenario`` (a path, mapping or Scenario).
    """
    scenario = load_scenario(scenario, overrides)  # a Scenario is returned as is without them
    try:
        model = EngagementModel(scenario, seed=seed, engine=engine)
    except ValueError as exc:
        if isinstance(exc, ScenarioError):
            raise
        raise ScenarioError(f"{scenario.source or '<scenario>'}: {exc}") from None
    return run_prepared(model)


def run_prepared(model: EngagementModel) -> RunResult:
    """Run a prepared model (either mode) to its end: ``model.run_model()``, then its result."""
    model.run_model()
    return model.result()


# The names of the two loops this module had before the model ran itself (kept for user code).
run_episode = run_avalanches = run_prepared
