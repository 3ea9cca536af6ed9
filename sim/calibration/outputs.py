"""What a finished calibration writes: posterior summaries, the predictive check, goodness of
fit, the calibrated scenario and the manifest.

The posterior predictive check draws ``report.predictive`` particles from the last generation
(by weight) and simulates each with a fresh seed, ``run_seed(seed, 2_000_000 + draw)``; the
calibrated scenario (posterior medians written into the base scenario) is run once more with its
own seed, exactly as ``massengage run calibrated.yaml`` runs it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.calibration.problem import Calibration
from sim.calibration.statistics import (
    Simulator,
    bunching_ratio,
    ccdf_distance,
    ks_distance,
    share_reaching,
    tail_exponent,
)
from sim.experiments.design import run_seed

__all__ = [
    "PREDICTIVE_KEY",
    "Predictive",
    "calibrated_yaml",
    "goodness_of_fit",
    "posterior_summary",
    "run_predictive",
    "simulate_sizes",
    "weighted_quantile",
]

PREDICTIVE_KEY = 2_000_000  # predictive draw k is simulated with run_seed(seed, KEY + k)


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float | Sequence[float]) -> Any:
    """Quantile(s) ``q`` of ``values`` under normalised ``weights`` (inverse of the weighted CDF,
    interpolated at the midpoints of each value's weight)."""
    order = np.argsort(values)
    v = np.asarray(values, dtype=float)[order]
    w = np.asarray(weights, dtype=float)[order]
    cum = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(q, cum, v)


def posterior_summary(
    posterior: pd.DataFrame, calibration: Calibration
) -> dict[str, dict[str, Any]]:
    """Per parameter, in the last generation: weighted median, 5 % and 95 % quantiles, mean,
    the prior, and the true value when the file gives one."""
    last = posterior[posterior["generation"] == posterior["generation"].max()]
    out: dict[str, dict[str, Any]] = {}
    for key, prior in zip(calibration.keys, calibration.priors, strict=True):
        q05, q50, q95 = weighted_quantile(
            last[key].to_numpy(), last["weight"].to_numpy(), [0.05, 0.5, 0.95]
        )
        entry: dict[str, Any] = {
            "median": float(q50),
            "q05": float(q05),
            "q95": float(q95),
            "mean": float(np.average(last[key], weights=last["weight"])),
            "prior": {"dist": prior.dist.value, "low": prior.low, "high": prior.high},
        }
        truth = calibration.spec.report.truth.get(key)
        if truth is not None:
            entry["truth"] = truth
            entry["truth_in_90"] = bool(q05 <= truth <= q95)
        out[key] = entry
    return out


def simulate_sizes(simulator: Simulator, values: Sequence[float], seed: int) -> np.ndarray:
    """All incident sizes (data units) of one world; a picklable task for an executor."""
    return simulator.sizes(values, seed=seed)


@dataclass
class Predictive:
    """The posterior predictive simulations and the calibrated scenario's run."""

    draws: pd.DataFrame  # draw, parameters, seed
    sizes: list[np.ndarray]  # all sizes of each draw, data units
    calibrated: np.ndarray  # all sizes of the calibrated scenario's run

    def table(self) -> pd.DataFrame:
        """Long table: one row a draw and incident (draw -1: the calibrated scenario)."""
        parts = [
            pd.DataFrame(
                {"draw": -1, "incident": np.arange(self.calibrated.size), "size": self.calibrated}
            )
        ]
        for k, sizes in enumerate(self.sizes):
            parts.append(
                pd.DataFrame({"draw": k, "incident": np.arange(sizes.size), "size": sizes})
            )
        return pd.concat(parts, ignore_index=True)


def run_predictive(
    calibration: Calibration,
    posterior: pd.DataFrame,
    medians: Sequence[float],
    executor: Any = None,
) -> Predictive:
    """Simulate ``report.predictive`` posterior draws and the calibrated scenario."""
    seed = calibration.spec.seed
    last = posterior[posterior["generation"] == posterior["generation"].max()]
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(PREDICTIVE_KEY,)))
    count = calibration.spec.report.predictive
    weights = last["weight"].to_numpy()
    picked = rng.choice(len(last), size=count, replace=True, p=weights / weights.sum())
    values = last[list(calibration.keys)].to_numpy()[picked]
    seeds = [run_seed(seed, PREDICTIVE_KEY + k) for k in range(count)]
    simulator = calibration.simulator(driver=None)
    tasks = [(simulator, list(v), s) for v, s in zip(values, seeds, strict=True)]
    calibrated_seed = calibration.scenario_at(medians).seed
    tasks.append((simulator, list(medians), calibrated_seed))
    if executor is None:
        results = [simulate_sizes(*task) for task in tasks]
    else:
        results = list(executor.map(simulate_sizes, *zip(*tasks, strict=True)))
    draws = pd.DataFrame(values, columns=list(calibration.keys))
    draws.insert(0, "draw", np.arange(count))
    draws["seed"] = seeds
    return Predictive(draws=draws, sizes=results[:-1], calibrated=results[-1])


def _interval(values: Sequence[float]) -> tuple[float, float, float]:
    x = np.asarray([v for v in values if not math.isnan(v)], dtype=float)
    if x.size == 0:
        return math.nan, math.nan, math.nan
    q05, q50, q95 = np.quantile(x, [0.05, 0.5, 0.95])
    return float(q50), float(q05), float(q95)


def goodness_of_fit(calibration: Calibration, predictive: Predictive) -> pd.DataFrame:
    """Data against the posterior predictive draws (median and 90 % interval) and the
    calibrated scenario's run, on sizes at or above the cut.

    Shares reaching a threshold are shares of the incidents at or above the cut. The
    simulated bunching ratio pools the counts of every draw (one draw has too few).
    """
    cut = calibration.cut
    observed = calibration.observed
    distance = calibration.distance()
    above = [s[s >= cut] for s in predictive.sizes]
    calibrated = predictive.calibrated[predictive.calibrated >= cut]
    rows: list[dict[str, Any]] = []

    def add(metric: str, data: float, per_draw: Sequence[float], single: float) -> None:
        median, low, high = _interval(per_draw)
        rows.append(
            {
                "metric": metric,
                "data": data,
                "simulated_median": median,
                "simulated_q05": low,
                "simulated_q95": high,
                "calibrated_run": single,
            }
        )

    add(
        f"incidents >= {cut:g} (share of all)",
        observed.size / calibration.data_rows,
        [a.size / max(s.size, 1) for a, s in zip(above, predictive.sizes, strict=True)],
        calibrated.size / max(predictive.calibrated.size, 1),
    )
    add(
        "KS distance",
        0.0,
        [ks_distance(a, observed) for a in above],
        ks_distance(calibrated, observed),
    )
    add(
        "CCDF distance (decades)",
        0.0,
        [ccdf_distance(a, observed, distance.points) for a in above],
        ccdf_distance(calibrated, observed, distance.points),
    )
    alpha_data, xmin_data = tail_exponent(observed)
    fits = [tail_exponent(a) for a in above]
    add("tail exponent alpha", alpha_data, [f[0] for f in fits], tail_exponent(calibrated)[0])
    add("tail xmin", xmin_data, [f[1] for f in fits], tail_exponent(calibrated)[1])
    add(
        "median size",
        float(np.median(observed)),
        [float(np.median(a)) if a.size else math.nan for a in above],
        float(np.median(calibrated)) if calibrated.size else math.nan,
    )
    for threshold in calibration.spec.report.thresholds:
        add(
            f"share reaching {threshold:g}",
            share_reaching(observed, threshold),
            [share_reaching(a, threshold) for a in above],
            share_reaching(calibrated, threshold),
        )
    for threshold in calibration.spec.report.thresholds:
        ratio, up, down = bunching_ratio(observed, threshold)
        pooled_up = sum(bunching_ratio(a, threshold)[1] for a in above)
        pooled_down = sum(bunching_ratio(a, threshold)[2] for a in above)
        pooled = pooled_up / pooled_down if pooled_down else math.nan
        rows.append(
            {
                "metric": f"bunching ratio at {threshold:g} ([1, 1.2) over [0.8, 1) x threshold)",
                "data": ratio,
                "simulated_median": pooled,
                "simulated_q05": math.nan,
                "simulated_q95": math.nan,
                "calibrated_run": bunching_ratio(calibrated, threshold)[0],
                "note": f"data {up}/{down}; simulated, all draws pooled, {pooled_up}/{pooled_down}",
            }
        )
    return pd.DataFrame(rows)


def calibrated_yaml(calibration: Calibration, summary: dict[str, dict[str, Any]]) -> str:
    """The base scenario with each fitted key set to its posterior median, as YAML text.

    The scenario is written out in full (every key resolved), so it runs as is with
    ``massengage run`` wherever it is moved; its name gains ``_calibrated`` so that its default
    results folder is not the calibration's.
    """
    medians = [summary[key]["median"] for key in calibration.keys]
    scenario = calibration.scenario_at(medians)
    data = scenario.to_dict()
    data["name"] = f"{calibration.name}_calibrated"[:200]
    lines = [
        f"# Calibrated by `massengage calibrate` from {calibration.source}",
        f"# (sha256 {calibration.sha256[:16]}...), on {calibration.data_path}:",
        "# the base scenario with each fitted key set to its posterior median",
        "# (5 % - 95 % posterior interval in brackets).",
    ]
    for key in calibration.keys:
        s = summary[key]
        lines.append(f"#   {key}: {s['median']:.6g} [{s['q05']:.6g}, {s['q95']:.6g}]")
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return "\n".join(lines) + "\n" + body
