"""``massengage calibrate``: distance, bad files, parameter recovery, kill -9 and resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from sim.calibration import calibrate, load_calibration, open_sampler
from sim.calibration.statistics import (
    bunching_ratio,
    ccdf,
    ccdf_distance,
    ks_distance,
    parameter_seed,
)
from sim.cli import main
from sim.experiments.results import folder_lock
from sim.model.runner import run
from sim.model.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "experiments" / "calibration" / "calibrate_example.yaml"


def world(n: int, count: int, **changes: Any) -> dict[str, Any]:
    """A near-critical avalanche world: Erdos-Renyi, normal thresholds, no grievance."""
    scenario = {
        "name": "recovery_world",
        "mode": "avalanches",
        "seed": 3,
        "population": {"size": n, "online_share": 1.0},
        "network": {"kind": "erdos_renyi", "mean_degree": 4},
        "citizens": {
            "threshold": {"dist": "normal", "mean": 0.25, "sd": 0.1},
            "hardship": {"dist": "fixed", "value": 0.0},
        },
        "channels": [
            {"name": "share", "cost": 0.02, "weight": 1, "online": True},
            {"name": "petition", "cost": 0.1, "weight": 5, "online": True},
        ],
        "institution": {"policy": []},
        "avalanches": {"count": count},
    }
    return load_scenario(scenario, changes).to_dict() if changes else scenario


def write_problem(
    folder: Path, scenario: dict[str, Any], truth: dict[str, float], seed: int, **keys: Any
) -> Path:
    """Simulate the data at ``truth`` and write a calibration file next to them."""
    sizes = run(load_scenario(scenario, truth), seed=seed).avalanches["size"]
    pd.DataFrame({"size": sizes}).to_csv(folder / "sizes.csv", index=False)
    spec = {
        "name": "recovery",
        "scenario": scenario,
        "parameters": keys.pop("parameters"),
        "observed": {"path": "sizes.csv", "column": "size", "min": 2},
        "distance": {"share": {"weight": 1.0}},
        "report": {"thresholds": [10, 100], "predictive": 8, "truth": truth},
    } | keys
    path = folder / "calibration.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------
# Summary statistics and distance


def test_distance_terms_agree_with_scipy_and_vanish_on_identical_samples() -> None:
    rng = np.random.default_rng(1)
    a = np.floor(rng.pareto(0.8, 400) + 1)
    b = np.floor(rng.pareto(1.2, 300) + 1)
    assert ks_distance(a, b) == pytest.approx(stats.ks_2samp(a, b).statistic)
    points = np.geomspace(1, b.max(), 12)
    assert ccdf_distance(b, b, points) == 0.0
    assert ccdf_distance(a, b, points) > 0.1
    assert ks_distance(np.zeros(0), b) == 1.0
    assert ccdf(np.array([1, 2, 3, 4]), np.array([1, 3, 5])).tolist() == [1.0, 0.5, 0.0]
    ratio, above, below = bunching_ratio(np.array([8000, 9500, 10000, 10100, 11000, 12500]), 1e4)
    assert (above, below, ratio) == (3, 2, 1.5)
    assert parameter_seed(1, [0.25, 0.1]) == parameter_seed(1, [0.25, 0.1])
    assert parameter_seed(1, [0.25, 0.1]) != parameter_seed(1, [0.25, 0.1000001])


# --------------------------------------------------------------------------------------------
# Bad calibration files: one line, exit 2, nothing written


def _base(tmp_path: Path) -> dict[str, Any]:
    (tmp_path / "sizes.csv").write_text(
        "size,label\n" + "".join(f"{s},x\n" for s in range(1, 40)), encoding="utf-8"
    )
    return {
        "scenario": world(300, 20),
        "parameters": {"citizens.threshold.mean": {"dist": "uniform", "low": 0.2, "high": 0.3}},
        "observed": {"path": "sizes.csv", "column": "size"},
    }


def _set(spec: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    node = spec
    parts = path.split("/")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    if value is None:
        del node[parts[-1]]
    else:
        node[parts[-1]] = value
    return spec


BAD = [
    (
        "parameters/citizens.threshold.mena",
        {"dist": "uniform", "low": 0.1, "high": 0.2},
        "parameters.citizens.threshold.mena: unknown key",
    ),
    (
        "parameters/channels[5].cost",
        {"dist": "uniform", "low": 0.1, "high": 0.2},
        "parameters.channels[5].cost: channels[5]: no such list item",
    ),
    (
        "parameters/citizens.threshold.mean",
        {"dist": "uniform", "low": 0.3, "high": 0.2},
        "parameters.citizens.threshold.mean.high: must be > low (0.3), got 0.2",
    ),
    (
        "parameters/citizens.threshold.sd",
        {"dist": "log_uniform", "low": 0.0, "high": 0.2},
        "parameters.citizens.threshold.sd.low: must be > 0 for a log_uniform prior",
    ),
    (
        "parameters/citizens.threshold.sd",
        {"dist": "gamma", "low": 0.1, "high": 0.2},
        "parameters.citizens.threshold.sd.dist: expected 'uniform' or 'log_uniform'",
    ),
    (
        "parameters/channels[0].cost",
        {"dist": "uniform", "low": 0.0, "high": 0.5},
        "parameters.channels[0].cost: at 0.5: channels: channels must be ordered cheapest",
    ),
    ("observed/column", "sizes", "observed.column: no column 'sizes' in"),
    ("observed/column", "label", "observed.column: column 'label' of"),
    ("observed/min", 1000, "observed.min: no value(s) of column 'size' are >= 1000"),
    ("observed/path", "missing.csv", "observed.path: no such file"),
    ("observed/scale", "citizens.threshold", "observed.scale: expected a number > 0 or a numeric"),
    ("observed/scale", -2.0, "observed.scale: must be > 0, got -2.0"),
    ("budget", {"population": 0}, "budget.population: must be >= 1, got 0"),
    ("budget", {"max_generations": 0}, "budget.max_generations: must be >= 1, got 0"),
    ("scenario/mode", "episode", "scenario.mode: the data are incident sizes"),
    ("priors", {}, "priors: unknown key; expected one of"),
    ("distance/ks", {"weight": 1, "wieght": 2}, "distance.ks.wieght: unknown key"),
]


@pytest.mark.parametrize(("path", "value", "expected"), BAD, ids=[b[2][:40] for b in BAD])
def test_bad_calibration_files_are_one_line_exit_2_and_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], path: str, value: Any, expected: str
) -> None:
    spec = _set(_base(tmp_path), path, value)
    if path == "scenario/mode":
        spec["scenario"] = world(300, 20) | {"mode": "episode"}
    file = tmp_path / "bad.yaml"
    file.write_text(yaml.safe_dump(spec), encoding="utf-8")
    out = tmp_path / "out"
    code = main(["calibrate", str(file), "--out", str(out), "--workers", "1"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1, err
    assert f"massengage: error: {file}: {expected}" in err, err
    assert not out.exists()


def test_non_numeric_row_is_named_by_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = _base(tmp_path)
    (tmp_path / "sizes.csv").write_text("size\n12\n\n7\nabc\n", encoding="utf-8")
    file = tmp_path / "bad.yaml"
    file.write_text(yaml.safe_dump(spec), encoding="utf-8")
    assert main(["calibrate", str(file), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "observed.column: column 'size' of" in err and "line 3 is empty" in err, err


# --------------------------------------------------------------------------------------------
# Parameter recovery (CI size) and the outputs


def test_small_recovery_of_a_list_path_parameter_and_every_output(tmp_path: Path) -> None:
    """channels[0].cost = 0.04 from 250 avalanches of a 1,000-citizen world, 3 generations of
    32 particles (about 270 simulations: 15-20 s on 2 idle cores)."""
    truth = {"channels[0].cost": 0.04}
    file = write_problem(
        tmp_path,
        world(1000, 250),
        truth,
        seed=11,
        parameters={"channels[0].cost": {"dist": "uniform", "low": 0.0, "high": 0.1}},
        budget={"population": 32, "max_generations": 3},
    )
    out = tmp_path / "out"
    calibration = load_calibration(file)
    with open_sampler(2, None) as choice:
        outcome = calibrate(calibration, out, choice, quiet=True)
    m = outcome.manifest
    post = m["posterior"]["channels[0].cost"]
    assert post["q05"] <= 0.04 <= post["q95"], post
    assert post["q95"] - post["q05"] < 0.07  # narrower than the prior's 90 % (0.09)
    assert [g["generation"] for g in m["generations"]] == [0, 1, 2]
    eps = [g["epsilon"] for g in m["generations"]]
    assert eps == sorted(eps, reverse=True)
    posterior = pd.read_parquet(out / "posterior.parquet")
    assert set(posterior["generation"]) == {0, 1, 2}
    assert posterior.groupby("generation")["weight"].sum().round(9).eq(1).all()
    # Each particle's seed reruns its world: the stored distance comes back exactly.
    last = posterior.iloc[-1:]
    simulator = calibration.simulator(driver=None)
    value, seed = float(last["channels[0].cost"].iloc[0]), int(last["seed"].iloc[0])
    x = simulator.statistics(simulator.sizes([value], seed=seed))
    assert calibration.distance()(x, calibration.observed_statistics) == pytest.approx(
        float(last["distance"].iloc[0])
    )
    for name in ("calibrated.yaml", "report.html", "report.md", "fit.csv", "predictive.parquet"):
        assert (out / name).is_file(), name
    for stem in ("ccdf", "marginals", "epsilon"):
        assert (out / "figures" / f"{stem}.png").is_file()
        assert (out / "figures" / f"{stem}.svg").is_file()
    calibrated = load_scenario(out / "calibrated.yaml")
    assert calibrated.channels[0].cost == pytest.approx(post["median"])
    assert calibrated.mode.value == "avalanches"
    fit = pd.read_csv(out / "fit.csv").set_index("metric")
    assert 0 <= fit.loc["KS distance", "simulated_median"] < 0.5
    assert {"share reaching 10", "tail exponent alpha"} <= set(fit.index)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in html and "Goodness of fit" in html
    assert m["status"] == "finished" and m["data_sha256"] and m["versions"]["pyabc"]
    # A second run into the folder is refused without --resume, and while one holds the lock.
    assert main(["calibrate", str(file), "--out", str(out)]) == 2
    with folder_lock(out):
        assert main(["calibrate", str(file), "--out", str(out), "--resume"]) == 2


# --------------------------------------------------------------------------------------------
# kill -9, then --resume


def _progress_lines(process: subprocess.Popen[str], wanted: str, timeout: float) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith(wanted):
            return lines
    raise AssertionError(f"no {wanted!r} line in time: {lines}")


def test_kill_9_after_a_generation_then_resume_finishes_like_an_uninterrupted_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    truth = {"citizens.threshold.mean": 0.27}
    file = write_problem(
        tmp_path,
        world(300, 80),
        truth,
        seed=5,
        parameters={"citizens.threshold.mean": {"dist": "uniform", "low": 0.2, "high": 0.34}},
        budget={"population": 16, "max_generations": 3},
    )
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "sim", "calibrate", str(file), "--out", str(out)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    first = subprocess.Popen(
        [*command, "--workers", "1"], stdout=subprocess.PIPE, text=True, env=env, cwd=tmp_path
    )
    try:
        lines = _progress_lines(first, "generation 1/3", timeout=120)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert "epsilon" in lines[-1] and "simulations so far" in lines[-1]
    stored = json.loads((out / "manifest.json").read_text())
    assert stored["status"] == "running"
    assert not (out / "posterior.parquet").exists()
    # Without --resume the folder is refused; with it the run goes on to the last generation.
    assert main(["calibrate", str(file), "--out", str(out), "--workers", "1"]) == 2
    assert "--resume" in capsys.readouterr().err
    resumed = subprocess.run(
        [*command, "--workers", "1", "--resume"], capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming" in resumed.stdout and "generation 3/3" in resumed.stdout
    assert "generation 1/3" not in resumed.stdout
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "finished" and len(m["generations"]) == 3
    assert [s["resumed"] for s in m["sessions"]] == [False, True]
    # One worker: the resumed posterior is the uninterrupted one, particle for particle.
    whole = tmp_path / "whole"
    with open_sampler(1, None) as choice:
        calibrate(load_calibration(file), whole, choice, quiet=True)
    a = pd.read_parquet(out / "posterior.parquet")
    b = pd.read_parquet(whole / "posterior.parquet")
    pd.testing.assert_frame_equal(a, b)


# --------------------------------------------------------------------------------------------
# The full recovery: the shipped example (run with --runslow)


@pytest.mark.slow
def test_full_recovery_of_the_shipped_example(tmp_path: Path) -> None:
    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    truth = raw["report"]["truth"]
    # The shipped data are what the file says they are.
    sizes = run(load_scenario(raw["scenario"], truth), seed=2026).avalanches["size"].to_numpy()
    shipped = pd.read_csv(ROOT / "data" / "simulated_avalanche_sizes.csv")["size"].to_numpy()
    np.testing.assert_array_equal(sizes, shipped)
    out = tmp_path / "example"
    assert main(["calibrate", str(EXAMPLE), "--out", str(out), "--workers", "2"]) == 0
    m = json.loads((out / "manifest.json").read_text())
    for key, value in truth.items():
        post = m["posterior"][key]
        assert post["q05"] <= value <= post["q95"], (key, post)
    assert (out / "figures" / "pairs.png").is_file()
