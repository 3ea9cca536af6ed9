"""Pulling (rows.pull_weights) gives the results of pushing, to the bit.

Large worlds sum their engaged weights again row by row when a step moves many citizens; small
worlds never do. Here every world pulls: ``pull_from = 0`` and a pull share so large that any
step in which someone starts or stops engaging pulls (``ALWAYS``), or the production share
(``rows.PULL_SHARE``: only the steps that move many), and each run is compared with the
vectorized engine's.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from sim import load_scenario, run
from sim.model import rows
from sim.model.frontier import FrontierState

from .conftest import scenario_files
from .test_engines import MECHANISMS, assert_identical, random_worlds

ALWAYS = 10**12


@pytest.fixture
def pulling(monkeypatch):
    """Every world pulls; returns a function setting the share."""
    monkeypatch.setattr(FrontierState, "pull_from", 0)

    def share(value: int) -> None:
        monkeypatch.setattr(FrontierState, "pull_share", value)

    share(ALWAYS)
    return share


@pytest.mark.parametrize("share", [ALWAYS, rows.PULL_SHARE])
@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: p.stem)
def test_pulling_is_exact_on_every_scenario(path, share, pulling):
    pulling(share)
    scenario = load_scenario(path)
    if scenario.avalanches.count > 200:  # the petitions worlds: their first 200 petitions
        scenario = load_scenario(path, {"avalanches.count": 200})
    assert_identical(run(scenario, engine="vectorized"), run(scenario, engine="frontier"))


@pytest.mark.parametrize("influence", [1.0, 3.0])
@pytest.mark.parametrize("mode", ["episode", "avalanches"])
def test_pulling_is_exact_with_every_mechanism_fatigue_and_sparks(mode, influence, pulling):
    """Joins and leaves in one step (fatigue), activists' weights and organising, with every
    mechanism of DESIGN.md section 9 except escalation by example (which never pulls)."""
    scenario = load_scenario(
        {"population": {"size": 400}},
        [
            *(m for m in MECHANISMS if "escalation" not in m),
            f"mode={mode}",
            "activists.share=0.05",
            f"activists.influence={influence}",
            "activists.organising=0.2",
            *(["sparks.rate=1.5", "dynamics.fatigue=0.1"] if mode == "episode" else []),
            "trust.diffusion=0.1",
            "dynamics.max_steps=40",
            "avalanches.count=12",
        ],
    )
    assert_identical(run(scenario, engine="vectorized"), run(scenario, engine="frontier"))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_worlds())
def test_pulling_is_exact_on_random_worlds(scenario):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(FrontierState, "pull_from", 0)
        patch.setattr(FrontierState, "pull_share", ALWAYS)
        assert_identical(run(scenario, engine="vectorized"), run(scenario, engine="frontier"))


def test_only_large_worlds_pull_by_default():
    assert FrontierState.pull_from == rows.PULL_MIN_CITIZENS > 10_000
    assert FrontierState.pull_share == rows.PULL_SHARE > 1
