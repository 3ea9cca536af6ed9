"""Experiment files: designs, seeds, run enumeration, and clear errors for bad files."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from sim.cli import main
from sim.experiments.design import run_seed
from sim.experiments.experiment import ExperimentError, load_experiment, salib_problem
from sim.experiments.spec import Design, Role

from .conftest import ROOT, SCENARIOS

EXPERIMENTS = ROOT / "experiments"
BASELINE = str(SCENARIOS / "baseline.yaml")


def write(tmp_path: Path, data: dict[str, Any] | str, name: str = "exp.yaml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return path


def experiment(tmp_path: Path, **keys: Any):
    data = {"scenario": BASELINE, "overrides": {"population.size": 300}} | keys
    return load_experiment(write(tmp_path, data))


# --------------------------------------------------------------------------------------------
# The experiment files in the repository


@pytest.mark.parametrize("path", sorted(EXPERIMENTS.glob("*.yaml")), ids=lambda p: p.name)
def test_repository_experiments_load_with_a_header_and_both_roles(path: Path) -> None:
    e = load_experiment(path)
    assert e.name == path.stem
    assert path.read_text().startswith("# "), "each experiment opens with a comment header"
    roles = {p.role for p in e.parameters}
    assert Role.UNCERTAINTY in roles
    assert e.n_runs == e.n_points * e.replicates > 1
    assert e.text == path.read_text()


def test_flagship_sizes_are_what_their_headers_say() -> None:
    sizes = {p.stem: load_experiment(p).n_runs for p in EXPERIMENTS.glob("*.yaml")}
    assert sizes == {
        "legitimacy_and_cascades": 150,
        "cascade_window": 720,
        "launch_strategies": 480,
        "campaign_launch": 192,
        "petition_thresholds": 72,
    }
    for path in EXPERIMENTS.glob("*.yaml"):
        assert f"({sizes[path.stem]} runs)" in path.read_text()


# --------------------------------------------------------------------------------------------
# Designs and run enumeration


def test_grid_crosses_values_in_file_order_with_replicates_innermost(tmp_path: Path) -> None:
    e = experiment(
        tmp_path,
        uncertainties={"channels[0].cost": [0.0, 0.02, 0.04]},
        levers={"institution.policy": ["ignore", "respond"]},
        replicates=2,
    )
    assert (e.n_combinations, e.n_samples, e.n_points, e.n_runs) == (6, 1, 6, 12)
    runs = list(e.runs())
    assert [r.run_id for r in runs] == list(range(12))
    assert [r.replicate for r in runs[:4]] == [0, 1, 0, 1]
    assert [r.point for r in runs[:4]] == [0, 0, 1, 1]
    assert runs[2].labels == {"channels[0].cost": 0.0, "institution.policy": "respond"}
    assert runs[4].labels == {"channels[0].cost": 0.02, "institution.policy": "ignore"}
    # Each combination appears replicates times, and the overrides build valid scenarios.
    combos = {tuple(r.labels.values()) for r in runs}
    assert len(combos) == 6
    assert e.scenario(runs[-1]).channels[0].cost == 0.04
    assert e.scenario(runs[-1]).institution.policy[0].action == "respond"


def test_seeds_come_from_the_master_seed_and_the_run_index_only(tmp_path: Path) -> None:
    e = experiment(tmp_path, uncertainties={"channels[0].cost": [0.0, 0.02]}, replicates=3, seed=9)
    children = np.random.SeedSequence(9).spawn(e.n_runs)
    expected = [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]
    assert [r.seed for r in e.runs()] == expected
    # Any order, any subset: the same seed for the same run.
    assert [e.run(i).seed for i in (5, 0, 3)] == [expected[5], expected[0], expected[3]]
    assert len(set(expected)) == e.n_runs
    assert all(0 <= s < 2**63 for s in expected)
    assert run_seed(9, 4) == expected[4]


def test_per_replicate_seeds_give_common_random_numbers(tmp_path: Path) -> None:
    e = experiment(
        tmp_path,
        uncertainties={"channels[0].cost": [0.0, 0.02]},
        replicates=2,
        seeds="per_replicate",
    )
    seeds = [(r.replicate, r.seed) for r in e.runs()]
    assert seeds[0] == seeds[2] and seeds[1] == seeds[3] and seeds[0][1] != seeds[1][1]


def test_lhs_is_stratified_in_every_range_and_integer_keys_are_integers(tmp_path: Path) -> None:
    n = 10
    e = experiment(
        tmp_path,
        design={"kind": "lhs", "n": n},
        uncertainties={
            "citizens.threshold.mean": {"range": [0.1, 0.3]},
            "population.size": {"range": [200, 400]},
        },
        levers={"seeding.kind": ["random", "hubs"]},
    )
    assert (e.n_samples, e.n_combinations, e.n_runs) == (n, 2, 2 * n)
    means = np.array([e.run(i).labels["citizens.threshold.mean"] for i in range(n)])
    bins = np.floor((means - 0.1) / 0.2 * n).astype(int)
    assert sorted(bins) == list(range(n)), "one sample in each of the n strata (McKay 1979)"
    sizes = [e.run(i).labels["population.size"] for i in range(n)]
    assert all(isinstance(s, int) and 200 <= s <= 400 for s in sizes)
    assert e.parameters[1].dtype == "int64" and e.parameters[0].dtype == "float64"
    # Samples are shared by both lever values (crossed), in the same order.
    assert [e.run(i).labels["citizens.threshold.mean"] for i in range(n, 2 * n)] == list(means)


def test_sobol_and_morris_use_salib_samplers(tmp_path: Path) -> None:
    from SALib.sample import morris, sobol

    ranges = {
        "citizens.threshold.mean": {"range": [0.15, 0.3]},
        "channels[0].cost": {"range": [0.0, 0.05]},
    }
    e = experiment(tmp_path, design={"kind": "sobol", "n": 8}, uncertainties=ranges)
    assert e.design.kind is Design.SOBOL
    assert e.n_samples == 8 * (2 * 2 + 2)
    expected = sobol.sample(
        salib_problem(e), 8, calc_second_order=True, seed=np.random.default_rng(1)
    )
    np.testing.assert_allclose(e.samples, expected)
    assert [e.run(i).sample for i in range(3)] == [0, 1, 2]
    first = e.run(0).labels
    assert first["citizens.threshold.mean"] == expected[0, 0]

    e1 = experiment(
        tmp_path, design={"kind": "sobol", "n": 4, "second_order": False}, uncertainties=ranges
    )
    assert e1.n_samples == 4 * (2 + 2)

    m = experiment(tmp_path, design={"kind": "morris", "n": 5, "levels": 4}, uncertainties=ranges)
    assert m.n_samples == 5 * (2 + 1)
    expected = morris.sample(salib_problem(m), 5, num_levels=4, seed=np.random.default_rng(1))
    np.testing.assert_allclose(m.samples, expected)


def test_named_policies_options_and_builtins(tmp_path: Path) -> None:
    e = experiment(
        tmp_path,
        levers={
            "institution.policy": ["none", "ignore", "respond_then_concede"],
            "channels": {
                "options": {
                    "share": [{"name": "share", "cost": 0.0}],
                    "letter": [{"name": "letter", "cost": 0.3, "weight": 200, "online": False}],
                }
            },
        },
        policies={
            "respond_then_concede": [
                {"action": "respond", "capacity": 0.05},
                {"action": "concede", "concession_at": 10},
            ]
        },
    )
    specs = list(e.runs())
    assert {r.labels["institution.policy"] for r in specs} == {
        "none",
        "ignore",
        "respond_then_concede",
    }
    assert e.parameters[0].dtype == "str" and e.parameters[1].dtype == "str"
    run = next(
        r
        for r in specs
        if r.labels == {"institution.policy": "respond_then_concede", "channels": "letter"}
    )
    scenario = e.scenario(run)
    assert [a.action for a in scenario.institution.policy] == ["respond", "concede"]
    assert scenario.institution.policy[0].capacity == 0.05
    assert scenario.channel_names == ["letter"]
    assert e.scenario(specs[0]).institution.policy == []
    assert e.channel_order == ("share", "petition", "letter", "march")


def test_overrides_and_command_line_set_reach_the_base_scenario(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "scen").mkdir()
    (tmp_path / "scen" / "x.yaml").write_text("name: x\npopulation: {size: 500}\n")
    path = write(
        tmp_path,
        {"scenario": "../scen/x.yaml", "overrides": {"mode": "avalanches", "avalanches.count": 7}},
        "sub/exp.yaml",
    )
    e = load_experiment(path, ["population.size=400"])
    assert e.base.name == "x" and e.base.population.size == 400
    assert e.base.avalanches.count == 7 and e.base.mode.value == "avalanches"
    assert e.n_runs == 1 and e.parameters == ()
    assert load_experiment(path).base_sha256 != e.base_sha256


def test_inline_scenario(tmp_path: Path) -> None:
    e = load_experiment(
        write(
            tmp_path,
            {
                "name": "inline",
                "scenario": {"population": {"size": 200}, "network": {"kind": "erdos_renyi"}},
                "uncertainties": {"network.mean_degree": [2, 4]},
            },
        )
    )
    assert e.name == "inline" and e.base.population.size == 200
    assert e.parameters[0].labels == (2.0, 4.0)


# --------------------------------------------------------------------------------------------
# Bad experiment files: one line naming the file, the key path and what was expected.

BAD: list[tuple[str, dict[str, Any], str]] = [
    (
        "unknown key path in vary",
        {"uncertainties": {"channels[0].cots": [0.1]}},
        r"uncertainties\.channels\[0\]\.cots.*channels\[0\]\.cots: unknown key; expected one of: "
        r"name, cost",
    ),
    (
        "unknown section in vary",
        {"levers": {"citizen.threshold.mean": [0.2]}},
        r"levers\.citizen\.threshold\.mean.*citizen: unknown key",
    ),
    (
        "list item that does not exist",
        {"uncertainties": {"channels[9].cost": [0.1]}},
        r"uncertainties\.channels\[9\]\.cost.*no such list item",
    ),
    (
        "empty range",
        {
            "design": {"kind": "lhs", "n": 4},
            "uncertainties": {"channels[0].cost": {"range": [0.3, 0.3]}},
        },
        r"uncertainties\.channels\[0\]\.cost\.range: empty range: low must be < high",
    ),
    (
        "range without bounds",
        {"design": {"kind": "lhs", "n": 4}, "uncertainties": {"channels[0].cost": {"range": []}}},
        r"uncertainties\.channels\[0\]\.cost\.range: expected \[low, high\]",
    ),
    (
        "empty values",
        {"uncertainties": {"channels[0].cost": []}},
        r"uncertainties\.channels\[0\]\.cost(\.values)?: expected at least 1 item",
    ),
    (
        "sobol design without ranges",
        {"design": {"kind": "sobol", "n": 8}, "uncertainties": {"channels[0].cost": [0.0, 0.02]}},
        r"design\.kind: a sobol design needs at least one parameter with a range",
    ),
    (
        "sobol design without n",
        {"design": "sobol", "uncertainties": {"channels[0].cost": {"range": [0, 0.1]}}},
        r"design\.n: required for a sobol design",
    ),
    (
        "sobol n not a power of two",
        {
            "design": {"kind": "sobol", "n": 6},
            "uncertainties": {"channels[0].cost": {"range": [0, 0.1]}},
        },
        r"design\.n: a sobol design needs a power of 2, got 6",
    ),
    (
        "range in a grid design",
        {"uncertainties": {"channels[0].cost": {"range": [0, 0.1]}}},
        r"uncertainties\.channels\[0\]\.cost\.range: a grid design takes values or options",
    ),
    (
        "unknown policy name",
        {"levers": {"institution.policy": ["ignore", "appease"]}},
        r"levers\.institution\.policy\.values\[1\]: unknown policy 'appease'; "
        r"expected one of: none, ignore",
    ),
    (
        "unknown action in a policy option",
        {"levers": {"institution.policy": {"options": {"calm": [{"action": "appease"}]}}}},
        r"levers\.institution\.policy\.options\.calm: institution\.policy\[0\]\.action: "
        r"expected one of .*'appease'",
    ),
    (
        "bad parameter in a named policy",
        {
            "levers": {"institution.policy": ["soft"]},
            "policies": {"soft": [{"action": "respond", "reward": 2}]},
        },
        r"levers\.institution\.policy\.values\[0\]: institution\.policy\[0\]\.reward: must be <= 1",
    ),
    (
        "value out of range",
        {"uncertainties": {"channels[0].cost": [0.0, -0.1]}},
        r"uncertainties\.channels\[0\]\.cost\.values\[1\]: channels\[0\]\.cost: must be >= 0",
    ),
    (
        "range of a non-numeric key",
        {"design": {"kind": "lhs", "n": 3}, "uncertainties": {"seeding.kind": {"range": [0, 1]}}},
        r"uncertainties\.seeding\.kind\.range: a range needs a numeric key",
    ),
    (
        "a key path in both roles",
        {"uncertainties": {"channels[0].cost": [0.0]}, "levers": {"channels[0].cost": [0.1]}},
        r"levers\.channels\[0\]\.cost: is also an uncertainty",
    ),
    (
        "values and range together",
        {"uncertainties": {"channels[0].cost": {"values": [0.1], "range": [0, 1]}}},
        r"uncertainties\.channels\[0\]\.cost: give exactly one of values, options or range",
    ),
    ("unknown top-level key", {"replicate": 3}, r"replicate: unknown key; expected one of: name"),
    ("replicates of zero", {"replicates": 0}, r"replicates: must be >= 1, got 0"),
    ("negative seed", {"seed": -1}, r"seed: must be >= 0, got -1"),
    ("bad thinning", {"timeseries_every": 0}, r"timeseries_every: expected an integer >= 1 or off"),
    ("bad override", {"overrides": {"population.sise": 3}}, r"overrides\.population\.sise: "),
    (
        "combination that cannot hold in the first run",
        {"overrides": {"channels[1].cost": 0.0}, "uncertainties": {"channels[0].cost": [0.01]}},
        r"channels\[0\]\.cost\.values\[0\]: channels: channels must be ordered cheapest first",
    ),
    ("missing scenario file", {"scenario": "nowhere.yaml"}, r"scenario: no such scenario file"),
]


@pytest.mark.parametrize(("what", "keys", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_experiment_files_name_file_and_key(
    tmp_path: Path, what: str, keys: dict[str, Any], message: str
) -> None:
    data = {"scenario": BASELINE} | keys
    path = write(tmp_path, data)
    with pytest.raises(ExperimentError) as err:
        load_experiment(path)
    text = str(err.value)
    assert text.startswith(f"{path}: "), text
    assert "\n" not in text
    assert re.search(message, text), text


def test_missing_scenario_key_and_not_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ExperimentError, match=r"exp\.yaml: scenario: required key is missing"):
        load_experiment(write(tmp_path, {"replicates": 2}))
    with pytest.raises(ExperimentError, match=r"expected a mapping of experiment keys"):
        load_experiment(write(tmp_path, "- a\n- b\n"))
    with pytest.raises(ExperimentError, match=r"line 2, column .*invalid YAML"):
        load_experiment(write(tmp_path, "scenario: x\n  bad: [\n"))
    with pytest.raises(ExperimentError, match=r"nothing\.yaml: no such file"):
        load_experiment(tmp_path / "nothing.yaml")


def test_cli_bad_file_exits_2_with_one_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, {"scenario": BASELINE, "uncertainties": {"channels[0].cots": [0.1]}})
    out = tmp_path / "out"
    code = main(["sweep", str(path), "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith(f"massengage: error: {path}: uncertainties.channels[0].cots")
    assert len(err.splitlines()) == 1
    assert not out.exists()
    assert main(["sweep", str(path), "--workers", "0"]) == 2


def test_dry_run_prints_the_count_and_a_sample(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = EXPERIMENTS / "legitimacy_and_cascades.yaml"
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--dry-run", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "= 150 runs" in text
    assert "lever: institution.policy: 5 values: ignore, broadcast, respond" in text
    assert "uncertainty: channels[0].cost: 6 values" in text
    table = text.split("sample of runs (8 of 150):")[1].splitlines()
    assert table[1].split()[:2] == ["run_id", "point"]
    assert table[2].split()[:2] == ["0", "0"] and table[-1].split()[0] == "149"
    assert not out.exists()


def test_the_petition_flagship_keeps_the_calibrated_promises() -> None:
    """experiments/petition_thresholds.yaml rewrites the policy (to add ignore): its two
    promises must keep the calibrated pushes, rewards and observed gains."""
    from sim import load_scenario

    e = load_experiment(EXPERIMENTS / "petition_thresholds.yaml")
    calibrated = load_scenario(ROOT / "scenarios" / "uk_petitions_calibrated.yaml")
    fitted = [a for a in calibrated.institution.policy if a.action == "commit"]
    used = [a for a in e.base.institution.policy if a.action == "commit"]
    assert len(used) == len(fitted) == 2
    for a, b in zip(used, fitted, strict=True):
        assert a.at == b.at and a.reward == b.reward and a.observed == b.observed
        assert a.push == pytest.approx(b.push, rel=1e-6)
    assert e.base.population.scale == calibrated.population.scale
