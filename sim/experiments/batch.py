"""The work of one batch of a sweep: what a worker process runs, and what it sends back.

Workers only compute: :func:`run_batch` returns a batch's tables to the driver
(:mod:`sim.experiments.sweep`), which writes them, so a cluster needs no shared file system.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.design import RunSpec
from sim.experiments.storage import typed
from sim.model.scenario import load_scenario

__all__ = ["Batch", "BatchOutput", "failure_record", "run_batch"]


@dataclass(frozen=True)
class Batch:
    """What a worker needs to run some runs of an experiment: plain, picklable data."""

    base_raw: dict[str, Any]
    runs: tuple[RunSpec, ...]
    fixed: tuple[str, ...]
    param_dtypes: dict[str, str]
    timeseries_every: int | None


@dataclass
class BatchOutput:
    """A batch's tables (None when empty), its failures and the compute time of each run."""

    runs: pd.DataFrame | None
    timeseries: pd.DataFrame | None
    avalanches: pd.DataFrame | None
    failures: list[dict[str, Any]]
    seconds: list[float]


def run_batch(batch: Batch) -> BatchOutput:
    """Run each run of ``batch``; a run that raises becomes a failure record, not an exception.

    Each row carries the run's index columns and parameter labels; the time series is thinned
    to every ``timeseries_every``-th step plus the last.
    """
    from sim.model.runner import run

    rows: list[dict[str, Any]] = []
    series: list[pd.DataFrame] = []
    avalanches: list[pd.DataFrame] = []
    failures: list[dict[str, Any]] = []
    seconds: list[float] = []
    for spec in batch.runs:
        index = {"run_id": spec.run_id, "point": spec.point, "sample": spec.sample}
        index |= {"replicate": spec.replicate, "seed": spec.seed}
        index = {k: index[k] for k in batch.fixed}
        started = time.perf_counter()
        try:
            scenario = load_scenario(batch.base_raw, spec.overrides)
            result = run(scenario, seed=spec.seed)
        except Exception as exc:
            seconds.append(time.perf_counter() - started)
            failures.append(failure_record(spec, exc))
            continue
        seconds.append(time.perf_counter() - started)
        keys = {"run_id": spec.run_id, **spec.labels}
        summary = {k: v for k, v in result.summary.items() if k != "seed"}
        rows.append(index | spec.labels | summary)
        if batch.timeseries_every is not None:
            ts = result.timeseries
            if batch.timeseries_every > 1:
                keep = np.array(ts["step"] % batch.timeseries_every == 0)
                keep[-1] = True
                ts = ts[keep]
            series.append(_with_keys(ts, keys))
        if result.avalanches is not None:
            avalanches.append(_with_keys(result.avalanches, keys))
    dtypes = dict(batch.param_dtypes)
    return BatchOutput(
        runs=typed(pd.DataFrame(rows), dtypes) if rows else None,
        timeseries=typed(pd.concat(series, ignore_index=True), dtypes) if series else None,
        avalanches=typed(pd.concat(avalanches, ignore_index=True), dtypes) if avalanches else None,
        failures=failures,
        seconds=seconds,
    )


def _with_keys(frame: pd.DataFrame, keys: dict[str, Any]) -> pd.DataFrame:
    front = pd.DataFrame({k: [v] * len(frame) for k, v in keys.items()}, index=frame.index)
    return pd.concat([front, frame], axis=1).reset_index(drop=True)


def failure_record(spec: RunSpec, exc: BaseException) -> dict[str, Any]:
    """A run that raised, as the manifest keeps it: index, parameters, error and traceback."""
    return {
        "run_id": spec.run_id,
        "seed": spec.seed,
        "replicate": spec.replicate,
        "point": spec.point,
        "parameters": spec.labels,
        "error": f"{type(exc).__name__}: {exc}",
        "traceback": "".join(traceback.format_exception(exc, limit=-8)),
    }
