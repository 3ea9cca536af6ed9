"""Sensitivity indices of a ``sobol`` or ``morris`` sweep, from SALib (Herman and Usher 2017).

Sobol' first-order and total indices (Saltelli 2002; Saltelli et al. 2010) and Morris
elementary effects (Morris 1991; Campolongo, Cariboni and Saltelli 2007), each with bootstrap
confidence intervals: :func:`sobol_indices` and :func:`morris_indices` for one outcome,
:func:`sensitivity` for a sweep's outcomes.

Named so as not to shadow :func:`sim.analysis.sensitivity`. Imports :mod:`sim.analysis.sweeps`
only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.sweeps import BOOTSTRAP_SEED, CONFIDENCE, Sweep, format_value, numbers

__all__ = ["Sensitivity", "morris_indices", "sensitivity", "sobol_indices"]


def sobol_indices(
    problem: dict[str, Any],
    y: np.ndarray,
    *,
    second_order: bool = True,
    seed: int = BOOTSTRAP_SEED,
    level: float = CONFIDENCE,
    resamples: int = 500,
) -> pd.DataFrame:
    """First-order (S1) and total (ST) Sobol' indices with ``level`` confidence half-widths.

    ``y`` holds one outcome per Saltelli sample, in sample order (as
    :func:`SALib.sample.sobol.sample` produced them); :func:`SALib.analyze.sobol.analyze`
    estimates the indices with Saltelli et al. (2010) and Jansen's (1999) estimators and their
    intervals by bootstrap.
    """
    import warnings

    from SALib.analyze import sobol

    with warnings.catch_warnings():
        # A constant subset of evaluations is reported by the caller (and seen in the CIs).
        warnings.filterwarnings("ignore", message="Constant values encountered")
        result = sobol.analyze(
            problem,
            np.asarray(y, dtype=float),
            calc_second_order=second_order,
            num_resamples=resamples,
            conf_level=level,
            print_to_console=False,
            seed=seed,
        )
    return pd.DataFrame(
        {
            "parameter": problem["names"],
            "S1": result["S1"],
            "S1_conf": result["S1_conf"],
            "ST": result["ST"],
            "ST_conf": result["ST_conf"],
        }
    )


def morris_indices(
    problem: dict[str, Any],
    x: np.ndarray,
    y: np.ndarray,
    *,
    levels: int = 4,
    seed: int = BOOTSTRAP_SEED,
    level: float = CONFIDENCE,
    resamples: int = 500,
) -> pd.DataFrame:
    """Morris (1991) elementary-effect statistics: μ, μ* (Campolongo et al. 2007) with its
    ``level`` bootstrap half-width, and σ, from :func:`SALib.analyze.morris.analyze`."""
    from SALib.analyze import morris

    result = morris.analyze(
        problem,
        np.asarray(x, dtype=float),
        np.asarray(y, dtype=float),
        num_resamples=resamples,
        conf_level=level,
        print_to_console=False,
        num_levels=levels,
        seed=seed,
    )
    return pd.DataFrame(
        {
            "parameter": problem["names"],
            "mu": result["mu"],
            "mu_star": result["mu_star"],
            "mu_star_conf": result["mu_star_conf"],
            "sigma": result["sigma"],
        }
    )


@dataclass
class Sensitivity:
    """Sensitivity indices of a sobol or morris sweep, one row per (outcome, group,
    parameter); ``group`` names the combination of crossed parameters ("all" when none).
    ``notes`` says what could not be computed and why."""

    method: str
    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def sensitivity(
    sweep: Sweep, outcomes: Sequence[str], *, seed: int = BOOTSTRAP_SEED
) -> Sensitivity | None:
    """Sobol' or Morris indices of each outcome for a ``sobol`` or ``morris`` sweep.

    The outcome of each sample is its mean over replicates; samples are put back in the
    sampler's order (the ``sample`` column) before SALib sees them, separately for each
    combination of crossed values and options. A group missing any sample (an unfinished
    sweep) or with a missing or constant outcome is skipped with a note.
    """
    if sweep.design not in ("sobol", "morris") or not sweep.problem:
        return None
    problem = sweep.problem
    names = list(problem["names"])
    design = sweep.experiment.get("design", {})
    n_samples = int(sweep.experiment.get("samples", 0))
    crossed = [p.key for p in sweep.crossed]
    rows = []
    notes: list[str] = []
    groups = sweep.runs.groupby(crossed, sort=False) if crossed else [((), sweep.runs)]
    for group, runs in groups:
        labels = group if isinstance(group, tuple) else (group,)
        name = ", ".join(
            f"{k}={format_value(v, 'level')}" for k, v in zip(crossed, labels, strict=True)
        )
        name = name or "all"
        samples = sorted(runs["sample"].unique().tolist())
        if len(samples) != n_samples:
            notes.append(
                f"{name}: {len(samples)} of {n_samples} samples finished; indices need all"
            )
            continue
        for outcome in outcomes:
            frame = runs[["sample", *names]].copy()
            frame["_y"] = numbers(runs[outcome])
            per_sample = frame.groupby("sample", sort=True).agg(
                {"_y": "mean", **{k: "first" for k in names}}
            )
            y = per_sample["_y"].to_numpy()
            if np.isnan(y).any():
                notes.append(f"{name}: {outcome} is missing for some samples")
                continue
            if np.ptp(y) == 0:
                notes.append(f"{name}: {outcome} is constant; no sensitivity to report")
                continue
            if sweep.design == "sobol":
                table = sobol_indices(
                    problem, y, second_order=bool(design.get("second_order", True)), seed=seed
                )
                long = table.melt(id_vars="parameter", value_vars=["S1", "ST"], var_name="index")
                conf = table.melt(
                    id_vars="parameter", value_vars=["S1_conf", "ST_conf"], value_name="conf"
                )["conf"]
            else:
                table = morris_indices(
                    problem,
                    per_sample[names].to_numpy(dtype=float),
                    y,
                    levels=int(design.get("levels", 4)),
                    seed=seed,
                )
                long = table.melt(
                    id_vars="parameter", value_vars=["mu_star", "sigma"], var_name="index"
                )
                conf = pd.concat(
                    [table["mu_star_conf"], table["sigma"] * np.nan], ignore_index=True
                )
            long["conf"] = conf.to_numpy()
            long.insert(0, "group", name)
            long.insert(0, "outcome", outcome)
            rows.append(long)
    table = (
        pd.concat(rows, ignore_index=True)
        if rows
        else pd.DataFrame(columns=["outcome", "group", "parameter", "index", "value", "conf"])
    )
    return Sensitivity(method=sweep.design, table=table, notes=notes)
