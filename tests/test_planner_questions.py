"""The planner's questions (issue 14, point 3): a do-nothing baseline (`seeding.kind: none`), a
launch triggered by an event, and outcomes over a fixed window after the launch."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.cli import main

WORLD = {
    "name": "planner",
    "population": {"size": 500},
    "network": {"kind": "watts_strogatz", "mean_degree": 6, "rewire": 0.1},
    "citizens": {"threshold": {"dist": "normal", "mean": 0.3, "sd": 0.05}},
    "seeding": {"kind": "random", "count": 25},
    "sparks": {"rate": 0.3},
    "dynamics": {"max_steps": 80, "fatigue": 0.05},
    "institution": {"policy": []},
}


def with_(**changes) -> dict:
    world = {key: dict(value) if isinstance(value, dict) else value for key, value in WORLD.items()}
    for path, value in changes.items():
        section, key = path.split("__")
        world[section][key] = value
    return world


def test_seeding_none_is_the_do_nothing_baseline():
    none = sim.EngagementModel(with_(seeding__kind="none"), rng=3)
    assert none.engaged_count == 0  # no seeds: only outside sparks engage anyone
    seeded = sim.run(with_(seeding__kind="random"), seed=3).summary
    baseline = sim.run(with_(seeding__kind="none"), seed=3).summary
    assert baseline["peak_engaged"] < seeded["peak_engaged"]


def test_a_triggered_launch_waits_for_the_event_then_seeds():
    level = 0.01
    model = sim.EngagementModel(with_(seeding__trigger={"engaged": level}), rng=4)
    assert model.engaged_count == 0  # not launched at step 0
    shares = [model.engaged_share]
    while model.running:
        model.step()
        shares.append(model.engaged_share)
    launched = model.course.launched_at
    assert launched is not None and launched > 0
    # The condition was first met by the state after step `launched`, not before.
    assert shares[launched] >= level
    assert all(share < level for share in shares[:launched])
    summary = model.result().summary
    assert summary["launched_at"] == launched


def test_a_trigger_that_never_fires_never_launches():
    never = with_(seeding__trigger={"signal": 1e9}, dynamics__max_steps=30)
    summary = sim.run(never, seed=1).summary
    assert summary["launched_at"] is None
    assert (
        sim.run(with_(seeding__kind="none", dynamics__max_steps=30), seed=1).summary["peak_engaged"]
        == summary["peak_engaged"]
    )


@pytest.mark.parametrize("at_step", [0, 30])
def test_window_outcomes_cover_the_same_steps_after_each_launch(at_step):
    spec = with_(seeding__at_step=at_step, dynamics__fatigue=0.0)
    spec["outcomes"] = {"window": 20}
    result = sim.run(spec, seed=2)
    ts = result.timeseries
    rows = ts[(ts["step"] > at_step) & (ts["step"] <= at_step + 20)]
    summary = result.summary
    assert summary["launched_at"] == at_step
    assert summary["window_steps"] == len(rows) > 0
    assert summary["window_peak_engaged"] == rows["engaged"].max()
    assert summary["window_total_signal"] == pytest.approx(rows["signal"].sum(), rel=0, abs=0)
    assert summary["window_legitimacy_end"] == rows["legitimacy"].iloc[-1]


def test_existing_scenarios_gain_no_keys():
    summary = sim.run(WORLD, seed=1).summary
    assert not any(key.startswith("window_") or key == "launched_at" for key in summary)


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("seeding.trigger={engaged: 0.1, signal: 0.2}", "seeding.trigger"),
        ("seeding.trigger={}", "seeding.trigger"),
        ("seeding.kind=nobody", "seeding.kind"),
        ("outcomes.window=0", "outcomes.window"),
    ],
)
def test_bad_planner_settings_are_one_line_errors(tmp_path, capsys, setting, expected):
    path = tmp_path / "w.yaml"
    path.write_text("name: w\npopulation: {size: 50}\n")
    code = main(["run", str(path), "--set", setting, "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and expected in err and "\n" not in err
    assert not (tmp_path / "out").exists()


def test_window_outcomes_are_nan_without_a_launch():
    spec = with_(seeding__trigger={"signal": 1e9}, dynamics__max_steps=10)
    spec["outcomes"] = {"window": 5}
    summary = sim.run(spec, seed=1).summary
    assert summary["window_steps"] == 0 and np.isnan(summary["window_peak_engaged"])
