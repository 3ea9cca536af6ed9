"""Planner's questions (issue 14, point 3): worlds weighted by stated beliefs, and the
do-nothing baseline (``seeding.kind: none``) as a reference for the campaign's strategies.

The results folders are written from made-up outcomes whose truth is known, laid out as
``massengage sweep`` lays them out.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from sim.analysis import Goal, compare_strategies
from sim.cli import main
from sim.experiments.experiment import ExperimentError, load_experiment

from .conftest import ROOT

EXPERIMENT = """\
name: beliefs
scenario: {scenario}
uncertainties:
  channels[0].cost: {cost}
levers:
  seeding.kind:
    values: {seeding}
    owner: campaign
objectives:
  total_signal: max
replicates: 6
seed: 3
baseline: {baseline}
"""

WEIGHTED = "{values: [0.0, 0.05], weights: [9, 1]}"


def write_experiment(
    tmp_path, cost: str = WEIGHTED, seeding: str = "[random, hubs]", baseline: str = "false"
):
    path = tmp_path / "beliefs.yaml"
    scenario = ROOT / "scenarios" / "baseline.yaml"
    path.write_text(
        EXPERIMENT.format(scenario=scenario, cost=cost, seeding=seeding, baseline=baseline)
    )
    return path


def fake_results(tmp_path, signal, **kw):
    """A results folder whose total signal is ``signal(seeding, cost) + noise``."""
    path = write_experiment(tmp_path, **kw)
    experiment = load_experiment(path)
    rng = np.random.default_rng(11)
    rows = []
    for spec in experiment.runs():
        mean = signal(spec.labels["seeding.kind"], spec.labels["channels[0].cost"])
        rows.append(
            {
                "run_id": spec.run_id,
                "point": spec.point,
                "replicate": spec.replicate,
                "seed": spec.seed,
                **spec.labels,
                "mode": "episode",
                "total_signal": mean + rng.normal(0, 5),
            }
        )
    out = tmp_path / "results"
    out.mkdir()
    pd.DataFrame(rows).to_parquet(out / "runs.parquet", index=False)
    manifest = {
        "format": "massengage.sweep/1",
        "status": "complete",
        "experiment": experiment.manifest_entry(),
        "experiment_file": str(path),
        "experiment_text": experiment.text,
        "base_scenario": experiment.base.to_dict(),
        "runs": {"total": experiment.n_runs, "done": experiment.n_runs},
        "failures": [],
        "command": ["test"],
    }
    (out / "manifest.json").write_text(json.dumps(manifest))
    return out, manifest, pd.DataFrame(rows)


def likely_random(seeding: str, cost: float) -> float:
    """random wins in the likely world (cost 0, weight 0.9), hubs in the unlikely one, by
    more: unweighted, hubs has the higher mean over the two worlds."""
    if cost == 0.0:
        return 200.0 if seeding == "random" else 100.0
    return 100.0 if seeding == "random" else 300.0


def report_lines(out) -> list[str]:
    text = (out / "report.md").read_text()
    return [re.sub(r"[*`]", "", line) for line in text.splitlines()]


def test_weights_are_normalised_and_recorded_in_the_manifest(tmp_path):
    _, manifest, _ = fake_results(tmp_path, likely_random)
    entry = next(p for p in manifest["experiment"]["parameters"] if p["key"] == "channels[0].cost")
    assert entry["weights"] == pytest.approx([0.9, 0.1])
    lever = next(p for p in manifest["experiment"]["parameters"] if p["key"] == "seeding.kind")
    assert "weights" not in lever


def test_stated_weights_change_the_expected_ranking_but_not_worst_case_or_regret(tmp_path):
    _, _, runs = fake_results(tmp_path, likely_random)
    goal = Goal("total_signal")
    args = (runs, ["seeding.kind"], ["channels[0].cost"], goal)
    plain = compare_strategies(*args)
    weighted = compare_strategies(*args, weights={"channels[0].cost": {0.0: 0.9, 0.05: 0.1}})
    assert plain.best["strategy"] == "hubs"  # (100 + 300) / 2 > (200 + 100) / 2
    assert weighted.best["strategy"] == "random"  # 0.9 * 200 + 0.1 * 100 > 0.9 * 100 + ...
    row = weighted.table.set_index("strategy")
    assert row.loc["random", "expected"] == pytest.approx(190, abs=3)
    assert row.loc["hubs", "expected"] == pytest.approx(120, abs=3)
    assert row.loc["random", "expected_low"] < 190 < row.loc["random", "expected_high"]
    assert row.loc["hubs", "verdict"] == "worse"
    # Worst case and regret are about the worst world, not the likely one: unweighted.
    for column in ("worst", "max_regret"):
        assert np.allclose(weighted.table[column], plain.table[column]), column
    assert "stated probability" in weighted.method and "0.05 (10 %)" in weighted.method


def test_the_report_ranks_on_the_weights_and_says_so(tmp_path):
    out, _, _ = fake_results(tmp_path, likely_random)
    assert main(["report", str(out), "--quiet"]) == 0
    lines = report_lines(out)
    finding = next(line for line in lines if line.startswith("- Across "))
    assert (
        "worlds weighted by their stated probabilities, channels[0].cost: 0 (90 %), 0.05 (10 %))"
        in finding
    )
    assert "highest expected total signal (worlds weighted" in finding
    assert re.search(r"\) is random \(", finding), finding
    text = "\n".join(lines)
    assert "weights each world by its stated probability" in text
    # The campaign's seeding was compared without doing nothing: the report says so.
    assert "no do-nothing baseline was run (seeding.kind takes random, hubs)" in text
    assert "values: [random, hubs, none]" in text
    assert "remove baseline: false" in text


def test_the_do_nothing_baseline_is_added_when_the_campaign_levers_are_compared(tmp_path):
    """Without ``none`` among the campaign's seeding values, the experiment adds it (one more
    level, crossed with everything else) and the report sets every strategy against it."""
    out, manifest, rows = fake_results(
        tmp_path, shared_worlds, cost="[0.0, 0.05]", seeding="[hubs, random]", baseline="true"
    )
    entry = next(p for p in manifest["experiment"]["parameters"] if p["key"] == "seeding.kind")
    assert entry["values"] == ["hubs", "random", "none"] and entry["owner"] == "campaign"
    assert "added automatically" in entry["description"]
    assert manifest["experiment"]["baseline_added"] is True
    assert len(rows) == 3 * 2 * 6 and (rows["seeding.kind"] == "none").sum() == 2 * 6
    assert main(["report", str(out), "--quiet"]) == 0
    text = "\n".join(report_lines(out))
    assert "no do-nothing baseline was run" not in text
    finding = next(line for line in text.splitlines() if line.startswith("- Against doing nothing"))
    assert "the best strategy hubs changes the " in finding
    assert finding.endswith("it beats doing nothing.")
    # Opting out keeps the levers as written.
    plain = load_experiment(write_experiment(tmp_path, seeding="[hubs, random]"))
    assert not plain.baseline_added
    assert next(p for p in plain.parameters if p.key == "seeding.kind").labels == ("hubs", "random")
    # Without a campaign lever nothing is added.
    text = (tmp_path / "beliefs.yaml").read_text().replace("owner: campaign", "owner: institution")
    text = text.replace("baseline: false", "baseline: true").replace(
        "total_signal: max", "total_signal: max"
    )
    (tmp_path / "institution.yaml").write_text(text)
    assert not load_experiment(tmp_path / "institution.yaml").baseline_added


@pytest.mark.parametrize(
    ("cost", "message"),
    [
        (
            "{values: [0.0, 0.05], weights: [1]}",
            "uncertainties.channels[0].cost.weights: expected one weight per level (2), got 1",
        ),
        (
            "{values: [0.0, 0.05], weights: [-1, 2]}",
            "uncertainties.channels[0].cost.weights: expected finite weights >= 0, got -1.0 "
            "(weight 0)",
        ),
        (
            "{values: [0.0, 0.05], weights: [0, 0]}",
            "uncertainties.channels[0].cost.weights: the weights sum to zero",
        ),
        (
            "{range: [0.0, 0.05], weights: [1, 2]}",
            "uncertainties.channels[0].cost.weights: weights are for values or options; "
            "a prior other than uniform on a range is not supported",
        ),
    ],
)
def test_bad_weights_are_refused_with_one_line(tmp_path, cost, message):
    with pytest.raises(ExperimentError) as caught:
        load_experiment(write_experiment(tmp_path, cost=cost))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_lever_has_no_weights(tmp_path):
    path = write_experiment(tmp_path, seeding="[random, hubs]\n    weights: [1, 1]")
    with pytest.raises(ExperimentError, match=r"levers.seeding.kind.weights: only uncertaint"):
        load_experiment(path)


def shared_worlds(seeding: str, cost: float) -> float:
    """Doing nothing varies a lot between worlds (shared by every strategy); hubs adds 40
    in each world, random 1 (not distinguishable from nothing with 6 replicates)."""
    world = 100.0 + 2000.0 * cost
    return world + {"hubs": 40.0, "random": 1.0, "none": 0.0}[seeding]


def test_each_strategy_is_compared_with_doing_nothing_in_the_same_worlds(tmp_path):
    out, _, _ = fake_results(
        tmp_path, shared_worlds, cost="[0.0, 0.05]", seeding="[hubs, random, none]"
    )
    assert main(["report", str(out), "--quiet"]) == 0
    lines = report_lines(out)
    finding = next(line for line in lines if line.startswith("- Against doing nothing"))
    assert "(seeding.kind: none) in the same worlds, the best strategy hubs changes the " in (
        finding
    )
    found = re.search(
        r"by \+([\d.]+) \(95 % paired-bootstrap interval ([\d.]+) to ([\d.]+)\)", finding
    )
    assert found, finding
    diff, low, high = (float(x) for x in found.groups())
    assert 35 < diff < 45 and low < 40 < high and low > 0
    assert finding.endswith("it beats doing nothing.")
    text = "\n".join(lines)
    assert "vs doing nothing [95 % CI]" in text
    start = next(i for i, line in enumerate(lines) if "vs doing nothing [95 % CI]" in line)
    table = lines[start + 2 : start + 5]
    rows = {line.split("|")[1].strip(): line for line in table}
    assert "do-nothing baseline" in rows["none"]
    assert "(better)" in rows["hubs"]
    assert "(not distinguishable)" in rows["random"]
    assert "no do-nothing baseline was run" not in text


def test_doing_nothing_can_be_the_best(tmp_path):
    out, _, _ = fake_results(
        tmp_path,
        lambda s, c: {"hubs": 80.0, "random": 90.0, "none": 100.0}[s],
        cost="[0.0, 0.05]",
        seeding="[hubs, random, none]",
    )
    assert main(["report", str(out), "--quiet"]) == 0
    text = "\n".join(report_lines(out))
    assert (
        "the best of the strategies is doing nothing (seeding.kind: none): none of those run "
        "does better than doing nothing." in text
    )
