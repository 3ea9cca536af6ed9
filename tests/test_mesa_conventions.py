"""What a Mesa user expects works: run_model() ends, agent reporters see every citizen,
batch_run gives one world per seed, lazy agents behave as agents, Mesa's Network space."""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
import pytest

import sim
from sim.model.agents import Citizen, Institution

from .conftest import SCENARIOS

SMALL = {
    "name": "mesa-test",
    "population": {"size": 300},
    "network": {"kind": "watts_strogatz", "mean_degree": 6, "rewire": 0.1},
    "seeding": {"kind": "random", "count": 6},
    "dynamics": {"max_steps": 60},
}
AVALANCHES = {**SMALL, "mode": "avalanches", "avalanches": {"count": 25}}
ONE_CHANNEL = {**SMALL, "channels": [{"name": "share", "cost": 0.0, "weight": 1.0}]}


def assert_same_result(a: sim.RunResult, b: sim.RunResult) -> None:
    assert a.summary == b.summary
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries, check_exact=True)
    if a.avalanches is None:
        assert b.avalanches is None
    else:
        pd.testing.assert_frame_equal(a.avalanches, b.avalanches, check_exact=True)


@pytest.mark.parametrize("spec", [SMALL, AVALANCHES], ids=["episode", "avalanches"])
@pytest.mark.parametrize("engine", ["frontier", "vectorized"])
def test_run_model_returns_with_running_false_and_equals_sim_run(spec, engine):
    model = sim.EngagementModel(spec, rng=3, engine=engine)
    assert model.running
    model.run_model()
    assert model.running is False
    assert_same_result(model.result(), sim.run(spec, seed=3, engine=engine))


@pytest.mark.parametrize("spec", [SMALL, AVALANCHES], ids=["episode", "avalanches"])
def test_stepping_by_hand_equals_run_model(spec):
    """Mesa's loop (`while running: step()`) and run_model() give the same run."""
    by_hand = sim.EngagementModel(spec, rng=5)
    while by_hand.running:
        by_hand.step()
    assert_same_result(by_hand.result(), sim.run(spec, seed=5))


def test_running_turns_false_at_max_steps_and_at_quiescence():
    capped = sim.EngagementModel({**SMALL, "dynamics": {"max_steps": 4}}, rng=1)
    capped.run_model()
    assert capped.steps == 4
    quiet = {**SMALL, "seeding": {"kind": "random", "count": 1}, "institution": {"policy": []}}
    settled = sim.EngagementModel(quiet, rng=1)
    settled.run_model()
    assert settled.steps < 60 and settled.quiescent


def test_the_last_avalanche_ends_the_run():
    model = sim.EngagementModel(AVALANCHES, rng=2)
    model.run_model()
    assert len(model.result().avalanches) == 25


def test_the_model_prepares_the_run_unless_asked_not_to():
    prepared = sim.EngagementModel(SMALL, rng=1)
    assert prepared.engaged_count == 6  # the campaign's seeds
    assert len(prepared.datacollector.get_model_vars_dataframe()) == 1  # row 0
    sparked = sim.EngagementModel(AVALANCHES, rng=1)
    assert sparked.engaged_count == 1  # the first incident's spark
    by_hand = sim.EngagementModel(SMALL, rng=1, prepare=False)
    assert by_hand.engaged_count == 0
    by_hand.engage([0, 1])
    by_hand.step()
    assert by_hand.engaged_count >= 2


def test_agent_reporters_collect_trust_for_every_citizen():
    collector = mesa.DataCollector(agent_reporters={"trust": "trust", "channel": "channel"})
    model = sim.EngagementModel(SMALL, rng=4)
    collector.collect(model)
    model.step()
    collector.collect(model)
    frame = collector.get_agent_vars_dataframe()
    assert len(frame) == 2 * model.n
    last = frame.xs(frame.index.get_level_values(0).max(), level=0)
    assert np.array_equal(last["trust"].to_numpy(), model.trust)
    assert all(isinstance(a, Citizen) for a in model.agents)
    assert isinstance(model.institution, Institution)
    assert model.institution not in list(model.agents)


def test_agents_are_created_on_first_use_and_behave_as_mesa_agents():
    model = sim.EngagementModel(SMALL, rng=6)
    assert "citizen_list" not in vars(model)  # no per-citizen objects until asked
    assert len(model.agents) == model.n
    assert [a.index for a in model.agents] == list(range(model.n))
    engaged = model.agents.select(lambda a: a.channel > 0)
    assert len(engaged) == model.engaged_count
    assert model.agents.agg("trust", func=max) == pytest.approx(model.trust.max())
    assert set(model.agents_by_type) >= {Citizen} or len(model.agent_types) >= 1
    model.agents.shuffle_do("__repr__")
    model.agents[0].trust = 0.25  # a write through the view reaches the model and its engine
    assert model.trust[0] == 0.25
    model.step()
    assert model.steps == 1


def test_batch_run_gives_one_world_per_seed_equal_to_sim_run():
    results = mesa.batch_run(
        sim.EngagementModel,
        parameters={"scenario": [str(SCENARIOS / "baseline.yaml")], "population.size": 400},
        rng=[1, 2],
        data_collection_period=-1,
        display_progress=False,
    )
    assert len(results) == 2
    by_seed = {row["seed"]: row for row in results}
    for seed in (1, 2):
        expected = sim.run(
            SCENARIOS / "baseline.yaml", seed=seed, overrides={"population.size": 400}
        )
        row = by_seed[seed]
        assert row["engaged"] > 0
        final = expected.timeseries.iloc[-1]
        assert row["engaged"] == final["engaged"]
        assert row["legitimacy"] == final["legitimacy"]
        assert row["Step"] == expected.summary["steps"]
    assert by_seed[1]["legitimacy"] != by_seed[2]["legitimacy"]


def test_batch_run_takes_scenario_key_paths_as_parameters():
    results = mesa.batch_run(
        sim.EngagementModel,
        parameters={"scenario": [ONE_CHANNEL], "channels[0].cost": [0.0, 0.3]},
        rng=[1],
        display_progress=False,
    )
    by_cost = {row["channels[0].cost"]: row for row in results}
    assert by_cost[0.0]["engaged"] > by_cost[0.3]["engaged"]


def test_seeds_are_checked_and_distinct_seeds_give_distinct_worlds():
    with pytest.raises(sim.ScenarioError, match="seed"):
        sim.EngagementModel(SMALL, rng=-1)
    with pytest.raises(sim.ScenarioError, match="not both"):
        sim.EngagementModel(SMALL, rng=1, seed=1)
    worlds = {sim.EngagementModel(SMALL, rng=s).threshold.tobytes() for s in range(5)}
    assert len(worlds) == 5
    generator = np.random.default_rng(11)
    model = sim.EngagementModel(SMALL, rng=generator)
    assert model.rng is generator and model.seed_value is None


def test_our_scenario_does_not_collide_with_mesas():
    model = sim.EngagementModel(SMALL, rng=1)
    assert model.spec is model.scenario_spec
    assert model.spec.name == "mesa-test"
    assert not isinstance(model.scenario, sim.Scenario)  # Mesa's own


def test_mesas_network_space_over_a_small_graph():
    model = sim.EngagementModel(SMALL, rng=1)
    space = model.network_space()
    assert len(space.all_cells) == model.n
    for node in (0, 17, 299):
        cell = space[node]
        assert [a.index for a in cell.agents] == [node]
        assert len(cell.neighborhood) == model.degree[node]
    big = sim.EngagementModel({**SMALL, "population": {"size": 20_001}}, rng=1, prepare=False)
    with pytest.raises(ValueError, match="20,000"):
        big.network_space()
