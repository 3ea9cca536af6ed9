"""Objectives and lever owners in experiment files (issue 14, point 2).

Each lever names its owner (``institution`` or ``campaign``) and the file declares what each
owner wants (``objectives``); the report ranks an owner's strategies on that owner's objectives
only, counting the other side's levers among the uncertain worlds, and ranks nothing (saying
how to declare) when the file declares no objectives. The results folders here are written
from made-up outcomes whose truth is known, laid out as ``massengage sweep`` lays them out.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.experiments.experiment import ExperimentError, load_experiment

from .conftest import ROOT

EXPERIMENT = """\
# Two sides, each with one lever.
name: two_sides
scenario: {scenario}
uncertainties:
  channels[0].cost: [0.0, 0.05]
levers:
  institution.policy:
    values: [ignore, respond]
    owner: institution
  seeding.kind:
    values: [random, hubs]
    owner: campaign
{objectives}
replicates: 6
seed: 3
"""

PER_OWNER = """\
objectives:
  institution: {legitimacy_end: max}
  campaign: {total_signal: max}
"""


def write_experiment(tmp_path, objectives: str) -> object:
    path = tmp_path / "two_sides.yaml"
    path.write_text(
        EXPERIMENT.format(scenario=ROOT / "scenarios" / "baseline.yaml", objectives=objectives)
    )
    return path


def fake_results(tmp_path, objectives: str):
    """A results folder of the experiment with made-up outcomes: legitimacy depends on the
    policy only (respond is better), the total signal on the seeding only (hubs is better)."""
    path = write_experiment(tmp_path, objectives)
    experiment = load_experiment(path)
    rng = np.random.default_rng(7)
    rows = []
    for spec in experiment.runs():
        respond = spec.labels["institution.policy"] == "respond"
        hubs = spec.labels["seeding.kind"] == "hubs"
        rows.append(
            {
                "run_id": spec.run_id,
                "point": spec.point,
                "replicate": spec.replicate,
                "seed": spec.seed,
                **spec.labels,
                "mode": "episode",
                "legitimacy_end": 0.3 + 0.4 * respond + rng.normal(0, 0.02),
                "total_signal": 100 + 300 * hubs + rng.normal(0, 10),
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
    return out, manifest


def strategy_sentences(out) -> list[str]:
    text = (out / "report.md").read_text()
    return [re.sub(r"[*`]", "", line) for line in text.splitlines() if line.startswith("- Across ")]


def test_the_manifest_records_objectives_and_owners(tmp_path):
    _, manifest = fake_results(tmp_path, PER_OWNER)
    entry = manifest["experiment"]
    assert entry["objectives"] == {
        "institution": {"legitimacy_end": "max"},
        "campaign": {"total_signal": "max"},
    }
    owners = {p["key"]: p.get("owner") for p in entry["parameters"]}
    assert owners == {
        "channels[0].cost": None,
        "institution.policy": "institution",
        "seeding.kind": "campaign",
    }


def test_each_owner_is_ranked_on_its_own_objectives_only(tmp_path):
    out, _ = fake_results(tmp_path, PER_OWNER)
    assert main(["report", str(out), "--quiet"]) == 0
    found = strategy_sentences(out)
    assert len(found) == 2, found
    institution = next(s for s in found if "institution's strategy" in s)
    campaign = next(s for s in found if "campaign's strategy" in s)
    # The institution's policies on legitimacy, the campaign's seeding on the signal.
    assert "(institution.policy) with the highest expected legitimacy at end is respond" in (
        institution
    )
    assert "seeding.kind counted as uncertain" in institution
    assert "(seeding.kind) with the highest expected total signal is hubs" in campaign
    assert "total signal" not in institution and "legitimacy" not in campaign
    stems = {p.stem for p in (out / "figures").glob("strategies_*.png")}
    assert stems == {"strategies_institution_legitimacy_end", "strategies_campaign_total_signal"}


def test_with_no_objectives_nothing_is_ranked_and_the_report_says_how_to_declare(tmp_path):
    out, _ = fake_results(tmp_path, "")
    assert main(["report", str(out), "--quiet"]) == 0
    assert strategy_sentences(out) == []
    assert not list((out / "figures").glob("strategies_*"))
    text = (out / "report.md").read_text()
    assert "Strategies are not ranked: the experiment file declares no objectives" in text
    assert "owner: institution (or campaign)" in text


@pytest.mark.parametrize(
    ("objectives", "message"),
    [
        (
            "objectives: {legitimacy_end: max}",
            "objectives: the levers have owners campaign and institution; give objectives per "
            "owner",
        ),
        ("objectives: {institution: {legitimacy_end: up}}", "expected max or min, got 'up'"),
        ("objectives: {council: {legitimacy_end: max}}", "objectives.council: expected an owner"),
    ],
)
def test_bad_objectives_are_refused_with_one_line(tmp_path, objectives, message):
    path = write_experiment(tmp_path, objectives)
    with pytest.raises(ExperimentError) as caught:
        load_experiment(path)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_an_uncertainty_has_no_owner(tmp_path):
    path = write_experiment(tmp_path, "")
    path.write_text(
        path.read_text().replace(
            "  channels[0].cost: [0.0, 0.05]",
            "  channels[0].cost: {values: [0.0, 0.05], owner: campaign}",
        )
    )
    with pytest.raises(ExperimentError, match="only levers have an owner"):
        load_experiment(path)


def test_the_flagships_declare_objectives_and_owners():
    for name in ("legitimacy_and_cascades", "launch_strategies"):
        experiment = load_experiment(ROOT / "experiments" / f"{name}.yaml")
        levers = [p.key for p in experiment.parameters if p.role.value == "lever"]
        assert levers and set(experiment.owners) == set(levers)
        assert set(experiment.objectives) == set(experiment.owners.values())
