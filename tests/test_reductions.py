"""Exact reductions: Granovetter's (1978) riot and Watts' (2002) threshold model."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from sim import load_scenario, run
from sim.model.engagement import EngagementModel

from .conftest import SCENARIOS


def test_granovetter_uniform_riot_everyone_engages():
    result = run(SCENARIOS / "granovetter_riot.yaml")
    assert result.summary["final_engaged"] == 1.0
    # One more person joins each step: the engaged count goes 1, 2, ..., 100.
    counts = np.rint(result.timeseries["engaged"].to_numpy() * 100).astype(int)
    np.testing.assert_array_equal(counts[1:101], np.arange(1, 101))


def test_granovetter_one_changed_threshold_stops_the_riot():
    result = run(SCENARIOS / "granovetter_riot.yaml", overrides=["citizens.threshold.values[1]=2"])
    assert result.summary["final_engaged"] == 0.01  # exactly one person: the instigator


def watts_scenario(n: int, mean_degree: float, seed: int, phi: float = 0.18) -> dict:
    return {
        "name": "watts",
        "seed": seed,
        "population": {"size": n, "online_share": 1.0},
        "network": {"kind": "erdos_renyi", "mean_degree": mean_degree},
        "citizens": {
            "threshold": {"dist": "fixed", "value": phi},
            "hardship": {"dist": "fixed", "value": 0.0},
            "trust": {"dist": "uniform", "low": 0.0, "high": 1.0},
            "grievance_weight": 0.5,
        },
        "activists": {"share": 0.0},
        "channels": [{"name": "adopt", "cost": 0.0, "weight": 1.0, "online": False}],
        "institution": {"policy": []},
        "seeding": {"kind": "random", "count": 1},
        "dynamics": {"max_steps": 1000, "fatigue": 0.0},
    }


def plain_threshold_model(graph: nx.Graph, thresholds: np.ndarray, seeds: np.ndarray) -> list:
    """An independent synchronous threshold model, written from Watts (2002) with plain sets."""
    active = set(int(s) for s in seeds)
    history = [set(active)]
    while True:
        newly = set()
        for node in graph.nodes:
            if node in active:
                continue
            nbrs = list(graph.neighbors(node))
            if not nbrs:
                continue
            fraction = sum(1 for v in nbrs if v in active) / len(nbrs)
            if fraction >= thresholds[node]:
                newly.add(node)
        if not newly:
            return history
        active |= newly
        history.append(set(active))


@pytest.mark.parametrize("mean_degree, seed", [(3.0, 11), (4.0, 12), (5.0, 13), (2.5, 14)])
def test_watts_model_matches_independent_implementation_node_for_node(mean_degree, seed):
    scenario = load_scenario(watts_scenario(1500, mean_degree, seed))
    model = EngagementModel(scenario, prepare=False)
    seeds = model.seed_campaign()
    expected = plain_threshold_model(model.graph, model.threshold, seeds)
    observed = [set(np.flatnonzero(model.channel > 0).tolist())]
    while True:
        model.step()
        if model.joined_last_step == 0:
            break
        observed.append(set(np.flatnonzero(model.channel > 0).tolist()))
    assert observed == expected


def test_watts_reduction_needs_no_grievance_effect():
    # Trust varies but hardship is 0, so grievance is 0 for everyone and plays no part.
    scenario = load_scenario(watts_scenario(500, 4.0, 5))
    model = EngagementModel(scenario)
    assert np.all(model.hardship == 0) and np.ptp(model.trust) > 0


def test_a_strict_comparison_would_break_the_riot(monkeypatch):
    """Granovetter's rule is inclusive; comparing with '>' instead stops the riot at once."""
    from sim.model import rules

    monkeypatch.setattr(rules, "willing", lambda drive, threshold, cost: drive > threshold + cost)
    result = run(SCENARIOS / "granovetter_riot.yaml")
    assert result.summary["final_engaged"] == 0.0
