"""Sweeps: the same results on any executor, resumption after SIGKILL, failures, round trips,
and the flagship experiments at reduced size."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.cli import main
from sim.experiments.batch import Batch, run_batch
from sim.experiments.executors import local_executor
from sim.experiments.experiment import Experiment, ExperimentError, load_experiment
from sim.experiments.storage import load_sweep
from sim.experiments.sweep import run_sweep

from .conftest import ROOT, SCENARIOS

EXPERIMENTS = ROOT / "experiments"
BASELINE = str(SCENARIOS / "baseline.yaml")

# A small avalanche-mode sweep (N = 300, 12 incidents): two costs x two policies x 3 replicates.
SMALL: dict[str, Any] = {
    "scenario": BASELINE,
    "overrides": {"population.size": 300, "mode": "avalanches", "avalanches.count": 12},
    "uncertainties": {"channels[0].cost": [0.0, 0.03]},
    "levers": {"institution.policy": ["ignore", "respond_then_concede"]},
    "policies": {
        "respond_then_concede": [
            {"action": "respond"},
            {"action": "concede", "concession_at": 5.0},
        ]
    },
    "replicates": 3,
    "seed": 11,
    "timeseries_every": 4,
}


def write(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def cli(*args: str, cwd: Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sim", "sweep", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        **kwargs,
    )


def expected_tables(experiment: Experiment) -> dict[str, pd.DataFrame]:
    """Every run of the experiment, computed in this process by the workers' own function."""
    batch = Batch(
        base_raw=experiment.base_raw,
        runs=tuple(experiment.runs()),
        fixed=tuple(experiment.fixed_columns),
        param_dtypes={p.key: p.dtype for p in experiment.parameters},
        timeseries_every=experiment.timeseries_every,
    )
    output = run_batch(batch)
    assert not output.failures
    return {"runs": output.runs, "timeseries": output.timeseries, "avalanches": output.avalanches}


def by_run(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted by run id (then step, or avalanche), as the acceptance compares them."""
    second = [k for k in ("step", "avalanche") if k in frame][:1]
    return frame.sort_values(["run_id", *second], kind="stable", ignore_index=True)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Experiment:
    return load_experiment(write(tmp_path_factory.mktemp("small") / "small.yaml", SMALL))


# --------------------------------------------------------------------------------------------
# One code path, any executor: identical results


def test_one_worker_two_workers_and_a_dask_cluster_give_identical_results(
    small: Experiment, tmp_path: Path
) -> None:
    from distributed import Client, LocalCluster

    outs = {}
    with local_executor(1) as pool:
        outs["one"] = run_sweep(small, tmp_path / "one", pool, workers=1, progress=False)
    with local_executor(2) as pool:
        outs["two"] = run_sweep(
            small, tmp_path / "two", pool, workers=2, batch_size=1, progress=False
        )
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=40,
        ) as cluster,
        Client(cluster) as client,
    ):
        outs["dask"] = run_sweep(
            small, tmp_path / "dask", client.get_executor(pure=False), workers=2, progress=False
        )
    assert all(report.ok and report.ran == small.n_runs for report in outs.values())
    results = {name: load_sweep(tmp_path / name) for name in outs}
    reference = results["one"]
    assert len(reference["runs"]) == small.n_runs == 12
    for name in ("two", "dask"):
        for table in ("runs", "timeseries", "avalanches"):
            pd.testing.assert_frame_equal(by_run(results[name][table]), by_run(reference[table]))
    # ... and equal to the runs computed here, run by run, with the same seeds.
    expected = expected_tables(small)
    for table in ("runs", "timeseries", "avalanches"):
        pd.testing.assert_frame_equal(by_run(reference[table]), by_run(expected[table]))


# --------------------------------------------------------------------------------------------
# Resumption: SIGKILL part-way, rerun, every run exactly once


def test_sigkill_then_rerun_gives_every_run_exactly_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = SMALL | {"replicates": 8}
    path = write(tmp_path / "kill.yaml", data)
    experiment = load_experiment(path)
    out = tmp_path / "killed"
    args = [str(path), "--out", str(out), "--workers", "2", "--batch-size", "1", "--quiet"]
    process = subprocess.Popen(
        [sys.executable, "-m", "sim", "sweep", *args],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    parts = out / "parts"
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if parts.is_dir() and len(list(parts.glob("*.runs.parquet"))) >= 6:
                break
            time.sleep(0.02)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the driver and its workers, no clean-up
        process.wait()
    finished_before = len(list(parts.glob("*.runs.parquet")))
    assert 6 <= finished_before < experiment.n_runs, "killed part-way"
    assert not (out / "runs.parquet").exists()
    assert json.loads((out / "manifest.json").read_text())["status"] == "running"

    assert main(["sweep", *args[:-1]]) == 0  # rerun the same command
    resumed = int(capsys.readouterr().out.split(" run now, ")[1].split(" already done")[0])
    assert resumed >= finished_before
    assert not parts.exists()

    results = load_sweep(out)
    runs = results["runs"]
    assert runs["run_id"].tolist() == list(range(experiment.n_runs))
    ts = results["timeseries"]
    assert not ts.duplicated(["run_id", "step"]).any()
    assert not results["avalanches"].duplicated(["run_id", "avalanche"]).any()
    manifest = results["manifest"]
    assert manifest["status"] == "complete" and len(manifest["sessions"]) == 2
    n = experiment.n_runs
    assert manifest["runs"] == {"total": n, "done": n, "failed": 0, "not_run": 0}

    with ThreadPoolExecutor(1) as pool:  # the uninterrupted sweep, in this process
        run_sweep(experiment, tmp_path / "whole", pool, workers=1, progress=False)
    whole = load_sweep(tmp_path / "whole")
    for table in ("runs", "timeseries", "avalanches"):
        pd.testing.assert_frame_equal(by_run(results[table]), by_run(whole[table]))


def test_rerunning_a_finished_sweep_runs_nothing_and_changes_nothing(
    small: Experiment, tmp_path: Path
) -> None:
    with ThreadPoolExecutor(1) as pool:
        run_sweep(small, tmp_path, pool, workers=1, progress=False)
        before = {p.name: p.read_bytes() for p in tmp_path.glob("*.parquet")}
        again = run_sweep(small, tmp_path, pool, workers=1, progress=False)
    assert again.ran == 0 and again.resumed == small.n_runs and again.ok
    assert {p.name: p.read_bytes() for p in tmp_path.glob("*.parquet")} == before


def test_prepare_comes_after_the_folder_checks_and_only_with_runs_to_do(
    small: Experiment, tmp_path: Path
) -> None:
    """The command line compiles the engine in ``prepare`` the first time: a bad folder must
    fail before it (not after a minute), and a finished sweep must not wait for it."""
    calls: list[int] = []
    (tmp_path / "taken").write_text("not a sweep's folder")
    with ThreadPoolExecutor(1) as pool:
        with pytest.raises(Exception, match="taken"):
            run_sweep(
                small,
                tmp_path / "taken",
                pool,
                workers=1,
                progress=False,
                prepare=lambda: calls.append(1),
            )
        assert calls == []
        out = tmp_path / "out"
        report = run_sweep(
            small, out, pool, workers=1, progress=False, prepare=lambda: calls.append(1)
        )
        assert calls == [1] and report.ran == small.n_runs
        run_sweep(small, out, pool, workers=1, progress=False, prepare=lambda: calls.append(1))
        assert calls == [1]


DRIVER_IMPORTS = """
import sys
from sim.cli import main
code = main(sys.argv[1:])
print(code, "numba" in sys.modules)
"""


def test_a_sweeps_driver_never_imports_numba(tmp_path: Path) -> None:
    """Only the workers run the model: the driver of a sweep (the command line, the sweep, its
    storage and consolidation) never imports numba and its compiled rules, which cost every
    sweep 0.3-0.7 s of start (importing the rules from the run lifecycle once did)."""
    experiment = write(tmp_path / "small.yaml", SMALL)
    args = ["sweep", str(experiment), "--workers", "1", "--out", str(tmp_path / "out"), "--quiet"]
    done = subprocess.run(
        [sys.executable, "-c", DRIVER_IMPORTS, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["0", "False"]
    assert len(load_sweep(tmp_path / "out")["runs"]) == 12


# --------------------------------------------------------------------------------------------
# Faults


def test_a_failing_run_is_recorded_and_the_exit_code_is_non_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Each value is valid on its own; share 0.04 with petition 0.03 breaks the cost order.
    data = {
        "scenario": BASELINE,
        "overrides": {"population.size": 300, "dynamics.max_steps": 30},
        "uncertainties": {"channels[0].cost": [0.0, 0.04], "channels[1].cost": [0.03, 0.05]},
        "replicates": 2,
    }
    path = write(tmp_path / "failing.yaml", data)
    out = tmp_path / "out"
    done = cli(str(path), "--out", str(out), "--workers", "2", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "2 run(s) failed" in done.stderr
    # Not a terminal: one progress line every few percent, the last at 100 %.
    progress = [line for line in done.stderr.splitlines() if line.startswith("failing: ")]
    assert progress and progress[-1].startswith("failing: 8/8 runs (100%), ")
    assert "runs/s, ETA" in progress[-1] and "2 failed" in progress[-1]
    assert "channels must be ordered cheapest first" in done.stderr
    results = load_sweep(out)
    manifest = results["manifest"]
    assert manifest["status"] == "failed"
    assert manifest["runs"] == {"total": 8, "done": 6, "failed": 2, "not_run": 0}
    failures = sorted(manifest["failures"], key=lambda f: f["run_id"])
    assert [f["run_id"] for f in failures] == [4, 5]
    for failure in failures:
        assert failure["parameters"] == {"channels[0].cost": 0.04, "channels[1].cost": 0.03}
        assert failure["error"].startswith("ScenarioError: ")
        assert "ordered cheapest first" in failure["error"]
        assert "Traceback" in failure["traceback"]
    assert sorted(results["runs"]["run_id"]) == [0, 1, 2, 3, 6, 7]
    # Rerunning retries the failed runs (they fail again) and keeps the finished ones.
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1"]) == 1
    assert " 6 already done" in capsys.readouterr().out


def test_a_changed_experiment_file_is_refused_unless_fresh(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "exp.yaml", SMALL | {"replicates": 1})
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    write(path, SMALL | {"replicates": 2})
    capsys.readouterr()
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1"]) == 2
    refused = capsys.readouterr().err
    assert refused.startswith(f"massengage: error: {out}: was written by a different version")
    assert "--fresh" in refused and len(refused.splitlines()) == 1
    assert len(load_sweep(out)["runs"]) == 4  # untouched
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--fresh"]) == 0
    assert len(load_sweep(out)["runs"]) == 8
    # A changed base scenario (--set) is refused too.
    capsys.readouterr()
    assert main(["sweep", str(path), "--out", str(out), "--set", "population.size=301"]) == 2
    assert "different base scenario" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# Results files: round trips with dtypes


def test_results_files_round_trip_with_stable_dtypes(small: Experiment, tmp_path: Path) -> None:
    with ThreadPoolExecutor(2) as pool:
        report = run_sweep(small, tmp_path, pool, workers=2, batch_size=5, progress=False)
    assert report.ok
    loaded = load_sweep(tmp_path)
    expected = expected_tables(small)
    for table in ("runs", "timeseries", "avalanches"):
        got = by_run(loaded[table])
        pd.testing.assert_frame_equal(got, by_run(expected[table]), check_dtype=True)
        # A plain pandas read gives the same dtypes: they are stored with the data.
        plain = pd.read_parquet(tmp_path / f"{table}.parquet")
        assert plain.dtypes.to_dict() == got.dtypes.to_dict()
        saved = tmp_path / f"again-{table}.parquet"
        got.to_parquet(saved, index=False)
        pd.testing.assert_frame_equal(pd.read_parquet(saved), got)
    runs = loaded["runs"]
    dtypes = runs.dtypes.astype(str).to_dict()
    assert dtypes["run_id"] == dtypes["seed"] == dtypes["steps"] == "int64"
    assert dtypes["channels[0].cost"] == "float64" and dtypes["institution.policy"] == "str"
    assert dtypes["global_cascade"] == "bool" and dtypes["conceded_at"] == "Int64"
    assert dtypes["tail_xmin"] == "Int64" and dtypes["tail_alpha"] == "float64"
    # conceded_at is missing exactly where the institution never conceded.
    assert runs["conceded_at"].isna().tolist() == (~runs["conceded"]).tolist()
    assert runs["conceded"].any() and not runs["conceded"].all()
    assert (runs["seed"] == [small.run(i).seed for i in runs["run_id"]]).all()
    assert list(runs.columns[:6]) == [
        "run_id",
        "point",
        "replicate",
        "seed",
        "channels[0].cost",
        "institution.policy",
    ]
    # Thinned time series: every 4th step of each run, and its last.
    ts = loaded["timeseries"]
    last = ts.groupby("run_id")["step"].max()
    assert (last.sort_index().to_numpy() == runs.sort_values("run_id")["steps"].to_numpy()).all()
    assert ((ts["step"] % 4 == 0) | ts["step"].isin(last.to_numpy())).all()
    manifest = loaded["manifest"]
    assert json.loads(json.dumps(manifest)) == manifest
    assert manifest["experiment_text"] == Path(small.source).read_text()
    assert manifest["experiment_sha256"] == small.sha256
    assert manifest["base_scenario"] == small.base.to_dict()
    assert manifest["experiment"]["master_seed"] == 11
    assert [p["role"] for p in manifest["experiment"]["parameters"]] == ["uncertainty", "lever"]
    assert manifest["versions"]["numpy"] == np.__version__
    assert manifest["files"] == [
        "runs.parquet",
        "timeseries.parquet",
        "avalanches.parquet",
        "manifest.json",
    ]


def test_timeseries_off_and_varying_channels_keep_columns_in_order(tmp_path: Path) -> None:
    data = {
        "scenario": BASELINE,
        "overrides": {"population.size": 200, "dynamics.max_steps": 20},
        "levers": {
            "channels": {
                "options": {
                    "letter": [{"name": "letter", "cost": 0.3, "weight": 200, "online": False}],
                    "share": [{"name": "share", "cost": 0.0}],
                }
            }
        },
        "timeseries_every": "off",
        "replicates": 2,
    }
    experiment = load_experiment(write(tmp_path / "ch.yaml", data))
    with ThreadPoolExecutor(1) as pool:
        run_sweep(experiment, tmp_path / "out", pool, workers=1, batch_size=1, progress=False)
    files = sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith("."))
    assert files == ["manifest.json", "runs.parquet"]
    runs = load_sweep(tmp_path / "out")["runs"]
    channel_columns = [c for c in runs.columns if c.startswith(("final_engaged_", "peak_engaged_"))]
    # Base channels first, in the base's order; a run without a channel has NaN there.
    assert channel_columns[:2] == ["final_engaged_share", "peak_engaged_share"]
    assert "final_engaged_letter" in channel_columns
    letter_runs = runs["channels"] == "letter"
    assert runs.loc[letter_runs, "final_engaged_share"].isna().all()
    assert runs.loc[~letter_runs, "final_engaged_letter"].isna().all()


def test_another_sweep_in_the_same_folder_is_refused(small: Experiment, tmp_path: Path) -> None:
    import fcntl

    tmp_path.mkdir(exist_ok=True)
    with open(tmp_path / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        with ThreadPoolExecutor(1) as pool, pytest.raises(ExperimentError, match="another sweep"):
            run_sweep(small, tmp_path, pool, workers=1, progress=False)


# --------------------------------------------------------------------------------------------
# The flagship experiments, reduced


def reduced(name: str, tmp_path: Path, overrides: dict[str, Any], **keys: Any) -> Experiment:
    """The repository's experiment with a smaller world and fewer values (same structure)."""
    data = yaml.safe_load((EXPERIMENTS / f"{name}.yaml").read_text())
    data["scenario"] = str((EXPERIMENTS / data["scenario"]).resolve())
    data["overrides"] = data.get("overrides", {}) | overrides
    for section in ("uncertainties", "levers"):
        for key, value in keys.pop(section, {}).items():
            data[section][key] = value
    data |= keys
    return load_experiment(write(tmp_path / f"{name}.yaml", data))


def sweep(experiment: Experiment, out: Path) -> dict[str, Any]:
    with local_executor(2) as pool:
        report = run_sweep(experiment, out, pool, workers=2, progress=False)
    assert report.ok
    return load_sweep(out)


def test_legitimacy_and_cascades_reduced(tmp_path: Path) -> None:
    e = reduced(
        "legitimacy_and_cascades",
        tmp_path,
        {"population.size": 300, "avalanches.count": 40},
        uncertainties={"channels[0].cost": {"values": [0.0, 0.05]}},
        levers={"institution.policy": {"values": ["ignore", "respond", "respond_then_concede"]}},
        replicates=3,
    )
    results = sweep(e, tmp_path / "out")
    runs = results["runs"]
    assert len(runs) == 18 and (runs["avalanches"] == 40).all()
    mean = runs.groupby(["channels[0].cost", "institution.policy"]).mean(numeric_only=True)
    free = mean.loc[0.0]
    # Free sharing: ignoring loses legitimacy and lets cascades run; answering keeps trust.
    assert free.loc["ignore", "legitimacy_end"] < 0.2 < 0.6 < free.loc["respond", "legitimacy_end"]
    assert free.loc["ignore", "avalanche_global_share"] > 0.5
    assert (
        free.loc["respond", "avalanche_global_share"] < free.loc["ignore", "avalanche_global_share"]
    )
    assert free.loc["respond_then_concede", "avalanche_global_share"] < 0.1
    # A cost of sharing shrinks the cascades under an ignoring institution.
    costly = mean.loc[0.05]
    assert (
        costly.loc["ignore", "avalanche_global_share"]
        < free.loc["ignore", "avalanche_global_share"]
    )
    # Avalanches are recorded incident by incident, with legitimacy after each.
    av = results["avalanches"]
    assert len(av) == 18 * 40
    last = av[av["avalanche"] == 39].set_index("run_id")["legitimacy_after"]
    ends = runs.set_index("run_id")["legitimacy_end"]
    np.testing.assert_allclose(last.sort_index(), ends.sort_index())


def test_cascade_window_reduced(tmp_path: Path) -> None:
    e = reduced(
        "cascade_window",
        tmp_path,
        {"population.size": 1500},
        uncertainties={
            "network.mean_degree": {"values": [1, 4, 12]},
            "citizens.threshold.value": {"values": [0.18]},
        },
        replicates=8,
    )
    runs = sweep(e, tmp_path / "out")["runs"]
    share = runs.groupby("network.mean_degree")["global_cascade"].mean()
    # Watts (2002): global cascades inside the window (z = 4), none below or above it.
    assert share[1.0] == 0.0 and share[12.0] == 0.0
    assert share[4.0] >= 0.5
    assert (runs["final_engaged"] == runs["peak_engaged"]).all()  # no fatigue: no one leaves


def test_launch_strategies_reduced(tmp_path: Path) -> None:
    e = reduced(
        "launch_strategies",
        tmp_path,
        {"population.size": 200, "seeding.count": 2},
        design={"kind": "lhs", "n": 3},
        uncertainties={"citizens.threshold.mean": {"range": [0.15, 0.2]}},
    )
    assert e.n_runs == 3 * 5 * 3 * 2  # doing nothing is added to the four seedings
    runs = sweep(e, tmp_path / "out")["runs"]
    assert set(runs["channels"]) == {"share", "petition", "letter"}
    assert set(runs["seeding.kind"]) == {"activists", "random", "hubs", "bridges", "none"}
    by_channel = runs.groupby("channels")[["peak_engaged", "total_signal"]].mean()
    # At low thresholds a free share reaches more citizens than a letter...
    assert by_channel.loc["share", "peak_engaged"] > 5 * by_channel.loc["letter", "peak_engaged"]
    # ... while each letter weighs 200 shares: more signal per engaged citizen.
    per_head = by_channel["total_signal"] / by_channel["peak_engaged"]
    assert per_head["letter"] > per_head["share"]
    assert runs["citizens.threshold.mean"].between(0.15, 0.2).all()
    assert set(runs["seeding.at_step"]) == {0, 30}


def test_sobol_indices_can_be_computed_from_the_results(tmp_path: Path) -> None:
    from SALib.analyze import sobol

    data = {
        "scenario": str(SCENARIOS / "watts_cascade.yaml"),
        "overrides": {"population.size": 150, "seeding.count": 5},
        "design": {"kind": "sobol", "n": 8, "second_order": False},
        "uncertainties": {
            "citizens.threshold.value": {"range": [0.1, 0.4]},
            "network.mean_degree": {"range": [1.0, 8.0]},
        },
        "timeseries_every": "off",
    }
    experiment = load_experiment(write(tmp_path / "sobol.yaml", data))
    with ThreadPoolExecutor(1) as pool:
        run_sweep(experiment, tmp_path / "out", pool, workers=1, progress=False)
    results = load_sweep(tmp_path / "out")
    runs = results["runs"].sort_values("sample")
    problem = results["manifest"]["experiment"]["design"]["problem"]
    assert problem["names"] == ["citizens.threshold.value", "network.mean_degree"]
    assert runs["sample"].tolist() == list(range(8 * 4))
    np.testing.assert_allclose(runs[problem["names"]].to_numpy(), experiment.samples)
    indices = sobol.analyze(
        problem, runs["peak_engaged"].to_numpy(), calc_second_order=False, seed=1
    )
    assert indices["S1"].shape == (2,) and np.isfinite(indices["ST"]).all()
