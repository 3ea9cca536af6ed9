"""The frontier, vectorized and agents engines give identical trajectories (DESIGN.md 6, 10)."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import load_scenario, run
from sim.model import rules
from sim.model.engagement import EngagementModel

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


def assert_identical(a, b):
    """Two runs' summaries, time series and avalanche tables are equal to the last bit."""
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries, check_exact=True)
    assert a.summary == b.summary
    assert (a.avalanches is None) == (b.avalanches is None)
    if a.avalanches is not None:
        pd.testing.assert_frame_equal(a.avalanches, b.avalanches, check_exact=True)


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: p.stem)
def test_engines_give_identical_time_series(path):
    scenario = _reduced(path)
    fast = run(scenario, engine="vectorized")
    slow = run(scenario, engine="agents")
    assert_identical(fast, slow)
    assert_identical(fast, run(scenario, engine="frontier"))


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: p.stem)
def test_frontier_engine_is_exact_on_every_full_size_scenario(path):
    scenario = load_scenario(path)
    assert_identical(run(scenario, engine="vectorized"), run(scenario, engine="frontier"))


@pytest.mark.parametrize(
    "policy",
    [
        "[{action: ignore, unheard: 0.1}]",
        "[{action: broadcast, persuasion: 0.1, backlash: 0.05}]",
        "[{action: respond, capacity: 0.01, reward: 0.3, observed: 0.05, unheard: 0.02},"
        " {action: concede, concession_at: 5, relief: 0.5}]",
        "[{action: suppress, severity: 2, duration: 3, backlash: 0.1, observed_backlash: 0.05}]",
        "[{action: commit, at: 20, reward: 0.3, push: 2.0, observed: 0.05},"
        " {action: commit, at: 60, reward: 0.2, push: 0.5}]",
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
    assert_identical(fast, slow)
    assert_identical(fast, run(scenario, engine="frontier"))


MECHANISMS = [
    "citizens.efficacy={dist: uniform, low: 0.2, high: 1.0}",
    "efficacy.answered=0.3",
    "efficacy.observed=0.05",
    "efficacy.unheard=0.2",
    "trust.recovery=0.2",
    "citizens.escalation=rung",
    "population.scale=50",
    "citizens.grievance_weight=0.6",
    "institution.attention=0.001",
    "institution.policy=[{action: commit, at: 1000, reward: 0.3, push: 0.5, observed: 0.05},"
    " {action: respond, capacity: 0.01, reward: 0.3, observed: 0.05, unheard: 0.02},"
    " {action: commit, at: 5000, push: 1.0}, {action: ignore, unheard: 0.05}]",
]


@pytest.mark.parametrize("mode", ["episode", "avalanches"])
@pytest.mark.parametrize("influence", [3.0, 2.7])
def test_engines_agree_with_every_mechanism_on(mode, influence):
    """Efficacy and its learning, commitments with push, trust memory, escalation by example
    and population scale, all at once (DESIGN.md section 9), with fatigue and sparks."""
    extra = ["sparks.rate=1.5", "dynamics.fatigue=0.05"] if mode == "episode" else []
    scenario = load_scenario(
        {"population": {"size": 300}},
        [
            *MECHANISMS,
            f"mode={mode}",
            f"activists.influence={influence}",
            "dynamics.max_steps=40",
            "avalanches.count=12",
            *extra,
        ],
    )
    fast = run(scenario, engine="vectorized")
    assert "mean_efficacy" in fast.timeseries
    assert {"efficacy_start", "efficacy_end"} <= set(fast.summary)
    if mode == "avalanches":
        assert {"people", "reached"} <= set(fast.avalanches)
        assert fast.avalanches["reached"].str.len().gt(0).any()
    assert_identical(fast, run(scenario, engine="agents"))
    assert_identical(fast, run(scenario, engine="frontier"))


# --- random worlds: the frontier engine against the vectorized one ------------------------------

POLICY_ACTIONS = [
    "{action: ignore, unheard: 0.1}",
    "{action: broadcast, persuasion: 0.1, backlash: 0.05}",
    "{action: respond, capacity: 0.02, reward: 0.3, observed: 0.05}",
    "{action: respond, capacity: 0.01, reward: 0.3, observed: 0.05, unheard: 0.03}",
    "{action: concede, concession_at: 2, relief: 0.6}",
    "{action: suppress, severity: 2, duration: 3, backlash: 0.1, observed_backlash: 0.05}",
    "{action: commit, at: 400, reward: 0.3, push: 1.5, observed: 0.05}",
    "{action: commit, at: 30, reward: 0.1}",
]


@st.composite
def random_worlds(draw):
    """Small worlds that switch every feature on or off: the rules' whole surface."""
    mode = draw(st.sampled_from(["episode", "avalanches"]))
    n = draw(st.integers(60, 300))
    kind = draw(st.sampled_from(["erdos_renyi", "watts_strogatz", "barabasi_albert"]))
    overrides = [
        f"mode={mode}",
        f"seed={draw(st.integers(0, 10_000))}",
        f"population.size={n}",
        f"population.online_share={draw(st.sampled_from([1.0, 0.85, 0.5]))}",
        f"network={{kind: {kind}, mean_degree: {draw(st.sampled_from([4, 6, 8]))}}}",
        f"citizens.threshold={{dist: normal, mean: {draw(st.floats(0.1, 0.35)):.3f}, sd: 0.05}}",
        f"citizens.grievance_weight={draw(st.sampled_from([0.0, 0.2, 0.6]))}",
        f"activists.share={draw(st.sampled_from([0.0, 0.03, 0.1]))}",
        f"activists.influence={draw(st.sampled_from([1.0, 3.0, 2.7]))}",
        f"activists.organising={draw(st.sampled_from([0.0, 0.2]))}",
        f"channels[0].cost={draw(st.sampled_from([0.0, 0.05]))}",
        f"institution.attention={draw(st.sampled_from([0.0005, 0.01, 0.1]))}",
        f"institution.audience={draw(st.sampled_from([1.0, 0.7]))}",
        f"dynamics.fatigue={draw(st.sampled_from([0.0, 0.0, 0.05]))}",
        f"trust.diffusion={draw(st.sampled_from([0.0, 0.0, 0.1]))}",
        "dynamics.max_steps=40",
        "avalanches.count=12",
    ]
    # The mechanisms of DESIGN.md section 9, each on or off.
    overrides += [
        f"population.scale={draw(st.sampled_from([1, 1, 10, 2.5]))}",
        f"citizens.escalation={draw(st.sampled_from(['any', 'rung']))}",
        f"trust.recovery={draw(st.sampled_from([0.0, 0.0, 0.3]))}",
        f"efficacy.answered={draw(st.sampled_from([0.0, 0.4]))}",
        f"efficacy.observed={draw(st.sampled_from([0.0, 0.1]))}",
        f"efficacy.unheard={draw(st.sampled_from([0.0, 0.3]))}",
        "citizens.efficacy="
        + draw(st.sampled_from(["{dist: fixed, value: 1}", "{dist: beta, a: 2, b: 2}"])),
    ]
    actions = draw(st.lists(st.sampled_from(POLICY_ACTIONS), max_size=3))
    overrides.append(f"institution.policy=[{', '.join(actions)}]")
    if mode == "episode":
        overrides.append(f"sparks.rate={draw(st.sampled_from([0.0, 0.0, 1.5]))}")
        overrides.append(f"seeding.at_step={draw(st.sampled_from([0, 0, 3]))}")
        seeding = draw(st.sampled_from(["activists", "random", "hubs"]))
        overrides.append(f"seeding.kind={seeding}")
        if seeding != "activists":
            overrides.append("seeding.count=3")
    return load_scenario({"name": "random"}, overrides)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_worlds())
def test_frontier_engine_is_exact_on_random_worlds(scenario):
    assert_identical(run(scenario, engine="vectorized"), run(scenario, engine="frontier"))


def test_live_changes_between_steps_are_seen():
    """A teacher changes a cost, the thresholds and the grievance weight while it runs."""
    scenario = load_scenario(
        {"population": {"size": 300}},
        ["dynamics.fatigue=0.05", "institution.attention=0.001"],
    )
    models = [
        EngagementModel(scenario, engine=e, prepare=False) for e in ("vectorized", "frontier")
    ]
    for model in models:
        model.seed_campaign()
        for step in range(30):
            if step == 5:
                model.channel_costs[0] = 0.2
            if step == 10:
                model.threshold = model.threshold * 0.8
            if step == 15:
                model.grievance_weight = 0.9
            if step == 20:
                model.citizen_list[7].trust = 0.0
            model.step()
    frames = [m.datacollector.get_model_vars_dataframe() for m in models]
    pd.testing.assert_frame_equal(frames[0], frames[1], check_exact=True)


RULES_IN_A_FRESH_PROCESS = """
from sim.model import rules
from sim.model.engagement import EngagementModel
from sim import load_scenario
model = EngagementModel(load_scenario({"population": {"size": 200}}), prepare=False)
model.seed_campaign()
model.step()
assert model.frontier_state is not None
built = sorted(name for name in rules.ELEMENTWISE if name in vars(rules))
assert rules.intact()
rules.willing = lambda drive, threshold, cost: drive > threshold + cost  # never built before
assert not rules.intact()
print(built)
"""


def test_rules_are_built_on_first_use_and_a_replacement_is_seen_before_it():
    """A frontier step builds at most the rule it calls from Python (the kernels have theirs
    compiled in), and a rule replaced before its first use still sends the model elsewhere."""
    done = subprocess.run(
        [sys.executable, "-c", RULES_IN_A_FRESH_PROCESS], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "['grievance']"


def test_a_replaced_rule_makes_the_frontier_engine_step_with_the_vectorized_one(monkeypatch):
    """Compiled kernels cannot see a rule replaced at run time: the model falls back."""
    scenario = load_scenario({"population": {"size": 200}})
    monkeypatch.setattr(rules, "willing", lambda drive, threshold, cost: drive > threshold + cost)
    model = EngagementModel(scenario, engine="frontier", prepare=False)
    model.seed_campaign()
    model.step()
    assert model.frontier_state is None


@pytest.mark.parametrize("escalation", ["any", "rung"])
@pytest.mark.parametrize("channels", [1, 3])
def test_a_citizen_who_leaves_the_costliest_channel_decides_on_its_neighbours_now(
    channels, escalation
):
    """The frontier engine does not keep the engaged weights of citizens at the costliest
    channel; one who leaves it (fatigue) must decide again on its neighbours as they are now.
    Seeds join with no engaged neighbour, so a weight left as it was would read zero."""
    costs = [0.0, 0.02, 0.05][:channels]
    scenario = load_scenario(
        {
            "name": "leavers",
            "seed": 11,
            "population": {"size": 400, "online_share": 1.0},
            "network": {"kind": "erdos_renyi", "mean_degree": 6},
            "citizens": {
                "threshold": {"dist": "normal", "mean": 0.12, "sd": 0.04},
                "escalation": escalation,
            },
            "channels": [
                {"name": f"c{k}", "cost": c, "weight": 1.0, "online": False}
                for k, c in enumerate(costs)
            ],
            "seeding": {"kind": "random", "count": 12},
            "dynamics": {"max_steps": 60, "fatigue": 0.3},
        }
    )
    vectorized = run(scenario, engine="vectorized")
    assert vectorized.timeseries["engaged"].iloc[5:].min() > 0  # people leave and come back
    assert_identical(vectorized, run(scenario, engine="frontier"))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 3), st.sampled_from([0.125, 0.25, 0.5])), min_size=1, max_size=40
    ),
    st.sampled_from([(1.0, 5.0, 5.0), (1.0, 5.0, 200.0), (2.0, 2.0, 2.0)]),
    st.data(),
)
def test_the_answered_first_are_the_lexsorts_first(listed, weights, data) -> None:
    """respond's choice without a full sort equals numpy's lexsort (heaviest channel, then the
    random key, then the index), ties of weights and of keys included."""
    import numpy as np

    from sim.model.institution_kernels import _first_answered

    n = len(listed)
    candidates = np.arange(0, 2 * n, 2, dtype=np.int64)
    channel = np.zeros(2 * n, dtype=np.int16)
    channel[candidates] = [c for c, _ in listed]
    keys = np.array([key for _, key in listed])
    weight = np.asarray(weights)
    k = data.draw(st.integers(1, n))
    expected = np.lexsort((candidates, keys, -weight[channel[candidates] - 1]))[:k]
    got = _first_answered(candidates, keys, channel, weight, k)
    assert got.tolist() == expected.tolist()


# --- citizens out of reach: trust that falls back brings some to their threshold alone ---------

# Answered citizens' trust rises, then trust memory pulls it back towards its start incident by
# incident (or diffusion pulls a trusting citizen towards distrustful neighbours), so their
# grievance rises until some engage with no engaged neighbour. The frontier engine makes a
# citizen whose g·E rose a candidate only when it could engage (kernels.out_of_reach): here a
# looser test (skipping those within 0.05 of their threshold) changes the results.
FALLING_TRUST = {
    "recovery": {
        "mode": "avalanches",
        "citizens.threshold": {"dist": "normal", "mean": 0.5, "sd": 0.1},
        "citizens.trust": {"dist": "fixed", "value": 0.3},
        "institution.policy": [{"action": "respond", "capacity": 0.5, "reward": 0.5}],
        "trust.recovery": 0.3,
    },
    "diffusion": {
        "mode": "episode",
        "citizens.threshold": {"dist": "normal", "mean": 0.4, "sd": 0.15},
        "citizens.trust": {"dist": "uniform", "low": 0.0, "high": 1.0},
        "institution.policy": [],
        "trust.diffusion": 0.3,
    },
}


@pytest.mark.parametrize("mechanism", sorted(FALLING_TRUST))
def test_engines_agree_when_falling_trust_brings_citizens_to_their_threshold(mechanism):
    base = {
        "name": f"falling-trust-{mechanism}",
        "seed": 5,
        "population": {"size": 300},
        "network": {"kind": "watts_strogatz", "mean_degree": 4},
        "citizens": {"hardship": {"dist": "fixed", "value": 1.0}, "grievance_weight": 0.5},
        "channels": [{"name": "sign", "cost": 0.02, "weight": 1.0, "online": False}],
        "institution": {"attention": 0.0},
        "avalanches": {"count": 30},
        "dynamics": {"max_steps": 60},
    }
    scenario = load_scenario(base, FALLING_TRUST[mechanism])
    fast = run(scenario, engine="vectorized")
    assert fast.summary["peak_engaged"] > 0
    assert_identical(fast, run(scenario, engine="frontier"))


@settings(max_examples=300, deadline=None)
@given(
    st.floats(-1.0, 2.0),
    st.floats(0.0, 1.0),
    st.floats(0.0, 1.0),
    st.lists(st.one_of(st.floats(0.0, 1.0), st.floats(-0.5, 0.0)), min_size=1, max_size=3),
    st.floats(0.0, 1.0),
    st.booleans(),
    st.floats(0.0, 5.0),
    st.floats(0.01, 50.0),
    st.data(),
)
def test_out_of_reach_is_unwilling_at_every_cost(
    threshold, moving, gamma, costs, cap, organising, severity, neighbour_weight, data
) -> None:
    """A citizen out of reach is not willing through any channel, whatever its crackdown,
    organising discount or goal push, as decide would compute it with no engaged neighbour
    (also with a cost set below 0 while the model runs); and it is exactly a citizen not
    willing at the lowest cost (the test skips no one it need not)."""
    import numpy as np

    from sim.model.kernels import lowest_cost, out_of_reach

    lowest = lowest_cost(np.array(costs), cap, organising)
    out = out_of_reach(0, 0.0, threshold, moving, gamma, lowest, False)
    push = data.draw(st.floats(0.0, 3.0))
    signal = rules.social_signal(rules.pushed_weight(0.0, 1.0 + push), neighbour_weight)
    drive = rules.drive(signal, moving, gamma)
    assert out == (not rules.willing(drive, threshold, lowest))
    cost = data.draw(st.sampled_from(costs))
    multiplier = data.draw(st.sampled_from([1.0, 1.0 + severity]))
    discount = data.draw(st.floats(0.0, cap)) if organising else 0.0
    if out:
        assert not rules.willing(drive, threshold, rules.effective_cost(cost, multiplier, discount))
    # Engaged, with an engaged neighbour, or escalating by example: never out of reach.
    assert not out_of_reach(1, 0.0, threshold, moving, gamma, lowest, False)
    assert not out_of_reach(0, 1.0, threshold, moving, gamma, lowest, False)
    assert not out_of_reach(0, 0.0, threshold, moving, gamma, lowest, True)
