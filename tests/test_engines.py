"""The vectorized and agents engines give identical trajectories (DESIGN.md section 6)."""

from __future__ import annotations

import pandas as pd
import pytest

from sim import load_scenario, run

from .conftest import scenario_files

# The agents engine steps citizen by citizen in Python: keep every scenario small enough for CI
# while exercising all of its rules. Sizes are reduced only where a scenario is large.
SMALLER = {"population.size": 400, "avalanches.count": 15, "dynamics.max_steps": 60}


def _reduced(path):
    scenario = load_scenario(path)
    overrides = {}
    if scenario.network.kind != "file" and scenario.population.size > 400:
        if not any(
            getattr(getattr(scenario.citizens, k), "dist", "") == "values"
            for k in ("threshold", "hardship", "trust")
        ):
            overrides["population.size"] = SMALLER["population.size"]
    if scenario.avalanches.count > 15:
        overrides["avalanches.count"] = SMALLER["avalanches.count"]
    if scenario.dynamics.max_steps > 60 and scenario.population.size > 100:
        overrides["dynamics.max_steps"] = SMALLER["dynamics.max_steps"]
    if getattr(scenario.network, "sizes", None) is not None and "population.size" in overrides:
        overrides["network.sizes"] = None
    return load_scenario(path, overrides or None)


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: p.stem)
def test_engines_give_identical_time_series(path):
    scenario = _reduced(path)
    fast = run(scenario, engine="vectorized")
    slow = run(scenario, engine="agents")
    pd.testing.assert_frame_equal(fast.timeseries, slow.timeseries, check_exact=True)
    assert fast.summary == slow.summary
    if fast.avalanches is not None:
        pd.testing.assert_frame_equal(fast.avalanches, slow.avalanches, check_exact=True)


@pytest.mark.parametrize(
    "policy",
    [
        "[{action: ignore, unheard: 0.1}]",
        "[{action: broadcast, persuasion: 0.1, backlash: 0.05}]",
        "[{action: respond, capacity: 0.01, reward: 0.3, observed: 0.05, unheard: 0.02},"
        " {action: concede, concession_at: 5, relief: 0.5}]",
        "[{action: suppress, severity: 2, duration: 3, backlash: 0.1, observed_backlash: 0.05}]",
    ],
)
def test_engines_agree_on_every_action_with_fatigue_sparks_and_diffusion(policy):
    scenario = load_scenario(
        {"population": {"size": 300}, "institution": {"audience": 0.7}},
        [
            f"institution.policy={policy}",
            "dynamics.fatigue=0.05",
            "sparks.rate=2",
            "trust.diffusion=0.1",
            "dynamics.max_steps=40",
            "institution.attention=0.001",
        ],
    )
    fast = run(scenario, engine="vectorized")
    slow = run(scenario, engine="agents")
    pd.testing.assert_frame_equal(fast.timeseries, slow.timeseries, check_exact=True)
    assert fast.summary == slow.summary
